// The variants of phases 1–3: a VERSION call, a pod through one plugin binary (a multus, a
// shim), or the same delegates called directly. Each pod variant has its own netns and
// container ID; add() and del() take timed() or a wrapper that measures peak RSS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, CNI_BIN, directConfs, ifnames } from './pods.mjs';
import { sh, timed } from './proc.mjs';

/** The interfaces in a namespace, sorted. */
export const linksIn = (netns) =>
  JSON.parse(sh('ip', ['-n', netns, '-j', 'link', 'show']).stdout)
    .map((l) => l.ifname)
    .sort();
export const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A pod run through one plugin binary with one config: ADD on eth0, then DEL. `envOf` makes the
 * CNI_* (Go's thick daemon needs its one pod's name).
 */
export function pluginPod({
  id,
  label,
  group,
  bin,
  conf,
  delegates,
  netns,
  podName,
  expectIfnames,
  envOf = baseEnv,
  cniPath = CNI_BIN,
}) {
  const env = { ...envOf({ containerId: `bench-${id}`, netns: netns.path, pod: podName }), CNI_PATH: cniPath };
  return {
    id,
    label,
    group,
    delegates,
    netns,
    expectIfnames,
    add: (exec = timed) => exec(bin, { ...env, CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' }, conf),
    del: (exec = timed) => exec(bin, { ...env, CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth0' }, conf),
  };
}

/** The env of a pod whose delegates the bench calls itself. */
const directEnv = (id, netns, cniPath) => ({
  ...baseEnv({ containerId: `bench-${id}`, netns: netns.path, pod: `pod-${id}` }),
  CNI_PATH: cniPath,
});

/** The same delegates called one by one, in order on ADD, in reverse on DEL. */
export function directPod({ id, label, group, delegates, netns, cniPath = CNI_BIN }) {
  const env = directEnv(id, netns, cniPath);
  const confs = directConfs(delegates);
  const names = ifnames(delegates.length);
  const call = (exec, i, command) =>
    exec(join(cniPath, delegates[i].type), { ...env, CNI_COMMAND: command, CNI_IFNAME: names[i] }, confs[i]);
  return {
    ...{ id, label, group, delegates, netns, expectIfnames: names },
    add: (exec = timed) => delegates.reduce((t, _, i) => t + call(exec, i, 'ADD'), 0),
    del: (exec = timed) => delegates.reduceRight((t, _, i) => t + call(exec, i, 'DEL'), 0),
  };
}

/**
 * The same delegates called directly all at once (ADD, then DEL, each a shell job per delegate):
 * the floor of any parallel meta-plugin on this machine. `dir` holds the configs and the script.
 */
export function directParallelPod({ id, label, group, delegates, netns, dir, cniPath = CNI_BIN }) {
  const names = ifnames(delegates.length);
  mkdirSync(dir, { recursive: true });
  const jobs = directConfs(delegates).map((conf, i) => {
    const file = join(dir, `${id}-${i}.json`);
    writeFileSync(file, conf);
    return `CNI_IFNAME=${names[i]} ${join(cniPath, delegates[i].type)} < ${file} > /dev/null & pids="$pids $!"`;
  });
  const script = join(dir, `${id}.sh`);
  const wait = ['rc=0', 'for p in $pids; do wait "$p" || rc=1; done', 'exit $rc', ''];
  writeFileSync(script, ['pids=""', ...jobs, ...wait].join('\n'));
  const env = directEnv(id, netns, cniPath);
  const run = (exec, command) => exec('/bin/sh', { ...env, CNI_COMMAND: command }, '', [script]);
  return {
    ...{ id, label, group, delegates, netns, expectIfnames: names },
    add: (exec = timed) => run(exec, 'ADD'),
    del: (exec = timed) => run(exec, 'DEL'),
  };
}

export function versionOf(id, label, bin) {
  return {
    id,
    label,
    group: 'startup',
    version: true,
    run: (exec = timed) => exec(bin, { CNI_COMMAND: 'VERSION' }, ''),
  };
}

/** One ADD then DEL, checking the pod's interfaces after each: the warm-up proves the work is real. */
export function verify(v) {
  v.add();
  const got = linksIn(v.netns.name);
  const want = [...v.expectIfnames, 'lo'].sort();
  if (!sameList(got, want))
    throw new Error(`${v.label}: after ADD the pod has ${got.join(',')}, expected ${want.join(',')}`);
  v.del();
  const after = linksIn(v.netns.name);
  if (!sameList(after, ['lo'])) throw new Error(`${v.label}: after DEL the pod still has ${after.join(',')}`);
}
