// The report's thick-mode sections: the seed pod against Go Multus thin and thick, the daemons'
// memory, node churn on every path, and issue 12's targets.
import { mib, verdict } from './report-util.mjs';
import { f1, f2, pairedMedian } from './stats.mjs';

/** Targets of issue 12 (thick mode), checked on medians of one run. */
export const THICK_TARGETS = {
  shimVersionX: 1.5,
  overheadVsGo: 0.5,
  churnX: 0.9,
  parallel8Ratio: 0.6,
  shimRssVsGo: 0.75,
  daemonMiB: 150,
};

const PATHS = [
  ['go-thin-3', 'Go Multus v4.1.4 thin'],
  ['go-thick-3', 'Go Multus v4.1.4 thick (shim → daemon)'],
  ['multus-seq-3', 'multus-ts thin (dist/multus)'],
  ['thick-seq-3', 'multus-ts thick (dist/multus-shim → dist/multus daemon)'],
];

/** Overheads of every path on the seed pod, the ratios issue 12 asks for, and the other figures. */
export function deriveThick(result) {
  const v = result.variants;
  const med = (id, part = 'total') => v[id]?.[part]?.median;
  const direct = med('direct-3');
  const paths = {};
  for (const [id] of PATHS)
    if (v[id])
      paths[id] = {
        median: med(id),
        overhead: med(id) - direct,
        paired: pairedMedian(v[id].samples.total, v['direct-3'].samples.total),
        ratio: med(id) / direct,
      };
  const ours = paths['thick-seq-3'];
  const vsGo = (id) => (ours && paths[id] ? ours.overhead / paths[id].overhead : undefined);
  const vsGoPaired = (id) => (ours && paths[id] ? ours.paired / paths[id].paired : undefined);
  const tput = result.throughput ?? {};
  const pps = (id) => tput[id]?.podsPerSecond.median;
  const rss = (id) => result.rss?.[id]?.kb.median;
  const samples = result.daemons?.run?.samples ?? [];
  const last = samples.at(-1);
  const measured = [last, ...(result.daemons?.kube?.samples ?? [])].filter(Boolean).flatMap((s) => [s.rssKb, s.hwmKb]);
  return {
    direct,
    paths,
    overheadVsGoThin: vsGo('go-thin-3'),
    overheadVsGoThick: vsGo('go-thick-3'),
    overheadVsGoThinPaired: vsGoPaired('go-thin-3'),
    overheadVsGoThickPaired: vsGoPaired('go-thick-3'),
    shimVersionX: med('version-shim') / med('version-bridge'),
    parallel8: med('thick-par-8') / med('thick-seq-8'),
    parallel8Add: med('thick-par-8', 'add') / med('thick-seq-8', 'add'),
    parallel8Floor: med('direct-par-8') / med('direct-8'),
    churnX: Object.fromEntries(Object.keys(tput).map((id) => [id, pps(id) / pps('direct')])),
    shimRssVsGo: rss('thick-seq-3') / rss('go-thick-3'),
    daemonLargestKb: measured.length > 0 ? Math.max(...measured) : undefined,
    leakRatio: memoryGrowth(result.daemons?.run)?.ratio,
  };
}

/**
 * The memory run's growth as issue 12's memory test measures it: the mean VmRSS over the window
 * after the first `early` pods against the mean over the last window (800 pods, or half of what
 * follows `early` when fewer). Undefined for a run without the series (bench.json before it).
 */
function memoryGrowth(run) {
  const series = run?.series ?? [];
  const early = run?.samples?.[1]?.pods;
  if (series.length === 0 || early === undefined || early >= run.pods) return undefined;
  const width = Math.min(800, Math.floor((run.pods - early) / 2));
  const mean = (from, to) => {
    const kbs = series.filter((s) => s.pods > from && s.pods <= to).map((s) => s.rssKb);
    return kbs.length === 0 ? undefined : kbs.reduce((a, b) => a + b, 0) / kbs.length;
  };
  const first = { from: early, to: early + width, kb: mean(early, early + width) };
  const late = { from: run.pods - width, to: run.pods, kb: mean(run.pods - width, run.pods) };
  // The first reading is taken after `every` pods, the spacing of them all.
  const every = series[0].pods;
  return first.kb && late.kb ? { every, early: first, late, ratio: late.kb / first.kb } : undefined;
}

