// Writes docs/performance.md from the figures of one bench run (dist/bench.json holds the raw
// samples). Anything under the NOTES marker in the existing file is kept: a place for notes
// written by hand (profiles, explanations) that survive the next run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { f1, f2, pairedMedian } from './stats.mjs';

const NOTES = '<!-- Notes written by hand go below this line: scripts/bench.mjs keeps them. -->';

/** Targets of issue 7, checked on medians of one run. */
export const TARGETS = { versionMs: 15, overhead3Ms: 20, parallel8Ratio: 0.6 };

const signed = (x) => (x >= 0 ? `+${f1(x)}` : `−${f1(-x)}`);
const mib = (kb) => (kb === undefined ? '–' : (kb / 1024).toFixed(1));
const mmm = (s) => (s === undefined ? '– | – | –' : `${f1(s.min)} | ${f1(s.median)} | ${f1(s.max)}`);

/** "met (12.0 ≤ 15, 3.0 ms to spare)" or "missed by 4.0 ms (19.0 > 15)". */
function verdict(value, limit, unit, digits = 1) {
  const fmt = (x) => x.toFixed(digits);
  if (value <= limit)
    return {
      met: true,
      text: `**met**: ${fmt(value)}${unit} ≤ ${fmt(limit)}${unit} (${fmt(limit - value)}${unit} to spare)`,
    };
  return {
    met: false,
    text: `**missed** by ${fmt(value - limit)}${unit} (${fmt((value / limit - 1) * 100)} % over): ${fmt(value)}${unit} > ${fmt(limit)}${unit}`,
  };
}

/** Figures derived from the variants: overheads, ratios, the target verdicts. */
export function derive(result) {
  const v = result.variants;
  const med = (id, part = 'total') => v[id]?.[part]?.median;
  const pods = {};
  for (const n of [1, 3, 8]) {
    const direct = med(`direct-${n}`);
    pods[n] = {
      direct,
      seq: med(`multus-seq-${n}`),
      par: med(`multus-par-${n}`),
      overheadSeq: med(`multus-seq-${n}`) - direct,
      overheadPar: med(`multus-par-${n}`) - direct,
      overheadSeqPaired: pairedMedian(v[`multus-seq-${n}`].samples.total, v[`direct-${n}`].samples.total),
      ratioSeq: med(`multus-seq-${n}`) / direct,
      ratioPar: med(`multus-par-${n}`) / direct,
      parOverSeq: med(`multus-par-${n}`) / med(`multus-seq-${n}`),
      parOverSeqAdd: med(`multus-par-${n}`, 'add') / med(`multus-seq-${n}`, 'add'),
    };
  }
  const targets = {
    version: {
      value: med('version-multus'),
      limit: TARGETS.versionMs,
      ...verdict(med('version-multus'), TARGETS.versionMs, ' ms'),
    },
    overhead3: {
      value: pods[3].overheadSeq,
      limit: TARGETS.overhead3Ms,
      ...verdict(pods[3].overheadSeq, TARGETS.overhead3Ms, ' ms'),
    },
    parallel8: {
      value: pods[8].parOverSeq,
      limit: TARGETS.parallel8Ratio,
      ...verdict(pods[8].parOverSeq, TARGETS.parallel8Ratio, '×', 2),
    },
    rss: { value: result.rss?.['multus-seq-3']?.kb.median, reported: result.rss !== undefined },
  };
  return { pods, targets };
}

