#!/usr/bin/env node
// npm run bench (scripts/bench.sh builds first): measures dist/multus against the delegates
// themselves on real network namespaces. Needs root. Asserts nothing: it reports medians
// against the targets of issue 7 in docs/performance.md, raw figures in dist/bench.json.
//
//   1. start-up: VERSION of dist/multus, /usr/lib/cni/bridge (the Go floor) and, when set,
//      $MULTUS_REFERENCE_BIN;
//   2. ADD+DEL of pods with 1, 3 and 8 delegates (bridge, ptp, macvlan) through dist/multus,
//      sequential and with parallelDelegates, beside the same delegates called directly;
//   3. the 3-delegate pod through the Kubernetes source (NADs from a test API server), its
//      annotations read from the API (pod GET) or passed in runtimeConfig (no pod GET);
//   4. peak RSS during ADD (/usr/bin/time %M);
//   5. throughput: pods per second, 100 ADD+DEL pairs at concurrency 8.
// Phases 1–3 interleave every variant in each round (the order rotating per round), so drift
// hits all alike. Everything made is removed at the end, on failure and on Ctrl-C.
//
// `node scripts/bench.mjs --report` rewrites docs/performance.md from dist/bench.json alone.
// Env: BENCH_RUNS (rounds, default 30), BENCH_WARMUP (2), BENCH_RSS_RUNS (10),
//      BENCH_TPUT_PODS (100), BENCH_TPUT_CONCURRENCY (8), BENCH_TPUT_ROUNDS (3),
//      MULTUS_REFERENCE_BIN (optional other multus binary, VERSION and the 3-delegate pod).
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BRIDGE, Host, MASTER } from './bench/host.mjs';
import {
  baseEnv,
  CNI_BIN,
  delegatePool,
  directConfs,
  fileConfig,
  ifnames,
  kubeConfig,
  NAMESPACE,
  NETWORKS_ANNOTATION,
} from './bench/pods.mjs';
import { Interrupted, sh, tick, timed, timedAsync } from './bench/proc.mjs';
import { writeReport } from './bench/report.mjs';
import { stats } from './bench/stats.mjs';

