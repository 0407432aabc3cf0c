#!/usr/bin/env node
// A focused run of the 8-delegate pod alone (node scripts/bench/parallel-pod.mjs, as root, after
// `node scripts/build.mjs`): the delegates called one by one and all at once (the machine's
// floor), and the pod through shim + daemon, sequential and with parallelDelegates, for each
// build given. It prints medians (ADD, DEL, ADD+DEL), parallel / sequential beside the floor, and
// the daemon's CPU per pod (utime + stime of /proc/PID/stat around each ADD+DEL). Asserts nothing;
// `npm run bench` stays the report. Use it to compare builds side by side in one run:
//
//   node scripts/build.mjs --out /tmp/try/multus
//   MULTUS_BENCH_DIRS=dist,/tmp/try node scripts/bench/parallel-pod.mjs
//
// Env: BENCH_RUNS (rounds, default 15), MULTUS_BENCH_DIRS (comma-separated dirs holding multus and
// multus-shim; default dist). Everything made is removed at the end, on failure and on Ctrl-C.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { shimConfig, startDaemon } from './daemon.mjs';
import { BRIDGE, Host, MASTER } from './host.mjs';
import { delegatePool, ifnames } from './pods.mjs';
import { Interrupted, tick } from './proc.mjs';
import { stats } from './stats.mjs';
import { directParallelPod, directPod, pluginPod, verify } from './variants.mjs';

const root = new URL('../..', import.meta.url).pathname;
const runs = Number(process.env.BENCH_RUNS || 15);
const builds = (process.env.MULTUS_BENCH_DIRS || 'dist').split(',').map((d) => resolve(root, d));
const log = (s) => process.stderr.write(`${s}\n`);

/** The CPU time (ms) a process has used so far: utime + stime, in clock ticks of 10 ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The variants: direct one by one, direct all at once, and per build thick sequential and parallel. */
async function variants(host, pool, cacheDir) {
  const list = [
    directPod({ id: 'direct', label: 'called directly', delegates: pool, netns: host.addNetns('d8') }),
    directParallelPod({
      id: 'direct-par',
      label: 'called directly, all at once',
      delegates: pool,
      netns: host.addNetns('dp8'),
      dir: host.dir('direct-par'),
    }),
  ];
  for (const [b, dir] of builds.entries()) {
    const daemon = await startDaemon(host, join(dir, 'multus'), `daemon${b}`);
    for (const parallel of [false, true]) {
      const id = `${parallel ? 'par' : 'seq'}-${b}`;
      const pod = pluginPod({
        id,
        label: `${dir}: shim → daemon${parallel ? ', parallelDelegates' : ''}`,
        delegates: pool,
        bin: join(dir, 'multus-shim'),
        conf: shimConfig(pool, { cniDir: cacheDir, parallel, socketDir: daemon.socketDir }),
        netns: host.addNetns(id),
        podName: `pod-${id}`,
        expectIfnames: ifnames(pool.length),
      });
      list.push({ ...pod, daemonPid: daemon.pid });
    }
  }
  return list;
}

async function measure(list) {
  const samples = Object.fromEntries(list.map((v) => [v.id, { add: [], del: [], total: [], cpu: [] }]));
  for (const v of list) verify(v); // the warm-up checks the pod's interfaces after ADD and after DEL
  for (let r = 0; r < runs; r += 1) {
    for (let k = 0; k < list.length; k += 1) {
      const v = list[(k + r) % list.length];
      const s = samples[v.id];
      const cpu = v.daemonPid === undefined ? undefined : cpuMs(v.daemonPid);
      const add = v.add();
      const del = v.del();
      if (cpu !== undefined) s.cpu.push(cpuMs(v.daemonPid) - cpu);
      s.add.push(add);
      s.del.push(del);
      s.total.push(add + del);
      await tick();
    }
    log(`parallel-pod: round ${r + 1}/${runs}`);
  }
  return samples;
}

function report(list, samples) {
  const med = (id, what) => stats(samples[id][what]).median;
  const lines = ['| variant | ADD | DEL | ADD+DEL | daemon CPU per pod |', '|---|---:|---:|---:|---:|'];
  for (const v of list) {
    const cpu = samples[v.id].cpu.length > 0 ? med(v.id, 'cpu').toFixed(0) : '–';
    lines.push(`| ${v.label} | ${['add', 'del', 'total'].map((w) => med(v.id, w).toFixed(1)).join(' | ')} | ${cpu} |`);
  }
  lines.push(
    '',
    `floor (all at once / one by one): ${(med('direct-par', 'total') / med('direct', 'total')).toFixed(3)}`,
  );
  for (const [b, dir] of builds.entries())
    lines.push(`${dir}: parallel / sequential ${(med(`par-${b}`, 'total') / med(`seq-${b}`, 'total')).toFixed(3)}`);
  return lines.join('\n');
}

async function main() {
  for (const dir of builds)
    for (const bin of ['multus', 'multus-shim'])
      if (!existsSync(join(dir, bin))) throw new Error(`${join(dir, bin)} is missing: run node scripts/build.mjs`);
  const host = new Host();
  host.installSignalHandlers();
  host.removeStale();
  try {
    const cacheDir = host.dir('cache');
    const ipamDir = host.dir('ipam');
    for (const d of [cacheDir, ipamDir]) mkdirSync(d);
    host.addVethPair(MASTER(0), MASTER(1));
    for (const n of [0, 1, 2]) host.track(BRIDGE(n));
    const list = await variants(host, delegatePool(ipamDir), cacheDir);
    process.stdout.write(`${report(list, await measure(list))}\n`);
  } finally {
    host.cleanup();
  }
}

if (process.getuid?.() !== 0) {
  log('parallel-pod: needs root (it makes network namespaces)');
  process.exit(1);
}
try {
  await main();
} catch (err) {
  log(`parallel-pod: ${err instanceof Interrupted ? `interrupted (${err.message}); cleaned up` : (err.stack ?? err)}`);
  process.exit(err instanceof Interrupted ? 130 : 1);
}
