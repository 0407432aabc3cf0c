import 'reflect-metadata';
import { Container } from 'inversify';
import {
  ADAPTER_API,
  CniError,
  TOKENS,
  registryOf,
  registerAdapterModule,
  registerBuiltinAdapters,
  type DelegateAdapter,
  type DelegateInvocation,
  type HostLink,
} from '../../../src/index';
import { FakeExecutor } from '../../../src/testing';
import macvlanModule, { macvlanAdapterClass } from '../src/index';

/**
 * The fake executor of the test-support entry, with a scripted host from a table of links (name
 * to mtu): the host-link lookup answers from it, and so does `ip -j link show dev X` through
 * nsenter (a JSON list like ip's, or a failure for a missing link).
 */
class HostLinks extends FakeExecutor {
  constructor(private readonly table: Readonly<Record<string, number>>) {
    super();
  }

  override hostLink(name: string): Promise<HostLink | undefined> {
    void super.hostLink(name);
    const mtu = this.table[name];
    return Promise.resolve(mtu === undefined ? undefined : { name, mtu });
  }

  override runTool(file: string, args: readonly string[]): Promise<string> {
    void super.runTool(file, args);
    const name = args[args.length - 1] ?? '';
    const mtu = this.table[name];
    if (mtu === undefined)
      return Promise.reject(new CniError(5, `${file} ${args.join(' ')} failed: Device "${name}" does not exist.`));
    return Promise.resolve(JSON.stringify([{ ifindex: 7, ifname: name, mtu, operstate: 'UP' }]));
  }
}

const MacvlanAdapter = macvlanAdapterClass(ADAPTER_API);
const CTX = { network: 'data', origin: 'delegates[1]' };
const NETNS = '/var/run/netns/pod1';
const VCTX = { ...CTX, netns: NETNS, madeEarlier: [] };

function call(conf: Record<string, unknown>): DelegateInvocation {
  return {
    conf: { cniVersion: '1.0.0', name: 'data', ...conf },
    env: { CNI_CONTAINERID: 'c1', CNI_NETNS: NETNS, CNI_IFNAME: 'net1', CNI_ARGS: '', CNI_PATH: '/opt/cni/bin' },
    binDirs: ['/opt/cni/bin'],
  };
}

async function verifyError(adapter: DelegateAdapter, conf: Record<string, unknown>): Promise<CniError> {
  const err: unknown = await adapter.verify?.({ cniVersion: '1.0.0', name: 'data', ...conf }, VCTX).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CniError)) throw new Error(`expected verify to fail with a CniError, got ${String(err)}`);
  return err;
}

async function addError(adapter: DelegateAdapter, conf: Record<string, unknown>): Promise<CniError> {
  const err: unknown = await adapter.add(call(conf)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CniError)) throw new Error(`expected ADD to fail with a CniError, got ${String(err)}`);
  return err;
}

