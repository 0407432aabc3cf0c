import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type KubeTestRequest, type KubeTestServer, startKubeTestServer } from '../../support/kube-test-server';
import type { Cleanup } from './cleanup';
import { createNetns, hostLinks, hostLinksInto, ipv4Of, netnsLink, netnsLinkNames } from './net';
import {
  assertIntegrationPrerequisites,
  expectSuccess,
  REFERENCE_PLUGINS,
  runMultus,
  stackTraceLines,
  type MultusCall,
  type MultusRun,
} from './run-multus';
import { cacheFiles, leaseFiles, useWorkspace, type Workspace, type WorkspaceFixture } from './workspace';

/**
 * The Kubernetes side of the integration tests: one test API server per test file (HTTPS on
 * 127.0.0.1, its own CA, written into a kubeconfig in the file's workspace with the CA inline),
 * and the objects multus reads, in the shapes the seed README and today's Multus use.
 */

export const SEED_NETWORKS_ANNOTATION = 'networks';
export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
/** Where containerd's CRI passes the pod's annotations in the stdin config. */
export const POD_ANNOTATIONS_KEY = 'io.kubernetes.cri.pod-annotations';

/** The seed README's pod annotation: br-net-1 (master), br-net-2 twice, ptp-net. */
export const SEED_POD_ANNOTATION =
  '[ { "name": "br-net-1" }, { "name": "br-net-2" }, { "name": "br-net-2" }, { "name": "ptp-net" } ]';

/**
 * Fails (does not skip) unless this machine can run the Kubernetes integration tests: root,
 * dist/multus built, the reference plugins (and `plugins`, e.g. static, tuning), and openssl,
 * which makes the test server's CA.
 */
export function assertKubePrerequisites(plugins: readonly string[] = []): void {
  assertIntegrationPrerequisites();
  const missing = [...plugins.map((p) => join(REFERENCE_PLUGINS, p)), '/usr/bin/openssl'].filter(
    (path) => !existsSync(path),
  );
  if (missing.length > 0)
    throw new Error(
      `Kubernetes integration tests cannot run: missing ${missing.join(', ')} (apt-get install -y ` +
        `containernetworking-plugins openssl)`,
    );
}

export interface KubeCluster {
  readonly server: KubeTestServer;
  /** Absolute path of the kubeconfig (in the workspace: removed with it). */
  readonly kubeconfig: string;
}

/** Starts the file's test API server and writes its kubeconfig into the workspace; close it in afterAll. */
export async function startKubeCluster(ws: Workspace, name = 'kubeconfig'): Promise<KubeCluster> {
  const server = await startKubeTestServer();
  return { server, kubeconfig: server.writeKubeconfig(join(ws.dir, name)) };
}

export interface KubeFixture extends WorkspaceFixture {
  /** Filled in by a beforeAll (an empty object before it), like `ws`. */
  readonly cluster: KubeCluster;
}

/**
 * {@link useWorkspace} with the Kubernetes prerequisites (and `plugins`), plus the file's test API
 * server: started in beforeAll (before the file's own, which add its objects), its faults cleared
 * after each test, closed after the file.
 */
export function useKubeCluster(
  tag: string,
  options: { readonly plugins?: readonly string[]; readonly kubeconfig?: string } = {},
): KubeFixture {
  const prerequisites = (): void => assertKubePrerequisites(options.plugins);
  const fixture = { ...useWorkspace(tag, { prerequisites }), cluster: {} };
  const started = fixture.cluster as Partial<KubeCluster>;
  beforeAll(async () => {
    Object.assign(started, await startKubeCluster(fixture.ws, options.kubeconfig));
  });
  afterEach(() => started.server?.clearFaults());
  afterAll(async () => {
    await started.server?.close();
  });
  return fixture as KubeFixture;
}

