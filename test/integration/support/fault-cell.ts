import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';
import { describeProcesses, isRunning, killPids, processesWithEnv, sleep } from './fault-run';
import { bridgePorts, createNetns, hostAddrsWithPrefix, hostLinksInto, netnsExists, netnsLinkNames } from './net';
import { cacheFiles, leaseFiles, type Workspace } from './workspace';

/** The fault test plugin (test/plugins/fault-plugin.js): not a real CNI plugin; see its header. */
export const FAULT_PLUGIN = join(__dirname, '..', '..', 'plugins', 'fault-plugin.js');

/** What test/plugins/fault-plugin.js understands in its config's `fault` object. */
export interface FaultSpec {
  readonly on?: 'ADD' | 'DEL' | 'CHECK' | 'any';
  readonly do:
    'fail' | 'hang' | 'garbage' | 'empty' | 'unknown-version' | 'error-exit0' | 'die' | 'kill-parent-then-hang';
  readonly code?: number;
  readonly msg?: string;
  readonly signal?: string;
  /** Run the real plugin first (its interface and lease exist), then misbehave. */
  readonly delegateFirst?: boolean;
  /** Misbehave on the first N matching calls only. */
  readonly times?: number;
}

/** One line of `<faultDir>/calls.jsonl`. */
export interface FaultCall {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
  readonly containerId: string;
  readonly ifname: string;
  readonly netns: string;
  readonly delegateTo?: string;
  readonly fault?: string;
  readonly at: number;
}

/** What the fault plugin recorded in `faultDir`, in call order. */
export function readFaultCalls(faultDir: string): FaultCall[] {
  const file = join(faultDir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as FaultCall);
}

/** Every pid a hanging fault plugin wrote in `faultDir`: itself and its grandchild. */
export function readHangPids(faultDir: string): number[] {
  if (!existsSync(faultDir)) return [];
  return readdirSync(faultDir)
    .filter((f) => /^hang-\d+\.pids$/u.test(f))
    .flatMap((f) => readFileSync(join(faultDir, f), 'utf8').trim().split(/\s+/u).map(Number));
}

/** The three delegates of the fault-matrix pod, by position (1-based in titles, 0-based here). */
export const POD_DELEGATES = [
  { network: 'fm-bridge-a', type: 'bridge', ifname: 'eth0' },
  { network: 'fm-ptp', type: 'ptp', ifname: 'net0' },
  { network: 'fm-bridge-b', type: 'bridge', ifname: 'net1' },
] as const;

/**
 * A plugin dir holding only the fault plugin, as `fault`: a copy (not a link to the repo file,
 * whose mode depends on the checkout's umask) with mode 0755 in a 0755 dir, because multus
 * refuses plugin dirs and binaries that group or others may write (code 107).
 */
