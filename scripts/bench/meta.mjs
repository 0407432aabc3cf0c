// What the report says about the run itself: the machine, its load, the binaries' identity, and
// what was left behind (host-local leases).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from './proc.mjs';

export function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function gitState(root) {
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

export function machine() {
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

export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Host-local lease files (named by address) left in the IPAM dir: 0 after a clean run. */
export function leasesLeft(ipamDir) {
  if (!existsSync(ipamDir)) return 0;
  let n = 0;
  for (const net of readdirSync(ipamDir)) {
    const d = join(ipamDir, net);
    if (statSync(d).isDirectory()) n += readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).length;
  }
  return n;
}
