// Which variants phases 1–4 measure: the thin plugin (dist/multus), the shim with our daemon,
// the delegates called directly, the Kubernetes source, and Go Multus thin and thick when their
// binaries are there. `ctx`: the snapshot binaries, the delegate pool, dirs, the API server, our
// daemon, Go's binaries and daemon, the optional $MULTUS_REFERENCE_BIN, the host.
import { join } from 'node:path';
import { shimConfig } from './daemon.mjs';
import { goIfnames, goShimConfig, goThickEnv, goThinConfig } from './go.mjs';
import { CNI_BIN, fileConfig, ifnames, kubeConfig, NETWORKS_ANNOTATION } from './pods.mjs';
import { standinDelegates, standinDir } from './memory.mjs';
import { addEntry, withTime } from './rss.mjs';
import { directParallelPod, directPod, pluginPod, versionOf } from './variants.mjs';

/** Labels shared by the tables. */
export const THICK = 'dist/multus-shim → dist/multus daemon';
export const GO_THIN = 'Go Multus thin';
export const GO_THICK = 'Go Multus thick (shim → daemon)';

export function versionVariants({ multus, shim, go, reference }) {
  const versions = [
    versionOf('version-multus', 'VERSION dist/multus', multus),
    versionOf('version-shim', 'VERSION dist/multus-shim', shim),
    versionOf('version-bridge', 'VERSION /usr/lib/cni/bridge (Go)', join(CNI_BIN, 'bridge')),
  ];
  if (go.thin) {
    versions.push(versionOf('version-go-thin', `VERSION ${GO_THIN}`, go.thin));
    versions.push(versionOf('version-go-shim', 'VERSION Go multus-shim', go.shim));
  }
  if (reference !== undefined)
    versions.push(versionOf('version-reference', 'VERSION $MULTUS_REFERENCE_BIN', reference));
  return versions;
}

/** Thin sequential, thin parallel and direct for 1, 3 and 8 delegates. */
function thinPods({ multus, pool, dirs, host }, n) {
  const delegates = pool.slice(0, n);
  const thin = (id, label, parallel, suffix) =>
    pluginPod({
      id,
      label,
      group: `pod${n}`,
      bin: multus,
      conf: fileConfig(delegates, { cniDir: dirs.cache, parallel }),
      delegates,
      netns: host.addNetns(`${suffix}${n}`),
      podName: `pod-${suffix}${n}`,
      expectIfnames: ifnames(n),
    });
  return [
    thin(`multus-seq-${n}`, `${n} via dist/multus`, false, 's'),
    thin(`multus-par-${n}`, `${n} via dist/multus, parallelDelegates`, true, 'p'),
    directPod({
      id: `direct-${n}`,
      label: `${n} called directly`,
      group: `pod${n}`,
      delegates,
      netns: host.addNetns(`d${n}`),
    }),
    ...(n === 8
      ? [
          directParallelPod({
            id: 'direct-par-8',
            label: '8 called directly, all at once',
            group: 'pod8',
            delegates,
            netns: host.addNetns('dp8'),
            dir: host.dir('direct-par'),
          }),
        ]
      : []),
  ];
}

/** The shim with our daemon: the 3-delegate pod, and the 8-delegate pod sequential and parallel. */
function thickPods({ shim, pool, dirs, daemon, host }) {
  const thick = (n, parallel, suffix) =>
    pluginPod({
      id: `thick-${parallel ? 'par' : 'seq'}-${n}`,
      label: `${n} via ${THICK}${parallel ? ', parallelDelegates' : ''}`,
      group: `pod${n}`,
      bin: shim,
      conf: shimConfig(pool.slice(0, n), { cniDir: dirs.cache, parallel, socketDir: daemon.socketDir }),
      delegates: pool.slice(0, n),
      netns: host.addNetns(`${suffix}${n}`),
      podName: `pod-${suffix}${n}`,
      expectIfnames: ifnames(n),
    });
  return [thick(3, false, 'k'), thick(8, false, 'k'), thick(8, true, 'q')];
}

/** Go thin and Go thick, the 3-delegate pod, when the reference binaries (and daemon) are there. */
function goPods({ pool, dirs, go, goThick, host }) {
  const delegates = pool.slice(0, 3);
  const pods = [];
  const common = { group: 'pod3', delegates, expectIfnames: goIfnames(3) };
  if (go.thin)
    pods.push(
      pluginPod({
        ...common,
        id: 'go-thin-3',
        label: `3 via ${GO_THIN}`,
        bin: go.thin,
        conf: goThinConfig(delegates, { cniDir: dirs.gocache }),
        netns: host.addNetns('g3'),
        podName: 'pod-g3',
      }),
    );
  if (goThick.socketDir)
    pods.push(
      pluginPod({
        ...common,
        id: 'go-thick-3',
        label: `3 via ${GO_THICK}`,
        bin: go.shim,
        conf: goShimConfig(delegates, { socketDir: goThick.socketDir, cniDir: dirs.gocache }),
        netns: host.addNetns('h3'),
        podName: 'bench-pod',
        envOf: goThickEnv,
      }),
    );
  return pods;
}

