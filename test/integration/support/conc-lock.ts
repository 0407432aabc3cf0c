import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A tiny CNI test plugin written by the test (a shell script, not a real plugin: it makes no
 * interface) that shows whether the per-container lock really excludes: every call appends
 * `start <pid>`, sleeps, appends `end <pid>` to a log, so two delegate calls running at the same
 * time show up as a `start` while another call is still open. ADD prints an empty 1.0.0 result.
 * A config with `"hang": true` makes ADD sleep for ever without logging: the delegate a killed
 * multus leaves behind (its process group is in the lock file); only a takeover's kill ends it.
 * VERSION (asked before the lock is taken, and read-only) answers at once and is not logged.
 */
export const LOCK_PROBE_TYPE = 'lockprobe';

export function writeLockProbe(binDir: string, log: string, sleepSeconds: number): void {
  mkdirSync(binDir, { recursive: true, mode: 0o755 });
  chmodSync(binDir, 0o755);
  const script = [
    '#!/bin/sh',
    'conf=$(cat)',
    `if [ "$CNI_COMMAND" = VERSION ]; then printf ` +
      `'{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}'; exit 0; fi`,
    'case "$conf" in',
    `  *'"hang":true'*) if [ "$CNI_COMMAND" = ADD ]; then exec sleep infinity; fi ;;`,
    'esac',
    `echo "start $$ $CNI_COMMAND" >> '${log}'`,
    `sleep ${sleepSeconds}`,
    `echo "end $$ $CNI_COMMAND" >> '${log}'`,
    `if [ "$CNI_COMMAND" = ADD ]; then printf '{"cniVersion":"1.0.0","interfaces":[],"ips":[]}'; fi`,
    'exit 0',
    '',
  ].join('\n');
  const file = join(binDir, LOCK_PROBE_TYPE);
  writeFileSync(file, script, { mode: 0o755 });
  chmodSync(file, 0o755);
}

/** The probe's calls that started while another was still running (`start <pid> <command>` lines), in log order. */
export function overlappingCalls(log: string): string[] {
  if (!existsSync(log)) return [];
  const open = new Set<string>();
  const overlaps: string[] = [];
  for (const line of readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')) {
    const [kind, pid, command] = line.split(' ');
    if (kind === 'start') {
      if (open.size > 0) overlaps.push(`${command ?? ''} (pid ${pid ?? ''}) started while ${[...open].join(', ')} ran`);
      open.add(`${command ?? ''} (pid ${pid ?? ''})`);
    } else {
      open.delete(`${command ?? ''} (pid ${pid ?? ''})`);
    }
  }
  return overlaps;
}

/**
 * The owner's pid and its delegate's process group once multus has started a delegate, polled up
 * to `timeoutMs`. The lock file holds `<pid> <start time>` and, while a delegate runs, `<child pid>
 * <child start time>` after them (src/runtime/file-container-lock.ts).
 */
export async function waitForLockedChild(lockFile: string, timeoutMs: number): Promise<{ pid: number; child: number }> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const [pid, , child] = (existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : '')
      .trim()
      .split(/\s+/u)
      .map(Number);
    if (pid !== undefined && child !== undefined && Number.isInteger(pid) && Number.isInteger(child) && child > 0)
      return { pid, child };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${lockFile} did not name a running delegate within ${timeoutMs} ms`);
}
