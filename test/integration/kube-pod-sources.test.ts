/**
 * Kubernetes integration 4–6: where a pod's networks come from. (4) Annotations passed by the
 * runtime in `runtimeConfig["io.kubernetes.cri.pod-annotations"]` (containerd's CRI), used
 * without reading the pod from the API; (5) the seed's "kubeconfig and also default networks":
 * the config's delegates serve a pod without annotation, and only such a pod; (6)
 * namespaceIsolation: a pod may not use another namespace's network, but `default`'s.
 */
import { addNad, expectDelLeavesNothing, expectNoStackTraces, expectPodGone } from './support/kube-cluster';
import { expectStatusMatchesPod, networkStatus, NETWORKS_ANNOTATION } from './support/kube-cluster';
import { POD_ANNOTATIONS_KEY, podRequests, requestLog, setUpKubePod, useKubeCluster } from './support/kube-cluster';
import { bridgePorts, hostAddrsWithPrefix, hostLink, inSubnet, ipv4Of, netnsLinkKind } from './support/net';
import { netnsLinkNames } from './support/net';
import { expectCniError, expectSuccess, runMultus, type MultusCall, type MultusRun } from './support/run-multus';
import { cacheFiles, leaseFiles } from './support/workspace';

const NET = 237; // 10.237.0.0/16 belongs to this file
const sub = (third: number): string => `10.${NET}.${third}.0/24`;
const NAMESPACE = 'ns1';