/** Thin through the Kubernetes source: annotations from a pod GET, or from runtimeConfig. */
function kubePods({ multus, pool, dirs, kube, host }) {
  const kube3 = (id, label, suffix, podName, annotations) =>
    pluginPod({
      id,
      label,
      group: 'kube',
      bin: multus,
      conf: kubeConfig({ kubeconfig: kube.kubeconfig, cniDir: dirs.cache, annotations }),
      delegates: pool.slice(0, 3),
      netns: host.addNetns(suffix),
      podName,
      expectIfnames: ifnames(3),
    });
  return [
    kube3('kube-get-3', '3 via dist/multus, Kubernetes (pod GET)', 'kg', 'pod-kube-get'),
    kube3('kube-rc-3', '3 via dist/multus, Kubernetes (runtimeConfig annotations)', 'kr', 'pod-kube-rc', {
      [NETWORKS_ANNOTATION]: kube.annotation,
    }),
  ];
}

/**
 * The seed pod's shape with stand-in delegates (a shell script that answers at once): what each
 * path costs besides the delegates' own work. Not checked (the stand-in makes no interface).
 */
function standinPods({ multus, shim, dirs, daemon, host }) {
  const delegates = standinDelegates();
  const cniPath = standinDir(host);
  const common = { group: 'noop', delegates, cniPath, expectIfnames: undefined };
  return [
    {
      ...directPod({ ...common, id: 'noop-direct', label: '3 stand-ins called directly', netns: host.addNetns('n0') }),
      expectIfnames: undefined,
    },
    pluginPod({
      ...common,
      id: 'noop-thin',
      label: '3 stand-ins via dist/multus',
      bin: multus,
      conf: fileConfig(delegates, { cniDir: dirs.cache, parallel: false }),
      netns: host.addNetns('n1'),
      podName: 'pod-n1',
    }),
    pluginPod({
      ...common,
      id: 'noop-thick',
      label: `3 stand-ins via ${THICK}`,
      bin: shim,
      conf: shimConfig(delegates, { cniDir: dirs.cache, parallel: false, socketDir: daemon.socketDir }),
      netns: host.addNetns('n2'),
      podName: 'pod-n2',
    }),
  ];
}

export function podVariants(ctx) {
  const pods = [
    ...thinPods(ctx, 1),
    ...thinPods(ctx, 3),
    ...thinPods(ctx, 8),
    ...thickPods(ctx),
    ...goPods(ctx),
    ...standinPods(ctx),
  ];
  if (ctx.reference !== undefined)
    pods.push(
      pluginPod({
        id: 'reference-3',
        label: '3 via $MULTUS_REFERENCE_BIN',
        group: 'pod3',
        bin: ctx.reference,
        conf: fileConfig(ctx.pool.slice(0, 3), { cniDir: ctx.dirs.refcache, parallel: false }),
        delegates: ctx.pool.slice(0, 3),
        netns: ctx.host.addNetns('r3'),
        podName: 'pod-r3',
        expectIfnames: undefined,
      }),
    );
  return [...pods, ...kubePods(ctx)];
}

/** Phase 4's entries: VERSION and one ADD of each path (a shim's figure is the shim alone). */
export function rssEntries(ctx, pods, versions) {
  const exec = withTime(ctx.host.dir('time.out'));
  const byId = Object.fromEntries([...pods, ...versions].map((p) => [p.id, p]));
  const bridgeOnly = directPod({
    id: 'rss-bridge',
    label: 'bridge',
    group: 'rss',
    delegates: ctx.pool.slice(0, 1),
    netns: byId['direct-1'].netns,
  });
  const has = (id) => byId[id] !== undefined;
  return [
    { id: 'version-multus', label: 'dist/multus VERSION', run: () => byId['version-multus'].run(exec) },
    { id: 'version-shim', label: 'dist/multus-shim VERSION', run: () => byId['version-shim'].run(exec) },
    ...['multus-seq-1', 'multus-seq-3', 'multus-seq-8', 'multus-par-8', 'kube-get-3', 'kube-rc-3', 'reference-3']
      .filter(has)
      .map((id) => addEntry(byId[id], `${byId[id].label}: ADD`, exec)),
    addEntry(byId['thick-seq-3'], '3 via dist/multus-shim: ADD (the shim alone; the daemon runs the delegates)', exec),
    ...(has('go-thin-3') ? [addEntry(byId['go-thin-3'], `3 via ${GO_THIN}: ADD`, exec)] : []),
    ...(has('go-thick-3') ? [addEntry(byId['go-thick-3'], '3 via Go multus-shim: ADD (the shim alone)', exec)] : []),
    addEntry(bridgeOnly, '/usr/lib/cni/bridge ADD (Go, for scale)', exec, 'bridge-add'),
  ];
}
