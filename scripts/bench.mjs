#!/usr/bin/env node
// npm run bench (scripts/bench.sh builds first): measures dist/multus (thin), dist/multus-shim
// with a `dist/multus daemon` the bench starts (thick), and, when its reference binaries are
// there, Go Multus v4.1.4 thin and thick, against the delegates themselves on real network
// namespaces. Needs root. Asserts nothing: it reports medians against the targets of issues 7
// and 12 in docs/performance.md, raw figures in dist/bench.json.
//
//   1. start-up: VERSION of dist/multus, dist/multus-shim, /usr/lib/cni/bridge (the Go floor),
//      Go's thin plugin and shim, and $MULTUS_REFERENCE_BIN when set;
//   2. ADD+DEL of pods with 1, 3 and 8 delegates (bridge, ptp, macvlan) through dist/multus,
//      sequential and with parallelDelegates, beside the same delegates called directly; the
//      3-delegate pod also through shim + daemon, Go thin and Go thick; the 8-delegate pod
//      through shim + daemon, sequential and parallel;
//   3. the 3-delegate pod through the Kubernetes source (thin), pod GET or runtimeConfig;
//   4. peak RSS of one ADD (/usr/bin/time %M): thin, our shim, Go thin, Go's shim;
//   5. node churn: pods/s of the 3-delegate pod, BENCH_TPUT_PODS at concurrency 8, every path;
//   6. the daemons' memory: ours idle and after the runs, ours over BENCH_MEM_PODS pods (stand-in
//      delegates), Go's after the runs;
//   7. ours in Kubernetes mode with 5000 pods of its node and 5000 NADs in its informer caches,
//      served by a second bench API server (scripts/bench/kube-memory.mjs).
// Phases 1–3 interleave every variant in each round (the order rotating per round), so drift
// hits all alike; phase 5 rotates the paths per round. Everything made is removed at the end, on
// failure and on Ctrl-C (the daemons too).
//
// `node scripts/bench.mjs --report` rewrites docs/performance.md from dist/bench.json alone.
// BENCH_ONLY=kube-memory: phase 7 alone; its figures are printed, and added (marked as measured on
// their own) to the bench.json beside the binaries when there is one, the report rewritten from it.
// Env: BENCH_ONLY (kube-memory: that phase alone), BENCH_RUNS (rounds, default 30),
//      BENCH_WARMUP (2), BENCH_RSS_RUNS (10), BENCH_TPUT_PODS (48), BENCH_TPUT_CONCURRENCY (8),
//      BENCH_TPUT_ROUNDS (3), BENCH_MEM_PODS (2000),
//      MULTUS_BENCH_DIR (where multus and multus-shim are; default dist/),
//      MULTUS_GO_REFERENCE_DIR (Go's xz files; default ../shared/reference/go-multus-v4.1.4),
//      MULTUS_REFERENCE_BIN (optional other multus binary, VERSION and the 3-delegate pod).
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { churn, churnKinds } from './bench/churn.mjs';
import { memoryOf, startDaemon } from './bench/daemon.mjs';
import { startGoThick, unpackGo } from './bench/go.mjs';
import { BRIDGE, Host, MASTER } from './bench/host.mjs';
import { requestsSince, startKubeServer } from './bench/kube-client.mjs';
import { kubeMemoryRun } from './bench/kube-memory.mjs';
import { memoryRun } from './bench/memory.mjs';
import { gitState, leasesLeft, loadavg, machine, sha256 } from './bench/meta.mjs';
import { delegatePool, NAMESPACE, NETWORKS_ANNOTATION } from './bench/pods.mjs';
import { Interrupted, tick } from './bench/proc.mjs';
import { writeReport } from './bench/report.mjs';
import { kubeMemoryLines } from './bench/report-thick.mjs';
import { peakRss } from './bench/rss.mjs';
import { stats } from './bench/stats.mjs';
import { linksIn, sameList, verify } from './bench/variants.mjs';
import { podVariants, rssEntries, versionVariants } from './bench/variant-set.mjs';