export function installFaultPlugin(ws: Workspace): string {
  const binDir = join(ws.dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  chmodSync(binDir, 0o755);
  const target = join(binDir, 'fault');
  copyFileSync(FAULT_PLUGIN, target);
  chmodSync(target, 0o755);
  return binDir;
}

/** The file-level pieces every cell shares: two bridges and three subnets (10.<net>.1-3.0/24). */
export interface FaultBed {
  readonly ws: Workspace;
  readonly binDir: string;
  readonly bridges: readonly [string, string];
  readonly net: number;
}

export interface PodOptions {
  /** Faults by 0-based position; a position listed here runs the fault plugin in front of its real plugin. */
  readonly faults?: Readonly<Record<number, FaultSpec>>;
  /** Positions that run the fault plugin without a fault (it only records calls and delegates). */
  readonly recorded?: readonly number[];
  readonly delegateTimeoutSeconds?: number;
  readonly cniVersion?: string;
}

/**
 * One cell of the matrix: its own netns, container id, cache dir, host-local dataDir and fault
 * dir, so whatever a cell leaves is found by that cell's checks and by nobody else's.
 */
export class FaultCell {
  readonly ns: string;
  readonly netnsPath: string;
  readonly containerId: string;
  readonly cniDir: string;
  readonly ipamDir: string;
  readonly faultDir: string;

  constructor(
    private readonly bed: FaultBed,
    readonly suffix: string,
    cleanup: Cleanup,
  ) {
    const { ws } = bed;
    const dir = join(ws.dir, `cell-${suffix}`);
    this.ns = `${ws.prefix}-${suffix}`;
    this.containerId = `${ws.prefix}-ctr-${suffix}`;
    this.cniDir = join(dir, 'cache');
    this.ipamDir = join(dir, 'ipam');
    this.faultDir = join(dir, 'faults');
    mkdirSync(this.faultDir, { recursive: true });
    // Safety net, run last: a process of this cell still alive (a hung delegate multus failed
    // to kill) is killed by pid, so a failing cell leaks no process either.
    cleanup.add(`processes of ${this.containerId}`, () =>
      killPids([...this.hangPids(), ...processesWithEnv('CNI_CONTAINERID', this.containerId)]),
    );
    this.netnsPath = createNetns(this.ns, cleanup);
  }

  /** The multus config of the 3-delegate pod: bridge (master, eth0), ptp (net0), bridge (net1). */
  config(options: PodOptions = {}): Record<string, unknown> {
    const { bridges, net, binDir } = this.bed;
    const hostLocal = (third: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      type: 'host-local',
      subnet: `10.${net}.${third}.0/24`,
      dataDir: this.ipamDir,
      ...extra,
    });
    const real: Array<Record<string, unknown>> = [
      { name: POD_DELEGATES[0].network, type: 'bridge', bridge: bridges[0], isGateway: true, ipam: hostLocal(1) },
      {
        name: POD_DELEGATES[1].network,
        type: 'ptp',
        ipam: hostLocal(2, { routes: [{ dst: '0.0.0.0/0' }], gateway: `10.${net}.2.1` }),
      },
      { name: POD_DELEGATES[2].network, type: 'bridge', bridge: bridges[1], ipam: hostLocal(3) },
    ];
    const delegates = real.map((conf, i) => {
      const fault = options.faults?.[i];
      const standIn = fault !== undefined || options.recorded?.includes(i) === true;
      const shaped = standIn
        ? {
            ...conf,
            type: 'fault',
            delegateTo: conf['type'],
            faultDir: this.faultDir,
            ...(fault === undefined ? {} : { fault }),
          }
        : conf;
      return i === 0 ? { ...shaped, masterplugin: true } : shaped;
    });
    return {
      name: 'fm-pod',
      type: 'multus',
      cniVersion: options.cniVersion ?? '1.0.0',
      logLevel: 'debug',
      logToStderr: true,
      cniDir: this.cniDir,
      binDir,
      ...(options.delegateTimeoutSeconds === undefined
        ? {}
        : { delegateTimeoutSeconds: options.delegateTimeoutSeconds }),
      delegates,
    };
  }

  /** What the fault plugin recorded, in call order. */
  calls(): FaultCall[] {
    return readFaultCalls(this.faultDir);
  }

  /** `COMMAND ifname` of each recorded call, e.g. `ADD net0`. */
  callSummary(): string[] {
    return this.calls().map((c) => `${c.command} ${c.ifname}`);
  }

  /** Every pid a hanging fault plugin wrote: itself and its grandchild. */
  hangPids(): number[] {
    return readHangPids(this.faultDir);
  }

  /** The cache entry's attachment states, or undefined without an entry. */
  cachedStates(ifname = 'eth0'): string[] | undefined {
    const file = join(this.cniDir, `${this.containerId}-${ifname}.json`);
    if (!existsSync(file)) return undefined;
    const entry = JSON.parse(readFileSync(file, 'utf8')) as { attachments: Array<{ state: string }> };
    return entry.attachments.map((a) => a.state);
  }

  /**
   * Nothing of the pod left: only lo in the pod (when its netns still exists), no host veth
   * into it, no port on the test's bridges, no ptp gateway address on the host, no host-local
   * lease, no file at all in the cache dir (entry, temp file or lock), no hung delegate or its
   * child still running, and no process at all with this container's CNI_CONTAINERID. A process
   * SIGKILLed a moment ago may take a while to exit on a loaded machine: running ones are
   * polled for up to 10 s.
   */
  async expectNothingLeft(): Promise<void> {
    if (netnsExists(this.ns)) {
      expect(netnsLinkNames(this.ns)).toEqual(['lo']);
      expect(hostLinksInto(this.ns)).toEqual([]);
    }
    expect(this.bed.bridges.flatMap((b) => bridgePorts(b))).toEqual([]);
    expect(hostAddrsWithPrefix(`10.${this.bed.net}.2.`)).toEqual([]);
    expect(leaseFiles(this.ipamDir)).toEqual([]);
    expect(cacheFiles(this.cniDir)).toEqual([]);
    const running = (): number[] => [
      ...new Set([...this.hangPids().filter(isRunning), ...processesWithEnv('CNI_CONTAINERID', this.containerId)]),
    ];
    for (let waited = 0; running().length > 0 && waited < 30_000; waited += 50) await sleep(50);
    expect(describeProcesses(running())).toBe('');
  }
}
