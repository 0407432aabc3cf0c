/**
 * The macvlan adapter on real network namespaces, through the compiled binary (the adapter is
 * compiled in: package.json "multusAdapters") and Debian's macvlan plugin, with a veth end as
 * the master. Everything is looked at through `ip -n` from outside the namespaces.
 */
import { Cleanup, expectClean } from '../../../test/integration/support/cleanup';
import {
  createNetns,
  createVethPair,
  hostLink,
  inSubnet,
  ip,
  ipv4Of,
  netnsLink,
  netnsLinkKind,
  netnsLinkNames,
} from '../../../test/integration/support/net';
import {
  assertIntegrationPrerequisites,
  expectCniError,
  expectSuccess,
  runMultus,
} from '../../../test/integration/support/run-multus';
import { cacheFiles, createWorkspace, leaseFiles, type Workspace } from '../../../test/integration/support/workspace';

const SUBNET = '10.245.100.0/24'; // 10.245.0.0/16 belongs to the vendor-adapter tests; .100-.109 to this file

function mtuOf(ns: string, ifname: string): number | undefined {
  const [link] = JSON.parse(ip(['-n', ns, '-j', 'link', 'show', 'dev', ifname])) as Array<{ mtu?: number }>;
  return link?.mtu;
}

describe('the macvlan adapter on a real netns with a veth master (dist/multus)', () => {
  const perFile = new Cleanup();
  const cleanup = new Cleanup(); // per test
  let ws: Workspace;

  beforeAll(() => {
    assertIntegrationPrerequisites();
    ws = createWorkspace('mv', perFile);
  });

  afterEach(() => expectClean(cleanup.runAll()));
  afterAll(() => expectClean(perFile.runAll()));

  /** A pod namespace and a veth pair on the host whose first end is the macvlan master. */
  function setUp(
    suffix: string,
    delegate: Record<string, unknown>,
  ): { ns: string; master: string; call: Parameters<typeof runMultus>[0] } {
    const ns = `${ws.prefix}-${suffix}`;
    const netns = createNetns(ns, cleanup);
    const master = `${ws.prefix}${suffix}m`;
    createVethPair(master, `${ws.prefix}${suffix}p`, cleanup);
    const config = {
      name: `mv-${suffix}`,
      type: 'multus',
      cniVersion: '1.0.0',
      cniDir: ws.cniDir,
      delegates: [
        {
          name: 'data',
          type: 'macvlan',
          master,
          ipam: { type: 'host-local', subnet: SUBNET, dataDir: ws.ipamDir },
          ...delegate,
        },
      ],
    };
    return { ns, master, call: { command: 'ADD', config, containerId: `${ws.prefix}-ctr-${suffix}`, netns } };
  }

  function expectNothingLeft(ns: string): void {
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  }

  it.each(['bridge', 'private', 'vepa', 'passthru'])(
    'mode %s: ADD makes a macvlan of that mode on the master with the mtu asked; CHECK; DEL removes it',
    async (mode) => {
      const suffix = mode.slice(0, 2);
      const { ns, master, call } = setUp(suffix, { mode, mtu: 1400 });

      expectSuccess(await runMultus(call));
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo']);
      expect(netnsLinkKind(ns, 'eth0')).toEqual({ kind: 'macvlan', data: expect.objectContaining({ mode }) });
      expect(netnsLink(ns, 'eth0')?.link_index).toBe(hostLink(master)?.ifindex);
      expect(mtuOf(ns, 'eth0')).toBe(1400);
      expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', SUBNET)).toBe(true);

      expectSuccess(await runMultus({ ...call, command: 'CHECK' }));
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expectNothingLeft(ns);
      expect(hostLink(master)).toBeDefined();
    },
  );

  it('a master missing on the host: code 7 from the adapter, the plugin never ran (no link, no lease)', async () => {
    const { ns, call } = setUp('gm', { master: `${ws.prefix}gx` });
    const error = expectCniError(await runMultus(call), 7);
    expect(error.msg).toContain(`master "${ws.prefix}gx" was not found on this host; nothing was run`);
    expect(error.details).toBeUndefined(); // sysfs has no such link: nothing more to say
    expectNothingLeft(ns);
  });

  it("an mtu above the master's: code 7 from the adapter, not the kernel's error", async () => {
    const { ns, master, call } = setUp('mt', { mtu: 9000 });
    const error = expectCniError(await runMultus(call), 7);
    expect(error.msg).toContain(`mtu 9000 is larger than the mtu 1500 of master "${master}"`);
    expectNothingLeft(ns);
  });

  it(
    'DEL after the master is gone succeeds and releases ' + 'the address (the adapter works around plugins#953)',
    async () => {
      const { ns, master, call } = setUp('dg', { mode: 'bridge' });
      expectSuccess(await runMultus(call));
      ip(['link', 'del', master]); // its macvlan in the pod goes with it
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expectNothingLeft(ns);
    },
  );
});
