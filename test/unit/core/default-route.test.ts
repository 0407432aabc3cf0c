import type { ExecRequest } from '../../../src/core/ports/executor';
import { defaultScript, FakeExecutor } from '../../support/fakes';
import { runPlugin } from '../../support/run-plugin';
import { testContainer } from '../../support/test-container';

/**
 * The seed's rule in file mode: "the default route will point to the primary network". The
 * minions' results carry the default routes their IPAM asked for (the seed's ptp and bridge
 * with `{"dst": "0.0.0.0/0"}`); the master's carries a gateway.
 */
const config = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'seed',
  type: 'multus',
  cniVersion: '1.0.0',
  cniDir: '/cache',
  ...extra,
  delegates: [
    { name: 'flannel', type: 'flannel', masterplugin: true },
    {
      type: 'ptp',
      ipam: { type: 'host-local', subnet: '10.0.0.0/24', routes: [{ dst: '0.0.0.0/0' }], gateway: '10.0.0.1' },
    },
    {
      type: 'bridge',
      ipam: { type: 'host-local', subnet: '10.1.0.0/24', routes: [{ dst: '0.0.0.0/0' }], gateway: '10.1.0.1' },
    },
  ],
});

const ADDRESS: Readonly<Record<string, [string, string]>> = {
  flannel: ['10.244.1.5/24', '10.244.1.1'],
  ptp: ['10.0.0.2/24', '10.0.0.1'],
  bridge: ['10.1.0.2/24', '10.1.0.1'],
};

/**
 * Results as the plugins print them: each with its gateway; the minions with their default route, the master with a
 * /16.
 */
function seedScript(
  masterRoutes: unknown[] = [{ dst: '10.244.0.0/16', gw: '10.244.1.1' }],
): (req: ExecRequest) => unknown {
  return (req) => {
    if (req.command !== 'ADD') return defaultScript(req);
    const [address, gateway] = ADDRESS[req.type] as [string, string];
    const routes = req.type === 'flannel' ? masterRoutes : [{ dst: '0.0.0.0/0', gw: gateway }];
    return {
      cniVersion: '1.0.0',
      interfaces: [{ name: req.env.CNI_IFNAME, sandbox: req.env.CNI_NETNS }],
      ips: [{ address, gateway, interface: 0 }],
      routes,
    };
  };
}

describe("the seed's rule: the master owns the pod's default route", () => {
  test('minions with default routes: the pod gets one, via the master; the result says so', async () => {
    const t = testContainer(new FakeExecutor(seedScript()));
    const run = await runPlugin(t.container, { command: 'ADD', config: config() });
    expect(run.code).toBe(0);
    expect(t.executor.tools).toEqual([
      'nsenter --net=/var/run/netns/test -- ip -4 -j route show exact 0.0.0.0/0',
      'nsenter --net=/var/run/netns/test -- ip -4 route add default via 10.244.1.1 dev eth0',
    ]);
    expect(run.json?.['routes']).toEqual([
      { dst: '10.244.0.0/16', gw: '10.244.1.1' },
      { dst: '0.0.0.0/0', gw: '10.244.1.1' },
    ]);
  });

  test("the master's own default route is kept, not duplicated", async () => {
    const t = testContainer(new FakeExecutor(seedScript([{ dst: '0.0.0.0/0', gw: '10.244.1.1' }])));
    const run = await runPlugin(t.container, { command: 'ADD', config: config() });
    expect(run.json?.['routes']).toEqual([{ dst: '0.0.0.0/0', gw: '10.244.1.1' }]);
    expect(t.executor.tools).toHaveLength(2);
  });

  test('no minion routes by default: nothing is changed, no exec', async () => {
    const quiet = (req: ExecRequest): unknown => {
      const result = seedScript()(req) as Record<string, unknown> | undefined;
      return req.type === 'flannel' || result === undefined ? result : { ...result, routes: [] };
    };
    const t = testContainer(new FakeExecutor(quiet));
    expect((await runPlugin(t.container, { command: 'ADD', config: config() })).code).toBe(0);
    expect(t.executor.tools).toEqual([]);
  });

  test('"masterDefaultRoute": false keeps the minions\' routes as their plugins set them', async () => {
    const t = testContainer(new FakeExecutor(seedScript()));
    const run = await runPlugin(t.container, { command: 'ADD', config: config({ masterDefaultRoute: false }) });
    expect(run.code).toBe(0);
    expect(t.executor.tools).toEqual([]);
    expect(run.json?.['routes']).toEqual([{ dst: '10.244.0.0/16', gw: '10.244.1.1' }]);
  });

  test('a master without a gateway of that family leaves the family alone', async () => {
    const noGateway = (req: ExecRequest): unknown => {
      const result = seedScript()(req) as Record<string, unknown> | undefined;
      return req.type !== 'flannel' || result === undefined
        ? result
        : { ...result, ips: [{ address: '10.244.1.5/24', interface: 0 }], routes: [] };
    };
    const t = testContainer(new FakeExecutor(noGateway));
    expect((await runPlugin(t.container, { command: 'ADD', config: config() })).code).toBe(0);
    expect(t.executor.tools).toEqual([]);
  });
});
