/**
 * Build-time registration: adapter modules imported into the binary (what the generated
 * src/generated/build-adapters.ts does for package.json "multusAdapters") and registered through
 * registerAdapterModule; priority overrides; broken modules refused with code 108 naming them.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import * as macvlanPackage from '../../../../plugins/macvlan';
import * as acmeBridgePackage from '../../../../plugins/vendor-bridge/src/index';
import {
  ADAPTER_API,
  registerAdapterModule,
  type AdapterApi,
  type AdapterModule,
} from '../../../../src/adapters/modules/adapter-module';
import { registerBuiltinAdapters } from '../../../../src/adapters/register-builtins';
import { registryOf, type AdapterFactory } from '../../../../src/core/adapter-registry';
import { TOKENS } from '../../../../src/core/tokens';
import { ExecAdapter } from '../../../../src/adapters/exec-adapter';
import { FakeExecutor, testContainer } from '../../../../src/testing';
import { runPlugin } from '../../../support/run-plugin';
import { thrownCniError } from '../../../support/cni-error';
import { expectBuiltinsThenMacvlan } from '../adapter-test-helpers';

/** A container with the built-ins over a fake executor, like the binary's before vendor modules. */
function builtins(): Container {
  const container = new Container();
  container.bind(TOKENS.Executor).toConstantValue(new FakeExecutor());
  registerBuiltinAdapters(container);
  return container;
}

const typed =
  (name: string, priority: number, types: string[]): AdapterFactory =>
  (e) =>
    new ExecAdapter(e, { name, priority, types });

describe('registerAdapterModule: the build-time path', () => {
  test('an imported package module (the generated file passes the namespace) registers after the built-ins', () => {
    const container = builtins();
    const module = registerAdapterModule(container, macvlanPackage, 'build-time ./plugins/macvlan');
    expect(module.name).toBe('multus-adapter-macvlan');
    expectBuiltinsThenMacvlan(registryOf(container));
  });

  test.each([
    ['a module object as default export', { default: { name: 'm', adapters: [typed('x', 5, ['x'])] } }],
    ['the module object itself (no default)', { name: 'm', adapters: [typed('x', 5, ['x'])] }],
    [
      'a function of the adapter API as default export',
      {
        default: (api: AdapterApi): AdapterModule => ({
          name: 'm',
          adapters: [(e) => new api.ExecAdapter(e, { name: 'x', priority: 5, types: ['x'] })],
        }),
      },
    ],
  ])('accepts %s', (_label, exported) => {
    const container = builtins();
    registerAdapterModule(container, exported, 'test');
    expect(registryOf(container).pick({ type: 'x' }, 'delegates[0]').name).toBe('x');
  });

  test('a function module is handed the adapter API, version 1', () => {
    let given: AdapterApi | undefined;
    registerAdapterModule(
      builtins(),
      (api: AdapterApi) => ((given = api), { name: 'm', adapters: [typed('x', 1, ['x'])] }),
      'test',
    );
    expect(given).toBe(ADAPTER_API);
    expect(given?.apiVersion).toBe(1);
  });

  test('a vendor adapter of higher priority overrides the built-in for its type, and only for it', () => {
    const container = builtins();
    registerAdapterModule(container, acmeBridgePackage, 'build-time ./plugins/vendor-bridge');
    const registry = registryOf(container);
    expect(registry.pick({ type: 'bridge' }, 'delegates[0]').name).toBe('acme-bridge');
    expect(registry.pick({ type: 'ptp' }, 'delegates[0]').name).toBe('ptp');
  });

  test('a vendor adapter of lower priority than the built-in is registered but never picked', () => {
    const container = builtins();
    registerAdapterModule(container, { name: 'weak', adapters: [typed('weak-bridge', 5, ['bridge'])] }, 'test');
    expect(registryOf(container).pick({ type: 'bridge' }, 'delegates[0]').name).toBe('bridge');
  });
});

