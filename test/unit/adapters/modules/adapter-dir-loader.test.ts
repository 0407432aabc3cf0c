/**
 * Run-time registration: the AdapterDirCatalog loading vendor modules from `adapterDirs` (here
 * temp dirs holding .cjs files, the shape a vendor drops on a node) into registry snapshots:
 * priority override, ownership and permission rules, broken modules (code 108 naming the file,
 * never skipped), one import per file identity, and a container that never changes. Needs root
 * (files must be root-owned), as the integration tests do.
 */
import 'reflect-metadata';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdapterDirCatalog, type ModuleImporter } from '../../../../src/adapters/modules/adapter-dir-loader';
import type { AdapterRegistry } from '../../../../src/core/adapter-registry';
import type { AdapterCatalog } from '../../../../src/core/ports/adapter-catalog';
import { CniError } from '../../../../src/core/errors';
import { TOKENS } from '../../../../src/core/tokens';
import { testContainer, type TestContainer } from '../../../../src/testing';
import { runPlugin, type PluginRun } from '../../../support/run-plugin';

/** A CommonJS vendor module extending the API's ExecAdapter; `extra` runs at its top level. */
function vendorModule(options: {
  module: string;
  adapter: string;
  priority: number;
  type: string;
  extra?: string;
  set?: Record<string, unknown>;
}): string {
  return (
    `'use strict';
${options.extra ?? ''}
module.exports = (api) => {
  class VendorAdapter extends ` +
    `api.ExecAdapter {
    constructor(executor) {
      super(executor, { name: ` +
    `${JSON.stringify(options.adapter)}, priority: ${options.priority}, types: [${JSON.stringify(options.type)}] ` +
    `});
    }
    prepare(conf, context) {
      return { ...super.prepare(conf, context), ` +
    `...${JSON.stringify(options.set ?? {})} };
    }
  }
  return { name: ${JSON.stringify(options.module)}, ` +
    `adapters: [(executor) => new VendorAdapter(executor)] };
};
`
  );
}

const DPDK = vendorModule({ module: 'acme-dpdk', adapter: 'acme-dpdk', priority: 20, type: 'dpdk' });

declare global {
  var vaModuleLoads: number | undefined;
}
const COUNTED = `globalThis.vaModuleLoads = (globalThis.vaModuleLoads ?? 0) + 1;`;

let root: string;
beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('these tests must run as root: adapter modules must be root-owned');
  root = mkdtempSync(join(tmpdir(), 'multus-va-unit-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh root-owned 0755 directory holding `files` (each 0644). */
function adapterDir(files: Record<string, string>): string {
  dirCount += 1;
  const dir = join(root, `dir${dirCount}`);
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o644 });
  return dir;
}

/** The catalog of a fresh test container, as a request would use it. */
function catalog(): AdapterCatalog {
  return testContainer().container.get<AdapterCatalog>(TOKENS.AdapterCatalog);
}

/** The refusal of a directory or module file that group or others may write. */
function writableRefusal(what: 'adapter directory' | 'adapter module', path: string, shown: string): string {
  return (
    `${what} ${path} is writable by group or others (mode ${shown}): refusing to load code from it; ` +
    `fix with chmod go-w ${path}`
  );
}

async function loadError(from: AdapterCatalog, dirs: string[]): Promise<CniError> {
  const err: unknown = await from.registryFor(dirs).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CniError)) throw new Error(`expected load to fail with a CniError, got ${String(err)}`);
  return err;
}

/** A whole in-process CNI ADD of one delegate, with `adapterDirs: [dir]`, on a fresh test container. */
async function addWithAdapterDir(
  dir: string,
  delegate: Record<string, unknown>,
): Promise<TestContainer & { run: PluginRun }> {
  const t = testContainer();
  const config = { cniVersion: '1.0.0', name: 'n', type: 'multus', adapterDirs: [dir], delegates: [delegate] };
  return { ...t, run: await runPlugin(t.container, { command: 'ADD', config }) };
}