describe('the macvlan adapter', () => {
  test('claims macvlan configs only, above the generic exec adapter', () => {
    const adapter = new MacvlanAdapter(new FakeExecutor());
    expect([adapter.name, adapter.priority]).toEqual(['macvlan', 10]);
    expect(adapter.supports({ type: 'macvlan' })).toBe(true);
    expect(adapter.supports({ type: 'ipvlan' })).toBe(false);
  });

  test('prepare passes a valid config on untouched', () => {
    const conf = {
      type: 'macvlan',
      master: 'eth1',
      mode: 'vepa',
      mtu: 1400,
      ipam: { type: 'host-local', subnet: '10.5.0.0/24' },
      vendorKey: 1,
    };
    expect(new MacvlanAdapter(new FakeExecutor()).prepare(conf, CTX)).toBe(conf);
  });

  test('prepare refuses a bad config with code 7, every problem by its JSON path, and runs nothing', () => {
    const executor = new FakeExecutor();
    let error: unknown;
    try {
      new MacvlanAdapter(executor).prepare({ type: 'macvlan', mode: 'bridged', mtu: '9000' }, CTX);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CniError);
    expect((error as CniError).code).toBe(7);
    expect((error as CniError).msg).toBe(
      'network "data" (delegates[1], type "macvlan"): delegates[1].mode: must be one of bridge, private, vepa, ' +
        'passthru, got "bridged"; ' +
        'delegates[1].mtu: must be an integer from 68 to 65535 (or 0: the master\'s), got "9000"',
    );
    expect(executor.tools).toEqual([]);
    expect(executor.calls).toEqual([]);
  });

  test(
    'verify looks the master up on the host through the ' + 'executor; ADD then runs the plugin with the config as is',
    async () => {
      const executor = new HostLinks({ eth1: 1500 });
      const conf = { type: 'macvlan', master: 'eth1', mode: 'bridge', mtu: 1500 };
      const adapter = new MacvlanAdapter(executor);
      await adapter.verify(conf, VCTX);
      expect([executor.links, executor.tools]).toEqual([['eth1'], []]);
      expect(executor.calls).toEqual([]);
      await adapter.add(call(conf));
      expect([executor.links, executor.tools]).toEqual([['eth1'], []]);
      expect(executor.sequence()).toEqual(['ADD macvlan net1']);
      expect(executor.calls[0]?.stdin).toEqual({ cniVersion: '1.0.0', name: 'data', ...conf });
    },
  );

  test('verify with a master missing on the host: code 7 naming it, the plugin not run', async () => {
    const executor = new HostLinks({ eth1: 1500 });
    const err = await verifyError(new MacvlanAdapter(executor), { type: 'macvlan', master: 'eth9' });
    expect(err.code).toBe(7);
    expect(err.msg).toBe('master "eth9" was not found on this host; nothing was run');
    expect(err.details).toBeUndefined();
    expect(executor.calls).toEqual([]);
  });

  test('verify when the host cannot be read: code 7 naming the master, the reason as details', async () => {
    const executor = new HostLinks({});
    executor.hostLink = () => Promise.reject(new CniError(5, 'reading /sys/class/net/eth1/mtu failed: EACCES'));
    const err = await verifyError(new MacvlanAdapter(executor), { type: 'macvlan', master: 'eth1' });
    expect([err.code, err.msg, err.details]).toEqual([
      7,
      'master "eth1" was not found on this host; nothing was run',
      'reading /sys/class/net/eth1/mtu failed: EACCES',
    ]);
    expect(executor.calls).toEqual([]);
  });

  test('verify with an mtu above the master mtu: code 7, the plugin not run', async () => {
    const executor = new HostLinks({ eth1: 1500 });
    const err = await verifyError(new MacvlanAdapter(executor), { type: 'macvlan', master: 'eth1', mtu: 9000 });
    expect([err.code, err.msg]).toEqual([
      7,
      'mtu 9000 is larger than the mtu 1500 of master "eth1": a macvlan cannot exceed its master\'s; nothing was run',
    ]);
    expect(executor.calls).toEqual([]);
  });

  test(
    'verify leaves a master that an earlier delegate of ' + 'the ADD creates (a bridge) alone: it is not there yet',
    async () => {
      const executor = new HostLinks({});
      await new MacvlanAdapter(executor).verify({ type: 'macvlan', master: 'br0' }, { ...VCTX, madeEarlier: ['br0'] });
      expect([executor.links, executor.tools]).toEqual([[], []]);
    },
  );

  test(
    'verify and ADD without a master ask the host ' + 'nothing: the plugin uses the default route interface',
    async () => {
      const executor = new HostLinks({});
      await new MacvlanAdapter(executor).verify({ type: 'macvlan' }, VCTX);
      await new MacvlanAdapter(executor).add(call({ type: 'macvlan' }));
      expect([executor.links, executor.tools]).toEqual([[], []]);
      expect(executor.sequence()).toEqual(['ADD macvlan net1']);
    },
  );

  test(
    'ADD with linkInContainer looks in the pod namespace through nsenter right before the plugin (an earlier ' +
      'delegate may make the master), never entering it',
    async () => {
      const executor = new HostLinks({ net1: 9000 });
      const conf = { type: 'macvlan', master: 'net1', linkInContainer: true, mtu: 9000 };
      await new MacvlanAdapter(executor).verify(conf, VCTX);
      expect([executor.links, executor.tools]).toEqual([[], []]);
      await new MacvlanAdapter(executor).add(call(conf));
      expect(executor.tools).toEqual([`nsenter --net=${NETNS} -- ip -j link show dev net1`]);
      expect(executor.links).toEqual([]);
      const err = await addError(new MacvlanAdapter(new HostLinks({})), {
        type: 'macvlan',
        master: 'net1',
        linkInContainer: true,
      });
      expect(err.msg).toBe('master "net1" was not found in the pod\'s network namespace; nothing was run');
    },
  );

  test.each(['check', 'gc', 'status'] as const)(
    '%s runs the plugin without looking for the master',
    async (command) => {
      const executor = new HostLinks({});
      await new MacvlanAdapter(executor)[command](call({ type: 'macvlan', master: 'eth9' }));
      expect([executor.links, executor.tools]).toEqual([[], []]);
      expect(executor.sequence()).toEqual([`${command.toUpperCase()} macvlan net1`]);
    },
  );

  test('DEL with the master present sends the config as it was added', async () => {
    const executor = new HostLinks({ eth1: 1500 });
    await new MacvlanAdapter(executor).del(call({ type: 'macvlan', master: 'eth1', mtu: 1400, ipam: {} }));
    expect([executor.links, executor.tools]).toEqual([['eth1'], []]);
    expect(executor.calls[0]?.stdin).toEqual({
      cniVersion: '1.0.0',
      name: 'data',
      type: 'macvlan',
      master: 'eth1',
      mtu: 1400,
      ipam: {},
    });
  });

  test(
    'DEL with the master gone from the host drops master ' + 'and mtu, so plugins before v1.4.0 do not fail it',
    async () => {
      const executor = new HostLinks({});
      await new MacvlanAdapter(executor).del({
        ...call({ type: 'macvlan', master: 'eth9', mtu: 1400, mode: 'vepa', ipam: {} }),
        prevResult: { cniVersion: '1.0.0' },
      });
      expect(executor.sequence()).toEqual(['DEL macvlan net1']);
      expect(executor.calls[0]?.stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'data',
        type: 'macvlan',
        mode: 'vepa',
        ipam: {},
        prevResult: { cniVersion: '1.0.0' },
      });
    },
  );

  test('DEL with linkInContainer asks nothing: the master lives and dies with the pod', async () => {
    const executor = new HostLinks({});
    await new MacvlanAdapter(executor).del(call({ type: 'macvlan', master: 'net1', linkInContainer: true }));
    expect([executor.links, executor.tools]).toEqual([[], []]);
    expect(executor.calls[0]?.stdin['master']).toBe('net1');
  });

  test('the module registers one adapter through the public call, which wins macvlan over the generic one', () => {
    const container = new Container();
    container.bind(TOKENS.Executor).toConstantValue(new FakeExecutor());
    registerBuiltinAdapters(container);
    const module = registerAdapterModule(container, { default: macvlanModule }, 'plugins/macvlan');
    expect(module.name).toBe('multus-adapter-macvlan');
    const registry = registryOf(container);
    const picked = registry.pick({ type: 'macvlan' }, 'delegates[0]');
    expect([picked.name, registry.originOf(picked)]).toEqual(['macvlan', 'plugins/macvlan (multus-adapter-macvlan)']);
    expect(registry.pick({ type: 'ipvlan' }, 'delegates[0]').name).toBe('exec');
  });
});
