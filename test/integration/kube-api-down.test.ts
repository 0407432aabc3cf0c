/**
 * Kubernetes integration 7: the API server goes away. At ADD (the pod's annotations must come
 * from the API) multus retries within its budget (about four seconds), then answers code 11
 * ("try again later") naming the server, having made nothing. At DEL after a good ADD it needs
 * no API: the cache says what to delete, and everything goes; the runtime's second DEL (no
 * cache any more, the API still down) succeeds too.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Cleanup, expectClean } from './support/cleanup';
import {
  addNad,
  assertKubePrerequisites,
  expectNoStackTraces,
  expectPodGone,
  forgetStateAfterTest,
  type KubeCluster,
  networkStatus,
  NETWORKS_ANNOTATION,
  podCniArgs,
  podRequests,
  startKubeCluster,
} from './support/kube-cluster';
import {
  bridgePorts,
  createNetns,
  hostAddrsWithPrefix,
  hostLink,
  hostLinksInto,
  inSubnet,
  ipv4Of,
  netnsLinkNames,
} from './support/net';
import { expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { cacheFile, cacheFiles, createWorkspace, leaseFiles, type Workspace } from './support/workspace';

const NET = 238; // 10.238.0.0/16 belongs to this file
const sub = (third: number): string => `10.${NET}.${third}.0/24`;
const NAMESPACE = 'down-ns';
/** The client's default retry budget is 4 s per operation; allow start-up and slack, but not a hang. */
const BOUNDED_MS = 12_000;

describe('the API server is down', () => {
  const perFile = new Cleanup();
  const cleanup = new Cleanup(); // per test
  let ws: Workspace;
  let cluster: KubeCluster | undefined;
  const bridge = (suffix: string): string => `${ws.prefix}${suffix}`;

  beforeAll(async () => {
    assertKubePrerequisites();
    ws = createWorkspace('kd', perFile);
    cluster = await startKubeCluster(ws);
    const hostLocal = (third: number): Record<string, unknown> => ({
      type: 'host-local',
      subnet: sub(third),
      dataDir: ws.ipamDir,
    });
    addNad(cluster.server, NAMESPACE, 'down-br', {
      cniVersion: '1.0.0',
      name: 'down-br',
      type: 'bridge',
      bridge: bridge('b'),
      ipam: hostLocal(1),
    });
    addNad(cluster.server, NAMESPACE, 'down-ptp', {
      cniVersion: '1.0.0',
      name: 'down-ptp',
      type: 'ptp',
      ipam: hostLocal(2),
    });
  });

  // Whatever a test did to the server, the next one finds it up.
  afterEach(async () => {
    cluster?.server.clearFaults();
    await cluster?.server.restart();
    expectClean(cleanup.runAll());
  });
  afterAll(async () => {
    await cluster?.server.close();
    expectClean(perFile.runAll());
  });

  function setUp(suffix: string) {
    const { server, kubeconfig } = cluster as KubeCluster;
    const ns = `${ws.prefix}-${suffix}`;
    forgetStateAfterTest(ws, cleanup);
    const netns = createNetns(ns, cleanup);
    cleanup.link(bridge('b'));
    const pod = { namespace: NAMESPACE, name: `pod-${suffix}`, uid: randomUUID() };
    server.addPod({ ...pod, annotations: { [NETWORKS_ANNOTATION]: 'down-br,down-ptp' } });
    const containerId = `${ws.prefix}-ctr-${suffix}`;
    const config = {
      name: 'multus-cni-network',
      type: 'multus',
      cniVersion: '1.0.0',
      kubeconfig,
      cniDir: ws.cniDir,
      logToStderr: true,
    };
    return { ns, pod, call: { config, containerId, netns, cniArgs: podCniArgs(pod, containerId) } };
  }

  it('at ADD: exit 1, code 11 naming the server, within the retry budget; nothing left behind', async () => {
    const { server } = cluster as KubeCluster;
    const { ns, call } = setUp('a');
    await server.stop();

    const add = await runMultus({ ...call, command: 'ADD' });
    const error = expectCniError(add, 11);
    expectNoStackTraces(add);
    expect(error.msg).toContain(server.url);
    expect(add.ms).toBeLessThan(BOUNDED_MS);
    // Nothing ran: only lo, no bridge made, no lease, no cache entry.
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(hostLinksInto(ns)).toEqual([]);
    expect(hostLink(bridge('b'))).toBeUndefined();
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });

  it(
    'at ADD, listening but never answering: code 11 once the retry budget is spent, not a hang; nothing left ' +
      'behind',
    async () => {
      const { server } = cluster as KubeCluster;
      const { ns, call } = setUp('h');
      server.failNext({}, { hang: true, times: Infinity });

      const add = await runMultus({ ...call, command: 'ADD' });
      server.clearFaults();
      const error = expectCniError(add, 11);
      expectNoStackTraces(add);
      expect(error.msg).toContain(server.url);
      expect(add.ms).toBeLessThan(BOUNDED_MS);
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      expect(hostLink(bridge('b'))).toBeUndefined();
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
  );

  it(
    'at DEL after a good ADD: exit 0 from the cache, ' + 'everything removed; a second DEL (no cache) also succeeds',
    async () => {
      const { server } = cluster as KubeCluster;
      const { ns, pod, call } = setUp('b');
      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
      expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', sub(1))).toBe(true);
      expect(inSubnet(ipv4Of(ns, 'net0')[0] ?? '', sub(2))).toBe(true);
      expect(leaseFiles(ws.ipamDir)).toHaveLength(2);
      expect(existsSync(cacheFile(ws.cniDir, call.containerId))).toBe(true);
      expect(networkStatus(server, pod.namespace, pod.name)?.map((s) => s.interface)).toEqual(['eth0', 'net0']);

      await server.stop();
      server.clearRequests();
      const del = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(del);
      expect(del.stdout).toBe('');
      expectNoStackTraces(del);
      expectPodGone(ns, ws);
      expect(hostLinksInto(ns)).toEqual([]);
      expect(bridgePorts(bridge('b'))).toEqual([]);
      expect(hostAddrsWithPrefix(`10.${NET}.2.`)).toEqual([]);

      // CRI calls DEL again on removal: no cache now, and the API still down: logged, success, nothing to do.
      const again = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(again);
      expect(again.stdout).toBe('');
      expectNoStackTraces(again);
      expect(again.ms).toBeLessThan(BOUNDED_MS);
      expectPodGone(ns, ws);
      // The server was down throughout: it saw nothing.
      expect(podRequests(server, pod.namespace, pod.name)).toEqual([]);
    },
  );
});
