// Node churn: `pods` ADD+DEL pairs of the 3-delegate pod, `concurrency` at a time, each pod in
// its own netns, all sharing the bridges and the host-local ranges, like a node under load. One
// "kind" per path: the delegates called directly, thin multus (sequential and parallel), our
// shim + daemon, Go thin and Go thick (when the reference is there).
import { join } from 'node:path';
import { shimConfig } from './daemon.mjs';
import { goShimConfig, goThickEnv, goThinConfig } from './go.mjs';
import { baseEnv, CNI_BIN, directConfs, fileConfig, ifnames } from './pods.mjs';
import { timedAsync } from './proc.mjs';
import { stats } from './stats.mjs';

/** A plugin's ADD on eth0 then its DEL, for one pod. */
const pluginPod = (bin, conf, envOf) => async (pod) => {
  const env = envOf(pod);
  await timedAsync(bin, { ...env, CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' }, conf);
  await timedAsync(bin, { ...env, CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth0' }, conf);
};

/** The delegates one after another, DEL in reverse: what the runtime pays without a meta-plugin. */
const directPod = (delegates) => {
  const confs = directConfs(delegates);
  const names = ifnames(delegates.length);
  const call = (env, d, command) =>
    timedAsync(join(CNI_BIN, delegates[d].type), { ...env, CNI_COMMAND: command, CNI_IFNAME: names[d] }, confs[d]);
  return async (pod) => {
    const env = baseEnv(pod);
    for (let d = 0; d < delegates.length; d += 1) await call(env, d, 'ADD');
    for (let d = delegates.length - 1; d >= 0; d -= 1) await call(env, d, 'DEL');
  };
};

/**
 * The kinds measured: {id, label, pod(pod) → Promise}. `ctx`: the 3 delegates, our binaries,
 * cache dirs, our daemon's socket dir, and Go's binaries and socket dir when present.
 */
export function churnKinds(ctx) {
  const { delegates, multus, shim, cniDir, daemon, go, goThick } = ctx;
  const kinds = [
    { id: 'direct', label: '3 called directly', pod: directPod(delegates) },
    {
      id: 'multus-seq',
      label: '3 via dist/multus (thin)',
      pod: pluginPod(multus, fileConfig(delegates, { cniDir, parallel: false }), baseEnv),
    },
    {
      id: 'multus-parallel',
      label: '3 via dist/multus (thin), parallelDelegates',
      pod: pluginPod(multus, fileConfig(delegates, { cniDir, parallel: true }), baseEnv),
    },
    {
      id: 'thick',
      label: '3 via dist/multus-shim → dist/multus daemon',
      pod: pluginPod(shim, shimConfig(delegates, { cniDir, parallel: false, socketDir: daemon.socketDir }), baseEnv),
    },
  ];
  if (go?.thin)
    kinds.push({
      id: 'go-thin',
      label: '3 via Go Multus thin',
      pod: pluginPod(go.thin, goThinConfig(delegates, { cniDir: ctx.goCniDir }), baseEnv),
    });
  if (goThick?.socketDir)
    kinds.push({
      id: 'go-thick',
      label: '3 via Go Multus thick (shim → daemon)',
      pod: pluginPod(
        go.shim,
        goShimConfig(delegates, { socketDir: goThick.socketDir, cniDir: ctx.goCniDir }),
        goThickEnv,
      ),
    });
  return kinds;
}

/** One round of one kind: `pods` pods, `concurrency` at a time. */
export async function churnRound(kind, { pods, concurrency, tag, netnses }) {
  const latencies = [];
  let next = 0;
  const onePod = async (i) => {
    const t0 = process.hrtime.bigint();
    await kind.pod({ containerId: `tp-${tag}-${i}`, netns: netnses[i].path, pod: `tp-${tag}-${i}` });
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  };
  const worker = async () => {
    while (next < pods) await onePod(next++);
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, pods) }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, podsPerSecond: pods / seconds, latency: stats(latencies), latencies };
}

/** Every kind once per round, the order rotating per round; returns {kind id: {label, rounds}}. */
export async function churn(kinds, { pods, concurrency, rounds, netnses, log }) {
  const out = Object.fromEntries(kinds.map((k) => [k.id, { label: k.label, rounds: [] }]));
  for (let r = 0; r < rounds; r += 1) {
    for (let k = 0; k < kinds.length; k += 1) {
      const kind = kinds[(k + r) % kinds.length];
      const res = await churnRound(kind, { pods, concurrency, tag: `${kind.id}-${r}`, netnses });
      out[kind.id].rounds.push(res);
      log(`bench: churn ${kind.id} round ${r + 1}: ${res.podsPerSecond.toFixed(1)} pods/s`);
    }
  }
  return Object.fromEntries(
    Object.entries(out).map(([id, { label, rounds: rs }]) => [
      id,
      {
        label,
        podsPerSecond: stats(rs.map((t) => t.podsPerSecond)),
        latency: stats(rs.flatMap((t) => t.latencies)),
        rounds: rs.map(({ seconds, podsPerSecond, latency }) => ({ seconds, podsPerSecond, latency })),
      },
    ]),
  );
}
