import { CniError } from '../../src/core/errors';

/** The CniError `work` throws; fails the test when it throws nothing, and rethrows anything else. */
export function thrownCniError(work: () => unknown, expected = 'a CniError'): CniError {
  try {
    work();
  } catch (err) {
    if (err instanceof CniError) return err;
    throw err;
  }
  throw new Error(`expected ${expected}, nothing was thrown`);
}

/** The CniError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejectedCniError(promise: Promise<unknown>): Promise<CniError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CniError)) throw new Error(`expected a CniError, got ${String(err)}`);
  return err;
}
