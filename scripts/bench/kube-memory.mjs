// The daemon's memory in Kubernetes mode with full informer caches (phase 7; alone with
// BENCH_ONLY=kube-memory). A second bench API server makes KUBE_MEMORY's pods, all on one node,
// and NADs, spread over its namespaces (kube-objects.mjs), and holds its lists. A fresh
// `multus daemon` given that kubeconfig and nodeName starts its pod informer at once (list in
// pages of 100, then watch). Its memory is read idle (its Kubernetes client loaded, its first
// list held), once the pod informer watches (every pod cached), and after one ADD/DEL pod per
// namespace through the Kubernetes path (the pod annotated with a NAD of its namespace, which
// starts that namespace's NAD informer; the stand-in delegate of memory.mjs), once every NAD
// informer watches too: then all pods and all NADs are cached. Each read comes 1 s after its step.
import { existsSync } from 'node:fs';
import { memoryOf, sleep, startDaemon } from './daemon.mjs';
import { requestsSince, startKubeServer } from './kube-client.mjs';
import { firstPods } from './kube-objects.mjs';
import { daemonPod, shimStdin, STANDIN_TYPE } from './memory.mjs';

export const KUBE_MEMORY = { node: 'bench-node', namespaces: 20, pods: 5000, nads: 5000 };

const HELD = /^GET \/api\/v1\/pods\?\S+ held$/;
const POD_WATCH = /^GET \/api\/v1\/pods\?\S*watch=true\S* 200$/;
const NAD_WATCH =
  /^GET \/apis\/k8s\.cni\.cncf\.io\/v1\/namespaces\/\S+\/network-attachment-definitions\?\S*watch=true\S* 200$/;

/** Waits (up to `seconds`) until `count` lines of the API server's request log match `re`. */
async function logged(kube, re, count, seconds, what) {
  for (let i = 0; i < seconds * 10; i += 1) {
    if (requestsSince(kube.log, 0).filter((l) => re.test(l)).length >= count) return;
    await sleep(100);
  }
  throw new Error(`kube memory: ${what} not seen in ${seconds} s (${kube.log})`);
}

/** The phase's API requests: list pages, watches, single GETs (none when the caches serve), PATCHes. */
function tally(lines) {
  const out = { listPages: 0, watches: 0, gets: 0, patches: 0 };
  for (const l of lines.filter((x) => !x.endsWith(' held'))) {
    if (l.startsWith('PATCH ')) out.patches += 1;
    else if (/[?&]watch=true/.test(l)) out.watches += 1;
    else if (l.includes('?')) out.listPages += 1;
    else out.gets += 1;
  }
  return out;
}

const since = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Runs the phase with `multus` (a snapshot of dist/multus); returns its figures. */
export async function kubeMemoryRun(host, root, multus, log) {
  const spec = { ...KUBE_MEMORY, type: STANDIN_TYPE };
  log(`bench: daemon memory in Kubernetes mode, ${spec.pods} pods and ${spec.nads} NADs cached`);
  const netns = host.addNetns('kmem');
  const kube = await startKubeServer(host, root, { generate: spec, holdLists: true }, 'kubemem');
  let daemon;
  try {
    const extra = { kubeconfig: kube.kubeconfig, nodeName: spec.node };
    daemon = await startDaemon(host, multus, 'kubememdaemon', extra);
    const samples = [];
    const sample = async (when) => {
      await sleep(1000);
      samples.push({ when, ...memoryOf(daemon.pid) });
    };
    await logged(kube, HELD, 1, 30, "the pod informer's first list");
    await sample('idle');
    let t0 = process.hrtime.bigint();
    kube.release();
    await logged(kube, POD_WATCH, 1, 120, "the pod informer's watch");
    const podSyncSeconds = since(t0);
    await sample('synced');
    log(
      `bench: kube memory, ${spec.pods} pods cached in ${podSyncSeconds.toFixed(1)} s; ${spec.namespaces} pods ADD/DEL`,
    );
    const stdin = shimStdin(daemon, host.dir('kubememcache'));
    t0 = process.hrtime.bigint();
    for (const [i, pod] of firstPods(spec).entries())
      await daemonPod(host, daemon, { id: `kmem-${i}`, netns, pod: pod.name, namespace: pod.namespace, stdin });
    const podsSeconds = since(t0);
    await logged(kube, NAD_WATCH, spec.namespaces, 60, "the NAD informers' watches");
    await sample('pods');
    const requests = tally(requestsSince(kube.log, 0));
    return {
      ...KUBE_MEMORY,
      sizes: kube.sizes,
      calls: spec.namespaces,
      podSyncSeconds,
      podsSeconds,
      requests,
      samples,
    };
  } finally {
    if (daemon !== undefined && existsSync(`/proc/${daemon.pid}`)) process.kill(daemon.pid, 'SIGTERM');
    kube.stop();
  }
}