describe('AdapterDirLoader: the run-time path', () => {
  test(
    'registers every .js, .mjs and .cjs module of each ' + 'directory, in name order; other files are not code',
    async () => {
      const dir = adapterDir({
        'b-dpdk.cjs': DPDK,
        'a-vpp.js': vendorModule({ module: 'acme-vpp', adapter: 'acme-vpp', priority: 20, type: 'vpp' }),
        'c-ovs.mjs':
          `export default (api) => ({ name: 'acme-ovs', adapters: [(e) => new api.ExecAdapter(e, { name: ` +
          `'acme-ovs', priority: 20, types: ['ovs'] })] });\n`,
        'README.md': 'not code',
        'notes.json': '{}',
        'draft.ts': 'this is not loaded',
      });
      const registry = await catalog().registryFor([dir]);
      const names = registry.list().map((a) => a.name);
      expect(names.slice(-3)).toEqual(['acme-vpp', 'acme-dpdk', 'acme-ovs']);
      expect(registry.originOf(registry.pick({ type: 'dpdk' }, 'delegates[0]'))).toBe(
        `${join(dir, 'b-dpdk.cjs')} (acme-dpdk)`,
      );
    },
  );

  test(
    'a module of higher priority overrides the built-in: the plugin gets what it made (a whole in-process CNI ' +
      'call)',
    async () => {
      const dir = adapterDir({
        'acme-bridge.cjs': vendorModule({
          module: 'acme',
          adapter: 'acme-bridge',
          priority: 20,
          type: 'bridge',
          set: { vlan: 42 },
        }),
      });
      const t = await addWithAdapterDir(dir, { name: 'pods', type: 'bridge', ipam: {} });
      expect(t.run.code).toBe(0);
      expect(t.executor.calls.map((c) => c.stdin)).toEqual([
        { name: 'pods', type: 'bridge', ipam: {}, cniVersion: '1.0.0', vlan: 42 },
      ]);
    },
  );
});

describe('AdapterDirLoader: refusals are code 108 naming the file or directory, never skipped', () => {
  test.each([
    ['a syntax error', 'module.exports = (api) => ({ name: "x", adapters: [ ;\n'],
    ['a throw at the top level', 'throw new Error("licence server unreachable");\n'],
    ['nothing exported', 'module.exports = 42;\n'],
    ['a setup function that throws', 'module.exports = () => { throw new Error("needs apiVersion 2"); };\n'],
  ])('a module with %s', async (_label, text) => {
    const dir = adapterDir({ 'a-good.cjs': DPDK, 'b-broken.cjs': text });
    const error = await loadError(catalog(), [dir]);
    expect(error.code).toBe(108);
    expect(error.msg).toContain(`adapter module ${join(dir, 'b-broken.cjs')}`);
  });

  test('the load error carries what the module threw', async () => {
    const dir = adapterDir({ 'x.cjs': 'throw new Error("licence server unreachable");\n' });
    const error = await loadError(catalog(), [dir]);
    expect(error.msg).toBe(`adapter module ${join(dir, 'x.cjs')} failed to load: licence server unreachable`);
  });

  test(
    'a module registering a name a built-in has: the CNI ' + 'call fails with code 108 naming the file, nothing runs',
    async () => {
      const dir = adapterDir({
        'copycat.cjs': vendorModule({ module: 'copycat', adapter: 'bridge', priority: 50, type: 'bridge' }),
      });
      const t = await addWithAdapterDir(dir, { name: 'pods', type: 'bridge' });
      expect(t.run.json).toEqual(
        expect.objectContaining({
          code: 108,
          msg: expect.stringContaining(`by built-in and by ${join(dir, 'copycat.cjs')} (copycat)`),
        }),
      );
      expect(t.executor.calls).toEqual([]);
    },
  );

  test.each([
    ['writable by all (0777)', 0o777, '0777'],
    ['writable by its group (0775)', 0o775, '0775'],
    ['writable by others, sticky like /tmp (1777)', 0o1777, '1777'],
  ])('a directory %s', async (_label, mode, shown) => {
    const dir = adapterDir({ 'ok.cjs': DPDK });
    chmodSync(dir, mode);
    const error = await loadError(catalog(), [dir]);
    expect([error.code, error.msg]).toEqual([108, writableRefusal('adapter directory', dir, shown)]);
  });

  test.each([
    ['writable by all (0666)', 0o666, '0666'],
    ['writable by its group (0664)', 0o664, '0664'],
  ])('a module file %s', async (_label, mode, shown) => {
    const dir = adapterDir({ 'a-ok.cjs': DPDK, 'b-open.cjs': DPDK });
    const file = join(dir, 'b-open.cjs');
    chmodSync(file, mode);
    const error = await loadError(catalog(), [dir]);
    expect([error.code, error.msg]).toEqual([108, writableRefusal('adapter module', file, shown)]);
  });

  test('a module file not owned by root', async () => {
    const dir = adapterDir({ 'theirs.cjs': DPDK });
    chownSync(join(dir, 'theirs.cjs'), 65534, 65534);
    const error = await loadError(catalog(), [dir]);
    expect([error.code, error.msg]).toEqual([
      108,
      `adapter module ${join(dir, 'theirs.cjs')} is owned by uid 65534, not root: refusing to load code from it`,
    ]);
  });

  test('a directory not owned by root', async () => {
    const dir = adapterDir({ 'ok.cjs': DPDK });
    chownSync(dir, 65534, 65534);
    const error = await loadError(catalog(), [dir]);
    expect(error.msg).toBe(`adapter directory ${dir} is owned by uid 65534, not root: refusing to load code from it`);
  });

  test('a directory that does not exist', async () => {
    const dir = join(root, 'missing');
    const error = await loadError(catalog(), [dir]);
    expect(error.code).toBe(108);
    expect(error.msg).toContain(`adapter directory ${dir} cannot be read`);
  });

  test('the CNI call fails with the refusal and runs nothing', async () => {
    const dir = adapterDir({ 'ok.cjs': DPDK });
    chmodSync(dir, 0o777);
    const t = await addWithAdapterDir(dir, { name: 'pods', type: 'bridge' });
    expect(t.run.json).toEqual(
      expect.objectContaining({ code: 108, msg: expect.stringContaining(`adapter directory ${dir} is writable`) }),
    );
    expect(t.executor.calls).toEqual([]);
  });
});

