/**
 * Thick mode, Kubernetes mode (issue 12): the seed README's three-delegate pod (bridge master
 * with isGateway, ptp, bridge with a range), its networks as NetworkAttachmentDefinitions
 * selected by the pod's annotation, through the compiled multus-shim and a `multus daemon`
 * whose config names a kubeconfig and a node. The daemon keeps informer caches of the node's
 * pods and of the NADs it resolved, against the test API server (list + watch): an ADD of a
 * cached pod reads nothing from the API, only writes the network-status; with the API down
 * cached pods still ADD and DEL (the status is written once the API is back); after the
 * service-account token rotates (server and file), the next call uses the new token; a
 * network-status PATCH the API refuses leaves the pod up and is counted in the metrics.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns } from './support/net';
import { waitFor } from './support/fault-run';
import { addNad, networkStatus, NETWORK_STATUS_ANNOTATION, NETWORKS_ANNOTATION } from './support/kube-cluster';
import { forgetStateAfterTest, podCniArgs, podRequests, requestLog, useKubeCluster } from './support/kube-cluster';
import type { PodId } from './support/kube-cluster';
import { expectSuccess, type MultusRun } from './support/run-multus';
import { freePort, sample, scrape } from './support/metrics';
import { SeedPod } from './support/seed-pod';
import { assertThickPrerequisites, runShim, shimConfig, ThickDaemon } from './support/thick';

const NET = 251; // 10.251.0.0/16 belongs to this file
const NAMESPACE = 'tk-ns';
const NODE = 'tk-node';

function expectShimSuccess(run: MultusRun): void {
  expectSuccess(run);
  expect(run.stderr).toBe('');
}

describe('thick mode: the seed pod through multus-shim and multus daemon (Kubernetes mode, informer caches)', () => {
  const fx = useKubeCluster('tk');
  const { ws, cleanup, perFile, cluster } = fx;
  let daemon: ThickDaemon;
  let tokenFile: string;
  let seed: SeedPod;
  let netNames: string[];
  let metricsPort: number;

  beforeAll(async () => {
    assertThickPrerequisites();
    const { server } = cluster;
    // The seed pod's three delegates, each a NAD; the pod's annotation names them, the first is the master.
    seed = new SeedPod(ws, 'k', NET, 1, perFile);
    const delegates = seed.config('1.0.0')['delegates'] as Array<Record<string, unknown>>;
    netNames = ['tk-master', 'tk-ptp', 'tk-ranged'];
    delegates.forEach((d, i) => {
      const { masterplugin: _m, ...conf } = d;
      addNad(server, NAMESPACE, netNames[i] as string, { ...conf, cniVersion: '1.0.0', name: netNames[i] });
    });
    // The daemon reads its token from a file, as a pod's service account does.
    tokenFile = join(ws.dir, 'token');
    writeFileSync(tokenFile, server.token);
    const kubeconfig = server.writeKubeconfig(join(ws.dir, 'kubeconfig-token-file'), { tokenFile });
    metricsPort = await freePort();
    daemon = await ThickDaemon.start(ws.dir, perFile, {
      config: { cniDir: ws.cniDir, kubeconfig, nodeName: NODE, logLevel: 'debug', metricsPort },
    });
    // The node's pod informer is listed and watching before any pod of the tests exists.
    await waitFor('the pod informer watch', 60_000, () =>
      server.requests.find((r) => r.path === '/api/v1/pods' && r.query.includes('watch=true') && r.status === 200),
    );
  }, 120_000);

  // Whatever a test did to the server, the next one finds it up.
  afterEach(async () => {
    await cluster.server.restart();
  });

  /** A netns and a pod of the node in the API server; the call the runtime makes through the shim. */
  function setUp(suffix: string): { ns: string; pod: PodId; call: Parameters<typeof runShim>[0] } {
    const ns = `${ws.prefix}-${suffix}`;
    forgetStateAfterTest(ws, cleanup);
    const netns = createNetns(ns, cleanup);
    const pod = { namespace: NAMESPACE, name: `pod-${suffix}`, uid: `uid-${suffix}-${process.pid}` };
    cluster.server.addPod({ ...pod, nodeName: NODE, annotations: { [NETWORKS_ANNOTATION]: netNames.join(',') } });
    const containerId = `${ws.prefix}-ctr-${suffix}`;
    const config = shimConfig({ cniVersion: '1.0.0', name: 'tk-net' }, daemon);
    return { ns, pod, call: { command: 'ADD', config, containerId, netns, cniArgs: podCniArgs(pod, containerId) } };
  }

  /** The API reads the server saw (lists and GETs; watches are long-lived and not counted). */
  const reads = (): string[] =>
    cluster.server.requests
      .filter((r) => r.method === 'GET' && !r.query.includes('watch=true'))
      .map((r) => `${r.path}${r.query}`);

  it(
    'ADD writes the network-status and makes the pod; the second ADD of the cached pod reads nothing from the ' +
      'API (no pod GET, no NAD request); DEL leaves nothing',
    async () => {
      const { server } = cluster;
      const { ns, pod, call } = setUp('a');
      server.clearRequests();
      expectShimSuccess(await runShim(call));
      seed.expectUp(ns, call.containerId);
      expect(networkStatus(server, pod.namespace, pod.name)?.map((s) => [s.name, s.interface, s.default])).toEqual([
        [`${NAMESPACE}/tk-master`, 'eth0', true],
        [`${NAMESPACE}/tk-ptp`, 'net0', false],
        [`${NAMESPACE}/tk-ranged`, 'net1', false],
      ]);
      // The first ADD in the namespace starts its NAD informer (a list); the pod came through the node's watch,
      // or, when the ADD was faster than the watch event, with one GET.
      expect(reads()).toContain(
        `/apis/k8s.cni.cncf.io/v1/namespaces/${NAMESPACE}/network-attachment-definitions?limit=100`,
      );
      expect(podRequests(server, pod.namespace, pod.name, 'GET').length).toBeLessThanOrEqual(1);
      expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
      seed.expectGone(ns);

      server.clearRequests();
      expectShimSuccess(await runShim(call));
      seed.expectUp(ns, call.containerId);
      expect(reads()).toEqual([]);
      expect(podRequests(server, pod.namespace, pod.name, 'GET')).toEqual([]);
      expect(podRequests(server, pod.namespace, pod.name).map((r) => `${r.method} ${r.status}`)).toEqual(['PATCH 200']);
      expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
      seed.expectGone(ns);
    },
    120_000,
  );

  it(
    'API down after caching: ADD and DEL of a cached pod still work; the network-status is written once the API ' +
      'is back',
    async () => {
      const { server } = cluster;
      const { ns, pod, call } = setUp('b');
      // Cached: one ADD/DEL while the API is up (and the status it wrote removed, to see the next one arrive).
      expectShimSuccess(await runShim(call));
      expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
      server.updatePod(pod.namespace, pod.name, (p) => delete p.metadata.annotations?.[NETWORK_STATUS_ANNOTATION]);

      await server.stop();
      server.clearRequests();
      const add = await runShim(call);
      expectShimSuccess(add);
      seed.expectUp(ns, call.containerId);
      expect(networkStatus(server, pod.namespace, pod.name)).toBeUndefined();
      expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
      seed.expectGone(ns);
      expect(requestLog(server)).toEqual([]);
      expect(daemon.logLines().some((l) => String(l['msg']).includes('annotation kept'))).toBe(true);

      await server.restart();
      const status = await waitFor('the kept network-status write', 90_000, () =>
        networkStatus(server, pod.namespace, pod.name),
      );
      expect(status.map((s) => s.interface)).toEqual(['eth0', 'net0', 'net1']);
    },
    180_000,
  );

  it('the network-status PATCH answered 403: the pod comes up anyway, and the daemon counts the failure', async () => {
    const { server } = cluster;
    const { ns, call } = setUp('f');
    const failed = async (): Promise<number> =>
      sample(await scrape(metricsPort), 'multus_network_status_writes_total', { result: 'failed' }) ?? -1;
    const before = await failed();
    server.failNext({ method: 'PATCH' }, { status: 403, times: Infinity });
    expectShimSuccess(await runShim(call));
    server.clearFaults();
    seed.expectUp(ns, call.containerId);
    expect(await failed()).toBe(before + 1);
    expect(daemon.logLines().some((l) => String(l['msg']).startsWith('network-status not written'))).toBe(true);
    expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
    seed.expectGone(ns);
  }, 120_000);

  it('token rotation: after the server and the token file change, the next call uses the new token', async () => {
    const { server } = cluster;
    const { ns, pod, call } = setUp('c');
    expectShimSuccess(await runShim(call));
    expectShimSuccess(await runShim({ ...call, command: 'DEL' }));

    const rotated = `rotated-${process.pid}`;
    server.addToken(rotated, server.user);
    server.revokeToken(server.token);
    writeFileSync(`${tokenFile}.new`, rotated);
    renameSync(`${tokenFile}.new`, tokenFile);
    server.clearRequests();
    expectShimSuccess(await runShim(call));
    seed.expectUp(ns, call.containerId);
    expect(podRequests(server, pod.namespace, pod.name).map((r) => `${r.method} ${r.status}`)).toEqual(['PATCH 200']);
    // The informers reconnect with the new token too.
    server.closeWatches();
    await waitFor('the informers to watch again', 60_000, () =>
      server.requests.filter((r) => r.query.includes('watch=true') && r.status === 200).length >= 2 ? true : undefined,
    );
    expect(server.requests.filter((r) => r.status === 401)).toEqual([]);
    expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
    seed.expectGone(ns);
  }, 120_000);

  it('SIGTERM: the daemon closes its watches and exits 0', async () => {
    const { server } = cluster;
    expect(server.openWatches).toBeGreaterThan(0);
    await expect(daemon.signal('SIGTERM')).resolves.toEqual({ code: 0, signal: null });
    await waitFor('the watches to close', 30_000, () => (server.openWatches === 0 ? true : undefined));
  }, 60_000);
});
