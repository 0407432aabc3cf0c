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