const int = (name, dflt, min = 1) => {
  const v = process.env[name] === undefined || process.env[name] === '' ? dflt : Number(process.env[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${process.env[name]}`);
  return v;
};
const settings = {
  runs: int('BENCH_RUNS', 30),
  warmup: int('BENCH_WARMUP', 2),
  rssRuns: int('BENCH_RSS_RUNS', 10),
  throughput: {
    pods: int('BENCH_TPUT_PODS', 48),
    concurrency: int('BENCH_TPUT_CONCURRENCY', 8),
    rounds: int('BENCH_TPUT_ROUNDS', 3),
  },
  memoryPods: int('BENCH_MEM_PODS', 2000),
};
const REFERENCE = process.env.MULTUS_REFERENCE_BIN || undefined;
const ONLY = process.env.BENCH_ONLY || undefined;
const ENV_KEYS = ['MULTUS_REFERENCE_BIN', 'MULTUS_BENCH_DIR', 'MULTUS_GO_REFERENCE_DIR'];

const root = new URL('..', import.meta.url).pathname;
const binDir = process.env.MULTUS_BENCH_DIR || join(root, 'dist');
// The raw samples go beside the binaries measured (dist/bench.json for a normal run).
const jsonPath = join(binDir, 'bench.json');
const log = (s) => process.stderr.write(`${s}\n`);

/** Rewrites docs/performance.md and bench.json from `result` (a bench.json read back). */
function rewriteReport(result) {
  delete result.derived;
  writeReport(result, join(root, 'docs', 'performance.md'));
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  log(`bench: rewrote docs/performance.md from ${jsonPath}`);
}

// `node scripts/bench.mjs --report`: rewrites docs/performance.md from dist/bench.json, measuring
// nothing (after a change to the report's wording, or to keep hand-written notes current).
if (process.argv[2] === '--report') {
  rewriteReport(JSON.parse(readFileSync(jsonPath, 'utf8')));
  process.exit(0);
}
if (ONLY !== undefined && ONLY !== 'kube-memory') {
  log(`bench: BENCH_ONLY=${ONLY}: the only phase that runs alone is kube-memory`);
  process.exit(1);
}

if (process.getuid?.() !== 0) {
  log('bench: needs root (it makes network namespaces)');
  process.exit(1);
}
for (const b of ['multus', 'multus-shim'])
  if (!existsSync(join(binDir, b))) {
    log(`bench: ${join(binDir, b)} is missing: run \`node scripts/build.mjs\` (npm run bench does)`);
    process.exit(1);
  }
if (REFERENCE !== undefined && !existsSync(REFERENCE)) {
  log(`bench: MULTUS_REFERENCE_BIN=${REFERENCE} does not exist`);
  process.exit(1);
}

const host = new Host();
host.installSignalHandlers();

/**
 * Snapshots of multus and multus-shim, side by side (the shim finds the thin binary beside it): a
 * rebuild by someone else during the run cannot swap binaries mid-way.
 */
function snapshotBinaries() {
  const dir = host.dir('bin');
  mkdirSync(dir);
  const shown = relative(root, binDir).startsWith('..') ? binDir : relative(root, binDir) || '.';
  const info = { dir: shown, git: gitState(root) };
  for (const b of ['multus', 'multus-shim']) {
    copyFileSync(join(binDir, b), join(dir, b));
    chmodSync(join(dir, b), 0o755);
    info[b] = {
      path: join(shown, b),
      sha256: sha256(join(dir, b)),
      bytes: statSync(join(dir, b)).size,
      builtAt: statSync(join(binDir, b)).mtime.toISOString(),
    };
  }
  return { multus: join(dir, 'multus'), shim: join(dir, 'multus-shim'), info };
}

function removeStale() {
  const stale = host.removeStale();
  if (stale.length > 0) log(`bench: removed leftovers of an earlier run: ${stale.join(', ')}`);
}

/** Go's binaries and thick daemon, or notes saying why their rows are missing. */
function goReference() {
  const go = unpackGo(root, host.dir('go'));
  if (go.skipped) {
    log(`bench: Go Multus rows skipped: ${go.skipped}`);
    return { go, goThick: { skipped: 'the Go reference is missing' } };
  }
  log('bench: starting Go Multus thick (go-thick.sh)');
  const goThick = startGoThick(go, host);
  if (goThick.skipped) log(`bench: Go Multus thick rows skipped: ${goThick.skipped}`);
  return { go, goThick };
}

/** Warm-up; the first pass checks every pod's interfaces after ADD and after DEL. */
async function warmUp(versions, pods, kube) {
  log(`bench: warm-up (${settings.warmup}) and checks, ${versions.length + pods.length} variants`);
  const apiRequests = {};
  for (let w = 0; w < settings.warmup; w += 1) {
    for (const v of versions) v.run();
    for (const p of pods) {
      if (w > 0 || p.expectIfnames === undefined) {
        p.add();
        p.del();
        continue;
      }
      const from = readFileSync(kube.log, 'utf8').length;
      verify(p);
      if (p.group === 'kube')
        apiRequests[p.id] = requestsSince(kube.log, from).map((l) => l.replace(/^(\S+) (\S+) (\d+)$/, '$1 $2 → $3'));
      await tick();
    }
  }
  return apiRequests;
}

/** Phases 1–3: every variant once per round, the order rotating. */
async function rounds(all) {
  const samples = Object.fromEntries(
    all.map((v) => [v.id, v.version ? { total: [] } : { total: [], add: [], del: [] }]),
  );
  log(`bench: ${settings.runs} rounds of ${all.length} variants`);
  const load1 = [];
  for (let r = 0; r < settings.runs; r += 1) {
    for (let k = 0; k < all.length; k += 1) {
      const v = all[(k + r) % all.length];
      const s = samples[v.id];
      if (v.version) {
        s.total.push(v.run());
      } else {
        const add = v.add();
        const del = v.del();
        s.add.push(add);
        s.del.push(del);
        s.total.push(add + del);
      }
      await tick();
    }
    load1.push(Number(loadavg().split(' ')[0]));
    if ((r + 1) % 5 === 0 || r + 1 === settings.runs) log(`bench: round ${r + 1}/${settings.runs} (load ${loadavg()})`);
  }
  return { samples, load1 };
}

/** The API server: three NADs (the 3-delegate pod's networks) and one pod per Kubernetes variant. */
function startKube(pool) {
  const annotation = pool
    .slice(0, 3)
    .map((d) => d.name)
    .join(',');
  return startKubeServer(host, root, {
    nads: pool.slice(0, 3).map((d) => ({ namespace: NAMESPACE, name: d.name, config: { cniVersion: '1.0.0', ...d } })),
    pods: ['pod-kube-get', 'pod-kube-rc'].map((name) => ({
      namespace: NAMESPACE,
      name,
      uid: randomUUID(),
      annotations: { [NETWORKS_ANNOTATION]: annotation },
    })),
  }).then((kube) => ({ ...kube, annotation }));
}

/** Phase 5, then checks that every churn pod was cleaned up. */
async function churnPhase(ctx, ipamDir) {
  const t = settings.throughput;
  const kinds = churnKinds(ctx);
  log(
    `bench: churn, ${t.pods} ADD+DEL pairs at concurrency ${t.concurrency}, ${t.rounds} round(s), ${kinds.length} paths`,
  );
  const netnses = Array.from({ length: t.pods }, (_, i) => host.addNetns(`t${i}`));
  const out = await churn(kinds, { ...t, netnses, log });
  const dirty = netnses.filter((n) => !sameList(linksIn(n.name), ['lo'])).map((n) => n.name);
  const leases = leasesLeft(ipamDir);
  if (dirty.length > 0 || leases > 0)
    throw new Error(`churn pods not cleaned up: netns ${dirty.join(',')}; ${leases} leases left`);
  return out;
}

/** The host side: IPAM and cache dirs, macvlan masters, the bridges the delegates make. */
function hostSetup() {
  const dirs = Object.fromEntries(['ipam', 'cache', 'gocache', 'refcache'].map((d) => [d, host.dir(d)]));
  for (const d of Object.values(dirs)) mkdirSync(d);
  host.addVethPair(MASTER(0), MASTER(1));
  for (const n of [0, 1, 2]) host.track(BRIDGE(n));
  return dirs;
}

/** Phase 6 and the daemons' memory after the runs. */
async function daemonMemory({ multus, daemon, goThick, idle }) {
  const daemons = { oursIdle: idle, oursAfterRuns: memoryOf(daemon.pid) };
  if (goThick.pid && existsSync(`/proc/${goThick.pid}`)) daemons.goAfterRuns = memoryOf(goThick.pid);
  log(`bench: daemon memory over ${settings.memoryPods} pods (stand-in delegates)`);
  daemons.run = await memoryRun(host, multus, {
    pods: settings.memoryPods,
    early: Math.min(200, settings.memoryPods),
    concurrency: 8,
    netns: host.addNetns('mem'),
    log,
  });
  return daemons;
}

/** What dist/bench.json keeps of a run (the report is made from it alone). */
function resultOf(m) {
  const { started, loadBefore, load1, bins, go, goThick, pool, all, samples } = m;
  return {
    date: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: machine(),
    loadavg: { before: loadBefore, after: loadavg(), load1DuringRounds: stats(load1) },
    binary: bins.info,
    reference: REFERENCE,
    go: go.skipped
      ? { from: go.from, skipped: go.skipped }
      : { from: go.from, sha256: go.sha256, thick: goThick.skipped ? { skipped: goThick.skipped } : { ok: true } },
    settings,
    commands: {
      npm: 'npm run bench',
      script: 'bash scripts/bench.sh',
      node: 'node scripts/bench.mjs',
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_') || ENV_KEYS.includes(k)),
      ),
    },
    delegates: pool.map((d) => ({
      name: d.name,
      type: d.type,
      ...(d.bridge ? { bridge: d.bridge } : {}),
      ...(d.master ? { master: d.master } : {}),
      subnet: d.ipam.subnet,
    })),
    variants: Object.fromEntries(
      all.map((v) => [
        v.id,
        {
          label: v.label,
          group: v.group,
          delegates: v.delegates?.map((d) => d.name),
          total: stats(samples[v.id].total),
          ...(v.version ? {} : { add: stats(samples[v.id].add), del: stats(samples[v.id].del) }),
          samples: samples[v.id],
        },
      ]),
    ),
    apiRequestsPerPod: m.apiRequests,
    rss: m.rss,
    throughput: m.throughput,
    daemons: m.daemons,
  };
}