function seedTable(result, t) {
  const out = [
    '### 3. Thick mode against Go Multus: the seed 3-delegate pod (bridge master, ptp, bridge), ADD+DEL (ms)',
    '',
    "Medians of phase 2's rounds. Overhead: the path's median minus the delegates called directly (paired: the median of per-round differences). The last column divides our thick overhead by that path's (issue 12: ≤ 0.5 against either Go path).",
    '',
    '| path | ADD+DEL median | × direct | overhead (paired) | ours thick ÷ this |',
    '|---|---:|---:|---:|---:|',
    `| the 3 delegates called directly | ${f1(t.direct)} | 1.00 | – | – |`,
  ];
  const ours = t.paths['thick-seq-3'];
  for (const [id, label] of PATHS) {
    const p = t.paths[id];
    if (!p) {
      out.push(`| ${label} | not measured${id.startsWith('go') ? ' (see "This run")' : ''} | | | |`);
      continue;
    }
    const div =
      ours && id !== 'thick-seq-3' ? `${f2(ours.overhead / p.overhead)} (paired ${f2(ours.paired / p.paired)})` : '–';
    out.push(`| ${label} | ${f1(p.median)} | ${f2(p.ratio)} | ${f1(p.overhead)} (${f1(p.paired)}) | ${div} |`);
  }
  const standins = standinTable(result);
  return standins.length > 0 ? [...out, '', ...standins] : out;
}

/** The same pod shape with stand-in delegates: each path's cost without the delegates' work. */
function standinTable(result) {
  const v = result.variants;
  const direct = v['noop-direct'];
  if (!direct) return [];
  const out = [
    "Without the delegates' work: the same three-delegate pod with stand-in delegates (a shell script that answers at once), interleaved in the same rounds:",
    '',
    '| path | ADD median | DEL median | ADD+DEL median | overhead (paired) |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const id of ['noop-direct', 'noop-thin', 'noop-thick'].filter((x) => v[x])) {
    const x = v[id];
    const over =
      id === 'noop-direct'
        ? '–'
        : `${f1(x.total.median - direct.total.median)} (${f1(pairedMedian(x.samples.total, direct.samples.total))})`;
    out.push(`| ${x.label} | ${f1(x.add.median)} | ${f1(x.del.median)} | ${f1(x.total.median)} | ${over} |`);
  }
  return out;
}

function goNote(result) {
  if (!result.go) return 'no Go reference in this run';
  if (result.go.skipped) return `Go reference skipped: ${result.go.skipped}`;
  return result.go.thick?.skipped ? `Go thick skipped: ${result.go.thick.skipped}` : 'no data';
}

const memoryRow = (who, when, m) => `| ${who} | ${when} | ${mib(m?.rssKb)} | ${mib(m?.hwmKb)} |`;

const KUBE_WHEN = {
  idle: () => 'idle (its Kubernetes client loaded, its first list held)',
  synced: (k) => `pod cache synced: ${k.pods} pods of its node`,
  pods: (k) =>
    `after ${k.calls} ADD/DEL pods: ${k.pods} pods and ${k.nads} NADs (${k.namespaces} namespaces) in its caches`,
};

/** Section 6's rows of the Kubernetes-mode run (phase 7), and a note on what it did. */
export function kubeMemoryLines(k) {
  const who = 'dist/multus daemon, Kubernetes mode';
  if (!k)
    return { rows: [`| ${who} | 5000 pods and 5000 NADs in its caches | not measured in this run | |`], note: [] };
  const r = k.requests;
  const separate = k.separateRun
    ? ` Measured on its own (\`BENCH_ONLY=kube-memory node scripts/bench.mjs\`, ${k.separateRun.date}, ${k.separateRun.binary.multus.path} sha256 ${k.separateRun.binary.multus.sha256.slice(0, 16)}…), not in the run this page reports.`
    : '';
  return {
    rows: k.samples.map((s) => memoryRow(who, KUBE_WHEN[s.when](k), s)),
    note: [
      '',
      `Kubernetes mode: a fresh daemon with a kubeconfig and \`nodeName\`, served by a second bench API server holding ${k.sizes.pods} pods of its node (${k.sizes.podBytes} bytes of JSON each on average: labels, owner, managedFields, spec, status) and ${k.sizes.nads} NADs (${k.sizes.nadBytes} bytes each, applied with kubectl) in ${k.namespaces} namespaces. Its pod informer listed them in pages of 100 (the informer's limit) and watched them in ${f1(k.podSyncSeconds)} s; then one pod per namespace, annotated with a NAD there, went through ADD and DEL on the socket (the stand-in delegate) in ${f1(k.podsSeconds)} s, each starting the NAD informer of its namespace. API requests: ${r.listPages} list pages, ${r.watches} watches, ${r.gets} GETs, ${r.patches} PATCHes (network-status).${separate}`,
    ],
  };
}

