/**
 * The C shim's constants come from the TypeScript modules that define them: `npm run build` writes
 * src/generated/shim-constants.h from src/shim/shim-header.ts, and the committed header must match.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shimHeader } from '../../../src/shim/shim-header';

const root = join(__dirname, '..', '..', '..');

test('src/generated/shim-constants.h is what shimHeader() makes (run `npm run build` when not)', () => {
  expect(readFileSync(join(root, 'src', 'generated', 'shim-constants.h'), 'utf8')).toBe(shimHeader());
});

test('the header defines every name the shim uses, with the protocol and versions of today', () => {
  const header = shimHeader();
  expect(header).toContain('#define CNI_PATH "/v1/cni"');
  expect(header).toContain('#define PROTOCOL_VERSION 1');
  expect(header).toContain(
    '#define SUPPORTED_VERSION_LIST "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"',
  );
  const dir = join(root, 'src', 'shim');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c'));
  const used = sources.flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\b[A-Z][A-Z_]{6,}\b/gu)]);
  const defined = [...header.matchAll(/#define (\w+)/gu)].map((m) => m[1]);
  for (const name of ['DEFAULT_SOCKET_DIR', 'SOCKET_NAME', 'FALLBACK_LOG_NAME', 'REQUEST_ID_ENV', 'LATEST_VERSION'])
    expect([used.some((m) => m[0] === name), defined.includes(name)]).toEqual([true, true]);
});