async function main() {
  const started = new Date();
  const loadBefore = loadavg();
  removeStale();
  const bins = snapshotBinaries();
  const dirs = hostSetup();
  const pool = delegatePool(dirs.ipam);
  const kube = await startKube(pool);
  const daemon = await startDaemon(host, bins.multus, 'daemon');
  await new Promise((r) => setTimeout(r, 1000));
  const idle = memoryOf(daemon.pid);
  const { go, goThick } = goReference();
  const ctx = { ...bins, pool, dirs, kube, daemon, go, goThick, reference: REFERENCE, host };

  const versions = versionVariants(ctx);
  const pods = podVariants(ctx);
  const apiRequests = await warmUp(versions, pods, kube);
  const all = [...versions, ...pods];
  const { samples, load1 } = await rounds(all);

  log(`bench: peak RSS, ${settings.rssRuns} rounds`);
  const rss = await peakRss(rssEntries(ctx, pods, versions), settings.rssRuns);
  const delegates = pool.slice(0, 3);
  const throughput = await churnPhase(
    {
      delegates,
      multus: bins.multus,
      shim: bins.shim,
      cniDir: dirs.cache,
      goCniDir: dirs.gocache,
      daemon,
      go,
      goThick,
    },
    dirs.ipam,
  );
  const daemons = await daemonMemory({ multus: bins.multus, daemon, goThick, idle });
  daemons.kube = await kubeMemoryRun(host, root, bins.multus, log);

  const result = resultOf({
    started,
    loadBefore,
    load1,
    bins,
    go,
    goThick,
    pool,
    all,
    samples,
    apiRequests,
    rss,
    throughput,
    daemons,
  });
  host.cleanup();
  result.leftovers = host.leftovers();
  const table = writeReport(result, join(root, 'docs', 'performance.md')); // adds result.derived
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${table}\n`);
  log(`bench: wrote docs/performance.md and ${jsonPath}`);
}

/** BENCH_ONLY=kube-memory: phase 7 alone, its figures printed and added to bench.json when there is one. */
async function kubeMemoryOnly() {
  removeStale();
  const bins = snapshotBinaries();
  const kube = await kubeMemoryRun(host, root, bins.multus, log);
  kube.separateRun = { date: new Date().toISOString(), binary: bins.info };
  host.cleanup();
  if (host.leftovers().length > 0) log(`bench: left after cleanup: ${host.leftovers().join(', ')}`);
  const { rows, note } = kubeMemoryLines(kube);
  process.stdout.write(`${[...rows, ...note].join('\n')}\n`);
  if (!existsSync(jsonPath)) return log(`bench: no ${jsonPath} to add these figures to; printed only`);
  const result = JSON.parse(readFileSync(jsonPath, 'utf8'));
  rewriteReport({ ...result, daemons: { ...result.daemons, kube } });
}

try {
  await (ONLY === 'kube-memory' ? kubeMemoryOnly() : main());
} catch (err) {
  host.cleanup();
  if (err instanceof Interrupted) {
    log(`bench: interrupted (${err.message}); cleaned up`);
    process.exit(130);
  }
  log(`bench: failed: ${err.stack ?? err}`);
  process.exit(1);
}