function tables(result, d) {
  const v = result.variants;
  const out = [];
  const startup = Object.values(v).filter((x) => x.group === 'startup');
  const bridge = v['version-bridge'].total.median;
  out.push(
    '### 1. Start-up: `CNI_COMMAND=VERSION` (ms)',
    '',
    '| binary | min | median | max | × bridge |',
    '|---|---:|---:|---:|---:|',
  );
  for (const x of startup) out.push(`| ${x.label} | ${mmm(x.total)} | ${f2(x.total.median / bridge)} |`);
  out.push('');

  out.push(
    '### 2. ADD+DEL of a pod, file mode (ms)',
    '',
    'Overhead and ratio: the variant\'s median against the median of the same delegates called directly in the same run. "Paired" is the median of per-round differences.',
    '',
    '| delegates | variant | ADD median | DEL median | ADD+DEL min | median | max | overhead | ratio |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const n of [1, 3, 8]) {
    const p = d.pods[n];
    for (const id of [
      `direct-${n}`,
      `multus-seq-${n}`,
      `multus-par-${n}`,
      ...(n === 3 && v['reference-3'] ? ['reference-3'] : []),
    ]) {
      const x = v[id];
      const over = id.startsWith('direct')
        ? '–'
        : `${f1(x.total.median - p.direct)}${id === `multus-seq-${n}` ? ` (paired ${f1(p.overheadSeqPaired)})` : ''}`;
      const ratio = id.startsWith('direct') ? '1.00' : f2(x.total.median / p.direct);
      out.push(
        `| ${n} | ${x.label} | ${f1(x.add.median)} | ${f1(x.del.median)} | ${mmm(x.total)} | ${over} | ${ratio} |`,
      );
    }
  }
  out.push('');
  out.push(
    'Parallel against sequential, both through dist/multus (medians):',
    '',
    '| delegates | sequential ADD+DEL | parallel ADD+DEL | parallel / sequential | ADD only: parallel / sequential |',
    '|---:|---:|---:|---:|---:|',
  );
  for (const n of [1, 3, 8]) {
    const p = d.pods[n];
    out.push(`| ${n} | ${f1(p.seq)} | ${f1(p.par)} | ${f2(p.parOverSeq)} | ${f2(p.parOverSeqAdd)} |`);
  }
  out.push('');

  const file3 = v['multus-seq-3'].total.median;
  const direct3 = d.pods[3].direct;
  out.push(
    '### 3. The 3-delegate pod through the Kubernetes source (ms)',
    '',
    "NetworkAttachmentDefinitions served by the bench's API server (HTTPS on 127.0.0.1, token auth, in another process). Every ADD writes network-status (a PATCH); DEL is served from the record.",
    '',
    '| variant | ADD median | DEL median | ADD+DEL min | median | max | overhead vs direct | vs file mode | API requests during one ADD |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const id of ['kube-get-3', 'kube-rc-3']) {
    const x = v[id];
    const reqs = (result.apiRequestsPerPod[id] ?? []).map((r) =>
      r.replace(/^(\S+) \/(?:api|apis)\/\S*\/(pods|network-attachment-definitions)\/\S+ → (\d+)$/, '$1 $2 $3'),
    );
    const counted = Object.entries(reqs.reduce((m, r) => ({ ...m, [r]: (m[r] ?? 0) + 1 }), {}))
      .map(([r, c]) => `${c}× ${r}`)
      .join(', ');
    out.push(
      `| ${x.label} | ${f1(x.add.median)} | ${f1(x.del.median)} | ${mmm(x.total)} | ${f1(x.total.median - direct3)} | ${signed(x.total.median - file3)} | ${counted || '–'} |`,
    );
  }
  out.push('');

  if (result.rss) {
    out.push(
      '### 4. Peak RSS during ADD (MiB)',
      '',
      '`/usr/bin/time -f %M`: the largest resident set of the process and of the children it waited for (the delegates, smaller than multus: see the bridge row).',
      '',
      '| process | min | median | max |',
      '|---|---:|---:|---:|',
    );
    for (const x of Object.values(result.rss))
      out.push(`| ${x.label} | ${mib(x.kb.min)} | ${mib(x.kb.median)} | ${mib(x.kb.max)} |`);
    out.push('');
  }

  const t = result.throughput;
  const s = result.settings.throughput;
  const labels = {
    'multus-seq': '3 via dist/multus',
    'multus-parallel': '3 via dist/multus, parallelDelegates',
    direct: '3 called directly',
  };
  out.push(
    `### 5. Throughput: ${s.pods} ADD+DEL pairs at concurrency ${s.concurrency} (${s.rounds} round${s.rounds === 1 ? '' : 's'})`,
    '',
    'Each pod in its own netns; all share the bridges and the host-local ranges, like a node under load.',
    '',
    "| delegates | pods/s min | median | max | one pod's ADD+DEL under load, median (ms) | × direct (pods/s) |",
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const [k, x] of Object.entries(t)) {
    out.push(
      `| ${labels[k] ?? k} | ${f1(x.podsPerSecond.min)} | ${f1(x.podsPerSecond.median)} | ${f1(x.podsPerSecond.max)} | ${f1(x.latency.median)} | ${f2(x.podsPerSecond.median / t.direct.podsPerSecond.median)} |`,
    );
  }
  out.push('');
  return out.join('\n');
}

