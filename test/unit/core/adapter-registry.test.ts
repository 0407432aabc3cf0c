import { Container } from 'inversify';
import { AdapterRegistry, registerAdapter } from '../../../src/core/adapter-registry';
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

describe('AdapterRegistry.pick', () => {
  const registry = new AdapterRegistry([
    adapter('exec', 0),
    adapter('bridge', 10, ['bridge']),
    adapter('vendor-bridge', 20, ['bridge']),
    adapter('twin', 10, ['ptp']),
    adapter('twin-late', 10, ['ptp']),
  ]);
  test.each([
    ['bridge', 'vendor-bridge'],
    ['macvlan', 'exec'],
    ['ptp', 'twin'],
  ])('type %s → %s', (type, expected) => {
    expect(registry.pick({ type }, 'delegates[0]').name).toBe(expected);
  });

  test('no adapter at all is code 7 naming the type and where', () => {
    expect(() => new AdapterRegistry([adapter('b', 10, ['bridge'])]).pick({ type: 'x' }, 'delegates[3]')).toThrow(
      expect.objectContaining({ code: 7, msg: 'delegates[3]: no adapter handles delegate type "x"' }),
    );
  });
});

test('registerAdapter binds a factory that receives the container executor', () => {
  const container = new Container();
  const executor = new FakeExecutor();
  container.bind<Executor>(TOKENS.Executor).toConstantValue(executor);
  let given: Executor | undefined;
  registerAdapter(container, (e) => {
    given = e;
    return adapter('mine', 5);
  });
  expect(container.getAll<DelegateAdapter>(TOKENS.DelegateAdapter).map((a) => a.name)).toEqual(['mine']);
  expect(given).toBe(executor);
});