const int = (name, dflt, min = 1) => {
  const v = process.env[name] === undefined || process.env[name] === '' ? dflt : Number(process.env[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${process.env[name]}`);
  return v;
};
const RUNS = int('BENCH_RUNS', 30);
const WARMUP = int('BENCH_WARMUP', 2);
const RSS_RUNS = int('BENCH_RSS_RUNS', 10);
const TPUT_PODS = int('BENCH_TPUT_PODS', 100);
const TPUT_CONCURRENCY = int('BENCH_TPUT_CONCURRENCY', 8);
const TPUT_ROUNDS = int('BENCH_TPUT_ROUNDS', 3);
const REFERENCE = process.env.MULTUS_REFERENCE_BIN || undefined;
const TIME = '/usr/bin/time';

const root = new URL('..', import.meta.url).pathname;
const distMultus = join(root, 'dist', 'multus');
const log = (s) => process.stderr.write(`${s}\n`);

// `node scripts/bench.mjs --report`: rewrites docs/performance.md from dist/bench.json, measuring
// nothing (after a change to the report's wording, or to keep hand-written notes current).
if (process.argv[2] === '--report') {
  const jsonPath = join(root, 'dist', 'bench.json');
  const result = JSON.parse(readFileSync(jsonPath, 'utf8'));
  delete result.derived;
  writeReport(result, join(root, 'docs', 'performance.md'));
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  log('bench: rewrote docs/performance.md from dist/bench.json');
  process.exit(0);
}

if (process.getuid?.() !== 0) {
  log('bench: needs root (it makes network namespaces)');
  process.exit(1);
}
if (!existsSync(distMultus)) {
  log('bench: dist/multus is missing: run `node scripts/build.mjs` (npm run bench does)');
  process.exit(1);
}
if (REFERENCE !== undefined && !existsSync(REFERENCE)) {
  log(`bench: MULTUS_REFERENCE_BIN=${REFERENCE} does not exist`);
  process.exit(1);
}

const host = new Host();
host.installSignalHandlers();

/** Names the interfaces in a namespace, sorted. */
const linksIn = (netns) =>
  JSON.parse(sh('ip', ['-n', netns, '-j', 'link', 'show']).stdout)
    .map((l) => l.ifname)
    .sort();
const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Starts scripts/bench/kube-server.mjs as a child and waits for its first line. */
function startKubeServer(objects) {
  const dir = host.dir('kube');
  mkdirSync(dir);
  const objectsFile = join(dir, 'objects.json');
  writeFileSync(objectsFile, JSON.stringify(objects));
  const child = spawn(process.execPath, [join(root, 'scripts', 'bench', 'kube-server.mjs'), dir, objectsFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  host.adopt(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('bench API server did not start in 20 s')), 20000);
    child.on('exit', (code) => reject(new Error(`bench API server exited (${code}) before listening`)));
    child.stdout.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
  });
}

/** API requests logged since `from` (a byte offset of the server's request log). */
function requestsSince(logFile, from) {
  return readFileSync(logFile, 'utf8')
    .slice(from)
    .split('\n')
    .filter((l) => l !== '');
}

/**
 * A pod run through one plugin binary (multus or another multus) with one config: ADD on eth0,
 * then DEL. `exec` is timed() or a wrapper that measures peak RSS.
 */
function multusPod({ id, label, group, bin, conf, delegates, netns, podName, expectIfnames }) {
  const env = baseEnv({ containerId: `bench-${id}`, netns: netns.path, pod: podName });
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

/** The same delegates called one by one, in order on ADD, in reverse on DEL. */
function directPod({ id, label, group, delegates, netns }) {
  const env = baseEnv({ containerId: `bench-${id}`, netns: netns.path, pod: `pod-${id}` });
  const confs = directConfs(delegates);
  const names = ifnames(delegates.length);
  const call = (exec, i, command) =>
    exec(join(CNI_BIN, delegates[i].type), { ...env, CNI_COMMAND: command, CNI_IFNAME: names[i] }, confs[i]);
  return {
    id,
    label,
    group,
    delegates,
    netns,
    expectIfnames: names,
    add: (exec = timed) => delegates.reduce((t, _, i) => t + call(exec, i, 'ADD'), 0),
    del: (exec = timed) => delegates.reduceRight((t, _, i) => t + call(exec, i, 'DEL'), 0),
  };
}

function versionOf(id, label, bin) {
  return {
    id,
    label,
    group: 'startup',
    version: true,
    run: (exec = timed) => exec(bin, { CNI_COMMAND: 'VERSION' }, ''),
  };
}

/** One ADD then DEL, checking the pod's interfaces after each: the warm-up proves the work is real. */
function verify(v) {
  v.add();
  const got = linksIn(v.netns.name);
  const want = [...v.expectIfnames, 'lo'].sort();
  if (!sameList(got, want))
    throw new Error(`${v.label}: after ADD the pod has ${got.join(',')}, expected ${want.join(',')}`);
  v.del();
  const after = linksIn(v.netns.name);
  if (!sameList(after, ['lo'])) throw new Error(`${v.label}: after DEL the pod still has ${after.join(',')}`);
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function gitState() {
  const head = sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { allowFail: true }).stdout?.trim() || 'unknown';
  const changed = (
    sh('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { allowFail: true }).stdout ?? ''
  )
    .split('\n')
    .map((l) => l.slice(3).trim())
    .filter((l) => l !== '');
  if (changed.length === 0) return head;
  return `${head} (modified: ${changed.slice(0, 6).join(', ')}${changed.length > 6 ? `, and ${changed.length - 6} more` : ''})`;
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  return {
    nproc: Number(sh('nproc', []).stdout.trim()),
    cpu: model,
    kernel: sh('uname', ['-sr']).stdout.trim(),
    os: /^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown',
    node: process.version,
    memTotalMiB: Math.round(Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024),
  };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Host-local lease files (named by address) left in the IPAM dir: 0 after a clean run. */
function leasesLeft(ipamDir) {
  if (!existsSync(ipamDir)) return 0;
  let n = 0;
  for (const net of readdirSync(ipamDir)) {
    const d = join(ipamDir, net);
    if (statSync(d).isDirectory()) n += readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).length;
  }
  return n;
}

/** 100 pods (distinct netns, shared bridges and ranges), `concurrency` at a time, each ADD then DEL. */
async function throughputRound(kind, pods, concurrency, tag, { multus, pool, cniDir, tpNetns }) {
  const delegates = pool.slice(0, 3);
  const conf = kind === 'direct' ? undefined : fileConfig(delegates, { cniDir, parallel: kind === 'multus-parallel' });
  const confs = directConfs(delegates);
  const names = ifnames(3);
  const latencies = [];
  let next = 0;
  const onePod = async (i) => {
    const env = baseEnv({ containerId: `tp-${tag}-${i}`, netns: tpNetns[i].path, pod: `tp-${tag}-${i}` });
    const t0 = process.hrtime.bigint();
    if (conf !== undefined) {
      await timedAsync(multus, { ...env, CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' }, conf);
      await timedAsync(multus, { ...env, CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth0' }, conf);
    } else {
      for (let d = 0; d < 3; d += 1)
        await timedAsync(
          join(CNI_BIN, delegates[d].type),
          { ...env, CNI_COMMAND: 'ADD', CNI_IFNAME: names[d] },
          confs[d],
        );
      for (let d = 2; d >= 0; d -= 1)
        await timedAsync(
          join(CNI_BIN, delegates[d].type),
          { ...env, CNI_COMMAND: 'DEL', CNI_IFNAME: names[d] },
          confs[d],
        );
    }
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

async function main() {
  const started = new Date();
  const loadBefore = loadavg();
  const stale = host.removeStale();
  if (stale.length > 0) log(`bench: removed leftovers of an earlier run: ${stale.join(', ')}`);

  // A snapshot of dist/multus: a rebuild by someone else during the run cannot swap binaries mid-way.
  const multus = host.dir('multus');
  copyFileSync(distMultus, multus);
  chmodSync(multus, 0o755);
  const binary = {
    path: 'dist/multus',
    sha256: sha256(multus),
    bytes: statSync(multus).size,
    git: gitState(),
    builtAt: statSync(distMultus).mtime.toISOString(),
  };
  const ipamDir = host.dir('ipam');
  const cniDir = host.dir('cache');
  mkdirSync(ipamDir);
  mkdirSync(cniDir);
  host.addVethPair(MASTER(0), MASTER(1));
  for (const n of [0, 1, 2]) host.track(BRIDGE(n));
  const pool = delegatePool(ipamDir);

  // The API server: three NADs (the 3-delegate pod's networks) and one pod per Kubernetes variant.
  const nadNames = pool.slice(0, 3).map((d) => d.name);
  const annotation = nadNames.join(',');
  const kube = await startKubeServer({
    nads: pool.slice(0, 3).map((d) => ({ namespace: NAMESPACE, name: d.name, config: { cniVersion: '1.0.0', ...d } })),
    pods: ['pod-kube-get', 'pod-kube-rc'].map((name) => ({
      namespace: NAMESPACE,
      name,
      uid: randomUUID(),
      annotations: { [NETWORKS_ANNOTATION]: annotation },
    })),
  });

  // The variants of phases 1–3, measured in every round.
  const versions = [
    versionOf('version-multus', 'VERSION dist/multus', multus),
    versionOf('version-bridge', 'VERSION /usr/lib/cni/bridge (Go)', join(CNI_BIN, 'bridge')),
  ];
  if (REFERENCE !== undefined)
    versions.push(versionOf('version-reference', `VERSION $MULTUS_REFERENCE_BIN`, REFERENCE));
  const pods = [];
  for (const n of [1, 3, 8]) {
    const delegates = pool.slice(0, n);
    const podNetns = (suffix) => host.addNetns(`${suffix}${n}`);
    pods.push(
      multusPod({
        id: `multus-seq-${n}`,
        label: `${n} via dist/multus`,
        group: `pod${n}`,
        bin: multus,
        conf: fileConfig(delegates, { cniDir, parallel: false }),
        delegates,
        netns: podNetns('s'),
        podName: `pod-s${n}`,
        expectIfnames: ifnames(n),
      }),
    );
    pods.push(
      multusPod({
        id: `multus-par-${n}`,
        label: `${n} via dist/multus, parallelDelegates`,
        group: `pod${n}`,
        bin: multus,
        conf: fileConfig(delegates, { cniDir, parallel: true }),
        delegates,
        netns: podNetns('p'),
        podName: `pod-p${n}`,
        expectIfnames: ifnames(n),
      }),
    );
    pods.push(
      directPod({
        id: `direct-${n}`,
        label: `${n} called directly`,
        group: `pod${n}`,
        delegates,
        netns: podNetns('d'),
      }),
    );
    if (n === 3 && REFERENCE !== undefined) {
      pods.push(
        multusPod({
          id: 'reference-3',
          label: '3 via $MULTUS_REFERENCE_BIN',
          group: 'pod3',
          bin: REFERENCE,
          conf: fileConfig(delegates, { cniDir: host.dir('refcache'), parallel: false }),
          delegates,
          netns: podNetns('r'),
          podName: 'pod-r3',
          expectIfnames: undefined,
        }),
      );
    }
  }
  const kubeGet = multusPod({
    id: 'kube-get-3',
    label: '3 via dist/multus, Kubernetes (pod GET)',
    group: 'kube',
    bin: multus,
    conf: kubeConfig({ kubeconfig: kube.kubeconfig, cniDir }),
    delegates: pool.slice(0, 3),
    netns: host.addNetns('kg'),
    podName: 'pod-kube-get',
    expectIfnames: ifnames(3),
  });
  const kubeRc = multusPod({
    id: 'kube-rc-3',
    label: '3 via dist/multus, Kubernetes (runtimeConfig annotations)',
    group: 'kube',
    bin: multus,
    conf: kubeConfig({ kubeconfig: kube.kubeconfig, cniDir, annotations: { [NETWORKS_ANNOTATION]: annotation } }),
    delegates: pool.slice(0, 3),
    netns: host.addNetns('kr'),
    podName: 'pod-kube-rc',
    expectIfnames: ifnames(3),
  });
  pods.push(kubeGet, kubeRc);

  // Warm-up; the first pass checks every pod's interfaces after ADD and after DEL.
  log(`bench: warm-up (${WARMUP}) and checks, ${versions.length + pods.length} variants`);
  const apiRequests = {};
  for (let w = 0; w < WARMUP; w += 1) {
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

  // Phases 1–3: every variant once per round, the order rotating.
  const all = [...versions, ...pods];
  const samples = Object.fromEntries(
    all.map((v) => [v.id, v.version ? { total: [] } : { total: [], add: [], del: [] }]),
  );
  log(`bench: ${RUNS} rounds of ${all.length} variants`);
  const load1 = [];
  for (let r = 0; r < RUNS; r += 1) {
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
    if ((r + 1) % 5 === 0 || r + 1 === RUNS) log(`bench: round ${r + 1}/${RUNS} (load ${loadavg()})`);
  }

  // Phase 4: peak RSS of the ADD (the largest of the process and the children it waited for).
  let rss;
  if (existsSync(TIME)) {
    log(`bench: peak RSS, ${RSS_RUNS} rounds`);
    const out = host.dir('time.out');
    const withTime = (bin, env, stdin) => {
      timed(TIME, env, stdin, ['-f', '%M', '-o', out, bin]);
      return Number(readFileSync(out, 'utf8').trim().split('\n').pop());
    };
    const byId = Object.fromEntries(pods.map((p) => [p.id, p]));
    const bridgeOnly = directPod({
      id: 'rss-bridge',
      label: 'bridge',
      group: 'rss',
      delegates: pool.slice(0, 1),
      netns: byId['direct-1'].netns,
    });
    const rssVariants = [
      { id: 'version-multus', label: 'dist/multus VERSION', run: () => versions[0].run(withTime) },
      ...[
        'multus-seq-1',
        'multus-seq-3',
        'multus-seq-8',
        'multus-par-8',
        'kube-get-3',
        'kube-rc-3',
        ...(REFERENCE ? ['reference-3'] : []),
      ].map((id) => ({
        id,
        label: `${byId[id].label}: ADD`,
        run: () => {
          const kb = byId[id].add(withTime);
          byId[id].del();
          return kb;
        },
      })),
      {
        id: 'bridge-add',
        label: '/usr/lib/cni/bridge ADD (Go, for scale)',
        run: () => {
          const kb = bridgeOnly.add(withTime);
          bridgeOnly.del();
          return kb;
        },
      },
    ];
    const kb = Object.fromEntries(rssVariants.map((v) => [v.id, []]));
    for (let r = 0; r < RSS_RUNS; r += 1) {
      for (const v of rssVariants) {
        kb[v.id].push(v.run());
        await tick();
      }
    }
    rss = Object.fromEntries(
      rssVariants.map((v) => [v.id, { label: v.label, kb: stats(kb[v.id]), samples: kb[v.id] }]),
    );
  }

  // Phase 5: throughput of the 3-delegate pod under load.
  log(`bench: throughput, ${TPUT_PODS} ADD+DEL pairs at concurrency ${TPUT_CONCURRENCY}, ${TPUT_ROUNDS} round(s)`);
  const tpNetns = Array.from({ length: TPUT_PODS }, (_, i) => host.addNetns(`t${i}`));
  const kinds = ['multus-seq', 'multus-parallel', 'direct'];
  const tput = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let r = 0; r < TPUT_ROUNDS; r += 1) {
    for (let k = 0; k < kinds.length; k += 1) {
      const kind = kinds[(k + r) % kinds.length];
      tput[kind].push(
        await throughputRound(kind, TPUT_PODS, TPUT_CONCURRENCY, `${kind}-${r}`, { multus, pool, cniDir, tpNetns }),
      );
      log(`bench: throughput ${kind} round ${r + 1}: ${tput[kind].at(-1).podsPerSecond.toFixed(1)} pods/s`);
    }
  }
  const dirtyTp = tpNetns.filter((n) => !sameList(linksIn(n.name), ['lo'])).map((n) => n.name);
  const leases = leasesLeft(ipamDir);
  if (dirtyTp.length > 0 || leases > 0)
    throw new Error(`throughput pods not cleaned up: netns ${dirtyTp.join(',')}; ${leases} leases left`);

  const finished = new Date();
  const result = {
    date: started.toISOString(),
    durationSeconds: Math.round((finished - started) / 1000),
    machine: machine(),
    loadavg: { before: loadBefore, after: loadavg(), load1DuringRounds: stats(load1) },
    binary,
    reference: REFERENCE,
    settings: {
      runs: RUNS,
      warmup: WARMUP,
      rssRuns: RSS_RUNS,
      throughput: { pods: TPUT_PODS, concurrency: TPUT_CONCURRENCY, rounds: TPUT_ROUNDS },
    },
    commands: {
      npm: 'npm run bench',
      script: 'bash scripts/bench.sh',
      node: 'node scripts/bench.mjs',
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_') || k === 'MULTUS_REFERENCE_BIN'),
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
    apiRequestsPerPod: apiRequests,
    rss,
    throughput: Object.fromEntries(
      kinds.map((k) => [
        k,
        {
          podsPerSecond: stats(tput[k].map((t) => t.podsPerSecond)),
          latency: stats(tput[k].flatMap((t) => t.latencies)),
          rounds: tput[k].map(({ seconds, podsPerSecond, latency }) => ({ seconds, podsPerSecond, latency })),
        },
      ]),
    ),
  };
  host.cleanup();
  result.leftovers = host.leftovers();
  const table = writeReport(result, join(root, 'docs', 'performance.md')); // adds result.derived
  writeFileSync(join(root, 'dist', 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${table}\n`);
  log('bench: wrote docs/performance.md and dist/bench.json');
}

try {
  await main();
} catch (err) {
  host.cleanup();
  if (err instanceof Interrupted) {
    log(`bench: interrupted (${err.message}); cleaned up`);
    process.exit(130);
  }
  log(`bench: failed: ${err.stack ?? err}`);
  process.exit(1);
}