function targetsSection(result, d) {
  const t = d.targets;
  const p8 = d.pods[8];
  const rss = result.rss?.['multus-seq-3'];
  const rss8 = result.rss?.['multus-par-8'];
  const rssKube = result.rss?.['kube-get-3'];
  const lines = [
    '## Targets',
    '',
    `Issue 7's targets, on medians of this run. Reported, never asserted in tests.`,
    '',
    '| target | measured (median) | verdict |',
    '|---|---:|---|',
    `| \`VERSION\` ≤ ${TARGETS.versionMs} ms | ${f1(t.version.value)} ms | ${t.version.text} |`,
    `| ADD+DEL overhead over direct delegates ≤ ${TARGETS.overhead3Ms} ms, 3-delegate pod | ${f1(t.overhead3.value)} ms (paired ${f1(d.pods[3].overheadSeqPaired)} ms) | ${t.overhead3.text} |`,
    `| 8-delegate pod, parallel ADD+DEL ≤ ${TARGETS.parallel8Ratio}× sequential | ${f2(t.parallel8.value)}× (${f1(p8.par)} / ${f1(p8.seq)} ms) | ${t.parallel8.text} |`,
    `| peak RSS reported | ${rss ? `${mib(rss.kb.median)} MiB (3 delegates), ${mib(rss8?.kb.median)} MiB (8, parallel), ${mib(rssKube?.kb.median)} MiB (Kubernetes)` : 'not measured (/usr/bin/time missing)'} | ${rss ? '**reported**' : '**missing**'} |`,
    '',
    `For scale, the Go original on this machine (DESIGN.md §6, another day): VERSION ≈ 10.8 ms; ADD+DEL overhead ≈ 20–28 ms for a 3-delegate pod (bridge, ptp, bridge).`,
    '',
    `Where the sequential overhead goes (medians): start-up, paid twice per pod (ADD and DEL), ${f1(2 * result.variants['version-multus'].total.median)} ms against the Go bridge's ${f1(2 * result.variants['version-bridge'].total.median)} ms; the 1-delegate pod's overhead ${f1(d.pods[1].overheadSeq)} ms (ADD ${f1(result.variants['multus-seq-1'].add.median - result.variants['direct-1'].add.median)}, DEL ${f1(result.variants['multus-seq-1'].del.median - result.variants['direct-1'].del.median)}); each further delegate adds ${f1((d.pods[8].overheadSeq - d.pods[1].overheadSeq) / 7)} ms ((8-delegate overhead − 1-delegate overhead) / 7). So one multus call (an ADD or a DEL with one delegate) costs about ${f1(d.pods[1].overheadSeq / 2)} ms more than the delegate alone, of which VERSION's start-up explains ${f1(result.variants['version-multus'].total.median)} ms: the other ${f1(d.pods[1].overheadSeq / 2 - result.variants['version-multus'].total.median)} ms are work on the ADD/DEL path that VERSION does not do.`,
    '',
    `The parallel ratio covers ADD+DEL, but only ADDs run concurrently (DEL stays sequential, in reverse): the ADD alone is ${f2(p8.parOverSeqAdd)}× sequential (${f1(result.variants['multus-par-8'].add.median)} / ${f1(result.variants['multus-seq-8'].add.median)} ms), its DEL ${f1(result.variants['multus-par-8'].del.median)} ms against ${f1(result.variants['multus-seq-8'].del.median)} ms.`,
  ];
  return lines.join('\n');
}

/** True when other work competed for the CPUs during the timed rounds. */
const busy = (result) => result.loadavg.load1DuringRounds.median > result.machine.nproc + 1;