function memoryTable(result) {
  const d = result.daemons;
  if (!d) return ["### 6. The daemons' memory (MiB)", '', 'Not measured in this run.'];
  const { run } = d;
  const out = [
    "### 6. The daemons' memory (MiB)",
    '',
    "`VmRSS` (resident now) and `VmHWM` (the peak since the daemon started) from /proc/PID/status. The memory run starts a fresh daemon and sends it pods straight on its socket (protocol v1, what the shim sends) at concurrency 8; its delegates are a stand-in (a shell script that answers at once), so thousands of pods take a minute and only the daemon's own memory can grow.",
    '',
    '| daemon | when | RSS | peak RSS |',
    '|---|---|---:|---:|',
    memoryRow('dist/multus daemon', 'idle (started, no call yet)', d.oursIdle),
    memoryRow('dist/multus daemon', 'after phases 1–5 (every real-delegate call above)', d.oursAfterRuns),
  ];
  for (const s of run?.samples ?? [])
    out.push(memoryRow('dist/multus daemon, memory run', s.pods === 0 ? 'idle' : `after ${s.pods} ADD/DEL pods`, s));
  out.push(
    d.goAfterRuns
      ? memoryRow('Go multus-daemon', 'after phases 1–5', d.goAfterRuns)
      : `| Go multus-daemon | after phases 1–5 | not measured (${goNote(result).split(':')[0]}) | |`,
  );
  const kube = kubeMemoryLines(d.kube);
  out.push(...kube.rows);
  if (run) {
    const g = memoryGrowth(run);
    const growth = g
      ? ` RSS read every ${g.every} pods is a sawtooth (the collector), so growth compares means, as issue 12's memory test does (≤ 1.1): pods ${g.early.from + 1}–${g.early.to} ${mib(g.early.kb)} MiB, the last ${g.late.to - g.late.from} ${mib(g.late.kb)} MiB, ratio ${f2(g.ratio)}.`
      : '';
    out.push(
      '',
      `Memory run: ${run.pods} pods (${run.delegates}) in ${f1(run.seconds)} s, ${f1(run.pods / run.seconds)} pods/s.${growth}`,
    );
  }
  return [...out, ...kube.note];
}

function churnTable(result, t) {
  const s = result.settings.throughput;
  const tp = result.throughput;
  const out = [
    `### 7. Node churn: ${s.pods} ADD+DEL pairs of the 3-delegate pod at concurrency ${s.concurrency} (${s.rounds} round${s.rounds === 1 ? '' : 's'} per path)`,
    '',
    "Each pod in its own netns; all share the bridges and the host-local ranges, like a node under load. The paths take turns, the order rotating per round. Go's thick daemon serves the one pod its API stand-in knows, so its calls all name that pod (distinct container IDs).",
    '',
    "| path | pods/s min | median | max | one pod's ADD+DEL under load, median (ms) | × direct (pods/s) |",
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const [id, x] of Object.entries(tp))
    out.push(
      `| ${x.label ?? id} | ${f1(x.podsPerSecond.min)} | ${f1(x.podsPerSecond.median)} | ${f1(x.podsPerSecond.max)} | ${f1(x.latency.median)} | ${f2(t.churnX[id])} |`,
    );
  return out;
}

/** Sections 3, 6 and 7; `t`: deriveThick's. */
export const thickSections = (result, t) => ({
  seed: seedTable(result, t),
  memory: memoryTable(result),
  churn: churnTable(result, t),
});