/** The pod a runtime asks for: its identity, as CNI_ARGS carries it. */
export interface PodId {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** CNI_ARGS as kubelet / containerd's CRI pass them. */
export function podCniArgs(pod: PodId, containerId: string): string {
  return [
    'IgnoreUnknown=1',
    `K8S_POD_NAMESPACE=${pod.namespace}`,
    `K8S_POD_NAME=${pod.name}`,
    `K8S_POD_INFRA_CONTAINER_ID=${containerId}`,
    `K8S_POD_UID=${pod.uid}`,
  ].join(';');
}

export interface KubePodOptions {
  readonly suffix: string;
  readonly namespace: string;
  /** Default `pod-<suffix>`. */
  readonly podName?: string;
  /** The pod's annotations as the API server holds them. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Host bridges the pod's networks make, deleted after the test (the bridge plugin never deletes them). */
  readonly bridges?: readonly string[];
  /** More keys of multus's config (clusterNetwork, delegates, namespaceIsolation, ...). */
  readonly config?: Readonly<Record<string, unknown>>;
}

/**
 * One pod of a Kubernetes test: its netns, the pod object in the API server, and the call
 * (multus's config with the cluster's kubeconfig, CNI_ARGS as kubelet passes them) for runMultus.
 * The workspace's leases and cache are forgotten after the test.
 */
export function setUpKubePod(
  fx: KubeFixture,
  options: KubePodOptions,
): { ns: string; pod: PodId; call: Omit<MultusCall, 'command'> } {
  const { ws, cleanup, cluster } = fx;
  const ns = `${ws.prefix}-${options.suffix}`;
  forgetStateAfterTest(ws, cleanup);
  const netns = createNetns(ns, cleanup);
  for (const bridge of options.bridges ?? []) cleanup.link(bridge);
  const pod = { namespace: options.namespace, name: options.podName ?? `pod-${options.suffix}`, uid: randomUUID() };
  cluster.server.addPod({ ...pod, annotations: { ...options.annotations } });
  const containerId = `${ws.prefix}-ctr-${options.suffix}`;
  const config = {
    name: 'multus-cni-network',
    type: 'multus',
    cniVersion: '1.0.0',
    kubeconfig: cluster.kubeconfig,
    cniDir: ws.cniDir,
    logToStderr: true,
    ...options.config,
  };
  return { ns, pod, call: { config, containerId, netns, cniArgs: podCniArgs(pod, containerId) } };
}

/** DEL after a good ADD: exit 0, nothing printed, no stack trace, nothing of the pod left, no host veth into it. */
export async function expectDelLeavesNothing(
  call: Omit<MultusCall, 'command'>,
  ns: string,
  ws: Workspace,
): Promise<void> {
  const del = await runMultus({ ...call, command: 'DEL' });
  expectSuccess(del);
  expect(del.stdout).toBe('');
  expectNoStackTraces(del);
  expectPodGone(ns, ws);
  expect(hostLinksInto(ns)).toEqual([]);
}

/** The seed's CRD `networks.kubernetes.com`, stored as an apiextensions.k8s.io/v1 object (with a schema). */
export function addNetworkCrd(server: KubeTestServer): void {
  server.addObject(
    {
      group: 'apiextensions.k8s.io',
      version: 'v1',
      plural: 'customresourcedefinitions',
      name: 'networks.kubernetes.com',
    },
    {
      spec: {
        group: 'kubernetes.com',
        scope: 'Namespaced',
        names: { plural: 'networks', singular: 'network', kind: 'Network', shortNames: ['net'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    },
  );
}

/** The seed's ThirdPartyResource `network.kubernetes.com` (extensions/v1beta1, Kubernetes ≤ 1.7). */
export function addNetworkTpr(server: KubeTestServer): void {
  server.addObject(
    { group: 'extensions', version: 'v1beta1', plural: 'thirdpartyresources', name: 'network.kubernetes.com' },
    { description: 'A specification of a Network obj in the kubernetes', versions: [{ name: 'v1' }] },
  );
}

/**
 * A seed `Network` object (`kubernetes.com/v1`): top-level `plugin`, and `args` a JSON string holding a list of one
 * config.
 */
export function addSeedNetwork(
  server: KubeTestServer,
  namespace: string,
  name: string,
  plugin: string,
  conf: Record<string, unknown>,
): void {
  server.addObject(
    { group: 'kubernetes.com', version: 'v1', plural: 'networks', namespace, name },
    { plugin, args: JSON.stringify([conf], undefined, 4) },
  );
}

/**
 * A NetworkAttachmentDefinition (`k8s.cni.cncf.io/v1`) whose `spec.config` is the JSON of `config` (a config or a
 * conflist).
 */
export function addNad(
  server: KubeTestServer,
  namespace: string,
  name: string,
  config: Record<string, unknown>,
  /** Its `k8s.v1.cni.cncf.io/resourceName` annotation: its device comes from DRA or the kubelet. */
  resourceName?: string,
): void {
  const metadata =
    resourceName === undefined ? {} : { annotations: { 'k8s.v1.cni.cncf.io/resourceName': resourceName } };
  server.addObject(
    { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions', namespace, name },
    { metadata, spec: { config: JSON.stringify(config) } },
  );
}

/** One entry of the network-status annotation. */
export interface NetworkStatusEntry {
  readonly name: string;
  readonly interface: string;
  readonly ips: readonly string[];
  readonly mac?: string;
  readonly default: boolean;
  readonly dns: Record<string, unknown>;
}

/** The pod's network-status annotation as the server stores it now (undefined when not written). */
export function networkStatus(
  server: KubeTestServer,
  namespace: string,
  name: string,
): NetworkStatusEntry[] | undefined {
  const text = server.pod(namespace, name)?.metadata.annotations?.[NETWORK_STATUS_ANNOTATION];
  return text === undefined ? undefined : (JSON.parse(text) as NetworkStatusEntry[]);
}

/** Every status entry names an interface that is in the pod, with exactly its IPv4 addresses and its MAC. */
export function expectStatusMatchesPod(status: readonly NetworkStatusEntry[], ns: string): void {
  for (const entry of status) {
    const actual = ipv4Of(ns, entry.interface).map((a) => a.split('/')[0]);
    expect({ interface: entry.interface, ips: [...entry.ips].sort(), mac: entry.mac }).toEqual({
      interface: entry.interface,
      ips: actual.sort(),
      mac: netnsLink(ns, entry.interface)?.address,
    });
  }
}

/** The requests the server saw for one pod (`/api/v1/namespaces/<ns>/pods/<name>`), optionally of one method. */
export function podRequests(
  server: KubeTestServer,
  namespace: string,
  name: string,
  method?: string,
): KubeTestRequest[] {
  const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
  return server.requests.filter((r) => r.path === path && (method === undefined || r.method === method));
}

/** `METHOD path status` of every request, for readable assertions and failure output. */
export function requestLog(server: KubeTestServer): string[] {
  return server.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
}

/** No stack frame anywhere in what the runs printed (stdout or the stderr logs). */
export function expectNoStackTraces(...runs: readonly MultusRun[]): void {
  for (const run of runs) {
    expect(stackTraceLines(run.stdout)).toEqual([]);
    expect(stackTraceLines(run.stderr)).toEqual([]);
  }
}

/**
 * Registers the removal of the workspace's leases and cache after the test: the NADs of a file
 * share one host-local `dataDir`, so a test that fails before its DEL must not leave leases or a
 * cache entry that make the next test fail too. (The netns and links have their own steps.)
 */
export function forgetStateAfterTest(ws: Workspace, cleanup: Cleanup): void {
  cleanup.add(`leases in ${ws.ipamDir}`, () => rmSync(ws.ipamDir, { recursive: true, force: true }));
  cleanup.add(`cache in ${ws.cniDir}`, () => rmSync(ws.cniDir, { recursive: true, force: true }));
}

/** Nothing of the pod left: only lo in its netns, no host veth into it, no leases, no cache entry. */
export function expectPodGone(ns: string, ws: Workspace): void {
  expect(netnsLinkNames(ns)).toEqual(['lo']);
  expect(leaseFiles(ws.ipamDir)).toEqual([]);
  expect(cacheFiles(ws.cniDir)).toEqual([]);
}

/**
 * The result the bridge plugin prints for a pod interface, built from what is really there:
 * the bridge, the host veth that is the interface's peer, the interface in the sandbox with
 * its address, and host-local's gateway (`.1` of a /24 unless given).
 */
export function expectedBridgeResult(opts: {
  readonly ns: string;
  readonly netnsPath: string;
  readonly ifname: string;
  readonly bridge: string;
  readonly gateway: string;
  readonly cniVersion: string;
}): Record<string, unknown> {
  const { ns, netnsPath, ifname, bridge, gateway, cniVersion } = opts;
  const podLink = netnsLink(ns, ifname);
  const address = ipv4Of(ns, ifname)[0];
  const peer = hostLinks().find((l) => l.ifindex === podLink?.link_index);
  const bridgeLink = hostLinks().find((l) => l.ifname === bridge);
  return {
    cniVersion,
    interfaces: [
      { name: bridge, mac: bridgeLink?.address },
      { name: peer?.ifname, mac: peer?.address },
      { name: ifname, mac: podLink?.address, sandbox: netnsPath },
    ],
    ips: [{ ...(cniVersion.startsWith('0.') ? { version: '4' } : {}), interface: 2, address, gateway }],
  };
}