function header(result) {
  const m = result.machine;
  const s = result.settings;
  const env = Object.entries(result.commands.env)
    .map(([k, x]) => `${k}=${x}`)
    .join(' ');
  return [
    '# Performance',
    '',
    'Written by `npm run bench` (scripts/bench.sh, scripts/bench.mjs); raw samples in `dist/bench.json` (not committed). Do not edit by hand above the notes marker at the end: the next run rewrites it.',
    '',
    '## This run',
    '',
    `- Date: ${result.date} (${result.durationSeconds} s)`,
    `- Machine: ${m.nproc} CPUs, ${m.cpu}, ${m.memTotalMiB} MiB; ${m.kernel}; ${m.os}; Node ${m.node}`,
    `- Load average (1, 5, 15 min) before: ${result.loadavg.before}; after: ${result.loadavg.after}; 1-min load during phases 1–3: median ${f1(result.loadavg.load1DuringRounds.median)}, max ${f1(result.loadavg.load1DuringRounds.max)} (the bench itself accounts for about 1: one plugin runs at a time). ${busy(result) ? `**The machine was busy** (load above its ${m.nproc} CPUs plus the bench's own, other work running): every figure is inflated by waiting for a CPU; the interleaving spreads that over all variants alike, but overheads and ratios are less reliable than on a quiet machine.` : 'Other work on the machine adds noise to every variant alike (they are interleaved).'}`,
    `- Binary: dist/multus at ${result.binary.git}, built ${result.binary.builtAt}, ${(result.binary.bytes / 1048576).toFixed(1)} MiB, sha256 ${result.binary.sha256.slice(0, 16)}…; the bench runs a copy taken at start, so a rebuild during the run cannot change it.`,
    `- Reference Multus: ${result.reference ? `\`${result.reference}\` ($MULTUS_REFERENCE_BIN)` : 'none ($MULTUS_REFERENCE_BIN not set; Go Multus cannot be installed from the registries here)'}`,
    `- Rounds: ${s.runs} per variant after ${s.warmup} warm-up round(s) (the first checks each pod's interfaces after ADD and DEL); peak RSS ${s.rssRuns} runs; throughput ${s.throughput.rounds} round(s) of ${s.throughput.pods} pods at concurrency ${s.throughput.concurrency}. Leftovers after cleanup: ${result.leftovers.length === 0 ? 'none' : result.leftovers.join(', ')}.`,
    '',
    '## Commands',
    '',
    '```sh',
    `${env ? `${env} ` : ''}npm run bench        # = bash scripts/bench.sh: ensure-deps + build, then:`,
    `node scripts/bench.mjs    # as root; env BENCH_RUNS, BENCH_WARMUP, BENCH_RSS_RUNS, BENCH_TPUT_PODS, BENCH_TPUT_CONCURRENCY, BENCH_TPUT_ROUNDS, MULTUS_REFERENCE_BIN`,
    'node scripts/bench.mjs --report   # rewrites this page from dist/bench.json, measuring nothing',
    '```',
    '',
    '## Method',
    '',
    '- Each measurement is the wall time of `spawnSync` of the plugin, its config on stdin, from the bench (Node) process; the bench does nothing else meanwhile.',
    '- Phases 1–3 run every variant once per round, the order rotating by one each round, so drift hits all variants alike. Each pod variant has its own network namespace and container ID; every ADD is followed by its DEL.',
    `- Delegates (a pod of n takes the first n): ${result.delegates.map((x) => `${x.type}${x.bridge ? ` (${x.bridge})` : ''}${x.master ? ` (master ${x.master})` : ''} ${x.subnet}`).join('; ')}. Bridges with \`isGateway\`; macvlan masters are the two ends of a host veth pair; host-local with its dataDir in a temp dir. No two delegates share a host object, so with \`parallelDelegates\` all ADDs of a pod may run at once.`,
    '- "Called directly": the same delegate configs (`cniVersion` 1.0.0), run one after another with the interface names multus gives (eth0, net0, …), DEL in reverse order: what the runtime would pay without a meta-plugin.',
    '- The Kubernetes variants run in seed mode: the pod\'s `k8s.v1.cni.cncf.io/networks` annotation names three NADs, the first becomes eth0. "runtimeConfig annotations" passes the annotations in `runtimeConfig["io.kubernetes.cri.pod-annotations"]` (containerd\'s CRI), sparing the pod GET.',
    '',
  ].join('\n');
}

/** Writes the report; returns the tables (for the console). */
export function writeReport(result, path) {
  const d = derive(result);
  result.derived = d;
  const body = tables(result, d);
  let notes = '';
  if (existsSync(path)) {
    const old = readFileSync(path, 'utf8');
    const at = old.indexOf(NOTES);
    if (at >= 0) notes = old.slice(at + NOTES.length).replace(/^\n+/, '');
  }
  const text = [header(result), '## Results', '', body, targetsSection(result, d), '', NOTES, '', notes]
    .join('\n')
    .replace(/\n*$/, '\n');
  writeFileSync(path, text);
  return `${body}\n${targetsSection(result, d)}`;
}