function targetRows(result, t) {
  const T = THICK_TARGETS;
  const v = result.variants;
  const ms = (id) => f1(v[id]?.total.median);
  const rss = (id) => mib(result.rss?.[id]?.kb.median);
  const ours = t.paths['thick-seq-3'];
  const go = (id) => t.paths[id];
  const d = result.daemons;
  const kube = d?.kube;
  const kubeLast = kube?.samples.at(-1);
  const x = (value, text) => (value === undefined || Number.isNaN(value) ? 'not measured' : `${f2(value)}× (${text})`);
  return [
    `| shim VERSION ≤ ${T.shimVersionX}× /usr/lib/cni/bridge VERSION | ${f2(t.shimVersionX)}× (${ms('version-shim')} / ${ms('version-bridge')} ms) | ${verdict(t.shimVersionX, T.shimVersionX, '×', 2).text} |`,
    `| seed pod overhead ≤ ${T.overheadVsGo}× Go thin's | ${x(t.overheadVsGoThin, `${f1(ours?.overhead)} / ${f1(go('go-thin-3')?.overhead)} ms; paired ${f2(t.overheadVsGoThinPaired)}×`)} | ${verdict(t.overheadVsGoThin, T.overheadVsGo, '×', 2).text} |`,
    `| seed pod overhead ≤ ${T.overheadVsGo}× Go thick's | ${x(t.overheadVsGoThick, `${f1(ours?.overhead)} / ${f1(go('go-thick-3')?.overhead)} ms; paired ${f2(t.overheadVsGoThickPaired)}×`)} | ${verdict(t.overheadVsGoThick, T.overheadVsGo, '×', 2).text} |`,
    `| node churn ≥ ${T.churnX}× direct pods/s | ${f2(t.churnX.thick)}× (Go thin ${f2(t.churnX['go-thin'])}×, Go thick ${f2(t.churnX['go-thick'])}×, ours thin ${f2(t.churnX['multus-seq'])}×) | ${verdict(t.churnX.thick, T.churnX, '×', 2, { atLeast: true }).text} |`,
    `| 8-delegate pod through the daemon, parallel ADD+DEL ≤ ${T.parallel8Ratio}× sequential | ${f2(t.parallel8)}× (${ms('thick-par-8')} / ${ms('thick-seq-8')} ms; ADD alone ${f2(t.parallel8Add)}×; the delegates alone, called all at once: ${f2(t.parallel8Floor)}×) | ${verdict(t.parallel8, T.parallel8Ratio, '×', 2).text} |`,
    `| shim peak RSS ≤ ${T.shimRssVsGo}× Go's shim | ${x(t.shimRssVsGo, `${rss('thick-seq-3')} / ${rss('go-thick-3')} MiB`)} | ${verdict(t.shimRssVsGo, T.shimRssVsGo, '×', 2).text} |`,
    `| daemon memory reported, ≤ ${T.daemonMiB} MiB at the largest | idle ${mib(d?.oursIdle?.rssKb)}, after ${d?.run?.pods ?? '–'} pods ${mib(d?.run?.samples.at(-1)?.rssKb)} (peak ${mib(d?.run?.samples.at(-1)?.hwmKb)}); ${kube ? `${kube.pods} pods + ${kube.nads} NADs cached ${mib(kubeLast.rssKb)} (peak ${mib(kubeLast.hwmKb)})` : '5000 pods + 5000 NADs: not measured'} | ${verdict(t.daemonLargestKb / 1024, T.daemonMiB, ' MiB').text} (largest measured)${kube ? '' : '; 5000/5000 **not measured**'} |`,
    `| thin mode's figures stay in the report | sections 1–5 and issue 7's targets below | **reported** |`,
  ];
}

function explain(result, t) {
  const v = result.variants;
  const ours = t.paths['thick-seq-3'];
  if (!ours) return [];
  const perCall = ours.overhead / 2;
  const shimStart = v['version-shim'].total.median;
  const lines = [
    `Where the thick overhead goes (medians): ${f1(ours.overhead)} ms per pod is two calls (ADD and DEL) of ${f1(perCall)} ms each over the delegates alone. The shim's start-up (its VERSION, ${f1(shimStart)} ms, against the bridge's ${f1(v['version-bridge'].total.median)} ms and Go's shim's ${f1(v['version-go-shim']?.total.median)} ms) explains ${f1(shimStart)} ms of each call; the other ${f1(perCall - shimStart)} ms are the socket round trip and the daemon's work. Thin mode pays ${f1(t.paths['multus-seq-3']?.overhead)} ms per pod for the same pod.`,
  ];
  const [nd, nk] = [v['noop-direct'], v['noop-thick']];
  if (nd && nk) {
    const fixed = (nk.total.median - nd.total.median) / 2;
    const rest = perCall - fixed;
    lines.push(
      '',
      `With stand-in delegates the thick path costs ${f1(fixed)} ms per call over the stand-ins called directly: the shim's start-up, the socket and the daemon's own work (plan, lock, record, result), ${f1(fixed - shimStart)} ms of it besides the shim's start-up. ${rest >= 0 ? `The real pod's overhead per call is ${f1(rest)} ms more than that: the real delegates run slower when the daemon spawns them than when the bench does (they share the CPUs with the daemon), plus noise.` : `The real pod's overhead per call is ${f1(-rest)} ms less than that: noise between the rounds.`}`,
    );
  }
  return lines;
}

export function thickTargets(result, t) {
  return [
    "### Issue 12's targets (thick mode)",
    '',
    'On medians of this run; reported, never asserted in tests. Where a target is missed the verdict says by how much.',
    '',
    '| target | measured | verdict |',
    '|---|---|---|',
    ...targetRows(result, t),
    '',
    ...explain(result, t),
  ];
}
