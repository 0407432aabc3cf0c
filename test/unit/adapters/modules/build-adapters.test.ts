/**
 * The build-time manifest: package.json "multusAdapters" → src/generated/build-adapters.ts (by
 * scripts/gen-build-adapters.mjs, also run by `npm run build`) → registered by buildContainer
 * after the built-ins. The compiled binary is checked in test/integration/vendor-adapters.test.ts.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildContainer } from '../../../../src/container';
import type { AdapterRegistry } from '../../../../src/core/adapter-registry';
import { TOKENS } from '../../../../src/core/tokens';
import { BUILD_ADAPTER_MODULES } from '../../../../src/generated/build-adapters';
import { expectBuiltinsThenMacvlan } from '../adapter-test-helpers';

const root = join(__dirname, '..', '..', '..', '..');

test(
  'src/generated/build-adapters.ts is what the generator makes of package.json (run `node ' +
    'scripts/gen-build-adapters.mjs` when not)',
  () => {
    const script =
      `import(${JSON.stringify(join(root, 'scripts', 'gen-build-adapters.mjs'))}).then((m) => ` +
      `process.stdout.write(m.generate()))`;
    const generated = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(readFileSync(join(root, 'src', 'generated', 'build-adapters.ts'), 'utf8')).toBe(generated);
  },
);

test('package.json lists the macvlan example, and the manifest holds one module per entry', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { multusAdapters?: string[] };
  expect(pkg.multusAdapters).toEqual(['./plugins/macvlan']);
  expect(BUILD_ADAPTER_MODULES.map((m) => m.source)).toEqual(['build-time ./plugins/macvlan']);
});

test(
  'the production container registers the build-time ' + 'modules after the built-ins, naming where they came from',
  () => {
    expectBuiltinsThenMacvlan(buildContainer().get<AdapterRegistry>(TOKENS.AdapterRegistry));
  },
);
