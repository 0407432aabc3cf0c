/**
 * Kubernetes integration 7: the API server goes away. At ADD (the pod's annotations must come
 * from the API) multus retries within its budget (about four seconds), then answers code 11
 * ("try again later") naming the server, having made nothing. At DEL after a good ADD it needs
 * no API: the cache says what to delete, and everything goes; the runtime's second DEL (no
 * cache any more, the API still down) succeeds too.
 */
import { existsSync } from 'node:fs';
import type { KubeTestServer } from '../support/kube-test-server';
import { addNad, expectDelLeavesNothing, expectNoStackTraces, expectPodGone } from './support/kube-cluster';
import { networkStatus, NETWORKS_ANNOTATION, podRequests, setUpKubePod, useKubeCluster } from './support/kube-cluster';
import { bridgePorts, hostAddrsWithPrefix, hostLink, hostLinksInto, inSubnet, ipv4Of } from './support/net';
import { netnsLinkNames } from './support/net';
import { expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { cacheFile, cacheFiles, leaseFiles } from './support/workspace';

const NET = 238; // 10.238.0.0/16 belongs to this file
const sub = (third: number): string => `10.${NET}.${third}.0/24`;
const NAMESPACE = 'down-ns';
/** The client's default retry budget is 4 s per operation; allow start-up and slack, but not a hang. */
const BOUNDED_MS = 12_000;

describe('the API server is down', () => {
  const fx = useKubeCluster('kd');
  const { ws, cluster } = fx;
  const bridge = (suffix: string): string => `${ws.prefix}${suffix}`;

  beforeAll(() => {
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
    await cluster.server.restart();
  });

  function setUp(suffix: string): ReturnType<typeof setUpKubePod> {
    const annotations = { [NETWORKS_ANNOTATION]: 'down-br,down-ptp' };
    return setUpKubePod(fx, { suffix, namespace: NAMESPACE, annotations, bridges: [bridge('b')] });
  }

  /** Nothing ran: only lo, no host veth into the pod, no bridge made, no lease, no cache entry. */
  function expectNothingMade(ns: string): void {
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(hostLinksInto(ns)).toEqual([]);
    expect(hostLink(bridge('b'))).toBeUndefined();
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  }

  it.each([
    {
      title: 'at ADD: exit 1, code 11 naming the server, within the retry budget; nothing left behind',
      suffix: 'a',
      breakServer: (server: KubeTestServer): Promise<void> => server.stop(),
    },
    {
      title:
        'at ADD, listening but never answering: code 11 once the retry budget is spent, not a hang; nothing left ' +
        'behind',
      suffix: 'h',
      breakServer: (server: KubeTestServer): Promise<void> => {
        server.failNext({}, { hang: true, times: Infinity });
        return Promise.resolve();
      },
    },
  ])('$title', async ({ suffix, breakServer }) => {
    const { server } = cluster;
    const { ns, call } = setUp(suffix);
    await breakServer(server);

    const add = await runMultus({ ...call, command: 'ADD' });
    server.clearFaults();
    const error = expectCniError(add, 11);
    expectNoStackTraces(add);
    expect(error.msg).toContain(server.url);
    expect(add.ms).toBeLessThan(BOUNDED_MS);
    expectNothingMade(ns);
  });

  it(
    'at DEL after a good ADD: exit 0 from the cache, ' + 'everything removed; a second DEL (no cache) also succeeds',
    async () => {
      const { server } = cluster;
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
      await expectDelLeavesNothing(call, ns, ws);
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