/** An importer that counts imports and maps a changed file's URL back to its path (jest requires paths). */
function countingImporter(specifiers: string[]): ModuleImporter {
  return (specifier) => {
    specifiers.push(specifier);
    jest.resetModules(); // jest's own module registry would otherwise answer a second import
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier.replace(/\?.*$/u, '')) : specifier;
    return import(path);
  };
}

function countingCatalog(specifiers: string[]): AdapterDirCatalog {
  const t = testContainer();
  const base = t.container.get<AdapterRegistry>(TOKENS.AdapterRegistry);
  return new AdapterDirCatalog(base, t.executor, countingImporter(specifiers));
}

describe('AdapterDirCatalog: snapshots, not bindings', () => {
  beforeEach(() => {
    globalThis.vaModuleLoads = 0;
  });

  test('the same directories and files give the same snapshot; the module is imported once', async () => {
    const dir = adapterDir({ 'counted.cjs': COUNTED + DPDK });
    const specifiers: string[] = [];
    const from = countingCatalog(specifiers);
    const [first, second] = await Promise.all([from.registryFor([dir]), from.registryFor([dir])]);
    expect(second).toBe(first);
    expect(await from.registryFor([dir])).toBe(first);
    expect(specifiers).toEqual([join(dir, 'counted.cjs')]);
    expect(globalThis.vaModuleLoads).toBe(1);
    expect(first.pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('acme-dpdk');
  });

  test('no adapterDirs is the base registry; a snapshot leaves the base and the container unchanged', async () => {
    const t = testContainer();
    const from = t.container.get<AdapterCatalog>(TOKENS.AdapterCatalog);
    expect(await from.registryFor([])).toBe(from.base);
    const snapshot = await from.registryFor([adapterDir({ 'dpdk.cjs': DPDK })]);
    expect(snapshot.pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('acme-dpdk');
    expect(from.base.pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('exec');
    expect(t.container.get<AdapterRegistry>(TOKENS.AdapterRegistry).list()).toEqual(from.base.list());
  });

  test('a changed module file is a new snapshot, imported again under a new specifier', async () => {
    const dir = adapterDir({ 'counted.cjs': COUNTED + DPDK });
    const specifiers: string[] = [];
    const from = countingCatalog(specifiers);
    const before = await from.registryFor([dir]);
    writeFileSync(
      join(dir, 'counted.cjs'),
      COUNTED + vendorModule({ module: 'acme-dpdk', adapter: 'acme-dpdk-2', priority: 20, type: 'dpdk' }),
    );
    const after = await from.registryFor([dir]);
    expect(after).not.toBe(before);
    expect(after.pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('acme-dpdk-2');
    expect(before.pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('acme-dpdk');
    expect(specifiers).toHaveLength(2);
    expect(specifiers[1]).toMatch(/^file:\/\/.*counted\.cjs\?generation=1$/u);
    expect(globalThis.vaModuleLoads).toBe(2);
  });

  test('a module that failed to load is not remembered: fixed, it loads on the next call', async () => {
    const dir = adapterDir({ 'late.cjs': 'throw new Error("not yet");\n' });
    const from = countingCatalog([]);
    expect((await loadError(from, [dir])).code).toBe(108);
    writeFileSync(join(dir, 'late.cjs'), DPDK);
    expect((await from.registryFor([dir])).pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('acme-dpdk');
  });
});
