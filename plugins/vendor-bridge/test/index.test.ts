import 'reflect-metadata';
import { Container } from 'inversify';
import {
  ADAPTER_API,
  type AdapterRegistry,
  CniError,
  TOKENS,
  registryOf,
  registerAdapterModule,
  registerBuiltinAdapters,
} from '../../../src/index';
import { FakeExecutor } from '../../../src/testing';
import acmeBridgeModule, { ACME_BRIDGE_DEFAULTS, acmeBridgeProblems } from '../src/index';

const CTX = { network: 'pods', origin: 'delegates[0]' };
const ENV = {
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/var/run/netns/pod1',
  CNI_IFNAME: 'eth0',
  CNI_ARGS: '',
  CNI_PATH: '/opt/cni/bin',
};
const BRIDGE = {
  cniVersion: '1.0.0',
  name: 'pods',
  type: 'bridge',
  bridge: 'cni0',
  ipam: { type: 'host-local', subnet: '10.9.0.0/24' },
};

/** The production set of adapters (the built-ins), plus ACME's module when `withAcme`, over a fake executor. */
function registryWith(withAcme: boolean): { registry: AdapterRegistry; executor: FakeExecutor } {
  const executor = new FakeExecutor();
  const container = new Container();
  container.bind(TOKENS.Executor).toConstantValue(executor);
  registerBuiltinAdapters(container);
  if (withAcme) registerAdapterModule(container, { default: acmeBridgeModule }, 'plugins/vendor-bridge');
  return { registry: registryOf(container), executor };
}

/** What the bridge plugin gets on stdin for ADD of `conf`, through whichever adapter the registry picks. */
async function bridgeStdin(
  withAcme: boolean,
  conf: Record<string, unknown>,
): Promise<{ adapter: string; stdin: Record<string, unknown> | undefined }> {
  const { registry, executor } = registryWith(withAcme);
  const adapter = registry.pick(conf, CTX.origin);
  await adapter.add({ conf: adapter.prepare(conf, CTX), env: ENV, binDirs: ['/opt/cni/bin'] });
  return { adapter: adapter.name, stdin: executor.calls[0]?.stdin };
}

describe('acmeBridgeProblems', () => {
  test.each([
    ['a plain bridge', { type: 'bridge' }],
    [
      'every field it checks',
      {
        type: 'bridge',
        bridge: 'acme0',
        hairpinMode: false,
        mtu: 1500,
        ipam: { type: 'host-local', subnet: '10.9.0.0/24' },
      },
    ],
    ['L2 only', { type: 'bridge', ipam: {} }],
  ])('%s: no problem', (_label, conf) => {
    expect(acmeBridgeProblems(conf, 'delegates[0]', ADAPTER_API)).toEqual([]);
  });

  test.each([
    [
      'bridge name too long',
      { bridge: 'acme-bridge-0000' },
      'delegates[0].bridge',
      'must be a Linux interface name: "acme-bridge-0000" is longer than 15 bytes',
    ],
    ['bridge name not a string', { bridge: 1 }, 'delegates[0].bridge', 'must be a Linux interface name: got 1'],
    [
      'hairpinMode as a string',
      { hairpinMode: 'true' },
      'delegates[0].hairpinMode',
      'must be true or false, got "true"',
    ],
    ['mtu too large', { mtu: 70000 }, 'delegates[0].mtu', 'must be an integer from 68 to 65535, got 70000'],
    [
      'ipam without a type',
      { ipam: { subnet: '10.9.0.0/24' } },
      'delegates[0].ipam.type',
      'must be a non-empty string',
    ],
  ])('%s', (_label, fields, path, message) => {
    // Contained, not equal: the ipam messages are the project's and may say more.
    expect(acmeBridgeProblems({ type: 'bridge', ...fields }, 'delegates[0]', ADAPTER_API)).toEqual([
      { path, message: expect.stringContaining(message) },
    ]);
  });
});

describe('the acme-bridge adapter', () => {
  test('claims bridge configs at priority 20, above the built-in bridge adapter (10)', () => {
    const [make] = acmeBridgeModule(ADAPTER_API).adapters;
    const adapter = make?.(new FakeExecutor());
    expect([
      adapter?.name,
      adapter?.priority,
      adapter?.supports({ type: 'bridge' }),
      adapter?.supports({ type: 'ptp' }),
    ]).toEqual(['acme-bridge', 20, true, false]);
  });

  test('with the module registered it runs instead of the built-in: the plugin gets the vendor defaults', async () => {
    const { registry } = registryWith(true);
    expect(registry.originOf(registry.pick(BRIDGE, CTX.origin))).toBe(
      'plugins/vendor-bridge (multus-adapter-acme-bridge)',
    );
    expect(await bridgeStdin(true, BRIDGE)).toEqual({
      adapter: 'acme-bridge',
      stdin: { ...BRIDGE, hairpinMode: true, mtu: 9000 },
    });
  });

  test('without it the built-in bridge adapter runs and the plugin gets the config as written', async () => {
    expect(await bridgeStdin(false, BRIDGE)).toEqual({ adapter: 'bridge', stdin: BRIDGE });
  });

  test("values in the config win over the vendor's defaults", async () => {
    const conf = { ...BRIDGE, hairpinMode: false, mtu: 1500 };
    expect((await bridgeStdin(true, conf)).stdin).toEqual(conf);
  });

  test('a bad config is refused as written (code 7, its path), before any default is added', () => {
    const { registry, executor } = registryWith(true);
    const conf = { ...BRIDGE, mtu: '9000' };
    let error: unknown;
    try {
      registry.pick(conf, CTX.origin).prepare(conf, CTX);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CniError);
    expect((error as CniError).code).toBe(7);
    expect((error as CniError).msg).toBe(
      'network "pods" (delegates[0], type "bridge"): delegates[0].mtu: must be an integer from 68 to 65535, got "9000"',
    );
    expect(executor.calls).toEqual([]);
  });

  test('the defaults: hairpin mode on, jumbo frames', () => {
    expect(ACME_BRIDGE_DEFAULTS).toEqual({ hairpinMode: true, mtu: 9000 });
  });
});
