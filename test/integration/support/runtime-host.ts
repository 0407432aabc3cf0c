import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';

/**
 * Host-side helpers for the real-runtime tests (podman, containerd): running their CLIs with a
 * bound time, preparing the machine (scripts/runtime-setup.sh) and undoing what a runtime
 * leaves on the host outside the test's temp dir (cgroups, mounts, default state dirs).
 */

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const RUNTIME_SETUP = join(REPO_ROOT, 'scripts', 'runtime-setup.sh');
/** apt-get on a fresh machine: bounded, but generous. */
export const SETUP_TIMEOUT_MS = 10 * 60_000;

export interface ToolRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

export interface ToolOptions {
  /** Killed (its whole process group, SIGKILL) after this long. */
  readonly timeoutMs: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly input?: string;
}

/**
 * Runs a runtime CLI (podman, ctr, ...) as its own process group and kills the group when it
 * overruns, so a stuck runtime fails the test instead of hanging it. Never throws for an exit
 * code: callers assert on the result (see `expectToolOk`).
 */
export function runTool(command: string, args: readonly string[], options: ToolOptions): Promise<ToolRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        ms: Date.now() - started,
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Exit 0, or an error showing the command line, how it ended and its output. */
export function expectToolOk(run: ToolRun, what: string): void {
  if (run.code === 0 && !run.timedOut) return;
  const how = run.timedOut
    ? `timed out after ${run.ms} ms`
    : `exit ${String(run.code)}${run.signal ? ` (${run.signal})` : ''}`;
  throw new Error(`${what}: ${how}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
}

/**
 * scripts/runtime-setup.sh: installs and prepares what the runtime tests need (idempotent,
 * quick when everything is there). Fails the suite with the script's own words otherwise.
 */
export function runRuntimeSetup(): void {
  try {
    execFileSync('bash', [RUNTIME_SETUP], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SETUP_TIMEOUT_MS,
      encoding: 'utf8',
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`scripts/runtime-setup.sh failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, for at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

interface MountInfo {
  readonly mountPoint: string;
  readonly fsType: string;
}

/** /proc/self/mountinfo, one entry per mount (mount point and filesystem type). */
function mounts(): MountInfo[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const fields = line.split(' ');
      const sep = fields.indexOf('-');
      return { mountPoint: unescapeMount(fields[4] ?? ''), fsType: fields[sep + 1] ?? '' };
    });
}

function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/gu, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points strictly below `dir` (a runtime's leftover shm, rootfs or netns mounts). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mounts()
    .map((m) => m.mountPoint)
    .filter((p) => p.startsWith(prefix));
}

/** Lazily unmounts everything below `dir`, deepest first, so the dir can be removed. */
export function unmountUnder(dir: string): void {
  for (const point of mountsUnder(dir).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // raced with the runtime's own unmount
    }
  }
}

/** The mount points of every cgroup hierarchy (v1 controllers and/or the v2 unified tree). */
export function cgroupRoots(): string[] {
  return mounts()
    .filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2')
    .map((m) => m.mountPoint);
}

/** The cgroup directories named `relative` (e.g. `/rp1234`) that exist under any hierarchy. */
export function cgroupDirs(relative: string): string[] {
  return cgroupRoots()
    .map((root) => join(root, relative))
    .filter((p) => existsSync(p));
}

/**
 * Removes the cgroup `relative` from every hierarchy, children first (cgroup directories go only
 * with rmdir, and only when no process is left in them).
 */
export function removeCgroup(relative: string): void {
  const problems: string[] = [];
  const removeTree = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeTree(join(dir, entry.name));
    }
    try {
      rmdirSync(dir);
    } catch (err) {
      problems.push(`${dir}: ${(err as Error).message}`);
    }
  };
  for (const dir of cgroupDirs(relative)) removeTree(dir);
  if (problems.length > 0) throw new Error(`cgroup ${relative} not removed: ${problems.join('; ')}`);
}

/**
 * Registers host directories that a runtime creates on first use outside any configurable root
 * (runc's `/run/runc`, the image blob-info cache's `/var/lib/containers`, ...): each one that
 * does not exist now is removed at cleanup if it is empty by then (or, for `removeTree` ones,
 * with its content). A directory that already existed is never touched.
 */
