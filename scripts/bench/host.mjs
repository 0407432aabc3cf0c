// What the benchmark creates on the host (network namespaces, links, temp dirs, the API
// server process) and how it all goes away again: on success, on failure, on Ctrl-C or
// SIGTERM. Cleanup is idempotent and never throws.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from './proc.mjs';

/** The fixed names of the host links the bench makes: bridges mbnbr<N>, macvlan masters mbnmv<N>. */
export const BRIDGE = (n) => `mbnbr${n}`;
export const MASTER = (n) => `mbnmv${n}`;
const OUR_LINK = /^mbn(br|mv)\d+$/;
const NETNS_PREFIX = 'mbench-';
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

const quiet = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' });
const pidAlive = (pid) => existsSync(`/proc/${pid}`);

export class Host {
  constructor() {
    this.work = mkdtempSync(join(tmpdir(), 'multus-bench-'));
    this.netnses = [];
    this.links = [];
    this.children = [];
    this.hooks = [];
    this.ipForward = readFileSync(IP_FORWARD, 'utf8').trim();
    this.cleaned = false;
  }

  /**
   * Removes what a previous bench run killed with SIGKILL left behind: its namespaces (named
   * after its pid, only when that pid is gone) and the fixed link names.
   */
  removeStale() {
    const stale = [];
    for (const ns of existsSync('/var/run/netns') ? readdirSync('/var/run/netns') : []) {
      const m = /^mbench-(\d+)-/.exec(ns);
      if (m && !pidAlive(Number(m[1]))) {
        quiet('ip', ['netns', 'del', ns]);
        stale.push(ns);
      }
    }
    const links = JSON.parse(sh('ip', ['-j', 'link', 'show']).stdout || '[]');
    for (const l of links) {
      if (typeof l.ifname === 'string' && OUR_LINK.test(l.ifname)) {
        quiet('ip', ['link', 'del', l.ifname]);
        stale.push(l.ifname);
      }
    }
    return stale;
  }

  addNetns(suffix) {
    const name = `${NETNS_PREFIX}${process.pid}-${suffix}`;
    sh('ip', ['netns', 'add', name]);
    this.netnses.push(name);
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return { name, path: `/var/run/netns/${name}` };
  }

  /** A veth pair on the host, both ends up: masters for macvlan delegates. */
  addVethPair(a, b) {
    this.links.push(a, b);
    sh('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    sh('ip', ['link', 'set', a, 'up']);
    sh('ip', ['link', 'set', b, 'up']);
  }

  /** Links a delegate will make (bridges): deleted at cleanup. */
  track(link) {
    this.links.push(link);
  }

  dir(name) {
    return join(this.work, name);
  }

  adopt(child) {
    this.children.push(child);
  }

  /** A synchronous step of the cleanup (stopping a daemon the bench started), run before the rest. */
  atCleanup(fn) {
    this.hooks.push(fn);
  }

  cleanup() {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const fn of this.hooks.splice(0)) {
      try {
        fn();
      } catch {
        /* cleanup goes on */
      }
    }
    for (const c of this.children) {
      try {
        if (c.exitCode === null) c.kill('SIGTERM');
      } catch {
        /* already gone */
      }
    }
    for (const ns of this.netnses) quiet('ip', ['netns', 'del', ns]);
    for (const l of this.links) quiet('ip', ['link', 'del', l]);
    rmSync(this.work, { recursive: true, force: true });
    try {
      writeFileSync(IP_FORWARD, this.ipForward);
    } catch {
      /* not root: nothing was changed */
    }
  }

  /** Cleans up on Ctrl-C and SIGTERM too (children killed by Ctrl-C also end the sync loops). */
  installSignalHandlers() {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
        this.cleanup();
        process.exit(128 + { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[sig]);
      });
    }
    process.on('exit', () => this.cleanup());
  }

  /** What is left that the bench made: [] after a clean run. */
  leftovers() {
    const left = [];
    const netnsDir = '/var/run/netns';
    const nses = existsSync(netnsDir) ? readdirSync(netnsDir) : [];
    for (const ns of this.netnses) if (nses.includes(ns)) left.push(`netns ${ns}`);
    const links = JSON.parse(sh('ip', ['-j', 'link', 'show']).stdout || '[]').map((l) => l.ifname);
    for (const l of this.links) if (links.includes(l)) left.push(`link ${l}`);
    if (existsSync(this.work)) left.push(`dir ${this.work}`);
    return left;
  }
}
