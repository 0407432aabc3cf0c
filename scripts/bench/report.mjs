// Writes docs/performance.md from the figures of one bench run (bench.json holds the raw
// samples). Anything under the NOTES marker in the existing file is kept: a place for notes
// written by hand (profiles, explanations) that survive the next run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { deriveThick, thickSections, thickTargets } from './report-thick.mjs';
import { deriveThin, thinSections, thinTargets } from './report-thin.mjs';
import { f1 } from './stats.mjs';

const NOTES = '<!-- Notes written by hand go below this line: scripts/bench.mjs keeps them. -->';

/** Figures derived from the variants: overheads, ratios, the target verdicts. */
export function derive(result) {
  return { thin: deriveThin(result), thick: deriveThick(result) };
}

/** True when other work competed for the CPUs during the timed rounds. */
const busy = (result) => result.loadavg.load1DuringRounds.median > result.machine.nproc + 1;

function binaryLine(b) {
  const one = (x) =>
    `${x.path}, built ${x.builtAt}, ${(x.bytes / 1048576).toFixed(1)} MiB, sha256 ${x.sha256.slice(0, 16)}…`;
  const bins = b.multus ? `${one(b.multus)}; ${one(b['multus-shim'])}` : one(b);
  return `- Binaries: ${bins}; source ${b.git}. The bench runs copies taken at start, so a rebuild during the run cannot change them.`;
}

function goLine(result) {
  const g = result.go;
  if (!g) return '- Go Multus: not in this run.';
  if (g.skipped) return `- Go Multus v4.1.4: **skipped** (${g.skipped}); its rows and ratios are missing.`;
  const sums = Object.entries(g.sha256)
    .map(([b, s]) => `${b} ${s.slice(0, 12)}…`)
    .join(', ');
  const thick = g.thick?.skipped
    ? ` Thick **skipped**: ${g.thick.skipped}.`
    : ' Thick through its go-thick.sh (daemon + API stand-in).';
  return `- Go Multus v4.1.4 (benchmark rows only): unpacked from \`${g.from}\` (${sums}).${thick}`;
}

const ENVS =
  'BENCH_ONLY, BENCH_RUNS, BENCH_WARMUP, BENCH_RSS_RUNS, BENCH_TPUT_PODS, BENCH_TPUT_CONCURRENCY, BENCH_TPUT_ROUNDS, BENCH_MEM_PODS, MULTUS_BENCH_DIR, MULTUS_GO_REFERENCE_DIR, MULTUS_REFERENCE_BIN';

/** The command this run was: npm run bench (builds dist/), or the bench alone on binaries built elsewhere. */
function commandLines(envs, env) {
  if (envs.MULTUS_BENCH_DIR)
    return [
      `node scripts/build.mjs --out ${envs.MULTUS_BENCH_DIR}/multus   # this run: binaries built outside dist/, then`,
      `${env} node scripts/bench.mjs    # as root; env ${ENVS}`,
      'npm run bench    # the usual way: = bash scripts/bench.sh, ensure-deps + build dist/, then node scripts/bench.mjs',
    ];
  return [
    `${env ? `${env} ` : ''}npm run bench        # = bash scripts/bench.sh: ensure-deps + build, then:`,
    `node scripts/bench.mjs    # as root; env ${ENVS}`,
  ];
}

