/**
 * Kubernetes integration 1 and 2: the seed README's "Using Multus with Kubernetes's CRD"
 * walkthrough, end to end, and the same with ThirdPartyResource objects. The compiled
 * dist/multus reads the pod's `networks` annotation and the seed's `Network` objects from the
 * test API server (never kube-apiserver: test/support/kube-test-server.ts), runs Debian's
 * reference plugins in a real network namespace, and writes the network-status annotation.
 *
 * This file owns the seed's own subnets (10.1.10.0/24, 10.11.1.0/24, 10.248.246.144/28, all
 * inside 10.0.0.0/8): its tests run one after another, and no other file uses them.
 */
import { existsSync } from 'node:fs';
import {
  addNetworkCrd,
  addNetworkTpr,
  addSeedNetwork,
  expectDelLeavesNothing,
  expectedBridgeResult,
  expectNoStackTraces,
  expectStatusMatchesPod,
  networkStatus,
  podRequests,
  requestLog,
  SEED_NETWORKS_ANNOTATION,
  SEED_POD_ANNOTATION,
  setUpKubePod,
  useKubeCluster,
} from './support/kube-cluster';
import { bridgePorts, hostAddrsWithPrefix, hostLinksInto, inSubnet } from './support/net';
import { ipv4Of, netnsLinkKind, netnsLinkNames, netnsRoutes } from './support/net';
import { expectSuccess, runMultus } from './support/run-multus';
import { withoutEmptyDns } from './support/seed-pod';
import { cacheFile, cacheFiles, leaseFiles } from './support/workspace';

const SUBNETS = { brNet1: '10.1.10.0/24', brNet2: '10.11.1.0/24', ptpNet: '10.248.246.144/28' } as const;
const PTP_HOST_PREFIX = '10.248.246.';
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/networks.kubernetes.com';
const TPR_PATH = '/apis/extensions/v1beta1/thirdpartyresources/network.kubernetes.com';

interface Case {
  readonly kind: 'CRD' | 'TPR';
  readonly cniVersion: string;
  readonly suffix: string;
  /** The requests (as the server logs them) by which multus found out which kind serves `Network` objects. */
  readonly discovery: readonly string[];
}

const CASES: readonly Case[] = [
  { kind: 'CRD', cniVersion: '1.0.0', suffix: 'c', discovery: [`GET ${CRD_PATH} 200`] },
  // No CRD: the v1 lookup finds no object, v1beta1 is not served at all (a bare 404), then the TPR is found.
  { kind: 'TPR', cniVersion: '0.3.1', suffix: 't', discovery: [`GET ${CRD_PATH} 404`, `GET ${TPR_PATH} 200`] },
];

