/**
 * Kubernetes integration 3: NetworkAttachmentDefinitions (`k8s.cni.cncf.io/v1`) selected by
 * today's `k8s.v1.cni.cncf.io/networks` annotation, in both forms, with a `clusterNetwork` as
 * eth0: the comma form with `@interface`, and the JSON form with `interface`, `ips` (static
 * IPAM), `mac` (a bridge + tuning conflist: proves conflists run as chains with prevResult) and
 * `default-route` (the pod's only default route goes through the selected attachment).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { addNad, expectDelLeavesNothing, expectNoStackTraces, expectStatusMatchesPod } from './support/kube-cluster';
import { networkStatus, NETWORKS_ANNOTATION, setUpKubePod, useKubeCluster } from './support/kube-cluster';
import { bridgePorts, hostAddrsWithPrefix, inSubnet, ipv4Of, netnsLink, netnsLinkKind } from './support/net';
import { netnsLinkNames, netnsRoutes } from './support/net';
import { expectSuccess, runMultus } from './support/run-multus';

const NET = 236; // 10.236.0.0/16 belongs to this file
const sub = (third: number): string => `10.${NET}.${third}.0/24`;
const NAMESPACE = 'nad-ns';
const MULTUS_NAMESPACE = 'kube-system';

describe('NetworkAttachmentDefinitions from the k8s.v1.cni.cncf.io/networks annotation', () => {
  const fx = useKubeCluster('kn', { plugins: ['static', 'tuning'] });
  const { ws, cluster } = fx;
  let tuningDir: string;
  const bridge = (suffix: string): string => `${ws.prefix}${suffix}`;

  beforeAll(() => {
    tuningDir = join(ws.dir, 'tuning');
    mkdirSync(tuningDir);
    const { server } = cluster;
    const hostLocal = (third: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      type: 'host-local',
      subnet: sub(third),
      dataDir: ws.ipamDir,
      ...extra,
    });
    // The cluster network: eth0 of every pod, with its own default route (which default-route must replace).
    addNad(server, MULTUS_NAMESPACE, 'cluster-net', {
      cniVersion: '1.0.0',
      name: 'cluster-net',
      type: 'bridge',
      bridge: bridge('c'),
      isGateway: true,
      ipam: hostLocal(1, { routes: [{ dst: '0.0.0.0/0' }] }),
    });
    addNad(server, NAMESPACE, 'nad-a', { cniVersion: '1.0.0', name: 'nad-a', type: 'ptp', ipam: hostLocal(2) });
    addNad(server, NAMESPACE, 'nad-b', {
      cniVersion: '1.0.0',
      name: 'nad-b',
      type: 'bridge',
      bridge: bridge('b'),
      ipam: hostLocal(3),
    });
    addNad(server, NAMESPACE, 'static-net', {
      cniVersion: '1.0.0',
      name: 'static-net',
      type: 'bridge',
      bridge: bridge('s'),
      capabilities: { ips: true },
      ipam: { type: 'static' },
    });
    // A conflist: the bridge makes the interface, tuning (the plugin that declares the mac capability) sets the MAC.
    addNad(server, NAMESPACE, 'mac-net', {
      cniVersion: '1.0.0',
      name: 'mac-net',
      plugins: [
        { type: 'bridge', bridge: bridge('m'), ipam: hostLocal(21) },
        { type: 'tuning', capabilities: { mac: true }, dataDir: tuningDir },
      ],
    });
    addNad(server, NAMESPACE, 'route-net', {
      cniVersion: '1.0.0',
      name: 'route-net',
      type: 'bridge',
      bridge: bridge('r'),
      ipam: hostLocal(22),
    });
  });

  /** A netns, the bridges the test's NADs make, a pod in the server; the call to pass to runMultus. */
  function setUp(suffix: string, bridges: readonly string[], annotation: string): ReturnType<typeof setUpKubePod> {
    return setUpKubePod(fx, {
      suffix,
      namespace: NAMESPACE,
      annotations: { [NETWORKS_ANNOTATION]: annotation },
      bridges: bridges.map(bridge),
      config: { clusterNetwork: 'cluster-net' },
    });
  }

  it(
    'comma form "nad-a,nad-b@custom0": eth0 from the cluster network, net0 from nad-a, custom0 from nad-b; DEL ' +
      'leaves nothing',
    async () => {
      const { server } = cluster;
      const { ns, pod, call } = setUp('a', ['c', 'b'], 'nad-a,nad-b@custom0');

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expectNoStackTraces(add);
      expect(netnsLinkNames(ns)).toEqual(['custom0', 'eth0', 'lo', 'net0']);
      expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', sub(1))).toBe(true);
      expect(inSubnet(ipv4Of(ns, 'net0')[0] ?? '', sub(2))).toBe(true);
      expect(inSubnet(ipv4Of(ns, 'custom0')[0] ?? '', sub(3))).toBe(true);
      expect(bridgePorts(bridge('c'))).toHaveLength(1);
      expect(bridgePorts(bridge('b'))).toHaveLength(1);
      // The printed result is the cluster network's (eth0), with its default route.
      expect(add.json).toMatchObject({
        cniVersion: '1.0.0',
        ips: [{ address: ipv4Of(ns, 'eth0')[0], gateway: `10.${NET}.1.1` }],
        routes: [{ dst: '0.0.0.0/0' }],
      });

      const status = networkStatus(server, pod.namespace, pod.name) ?? [];
      expect(status.map((s) => [s.name, s.interface, s.default])).toEqual([
        [`${MULTUS_NAMESPACE}/cluster-net`, 'eth0', true],
        [`${NAMESPACE}/nad-a`, 'net0', false],
        [`${NAMESPACE}/nad-b`, 'custom0', false],
      ]);
      expectStatusMatchesPod(status, ns);

      await expectDelLeavesNothing(call, ns, ws);
      expect([...bridgePorts(bridge('c')), ...bridgePorts(bridge('b'))]).toEqual([]);
      expect(hostAddrsWithPrefix(`10.${NET}.2.`)).toEqual([]);
    },
  );

  it(
    'JSON form: interface + ips via static IPAM, mac via a bridge+tuning chain, default-route through the ' +
      'selected attachment; DEL leaves nothing',
    async () => {
      const { server } = cluster;
      const staticAddress = `10.${NET}.20.5/24`;
      const mac = '02:00:0a:ec:15:07';
      const gateway = `10.${NET}.22.1`;
      const annotation = JSON.stringify([
        { name: 'static-net', interface: 'st0', ips: [staticAddress] },
        { name: 'mac-net', interface: 'mc0', mac },
        { name: 'route-net', namespace: NAMESPACE, 'default-route': [gateway] },
      ]);
      const { ns, pod, call } = setUp('b', ['c', 's', 'm', 'r'], annotation);

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expectNoStackTraces(add);
      // Explicit names are kept; route-net, which names none, is net0.
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'mc0', 'net0', 'st0']);

      // ips: the static IPAM put exactly the requested address on st0.
      expect(ipv4Of(ns, 'st0')).toEqual([staticAddress]);
      // mac: tuning (second in the chain, given the bridge's result as prevResult) set it; it kept a backup to restore
      // on
      // DEL.
      expect(netnsLink(ns, 'mc0')?.address).toBe(mac);
      expect(netnsLinkKind(ns, 'mc0').kind).toBe('veth');
      expect(inSubnet(ipv4Of(ns, 'mc0')[0] ?? '', sub(21))).toBe(true);
      expect(readdirSync(tuningDir)).toEqual([`${call.containerId}_mc0.json`]);
      // default-route: the pod's one default route is route-net's gateway on net0; the cluster network's is gone.
      expect(inSubnet(ipv4Of(ns, 'net0')[0] ?? '', sub(22))).toBe(true);
      const defaults = netnsRoutes(ns).filter((r) => r.dst === 'default');
      expect(defaults).toEqual([expect.objectContaining({ dst: 'default', gateway, dev: 'net0' })]);
      // ... and the printed (cluster network's) result no longer claims a default route.
      const routes = (add.json?.['routes'] ?? []) as Array<{ dst: string }>;
      expect(routes.filter((r) => r.dst === '0.0.0.0/0')).toEqual([]);
      expect(add.json).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: ipv4Of(ns, 'eth0')[0] }] });

      const status = networkStatus(server, pod.namespace, pod.name) ?? [];
      expect(status.map((s) => [s.name, s.interface, s.default])).toEqual([
        [`${MULTUS_NAMESPACE}/cluster-net`, 'eth0', true],
        [`${NAMESPACE}/static-net`, 'st0', false],
        [`${NAMESPACE}/mac-net`, 'mc0', false],
        [`${NAMESPACE}/route-net`, 'net0', false],
      ]);
      expect(status.find((s) => s.interface === 'st0')?.ips).toEqual([staticAddress.split('/')[0]]);
      expect(status.find((s) => s.interface === 'mc0')?.mac).toBe(mac);
      expectStatusMatchesPod(status, ns);

      await expectDelLeavesNothing(call, ns, ws);
      expect(['c', 's', 'm', 'r'].flatMap((b) => bridgePorts(bridge(b)))).toEqual([]);
      // tuning's DEL ran (with the chain, in reverse) and removed its backup.
      expect(readdirSync(tuningDir)).toEqual([]);
    },
  );
});