function header(result) {
  const m = result.machine;
  const s = result.settings;
  const env = Object.entries(result.commands.env)
    .map(([k, x]) => `${k}=${x}`)
    .join(' ');
  const load = `- Load average (1, 5, 15 min) before: ${result.loadavg.before}; after: ${result.loadavg.after}; 1-min load during phases 1–3: median ${f1(result.loadavg.load1DuringRounds.median)}, max ${f1(result.loadavg.load1DuringRounds.max)} (the bench itself accounts for about 1: one plugin runs at a time). ${busy(result) ? `**The machine was busy** (load above its ${m.nproc} CPUs plus the bench's own, other work running): every figure is inflated by waiting for a CPU; the interleaving spreads that over all variants alike, but overheads and ratios are less reliable than on a quiet machine.` : 'Other work on the machine adds noise to every variant alike (they are interleaved).'}`;
  return [
    '# Performance',
    '',
    'Written by `npm run bench` (scripts/bench.sh, scripts/bench.mjs); raw samples in `dist/bench.json` (not committed). Do not edit by hand above the notes marker at the end: the next run rewrites it.',
    '',
    '## This run',
    '',
    `- Date: ${result.date} (${result.durationSeconds} s)`,
    `- Machine: ${m.nproc} CPUs, ${m.cpu}, ${m.memTotalMiB} MiB; ${m.kernel}; ${m.os}; Node ${m.node}`,
    load,
    binaryLine(result.binary),
    goLine(result),
    `- Other multus: ${result.reference ? `\`${result.reference}\` ($MULTUS_REFERENCE_BIN)` : 'none ($MULTUS_REFERENCE_BIN not set)'}`,
    `- Rounds: ${s.runs} per variant after ${s.warmup} warm-up round(s) (the first checks each pod's interfaces after ADD and DEL); peak RSS ${s.rssRuns} runs; churn ${s.throughput.rounds} round(s) of ${s.throughput.pods} pods at concurrency ${s.throughput.concurrency} per path; memory run ${s.memoryPods ?? '–'} pods. Leftovers after cleanup: ${result.leftovers.length === 0 ? 'none' : result.leftovers.join(', ')}.`,
    '',
    '## Commands',
    '',
    '```sh',
    ...commandLines(result.commands.env, env),
    'node scripts/bench.mjs --report   # rewrites this page from bench.json, measuring nothing',
    '```',
    '',
    '## Method',
    '',
    '- Each measurement is the wall time of `spawnSync` of the plugin (or shim), its config on stdin, from the bench (Node) process; the bench does nothing else meanwhile.',
    '- Phases 1–3 run every variant once per round, the order rotating by one each round, so drift hits all variants alike. Each pod variant has its own network namespace and container ID; every ADD is followed by its DEL.',
    `- Delegates (a pod of n takes the first n): ${result.delegates.map((x) => `${x.type}${x.bridge ? ` (${x.bridge})` : ''}${x.master ? ` (master ${x.master})` : ''} ${x.subnet}`).join('; ')}. Bridges with \`isGateway\`; macvlan masters are the two ends of a host veth pair; host-local with its dataDir in a temp dir. No two delegates share a host object, so with \`parallelDelegates\` all ADDs of a pod may run at once.`,
    '- "Called directly": the same delegate configs (`cniVersion` 1.0.0), run one after another with the interface names multus gives (eth0, net0, …), DEL in reverse order: what the runtime would pay without a meta-plugin.',
    '- Thick mode: the bench starts `multus daemon --config <temp>` (its socket in a temp dir) before phase 1 and stops it at the end; each call execs `multus-shim` with the runtime\'s conflist entry (`"type": "multus-shim"`, `daemonSocketDir`, the delegates, `"daemonFallback": "fail"` so that a missing daemon fails the bench instead of falling back to thin mode).',
    '- Go Multus v4.1.4 (from `../shared/reference`, benchmark rows only): thin in file mode (the same delegates, `cniVersion` 1.0.0 on each, else Go runs them as 0.1.0), and thick through its go-thick.sh (its daemon, with a stand-in API server it requires, configured so that no API request is on the ADD/DEL path). Go names the further interfaces net1, net2.',
    '- The Kubernetes variants run in seed mode: the pod\'s `k8s.v1.cni.cncf.io/networks` annotation names three NADs, the first becomes eth0. "runtimeConfig annotations" passes the annotations in `runtimeConfig["io.kubernetes.cri.pod-annotations"]` (containerd\'s CRI), sparing the pod GET.',
    '',
  ].join('\n');
}

/** Writes the report; returns the tables (for the console). */
export function writeReport(result, path) {
  const d = derive(result);
  result.derived = d;
  const thin = thinSections(result, d.thin);
  const thick = thickSections(result, d.thick);
  const body = [thin.startup, thin.pods, thick.seed, thin.kube, thin.rss, thick.memory, thick.churn]
    .map((s) => s.join('\n'))
    .join('\n\n');
  const targets = ['## Targets', '', ...thickTargets(result, d.thick), '', ...thinTargets(result, d.thin)].join('\n');
  let notes = '';
  if (existsSync(path)) {
    const old = readFileSync(path, 'utf8');
    const at = old.indexOf(NOTES);
    if (at >= 0) notes = old.slice(at + NOTES.length).replace(/^\n+/, '');
  }
  const text = [header(result), '## Results', '', body, '', targets, '', NOTES, '', notes]
    .join('\n')
    .replace(/\n*$/, '\n');
  writeFileSync(path, text);
  return `${[thick.seed, thick.churn].map((s) => s.join('\n')).join('\n\n')}\n\n${targets}`;
}