describe.each(CASES)("the seed's walkthrough with $kind Network objects (cniVersion $cniVersion)", (c) => {
  const fx = useKubeCluster('ks', { kubeconfig: `kubeconfig-${c.suffix}` });
  const { ws, cluster } = fx;
  let bridges: { brNet1: string; brNet2: string };
  const namespace = `seed-${c.suffix}`;

  beforeAll(() => {
    const { server } = cluster;
    // Unique bridge names (≤ 15 bytes) stand in for the seed's br-net-1 / br-net-2.
    bridges = { brNet1: `${ws.prefix}${c.suffix}1`, brNet2: `${ws.prefix}${c.suffix}2` };
    if (c.kind === 'CRD') addNetworkCrd(server);
    else addNetworkTpr(server);
    addSeedNetwork(server, namespace, 'ptp-net', 'ptp', {
      name: 'ptp-net',
      type: 'ptp',
      ipam: { type: 'host-local', subnet: SUBNETS.ptpNet, routes: [{ dst: '0.0.0.0/0' }], dataDir: ws.ipamDir },
    });
    addSeedNetwork(server, namespace, 'br-net-1', 'bridge', {
      name: 'br-net-1',
      type: 'bridge',
      bridge: bridges.brNet1,
      ipam: { type: 'host-local', subnet: SUBNETS.brNet1, dataDir: ws.ipamDir },
    });
    addSeedNetwork(server, namespace, 'br-net-2', 'bridge', {
      name: 'br-net-2',
      type: 'bridge',
      bridge: bridges.brNet2,
      ipam: { type: 'host-local', subnet: SUBNETS.brNet2, dataDir: ws.ipamDir },
    });
  });

  it(
    'ADD: eth0 from br-net-1, net0 and net1 from br-net-2, net2 from ptp-net; br-net-1 result printed; ' +
      'network-status written; DEL leaves nothing',
    async () => {
      const { server } = cluster;
      // The seed's "Configuring Multus to use the kubeconfig": no delegates at all.
      const { ns, pod, call } = setUpKubePod(fx, {
        suffix: c.suffix,
        namespace,
        podName: 'crd-network-test',
        annotations: { [SEED_NETWORKS_ANNOTATION]: SEED_POD_ANNOTATION },
        bridges: [bridges.brNet1, bridges.brNet2],
        config: { name: 'minion-cni-network', cniVersion: c.cniVersion, logLevel: 'debug' },
      });
      const { containerId, netns: netnsPath } = call;

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expectNoStackTraces(add);

      // The pod, as `ip a` shows it in the seed: a 10.1.10.x eth0, two 10.11.1.x and a 10.248.246.x interface.
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0', 'net1', 'net2']);
      const addrs = Object.fromEntries(['eth0', 'net0', 'net1', 'net2'].map((i) => [i, ipv4Of(ns, i)]));
      for (const list of Object.values(addrs)) expect(list).toHaveLength(1);
      const one = (ifname: string): string => addrs[ifname]?.[0] ?? '';
      expect(inSubnet(one('eth0'), SUBNETS.brNet1)).toBe(true);
      expect(inSubnet(one('net0'), SUBNETS.brNet2)).toBe(true);
      expect(inSubnet(one('net1'), SUBNETS.brNet2)).toBe(true);
      expect(one('net0')).not.toBe(one('net1'));
      expect(inSubnet(one('net2'), SUBNETS.ptpNet)).toBe(true);
      expect(one('net2').endsWith('/28')).toBe(true);
      // eth0's peer is on br-net-1, net0's and net1's on br-net-2; net2 is ptp's veth.
      expect(bridgePorts(bridges.brNet1)).toHaveLength(1);
      expect(bridgePorts(bridges.brNet2)).toHaveLength(2);
      expect(netnsLinkKind(ns, 'net2').kind).toBe('veth');
      expect(hostLinksInto(ns)).toHaveLength(4);
      expect(leaseFiles(ws.ipamDir)).toHaveLength(4);
      expect(existsSync(cacheFile(ws.cniDir, containerId))).toBe(true);

      // stdout: br-net-1's (the master's) result, in the multus config's cniVersion, with the
      // default route the seed's rule moved to it: ptp-net's IPAM asks for 0.0.0.0/0, but "the
      // default route will point to the primary network".
      expect(withoutEmptyDns(add.json)).toEqual({
        ...expectedBridgeResult({
          ns,
          netnsPath,
          ifname: 'eth0',
          bridge: bridges.brNet1,
          gateway: '10.1.10.1',
          cniVersion: c.cniVersion,
        }),
        routes: [{ dst: '0.0.0.0/0', gw: '10.1.10.1' }],
      });
      expect(netnsRoutes(ns).filter((r) => r.dst === 'default')).toEqual([
        expect.objectContaining({ gateway: '10.1.10.1', dev: 'eth0' }),
      ]);

      // Which kind served the Network objects, and the objects read.
      const log = requestLog(server);
      expect(log).toEqual(expect.arrayContaining([...c.discovery]));
      for (const name of ['br-net-1', 'br-net-2', 'ptp-net']) {
        expect(log).toContain(`GET /apis/kubernetes.com/v1/namespaces/${namespace}/networks/${name} 200`);
      }
      expect(podRequests(server, namespace, pod.name, 'PATCH').map((r) => r.status)).toEqual([200]);

      // network-status on the pod in the server.
      const status = networkStatus(server, namespace, pod.name);
      expect(status?.map((s) => [s.name, s.interface, s.default])).toEqual([
        [`${namespace}/br-net-1`, 'eth0', true],
        [`${namespace}/br-net-2`, 'net0', false],
        [`${namespace}/br-net-2`, 'net1', false],
        [`${namespace}/ptp-net`, 'net2', false],
      ]);
      for (const entry of status ?? []) expect(entry.ips).toHaveLength(1);
      expectStatusMatchesPod(status ?? [], ns);

      server.clearRequests();
      await expectDelLeavesNothing(call, ns, ws);
      // DEL works from the cache: the API is not asked.
      expect(requestLog(server)).toEqual([]);
      expect(bridgePorts(bridges.brNet1)).toEqual([]);
      expect(bridgePorts(bridges.brNet2)).toEqual([]);
      expect(hostAddrsWithPrefix(PTP_HOST_PREFIX)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
  );
});
