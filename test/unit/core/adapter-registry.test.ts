import { buildContainer } from '../../../src/container';
import { AdapterRegistry, registerAdapter, type RegisteredAdapter } from '../../../src/core/adapter-registry';
import type { DelegateAdapter } from '../../../src/core/ports/delegate-adapter';
import type { Executor } from '../../../src/core/ports/executor';
import { TOKENS } from '../../../src/core/tokens';
import { FakeExecutor } from '../../support/fakes';

function adapter(name: string, priority: number, types?: string[]): DelegateAdapter {
  return {
    name,
    priority,
    supports: (conf) => types === undefined || types.includes(String(conf['type'])),
    prepare: (conf) => conf,
    add: () => Promise.resolve(undefined),
    del: () => Promise.resolve(),
    check: () => Promise.resolve(),
    gc: () => Promise.resolve(),
    status: () => Promise.resolve(),
  };
}

function registered(...adapters: DelegateAdapter[]): RegisteredAdapter[] {
  return adapters.map((a) => ({ adapter: a, origin: `test ${a.name}` }));
}

describe('AdapterRegistry.pick', () => {
  const registry = new AdapterRegistry(
    registered(
      adapter('exec', 0),
      adapter('bridge', 10, ['bridge']),
      adapter('vendor-bridge', 20, ['bridge']),
      adapter('twin', 10, ['ptp']),
      adapter('twin-late', 10, ['ptp']),
    ),
  );
  test.each([
    ['bridge', 'vendor-bridge'],
    ['macvlan', 'exec'],
    ['ptp', 'twin'],
  ])('type %s → %s', (type, expected) => {
    expect(registry.pick({ type }, 'delegates[0]').name).toBe(expected);
  });

  test('no adapter at all is code 7 naming the type and where', () => {
    expect(() =>
      new AdapterRegistry(registered(adapter('b', 10, ['bridge']))).pick({ type: 'x' }, 'delegates[3]'),
    ).toThrow(expect.objectContaining({ code: 7, msg: 'delegates[3]: no adapter handles delegate type "x"' }));
  });
});

describe('AdapterRegistry snapshots', () => {
  test('withAdapters makes a new registry and leaves the first as it was', () => {
    const base = new AdapterRegistry(registered(adapter('exec', 0)));
    const more = base.withAdapters(registered(adapter('vendor', 30, ['dpdk'])));
    expect(more.pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('vendor');
    expect(base.pick({ type: 'dpdk' }, 'delegates[0]').name).toBe('exec');
    expect(base.withAdapters([])).toBe(base);
  });

  test('originOf names who registered an adapter of the registry, and unknown for any other', () => {
    const [entry] = registered(adapter('exec', 0));
    const registry = new AdapterRegistry([entry as RegisteredAdapter]);
    expect(registry.originOf((entry as RegisteredAdapter).adapter)).toBe('test exec');
    expect(registry.originOf(adapter('stranger', 0))).toBe('unknown');
  });

  test('two adapters of one name are code 108 naming both origins', () => {
    expect(() => new AdapterRegistry(registered(adapter('twin', 0), adapter('twin', 1)))).toThrow(
      expect.objectContaining({ code: 108, msg: expect.stringContaining('by test twin and by test twin') }),
    );
  });
});

test('registerAdapter registers a factory that receives the container executor', () => {
  const executor = new FakeExecutor();
  let given: Executor | undefined;
  const container = buildContainer({
    replace: { Executor: executor },
    register: (c) =>
      registerAdapter(
        c,
        (e) => {
          given = e;
          return adapter('mine', 5);
        },
        'the test',
      ),
  });
  const registry = container.get<AdapterRegistry>(TOKENS.AdapterRegistry);
  const mine = registry.list().find((a) => a.name === 'mine') as DelegateAdapter;
  expect(registry.originOf(mine)).toBe('the test');
  expect(given).toBe(executor);
});
