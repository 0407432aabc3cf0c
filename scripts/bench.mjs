#!/usr/bin/env node
// npm run bench: measures dist/multus against the delegates themselves, interleaving the
// variants so machine drift hits all alike. Reports min/median/max and ratios against the
// baseline measured in the same run; asserts nothing. Needs root (network namespaces).
//   1. start-up: dist/multus VERSION vs /usr/lib/cni/bridge VERSION (the Go floor), and
//      $MULTUS_REFERENCE_BIN VERSION when that is set;
//   2. ADD+DEL of the seed's 3-delegate pod through dist/multus vs the same delegates called
//      directly in the same order.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const root = new URL('..', import.meta.url).pathname;
const multus = join(root, 'dist', 'multus');
const work = mkdtempSync(join(tmpdir(), 'multus-bench-'));
const ns = `mbench-${process.pid}`;
const netns = `/var/run/netns/${ns}`;

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function timed(bin, env, stdin) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, [], { env: { PATH: process.env.PATH, ...env }, input: stdin, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${bin} ${env.CNI_COMMAND} failed: ${r.stdout} ${r.stderr}`);
  return ms;
}

const ipam = (subnet, extra = {}) => ({ type: 'host-local', subnet, dataDir: join(work, 'ipam'), ...extra });
const delegates = [
  { name: 'bench-master', type: 'bridge', bridge: 'mbench0', ipam: ipam('10.252.0.0/24') },
  { name: 'bench-ptp', type: 'ptp', ipam: ipam('10.252.1.0/24') },
  { name: 'bench-br', type: 'bridge', bridge: 'mbench1', ipam: ipam('10.252.2.0/24', { rangeStart: '10.252.2.10', rangeEnd: '10.252.2.20' }) },
];
const multusConf = JSON.stringify({ name: 'bench', type: 'multus', cniVersion: '1.0.0', cniDir: join(work, 'cache'), logToStderr: false, delegates });
const base = { CNI_CONTAINERID: 'bench', CNI_NETNS: netns, CNI_PATH: '/usr/lib/cni', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=b;K8S_POD_NAME=b' };

function viaMultus() {
  return timed(multus, { ...base, CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' }, multusConf) + timed(multus, { ...base, CNI_COMMAND: 'DEL', CNI_IFNAME: 'eth0' }, multusConf);
}

function direct() {
  const names = ['eth0', 'net0', 'net1'];
  let total = 0;
  delegates.forEach((d, i) => {
    total += timed(`/usr/lib/cni/${d.type}`, { ...base, CNI_COMMAND: 'ADD', CNI_IFNAME: names[i] }, JSON.stringify({ cniVersion: '1.0.0', ...d }));
  });
  for (let i = delegates.length - 1; i >= 0; i -= 1) {
    const d = delegates[i];
    total += timed(`/usr/lib/cni/${d.type}`, { ...base, CNI_COMMAND: 'DEL', CNI_IFNAME: names[i] }, JSON.stringify({ cniVersion: '1.0.0', ...d }));
  }
  return total;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1], runs: s.length };
};
const fmt = (x) => x.toFixed(1).padStart(7);

const variants = {
  'VERSION dist/multus': () => timed(multus, { CNI_COMMAND: 'VERSION' }, ''),
  'VERSION /usr/lib/cni/bridge': () => timed('/usr/lib/cni/bridge', { CNI_COMMAND: 'VERSION' }, ''),
  'ADD+DEL 3 delegates via dist/multus': viaMultus,
  'ADD+DEL 3 delegates called directly': direct,
};
if (process.env.MULTUS_REFERENCE_BIN) variants['VERSION $MULTUS_REFERENCE_BIN'] = () => timed(process.env.MULTUS_REFERENCE_BIN, { CNI_COMMAND: 'VERSION' }, '');

const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
try {
  sh('ip', ['netns', 'add', ns]);
  for (const run of Object.values(variants)) run(); // warm-up
  for (let i = 0; i < RUNS; i += 1) for (const [name, run] of Object.entries(variants)) samples[name].push(run());
  const table = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
  console.log(`runs per variant: ${RUNS} (after one warm-up), times in ms`);
  console.log(`${'variant'.padEnd(40)}    min  median     max`);
  for (const [k, s] of Object.entries(table)) console.log(`${k.padEnd(40)}${fmt(s.min)} ${fmt(s.median)} ${fmt(s.max)}`);
  const v = table['VERSION dist/multus'].median / table['VERSION /usr/lib/cni/bridge'].median;
  const m = table['ADD+DEL 3 delegates via dist/multus'].median;
  const d = table['ADD+DEL 3 delegates called directly'].median;
  console.log(`start-up ratio multus/bridge (medians): ${v.toFixed(2)}`);
  console.log(`ADD+DEL overhead (medians): ${(m - d).toFixed(1)} ms, ratio ${(m / d).toFixed(2)}`);
  writeFileSync(join(root, 'dist', 'bench.json'), JSON.stringify({ date: new Date().toISOString(), runs: RUNS, table, samples }, null, 2));
} finally {
  spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['link', 'del', 'mbench0']);
  spawnSync('ip', ['link', 'del', 'mbench1']);
  rmSync(work, { recursive: true, force: true });
}