export function removeIfCreated(
  cleanup: Cleanup,
  dirs: ReadonlyArray<{ readonly path: string; readonly removeTree?: boolean }>,
): void {
  for (const { path, removeTree } of dirs) {
    if (existsSync(path)) continue;
    cleanup.add(`created dir ${path}`, () => {
      if (!existsSync(path)) return;
      if (removeTree === true) {
        rmSync(path, { recursive: true, force: true });
        return;
      }
      if (statSync(path).isDirectory() && readdirSync(path).length === 0) rmdirSync(path);
    });
  }
}

/** Pids of live processes whose command line contains every one of `needles`. */
export function pidsWithCmdline(needles: readonly string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/u.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (needles.every((n) => cmdline.includes(n))) found.push(Number(entry));
  }
  return found.filter((pid) => pid !== process.pid);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0: it is gone for our purposes.
  try {
    return !/^State:\s+Z/mu.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Names in /run/netns now (to tell the namespaces a runtime made during a test from others'). */
export function netnsNames(): string[] {
  return existsSync('/run/netns') ? readdirSync('/run/netns').sort() : [];
}

/** `iptables -w -t nat -S`: every chain and rule of the nat table, one per line. */
export function natRules(): string[] {
  return execFileSync('iptables', ['-w', '5', '-t', 'nat', '-S'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .split('\n')
    .filter((l) => l !== '');
}

/** The nat chains (`-N NAME` lines) that exist now. */
export function natChains(): string[] {
  return natRules()
    .filter((l) => l.startsWith('-N '))
    .map((l) => l.slice(3));
}

/**
 * Removes the nat chains matching `pattern` that were not there before (`existing`): first every
 * rule that jumps to one of them (from any chain), then their rules, then the chains. The
 * portmap plugin leaves CNI-HOSTPORT-* chains and their jumps from PREROUTING/OUTPUT/POSTROUTING
 * behind after its last DEL, by design.
 */
export function removeNatChains(pattern: RegExp, existing: ReadonlySet<string>): void {
  const ours = natChains().filter((c) => pattern.test(c) && !existing.has(c));
  if (ours.length === 0) return;
  const ipt = (args: string[]): void => {
    execFileSync('iptables', ['-w', '5', '-t', 'nat', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  for (const rule of natRules()) {
    if (!rule.startsWith('-A ')) continue;
    const target = /(?:^| )-j (\S+)/u.exec(rule)?.[1];
    const chain = rule.split(' ')[1] ?? '';
    if (target !== undefined && ours.includes(target) && !ours.includes(chain)) {
      ipt(['-D', ...splitRule(rule.slice(3))]);
    }
  }
  for (const chain of ours) ipt(['-F', chain]);
  for (const chain of ours) ipt(['-X', chain]);
}

/** An `iptables -S` rule split into arguments (quoted comments kept whole). */
function splitRule(rule: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rule)) !== null) args.push(m[1] !== undefined ? m[1].replace(/\\"/gu, '"') : (m[2] ?? ''));
  return args;
}

/** One interface as busybox `ip addr` prints it (busybox's ip has no `-j`). */
export interface ContainerLink {
  readonly ifname: string;
  /** IPv4 addresses with their prefix length, e.g. `10.242.1.2/24`. */
  readonly inet: readonly string[];
}

/**
 * Parses busybox `ip addr` text: `2: eth0@if12: <...>` starts a link, `    inet 10.1.2.3/24 ...`
 * lines give its IPv4 addresses.
 */
export function parseIpAddr(text: string): ContainerLink[] {
  const links: Array<{ ifname: string; inet: string[] }> = [];
  for (const line of text.split('\n')) {
    const head = /^\d+: ([^:@\s]+)(?:@[^:\s]+)?: </u.exec(line);
    if (head !== null) {
      links.push({ ifname: head[1] ?? '', inet: [] });
      continue;
    }
    const inet = /^\s+inet (\d+\.\d+\.\d+\.\d+\/\d+) /u.exec(line);
    if (inet !== null && links.length > 0) links[links.length - 1]?.inet.push(inet[1] ?? '');
  }
  return links;
}
