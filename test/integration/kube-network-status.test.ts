/**
 * Issue 14 §3: network-status never breaks a pod. The compiled binary in a real netns with
 * Debian's ptp and host-local, against the HTTPS TEST API server (not kube-apiserver) made to
 * answer the network-status PATCH with 404, 403 or 500. By default the pod comes up and the
 * failure is logged; with `"strictNetworkStatus": true` a 403 or 500 rolls the ADD back with the
 * API's error (a pod gone from the API, 404, never fails the ADD). A pod missing from the API
 * when multus must read its annotations is code 105 at once, not a retry loop.
 */
import type { KubeTestServer } from '../support/kube-test-server';
import { addNad, expectDelLeavesNothing, expectNoStackTraces, expectPodGone } from './support/kube-cluster';
import { NETWORKS_ANNOTATION, POD_ANNOTATIONS_KEY, podRequests, setUpKubePod } from './support/kube-cluster';
import { useKubeCluster } from './support/kube-cluster';
import { inSubnet, ipv4Of, netnsLinkNames } from './support/net';
import { expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { cacheFiles, leaseFiles } from './support/workspace';

const NET = 217; // 10.217.0.0/16 belongs to this file
const SUBNET = `10.${NET}.1.0/24`;
const NAMESPACE = 'status-ns';

describe('network-status that the API will not take (compiled binary, real netns, TEST API server)', () => {
  const fx = useKubeCluster('st');
  const { ws, cluster } = fx;

  beforeAll(() => {
    addNad(cluster.server, NAMESPACE, 'st-ptp', {
      cniVersion: '1.0.0',
      name: 'st-ptp',
      type: 'ptp',
      ipam: { type: 'host-local', subnet: SUBNET, dataDir: ws.ipamDir },
    });
  });

  afterEach(() => cluster.server.clearFaults());

  function setUp(suffix: string, config: Record<string, unknown> = {}): ReturnType<typeof setUpKubePod> {
    const annotations = { [NETWORKS_ANNOTATION]: 'st-ptp' };
    return setUpKubePod(fx, { suffix, namespace: NAMESPACE, annotations, config });
  }

  const failPatches = (server: KubeTestServer, status: number): void =>
    server.failNext({ method: 'PATCH' }, { status, times: Infinity });

  it.each([404, 403, 500])(
    'PATCH answered %i: the pod comes up, the failure is logged, and DEL leaves nothing',
    async (status) => {
      const { ns, pod, call } = setUp(`d${status}`);
      failPatches(cluster.server, status);
      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expectNoStackTraces(add);
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo']);
      expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', SUBNET)).toBe(true);
      expect(leaseFiles(ws.ipamDir)).toHaveLength(1);
      expect(cacheFiles(ws.cniDir)).toHaveLength(1);
      expect(add.stderr).toContain('network-status not written');
      expect(podRequests(cluster.server, pod.namespace, pod.name, 'PATCH').map((r) => r.status)).toContain(status);
      cluster.server.clearFaults();
      await expectDelLeavesNothing(call, ns, ws);
    },
  );

  it.each([
    { status: 403, code: 104 },
    { status: 500, code: 11 },
  ])(
    'strictNetworkStatus, PATCH answered $status: code $code with the API error naming the pod, rolled back',
    async ({ status, code }) => {
      const { ns, pod, call } = setUp(`s${status}`, { strictNetworkStatus: true });
      failPatches(cluster.server, status);
      const add = await runMultus({ ...call, command: 'ADD' });
      const error = expectCniError(add, code);
      expectNoStackTraces(add);
      expect(error.msg).toContain(
        `writing the network-status of pod ${pod.namespace}/${pod.name} (strictNetworkStatus)`,
      );
      expect(error.msg).toContain(status === 403 ? 'forbidden' : cluster.server.url);
      expectPodGone(ns, ws);
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
    },
  );

  it('strictNetworkStatus, PATCH answered 404 (the pod was deleted): the ADD succeeds, logged', async () => {
    const { ns, call } = setUp('s404', { strictNetworkStatus: true });
    failPatches(cluster.server, 404);
    const add = await runMultus({ ...call, command: 'ADD' });
    expectSuccess(add);
    expect(add.stderr).toContain('is gone from the API');
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo']);
    cluster.server.clearFaults();
    await expectDelLeavesNothing(call, ns, ws);
  });

  it('a pod deleted from the API before ADD (annotations from runtimeConfig): up, logged, no retry', async () => {
    const runtimeConfig = { [POD_ANNOTATIONS_KEY]: { [NETWORKS_ANNOTATION]: 'st-ptp' } };
    const { ns, pod, call } = setUp('gone-rc', { runtimeConfig });
    cluster.server.removePod(pod.namespace, pod.name);
    const add = await runMultus({ ...call, command: 'ADD' });
    expectSuccess(add);
    expect(add.stderr).toContain(`pod ${pod.namespace}/${pod.name} is gone from the API`);
    // One PATCH, no retry: a 404 is final.
    expect(podRequests(cluster.server, pod.namespace, pod.name, 'PATCH').map((r) => r.status)).toEqual([404]);
    await expectDelLeavesNothing(call, ns, ws);
  });

  it('a pod deleted from the API before ADD (annotations from the API): code 105 naming it, nothing made', async () => {
    const { ns, pod, call } = setUp('gone-api');
    cluster.server.removePod(pod.namespace, pod.name);
    const add = await runMultus({ ...call, command: 'ADD' });
    const error = expectCniError(add, 105);
    expectNoStackTraces(add);
    expect(error.msg).toContain(pod.name);
    expect(podRequests(cluster.server, pod.namespace, pod.name).map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 404',
    ]);
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });
});