describe('where the pod networks come from: runtimeConfig annotations, default delegates, namespaceIsolation', () => {
  const fx = useKubeCluster('kp');
  const { ws, cluster } = fx;
  const bridge = (suffix: string): string => `${ws.prefix}${suffix}`;
  const hostLocal = (third: number): Record<string, unknown> => ({
    type: 'host-local',
    subnet: sub(third),
    dataDir: ws.ipamDir,
  });

  beforeAll(() => {
    const { server } = cluster;
    addNad(server, NAMESPACE, 'rc-a', {
      cniVersion: '1.0.0',
      name: 'rc-a',
      type: 'bridge',
      bridge: bridge('a'),
      ipam: hostLocal(1),
    });
    addNad(server, NAMESPACE, 'rc-b', { cniVersion: '1.0.0', name: 'rc-b', type: 'ptp', ipam: hostLocal(2) });
    // The same name in two namespaces, different subnets: which one was used shows in the address.
    addNad(server, 'other', 'iso-net', {
      cniVersion: '1.0.0',
      name: 'iso-net',
      type: 'bridge',
      bridge: bridge('o'),
      ipam: hostLocal(3),
    });
    addNad(server, 'default', 'iso-net', {
      cniVersion: '1.0.0',
      name: 'iso-net',
      type: 'bridge',
      bridge: bridge('d'),
      ipam: hostLocal(4),
    });
  });

  function setUp(
    suffix: string,
    bridges: readonly string[],
    annotations: Record<string, string>,
    config: Record<string, unknown> = {},
  ): ReturnType<typeof setUpKubePod> {
    return setUpKubePod(fx, { suffix, namespace: NAMESPACE, annotations, bridges: bridges.map(bridge), config });
  }

  /** ADD of a pod given one network: exit 0, no stack trace, only eth0 (and lo), in the subnet `third`. */
  async function addOneNetwork(call: Omit<MultusCall, 'command'>, ns: string, third: number): Promise<MultusRun> {
    const add = await runMultus({ ...call, command: 'ADD' });
    expectSuccess(add);
    expectNoStackTraces(add);
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo']);
    expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', sub(third))).toBe(true);
    return add;
  }

  it(
    'annotations from runtimeConfig: ADD works without a ' + 'pod GET, and network-status is still written (a PATCH)',
    async () => {
      const { server } = cluster;
      // The API's copy of the pod names a network that does not exist: reading it would fail the ADD.
      const runtimeConfig = {
        [POD_ANNOTATIONS_KEY]: { [NETWORKS_ANNOTATION]: 'rc-a,rc-b', 'io.kubernetes.pod.example': 'ignored' },
      };
      const { ns, pod, call } = setUp('r', ['a'], { [NETWORKS_ANNOTATION]: 'not-this-one' }, { runtimeConfig });
      server.clearRequests();

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expectNoStackTraces(add);
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
      expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', sub(1))).toBe(true);
      expect(inSubnet(ipv4Of(ns, 'net0')[0] ?? '', sub(2))).toBe(true);
      const status = networkStatus(server, pod.namespace, pod.name) ?? [];
      expect(status.map((s) => [s.name, s.interface, s.default])).toEqual([
        [`${NAMESPACE}/rc-a`, 'eth0', true],
        [`${NAMESPACE}/rc-b`, 'net0', false],
      ]);
      expectStatusMatchesPod(status, ns);
      expect(podRequests(server, pod.namespace, pod.name, 'PATCH').map((r) => r.status)).toEqual([200]);
      const podGetsAtAdd = podRequests(server, pod.namespace, pod.name, 'GET').map(
        (r) => `${r.method} ${r.path} ${r.status}`,
      );

      await expectDelLeavesNothing(call, ns, ws);
      expect(hostAddrsWithPrefix(`10.${NET}.2.`)).toEqual([]);

      // No pod GET at all during ADD: the annotations came from stdin, and the status is one PATCH.
      // Checked last, so that a failure here does not skip the DEL checks above.
      expect(podGetsAtAdd).toEqual([]);
    },
  );

  /** The seed's "kubeconfig and also default networks" config, with a bridge standing in for weave-net. */
  const defaultNetworksConfig = (): Record<string, unknown> => ({
    delegates: [
      {
        name: 'weave-net',
        type: 'bridge',
        bridge: bridge('w'),
        hairpinMode: true,
        masterplugin: true,
        ipam: hostLocal(5),
      },
    ],
  });

  it(
    'default delegates: a pod without annotation gets the ' + 'config delegates (eth0), and network-status says so',
    async () => {
      const { server } = cluster;
      const { ns, pod, call } = setUp('w', ['w'], {}, defaultNetworksConfig());

      const add = await addOneNetwork(call, ns, 5);
      expect(bridgePorts(bridge('w'))).toHaveLength(1);
      expect(hostLink(bridge('w'))).toBeDefined();
      expect(add.json).toMatchObject({
        cniVersion: '1.0.0',
        ips: [{ address: ipv4Of(ns, 'eth0')[0], gateway: `10.${NET}.5.1` }],
      });
      // The annotations were read from the API (one GET), then the status written.
      expect(podRequests(server, pod.namespace, pod.name, 'GET').length).toBeGreaterThanOrEqual(1);
      const status = networkStatus(server, pod.namespace, pod.name) ?? [];
      expect(status.map((s) => [s.name, s.interface, s.default])).toEqual([['weave-net', 'eth0', true]]);
      expectStatusMatchesPod(status, ns);

      const del = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(del);
      expectNoStackTraces(del);
      expectPodGone(ns, ws);
      expect(bridgePorts(bridge('w'))).toEqual([]);
    },
  );

  it('default delegates: a pod with an annotation gets its annotated networks only', async () => {
    const { server } = cluster;
    const annotations = { [NETWORKS_ANNOTATION]: 'rc-b' };
    const { ns, pod, call } = setUp('x', ['x'], annotations, {
      delegates: [{ name: 'weave-net', type: 'bridge', bridge: bridge('x'), masterplugin: true, ipam: hostLocal(6) }],
    });

    await addOneNetwork(call, ns, 2);
    expect(netnsLinkKind(ns, 'eth0').kind).toBe('veth');
    // The delegate never ran: its bridge was never made, no lease in its subnet.
    expect(hostLink(bridge('x'))).toBeUndefined();
    expect(leaseFiles(ws.ipamDir).filter((f) => f.includes(`10.${NET}.6.`))).toEqual([]);
    expect((networkStatus(server, pod.namespace, pod.name) ?? []).map((s) => [s.name, s.interface, s.default])).toEqual(
      [[`${NAMESPACE}/rc-b`, 'eth0', true]],
    );

    const del = await runMultus({ ...call, command: 'DEL' });
    expectSuccess(del);
    expectPodGone(ns, ws);
    expect(hostAddrsWithPrefix(`10.${NET}.2.`)).toEqual([]);
  });

  it(
    'namespaceIsolation: a pod of ns1 selecting other/iso-net is refused (code 7, both namespaces named), nothing ' +
      'created',
    async () => {
      const { server } = cluster;
      const annotations = { [NETWORKS_ANNOTATION]: 'other/iso-net' };
      const { ns, pod, call } = setUp('i', ['o'], annotations, { namespaceIsolation: true });
      server.clearRequests();

      const add = await runMultus({ ...call, command: 'ADD' });
      const error = expectCniError(add, 7);
      expectNoStackTraces(add);
      expect(error.msg).toContain(`pod ${NAMESPACE}/${pod.name}`);
      expect(error.msg).toContain('other/iso-net');
      expect(error.msg).toContain(`"${NAMESPACE}"`);
      // Refused before the network was looked up, before anything ran.
      expect(requestLog(server).filter((l) => l.includes('/namespaces/other/'))).toEqual([]);
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      expect(hostLink(bridge('o'))).toBeUndefined();
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
      expect(networkStatus(server, pod.namespace, pod.name)).toBeUndefined();

      // The runtime's DEL after the failed ADD succeeds and finds nothing to do.
      const del = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(del);
      expectPodGone(ns, ws);
    },
  );

  it('namespaceIsolation: a pod of ns1 may select default/iso-net', async () => {
    const { server } = cluster;
    const annotations = { [NETWORKS_ANNOTATION]: 'default/iso-net' };
    const { ns, pod, call } = setUp('j', ['d'], annotations, { namespaceIsolation: true });

    await addOneNetwork(call, ns, 4);
    expect(bridgePorts(bridge('d'))).toHaveLength(1);
    expect((networkStatus(server, pod.namespace, pod.name) ?? []).map((s) => [s.name, s.interface, s.default])).toEqual(
      [['default/iso-net', 'eth0', true]],
    );

    const del = await runMultus({ ...call, command: 'DEL' });
    expectSuccess(del);
    expectPodGone(ns, ws);
    expect(bridgePorts(bridge('d'))).toEqual([]);
  });
});
