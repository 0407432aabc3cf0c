/**
 * The seed README's own three-delegate example ("Using Multus with a CNI configuration file"):
 * a flannel master, a ptp minion and a bridge minion (rangeStart/rangeEnd) whose IPAM both ask
 * for `{"dst": "0.0.0.0/0"}`, through dist/multus in a real netns. The seed says of the master:
 * "The default route will point to the primary network." So the pod's one default route is via
 * flannel's gateway on eth0, and the result the runtime gets says so; with
 * `"masterDefaultRoute": false` the minions' routes stay as their plugins set them.
 *
 * The master is the real flannel CNI plugin from ../shared/plugins/flannel (built from
 * flannel-io/cni-plugin; it reads a subnet file and delegates to bridge + host-local: no
 * flanneld). Where that file is absent, a bridge master with the same gateway stands in, and
 * the test names say which ran. The binary is linked from a temp dir, never copied into the project.
 */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, hostLinksInto, inRange, inSubnet, ipv4Of, netnsLinkNames, netnsRoutes } from './support/net';
import { REFERENCE_PLUGINS, expectSuccess, runMultus, type MultusCall } from './support/run-multus';
import { cacheFiles, leaseFiles, useWorkspace } from './support/workspace';

const NET = 244; // 10.244.0.0/16 belongs to this file
const FLANNEL = join(__dirname, '..', '..', '..', 'shared', 'plugins', 'flannel');
const REAL_FLANNEL = existsSync(FLANNEL);
const MASTER = REAL_FLANNEL
  ? 'the real flannel plugin'
  : `a bridge master standing in for flannel (${FLANNEL} not found)`;

describe(`the seed's flannel + ptp + bridge example, master: ${MASTER}`, () => {
  const { ws, cleanup } = useWorkspace('fl');
  let binDir: string;

  beforeAll(() => {
    binDir = join(ws.dir, 'bin');
    mkdirSync(binDir, { mode: 0o755 });
    if (REAL_FLANNEL) symlinkSync(FLANNEL, join(binDir, 'flannel'));
  });

  /** The subnets of one pod (`third` apart per test): flannel's, the ptp's, the ranged bridge's. */
  function setUp(
    suffix: string,
    third: number,
    extra: Record<string, unknown> = {},
  ): { ns: string; call: MultusCall; gateways: { flannel: string; ptp: string } } {
    const ns = `${ws.prefix}-${suffix}`;
    const netns = createNetns(ns, cleanup);
    const [fl, pt, br] = [third, third + 1, third + 2].map((t) => `10.${NET}.${t}`) as [string, string, string];
    const flannelBridge = `${ws.prefix}${suffix}f`;
    const minionBridge = `${ws.prefix}${suffix}b`;
    cleanup.link(flannelBridge);
    cleanup.link(minionBridge);
    const subnetFile = join(ws.dir, `subnet-${suffix}.env`);
    writeFileSync(
      subnetFile,
      `FLANNEL_NETWORK=${fl}.0/24\nFLANNEL_SUBNET=${fl}.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
    );
    const master = REAL_FLANNEL
      ? {
          name: 'flannel',
          type: 'flannel',
          masterplugin: true,
          subnetFile,
          dataDir: join(ws.dir, `flannel-${suffix}`),
          ipam: { dataDir: ws.ipamDir },
          delegate: { bridge: flannelBridge },
        }
      : {
          name: 'flannel',
          type: 'bridge',
          masterplugin: true,
          bridge: flannelBridge,
          isGateway: true,
          ipam: { type: 'host-local', subnet: `${fl}.0/24`, dataDir: ws.ipamDir },
        };
    const config = {
      name: `fl-${suffix}`,
      type: 'multus',
      cniVersion: '1.0.0',
      binDir,
      cniDir: ws.cniDir,
      ...extra,
      delegates: [
        master,
        {
          type: 'ptp',
          ipam: {
            type: 'host-local',
            subnet: `${pt}.0/24`,
            routes: [{ dst: '0.0.0.0/0' }],
            gateway: `${pt}.1`,
            dataDir: ws.ipamDir,
          },
        },
        {
          type: 'bridge',
          bridge: minionBridge,
          ipam: {
            type: 'host-local',
            subnet: `${br}.0/24`,
            rangeStart: `${br}.10`,
            rangeEnd: `${br}.20`,
            routes: [{ dst: '0.0.0.0/0' }],
            gateway: `${br}.1`,
            dataDir: ws.ipamDir,
          },
        },
      ],
    };
    const call: MultusCall = {
      command: 'ADD',
      config,
      containerId: `${ws.prefix}-ctr-${suffix}`,
      netns,
      cniPath: REFERENCE_PLUGINS,
    };
    return { ns, call, gateways: { flannel: `${fl}.1`, ptp: `${pt}.1` } };
  }

  function expectInterfaces(ns: string, third: number): void {
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0', 'net1']);
    expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', `10.${NET}.${third}.0/24`)).toBe(true);
    expect(inSubnet(ipv4Of(ns, 'net0')[0] ?? '', `10.${NET}.${third + 1}.0/24`)).toBe(true);
    expect(inRange(ipv4Of(ns, 'net1')[0] ?? '', `10.${NET}.${third + 2}.10`, `10.${NET}.${third + 2}.20`)).toBe(true);
  }

  function expectNothingLeft(ns: string, suffix: string): void {
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(hostLinksInto(ns)).toEqual([]);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
    const flannelData = join(ws.dir, `flannel-${suffix}`);
    expect(existsSync(flannelData) ? readdirSync(flannelData) : []).toEqual([]);
  }

  it(
    "the pod has eth0 from the master and net0, net1 from the minions, and one default route: via the master's " +
      'gateway on eth0; the result says so; DEL leaves nothing',
    async () => {
      const { ns, call, gateways } = setUp('a', 1);
      const add = await runMultus(call);
      expectSuccess(add);
      expectInterfaces(ns, 1);
      const defaults = netnsRoutes(ns).filter((r) => r.dst === 'default');
      expect(defaults).toEqual([expect.objectContaining({ gateway: gateways.flannel, dev: 'eth0' })]);
      expect(add.json?.['routes']).toContainEqual({ dst: '0.0.0.0/0', gw: gateways.flannel });
      expect(add.json?.['ips']).toEqual([expect.objectContaining({ gateway: gateways.flannel })]);

      expectSuccess(await runMultus({ ...call, command: 'CHECK' }));
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expectNothingLeft(ns, 'a');
    },
  );

  it(
    '"masterDefaultRoute": false: the minions\' default ' + 'routes stay as their plugins set them, none through eth0',
    async () => {
      const { ns, call, gateways } = setUp('b', 11, { masterDefaultRoute: false });
      const add = await runMultus(call);
      expectSuccess(add);
      expectInterfaces(ns, 11);
      const defaults = netnsRoutes(ns).filter((r) => r.dst === 'default');
      expect(defaults).toContainEqual(expect.objectContaining({ gateway: gateways.ptp, dev: 'net0' }));
      expect(defaults.filter((r) => r.dev === 'eth0')).toEqual([]);
      expect(add.json?.['routes'] ?? []).not.toContainEqual(expect.objectContaining({ dst: '0.0.0.0/0' }));
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expectNothingLeft(ns, 'b');
    },
  );
});
