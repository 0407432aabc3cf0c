// The report's per-variant sections (start-up, pods in file mode, the Kubernetes source, peak
// RSS of one call) and issue 7's targets for the thin plugin.
import { mib, mmm, signed, verdict } from './report-util.mjs';
import { f1, f2, pairedMedian } from './stats.mjs';

/** Targets of issue 7 (thin mode), checked on medians of one run. */
export const TARGETS = { versionMs: 15, overhead3Ms: 20, parallel8Ratio: 0.6 };

/** Overheads and ratios of the thin plugin for 1, 3 and 8 delegates. */
export function deriveThin(result) {
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
    version: verdict(med('version-multus'), TARGETS.versionMs, ' ms'),
    overhead3: verdict(pods[3].overheadSeq, TARGETS.overhead3Ms, ' ms'),
    parallel8: verdict(pods[8].parOverSeq, TARGETS.parallel8Ratio, '×', 2),
  };
  return { pods, targets };
}

function startupTable(v) {
  const bridge = v['version-bridge'].total.median;
  const out = [
    '### 1. Start-up: `CNI_COMMAND=VERSION` (ms)',
    '',
    '| binary | min | median | max | × bridge |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const x of Object.values(v).filter((y) => y.group === 'startup'))
    out.push(`| ${x.label} | ${mmm(x.total)} | ${f2(x.total.median / bridge)} |`);
  return out;
}

/** The rows of one pod size: direct first, then every path measured in this run. */
const ROWS = {
  1: ['direct-1', 'multus-seq-1', 'multus-par-1'],
  3: ['direct-3', 'multus-seq-3', 'multus-par-3', 'thick-seq-3', 'go-thin-3', 'go-thick-3', 'reference-3'],
  8: ['direct-8', 'direct-par-8', 'multus-seq-8', 'multus-par-8', 'thick-seq-8', 'thick-par-8'],
};

function podTable(v, d) {
  const out = [
    '### 2. ADD+DEL of a pod, file mode (ms)',
    '',
    'Overhead and ratio: the variant\'s median against the median of the same delegates called directly in the same run. "Paired" is the median of per-round differences.',
    '',
    '| delegates | variant | ADD median | DEL median | ADD+DEL min | median | max | overhead | ratio |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const n of [1, 3, 8]) {
    const direct = v[`direct-${n}`];
    for (const id of ROWS[n].filter((r) => v[r] !== undefined)) {
      const x = v[id];
      const isDirect = id === `direct-${n}`;
      const paired = pairedMedian(x.samples.total, direct.samples.total);
      const over = isDirect ? '–' : `${f1(x.total.median - d.pods[n].direct)} (paired ${f1(paired)})`;
      const ratio = isDirect ? '1.00' : f2(x.total.median / d.pods[n].direct);
      out.push(
        `| ${n} | ${x.label} | ${f1(x.add.median)} | ${f1(x.del.median)} | ${mmm(x.total)} | ${over} | ${ratio} |`,
      );
    }
  }
  out.push(
    '',
    'Parallel against sequential (medians):',
    '',
    '| delegates | path | sequential ADD+DEL | parallel ADD+DEL | parallel / sequential | ADD only: parallel / sequential |',
    '|---:|---|---:|---:|---:|---:|',
  );
  for (const n of [1, 3, 8]) {
    const p = d.pods[n];
    out.push(`| ${n} | dist/multus | ${f1(p.seq)} | ${f1(p.par)} | ${f2(p.parOverSeq)} | ${f2(p.parOverSeqAdd)} |`);
  }
  const [d8, dp8] = [v['direct-8'], v['direct-par-8']];
  if (d8 && dp8)
    out.push(
      `| 8 | called directly, all at once (the machine's floor) | ${f1(d8.total.median)} | ${f1(dp8.total.median)} | ${f2(dp8.total.median / d8.total.median)} | ${f2(dp8.add.median / d8.add.median)} |`,
    );
  const [s8, p8] = [v['thick-seq-8'], v['thick-par-8']];
  if (s8 && p8)
    out.push(
      `| 8 | shim → daemon | ${f1(s8.total.median)} | ${f1(p8.total.median)} | ${f2(p8.total.median / s8.total.median)} | ${f2(p8.add.median / s8.add.median)} |`,
    );
  return out;
}

function kubeTable(result, d) {
  const v = result.variants;
  const file3 = v['multus-seq-3'].total.median;
  const out = [
    '### 4. The 3-delegate pod through the Kubernetes source, thin (ms)',
    '',
    "NetworkAttachmentDefinitions served by the bench's API server (HTTPS on 127.0.0.1, token auth, in another process). Every ADD writes network-status (a PATCH); DEL is served from the record.",
    '',
    '| variant | ADD median | DEL median | ADD+DEL min | median | max | overhead vs direct | vs file mode | API requests during one ADD |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const id of ['kube-get-3', 'kube-rc-3']) {
    const x = v[id];
    const reqs = (result.apiRequestsPerPod[id] ?? []).map((r) =>
      r.replace(/^(\S+) \/(?:api|apis)\/\S*\/(pods|network-attachment-definitions)\/\S+ → (\d+)$/, '$1 $2 $3'),
    );
    const counted = Object.entries(reqs.reduce((m, r) => ({ ...m, [r]: (m[r] ?? 0) + 1 }), {}))
      .map(([r, c]) => `${c}× ${r}`)
      .join(', ');
    out.push(
      `| ${x.label} | ${f1(x.add.median)} | ${f1(x.del.median)} | ${mmm(x.total)} | ${f1(x.total.median - d.pods[3].direct)} | ${signed(x.total.median - file3)} | ${counted || '–'} |`,
    );
  }
  return out;
}

function rssTable(result) {
  if (!result.rss)
    return ['### 5. Peak RSS during ADD (MiB)', '', 'Not measured: /usr/bin/time (GNU time) is missing.'];
  const out = [
    '### 5. Peak RSS during ADD (MiB)',
    '',
    "`/usr/bin/time -f %M`: the largest resident set of the process and of the children it waited for (the delegates, smaller than multus: see the bridge row). A shim waits for no delegate: its row is the shim alone; the daemons' memory is section 6.",
    '',
    '| process | min | median | max |',
    '|---|---:|---:|---:|',
  ];
  for (const x of Object.values(result.rss))
    out.push(`| ${x.label} | ${mib(x.kb.min)} | ${mib(x.kb.median)} | ${mib(x.kb.max)} |`);
  return out;
}

/** Sections 1, 2, 4 and 5 (sections 3, 6 and 7 are thick mode's, report-thick.mjs); `d`: deriveThin's. */
export const thinSections = (result, d) => ({
  startup: startupTable(result.variants),
  pods: podTable(result.variants, d),
  kube: kubeTable(result, d),
  rss: rssTable(result),
});

export function thinTargets(result, d) {
  const v = result.variants;
  const t = d.targets;
  const p8 = d.pods[8];
  const rss = (id) => mib(result.rss?.[id]?.kb.median);
  return [
    "### Issue 7's targets (thin mode)",
    '',
    '| target | measured (median) | verdict |',
    '|---|---:|---|',
    `| \`VERSION\` ≤ ${TARGETS.versionMs} ms | ${f1(v['version-multus'].total.median)} ms | ${t.version.text} |`,
    `| ADD+DEL overhead over direct delegates ≤ ${TARGETS.overhead3Ms} ms, 3-delegate pod | ${f1(d.pods[3].overheadSeq)} ms (paired ${f1(d.pods[3].overheadSeqPaired)} ms) | ${t.overhead3.text} |`,
    `| 8-delegate pod, parallel ADD+DEL ≤ ${TARGETS.parallel8Ratio}× sequential | ${f2(p8.parOverSeq)}× (${f1(p8.par)} / ${f1(p8.seq)} ms) | ${t.parallel8.text} |`,
    `| peak RSS reported | ${result.rss ? `${rss('multus-seq-3')} MiB (3 delegates), ${rss('multus-par-8')} MiB (8, parallel), ${rss('kube-get-3')} MiB (Kubernetes)` : 'not measured (/usr/bin/time missing)'} | ${result.rss ? '**reported**' : '**missing**'} |`,
    '',
    `Where the thin plugin's sequential overhead goes (medians): start-up, paid twice per pod (ADD and DEL), ${f1(2 * v['version-multus'].total.median)} ms against the Go bridge's ${f1(2 * v['version-bridge'].total.median)} ms; the 1-delegate pod's overhead ${f1(d.pods[1].overheadSeq)} ms (ADD ${f1(v['multus-seq-1'].add.median - v['direct-1'].add.median)}, DEL ${f1(v['multus-seq-1'].del.median - v['direct-1'].del.median)}); each further delegate adds ${f1((p8.overheadSeq - d.pods[1].overheadSeq) / 7)} ms ((8-delegate overhead − 1-delegate overhead) / 7). So one thin call (an ADD or a DEL with one delegate) costs about ${f1(d.pods[1].overheadSeq / 2)} ms more than the delegate alone, of which VERSION's start-up explains ${f1(v['version-multus'].total.median)} ms.`,
    '',
    `The parallel ratio covers ADD+DEL; both run attachments that share no host object at once (DEL in reverse): the ADD alone is ${f2(p8.parOverSeqAdd)}× sequential (${f1(v['multus-par-8'].add.median)} / ${f1(v['multus-seq-8'].add.median)} ms), its DEL ${f1(v['multus-par-8'].del.median)} ms against ${f1(v['multus-seq-8'].del.median)} ms.`,
  ];
}
