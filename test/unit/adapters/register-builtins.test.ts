import 'reflect-metadata';
import { Container } from 'inversify';
import { registerBuiltinAdapters } from '../../../src/adapters/register-builtins';
import { registerAdapter, registryOf, type AdapterRegistry } from '../../../src/core/adapter-registry';
import { TOKENS } from '../../../src/core/tokens';
import { ExecAdapter } from '../../../src/adapters/exec-adapter';
import { ScriptedExecutor } from './adapter-test-helpers';

function registry(container: Container): AdapterRegistry {
  return registryOf(container);
}

function containerWithExecutor(executor: ScriptedExecutor): Container {
  const container = new Container();
  container.bind(TOKENS.Executor).toConstantValue(executor);
  return container;
}

describe('registerBuiltinAdapters', () => {
  test('binds the six built-ins, each picked for its own type and exec for the rest', () => {
    const container = containerWithExecutor(new ScriptedExecutor());
    registerBuiltinAdapters(container);
    const reg = registry(container);
    expect(reg.list().map((a) => a.name)).toEqual(['exec', 'bridge', 'ptp', 'flannel', 'sriov', 'vhostuser']);
    for (const type of ['bridge', 'ptp', 'flannel', 'sriov', 'vhostuser'])
      expect(reg.pick({ type }, 'delegates[0]').name).toBe(type);
    expect(reg.pick({ type: 'macvlan' }, 'delegates[0]').name).toBe('exec');
  });

  test('every built-in runs through the bound executor', async () => {
    const executor = new ScriptedExecutor([undefined]);
    const container = containerWithExecutor(executor);
    registerBuiltinAdapters(container);
    const bridge = registry(container).pick({ type: 'bridge' }, 'delegates[0]');
    await bridge.del({
      conf: { type: 'bridge' },
      env: { CNI_CONTAINERID: 'c', CNI_NETNS: '', CNI_IFNAME: 'eth0', CNI_ARGS: '', CNI_PATH: '' },
      binDirs: [],
    });
    expect(executor.requests).toHaveLength(1);
  });

  test("a vendor's adapter of higher priority overrides a built-in", () => {
    const container = containerWithExecutor(new ScriptedExecutor());
    registerBuiltinAdapters(container);
    registerAdapter(
      container,
      (executor) => new ExecAdapter(executor, { name: 'vendor-bridge', priority: 50, types: ['bridge'] }),
    );
    expect(registry(container).pick({ type: 'bridge' }, 'delegates[0]').name).toBe('vendor-bridge');
  });
});