describe('registerAdapterModule: broken modules are code 108 naming the module, never skipped', () => {
  test.each([
    [
      'no name',
      { default: { adapters: [typed('x', 1, ['x'])] } },
      'adapter module /vendor/x.cjs: must export (as default) {name, adapters}',
    ],
    [
      'nothing useful exported',
      { other: 1 },
      'adapter module /vendor/x.cjs: must export (as default) {name, adapters}',
    ],
    [
      'no adapters',
      { name: 'm', adapters: [] },
      'adapter module /vendor/x.cjs: "m": adapters must be a non-empty list of factories',
    ],
    [
      'adapters that are not factories',
      { name: 'm', adapters: [{ name: 'x' }] },
      'adapter module /vendor/x.cjs: "m": adapters must be a non-empty list of factories',
    ],
    [
      'a setup function that throws',
      () => {
        throw new Error('needs a newer multus');
      },
      'adapter module /vendor/x.cjs: its setup function threw: needs a newer multus',
    ],
  ])('%s: refused when registered', (_label, exported, message) => {
    const error = thrownCniError(() => registerAdapterModule(builtins(), exported, '/vendor/x.cjs'));
    expect(error.code).toBe(108);
    expect(error.msg).toContain(message);
  });

  test(
    'a factory that throws: refused when the adapters are ' + 'made (the first resolution), naming module and index',
    () => {
      const container = builtins();
      const boom: AdapterFactory = () => {
        throw new Error('no device plugin socket');
      };
      registerAdapterModule(container, { name: 'm', adapters: [typed('ok', 1, ['ok']), boom] }, '/vendor/x.cjs');
      const error = thrownCniError(() => registryOf(container));
      expect([error.code, error.msg]).toEqual([
        108,
        'adapter module /vendor/x.cjs: adapters[1] threw when created: no device plugin socket',
      ]);
    },
  );

  test('a factory that makes something that is not an adapter: refused, saying what is missing', () => {
    const container = builtins();
    const half = (() => ({
      name: 'half',
      priority: 1,
      supports: () => true,
      prepare: (c: unknown) => c,
    })) as unknown as AdapterFactory;
    registerAdapterModule(container, { name: 'm', adapters: [half] }, '/vendor/x.cjs');
    const error = thrownCniError(() => registryOf(container));
    expect(error.code).toBe(108);
    expect(error.msg).toContain('adapter module /vendor/x.cjs: adapters[0] did not make an adapter');
    expect(error.msg).toContain('missing add, del, check, gc, status');
  });

  test('an adapter name taken by a built-in: refused naming both origins (a priority is how to override)', () => {
    const container = builtins();
    registerAdapterModule(
      container,
      { name: 'copycat', adapters: [typed('bridge', 50, ['bridge'])] },
      '/vendor/copycat.cjs',
    );
    const error = thrownCniError(() => registryOf(container));
    expect(error.code).toBe(108);
    expect(error.msg).toContain(
      'adapter name "bridge" is registered twice: by built-in and by /vendor/copycat.cjs (copycat)',
    );
  });

  test('the same name from two vendor modules: refused naming both', () => {
    const container = builtins();
    registerAdapterModule(container, { name: 'a', adapters: [typed('dpdk', 20, ['dpdk'])] }, '/vendor/a.cjs');
    registerAdapterModule(container, { name: 'b', adapters: [typed('dpdk', 30, ['dpdk'])] }, '/vendor/b.cjs');
    expect(thrownCniError(() => registryOf(container)).msg).toContain('by /vendor/a.cjs (a) and by /vendor/b.cjs (b)');
  });
});

describe('in the production container, through a whole CNI call', () => {
  const config = {
    cniVersion: '1.0.0',
    name: 'multus-net',
    type: 'multus',
    delegates: [{ name: 'pods', type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.9.0.0/24' } }],
  };

  test('the bridge plugin gets what the vendor adapter made of its config (which one ran)', async () => {
    const t = testContainer();
    registerAdapterModule(t.container, acmeBridgePackage, 'build-time ./plugins/vendor-bridge');
    const run = await runPlugin(t.container, { command: 'ADD', config });
    expect(run.code).toBe(0);
    expect(t.executor.calls.map((c) => c.stdin)).toEqual([
      { ...config.delegates[0], cniVersion: '1.0.0', hairpinMode: true, mtu: 9000 },
    ]);
  });

  test('without it, the built-in ran: the config as written', async () => {
    const t = testContainer();
    expect((await runPlugin(t.container, { command: 'ADD', config })).code).toBe(0);
    expect(t.executor.calls.map((c) => c.stdin)).toEqual([{ ...config.delegates[0], cniVersion: '1.0.0' }]);
  });

  test('a duplicate adapter name fails the call with code 108, and no delegate runs', async () => {
    const t = testContainer();
    registerAdapterModule(
      t.container,
      { name: 'copycat', adapters: [typed('ptp', 50, ['ptp'])] },
      '/vendor/copycat.cjs',
    );
    const run = await runPlugin(t.container, { command: 'ADD', config });
    expect(run.json).toEqual(
      expect.objectContaining({ code: 108, msg: expect.stringContaining('/vendor/copycat.cjs (copycat)') }),
    );
    expect(t.executor.calls).toEqual([]);
  });
});
