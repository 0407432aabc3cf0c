import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';
import { readFaultCalls, readHangPids, type FaultCall, type FaultSpec } from './fault-cell';
import { describeProcesses, isRunning, killPids, processesWithEnv, sleep } from './fault-run';
import {
  bridgePorts,
  createNetns,
  createVethPair,
  hostAddrsWithPrefix,
  hostLinksInto,
  netnsExists,
  netnsLinkNames,
} from './net';
import { cacheFile, cacheFiles, leaseFiles, type Workspace } from './workspace';

/** 10.247.0.0/16 belongs to the parallel-delegates tests. */
export const NET = 247;

/** The 8 attachments of the pod, by index: a mix of independent ones and two that share a bridge. */
export const POD = [
  { network: 'pd-master', type: 'bridge', ifname: 'eth0', kind: 'veth' }, // bridge <b0>, alone on it
  { network: 'pd-ptp-a', type: 'ptp', ifname: 'net0', kind: 'veth' },
  { network: 'pd-ptp-b', type: 'ptp', ifname: 'net1', kind: 'veth' },
  { network: 'pd-ptp-c', type: 'ptp', ifname: 'net2', kind: 'veth' },
  { network: 'pd-mv-a', type: 'macvlan', ifname: 'net3', kind: 'macvlan' }, // master <m1>
  { network: 'pd-mv-b', type: 'macvlan', ifname: 'net4', kind: 'macvlan' }, // master <m2>
  { network: 'pd-br-a', type: 'bridge', ifname: 'net5', kind: 'veth' }, // bridge <b1>, first
  { network: 'pd-br-b', type: 'bridge', ifname: 'net6', kind: 'veth' }, // bridge <b1>, second
] as const;

export type PodIfname = (typeof POD)[number]['ifname'];

/** What the wrapper waits for on ADD before running its plugin (see parallel-wrapper.ts). */
export type Await =
  | { readonly event: 'start' | 'end'; readonly ifname: string; readonly ms: number }
  | { readonly hangIn: string; readonly ms: number };

export interface PodOptions {
  readonly parallel: boolean;
  /** By attachment index: what its wrapper waits for on ADD. */
  readonly awaits?: Readonly<Record<number, readonly Await[]>>;
  /** By attachment index: a fault, acted out by the fault plugin in front of the real plugin. */
  readonly faults?: Readonly<Record<number, FaultSpec>>;
  readonly delegateTimeoutSeconds?: number;
  /**
   * Attachment indexes run as type `vendor`, a type multus does not know (it must run alone):
   * the wrapper under that name, with the fault plugin in front of the real plugin.
   */
  readonly vendor?: readonly number[];
  /** By attachment index: a macvlan `master` other than the pod's own veth master. */
  readonly masters?: Readonly<Record<number, string>>;
}

/** One line of the event log, as the wrapper wrote it. */
export interface PodEvent {
  readonly event: 'start' | 'end' | 'found' | 'missed';
  readonly command: string;
  readonly ifname: string;
  readonly pid: number;
  readonly status?: number;
  readonly awaited?: string;
}

/** What is left after a DEL or a rollback; {@link NOTHING_LEFT} when the pod is clean. */
export interface Leftovers {
  readonly podLinks: string[] | 'netns gone';
  readonly hostVethsIntoPod: string[];
  readonly bridgePorts: string[];
  readonly ptpHostAddrs: string[];
  readonly leases: string[];
  readonly cacheDirFiles: string[];
  readonly processes: string;
}

export const NOTHING_LEFT: Leftovers = {
  podLinks: ['lo'],
  hostVethsIntoPod: [],
  bridgePorts: [],
  ptpHostAddrs: [],
  leases: [],
  cacheDirFiles: [],
  processes: '',
};

/** The cache record's view of one attachment. */
export interface RecordedAttachment {
  readonly index: number;
  readonly network: string;
  readonly type: string;
  readonly ifname: string;
  readonly master: boolean;
  readonly origin: string;
  readonly cniVersion: string;
  readonly state: string;
  readonly result?: Record<string, unknown>;
}

/** Pids of live processes whose command line mentions `fragment` (the test's plugin paths). */
export function processesMentioning(fragment: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/u.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes(fragment) && isRunning(Number(name))) found.push(Number(name));
  }
  return found;
}

/**
 * One pod of the parallel-delegates tests: its own netns, container id, bridges (b0 for the
 * master, b1 shared by net5 and net6), two veth pairs as macvlan masters, cache dir, host-local
 * dataDir, fault dir, event log and subnets 10.247.<base + index>.0/24, so two pods (one
 * sequential, one parallel) never share a host object and whatever one leaves is found by its
 * own checks.
 */
export class ParallelPod {
  readonly ns: string;
  readonly netnsPath: string;
  readonly containerId: string;
  readonly cniDir: string;
  readonly ipamDir: string;
  readonly faultDir: string;
  readonly eventLog: string;
  readonly bridges: readonly [string, string];
  readonly macvlanMasters: readonly [string, string];

  constructor(
    private readonly ws: Workspace,
    private readonly binDir: string,
    readonly suffix: string,
    /** Third octet of attachment 0's subnet; attachment i uses base + i. */
    readonly base: number,
    cleanup: Cleanup,
  ) {
    const dir = join(ws.dir, `pod-${suffix}`);
    this.ns = `${ws.prefix}-${suffix}`;
    this.containerId = `${ws.prefix}-ctr-${suffix}`;
    this.cniDir = join(dir, 'cache');
    this.ipamDir = join(dir, 'ipam');
    this.faultDir = join(dir, 'faults');
    this.eventLog = join(dir, 'events.jsonl');
    mkdirSync(this.faultDir, { recursive: true });
    this.bridges = [`${ws.prefix}${suffix}b0`, `${ws.prefix}${suffix}b1`];
    this.macvlanMasters = [`${ws.prefix}${suffix}m1`, `${ws.prefix}${suffix}m2`];
    this.bridges.forEach((b) => cleanup.link(b));
    createVethPair(this.macvlanMasters[0], `${ws.prefix}${suffix}n1`, cleanup);
    createVethPair(this.macvlanMasters[1], `${ws.prefix}${suffix}n2`, cleanup);
    // Safety net, run before the netns and links go: any process of this pod still alive (a
    // hung delegate multus failed to kill, multus itself after a watchdog) is killed by pid.
    cleanup.add(`processes of ${this.containerId}`, () =>
      killPids([...this.hangPids(), ...processesWithEnv('CNI_CONTAINERID', this.containerId)]),
    );
    this.netnsPath = createNetns(this.ns, cleanup);
  }

  subnet(index: number): string {
    return `10.${NET}.${this.base + index}.0/24`;
  }

  /** The attachment index whose subnet holds `address` (`a.b.c.d[/len]`), or undefined. */
  indexOfAddress(address: string): number | undefined {
    const m = /^10\.(\d+)\.(\d+)\./u.exec(address);
    if (m === null || Number(m[1]) !== NET) return undefined;
    const index = Number(m[2]) - this.base;
    return index >= 0 && index < POD.length ? index : undefined;
  }

  /** The multus config of the 8-delegate pod. */
  config(options: PodOptions): Record<string, unknown> {
    const ipam = (index: number): Record<string, unknown> => ({
      type: 'host-local',
      subnet: this.subnet(index),
      dataDir: this.ipamDir,
    });
    const [b0, b1] = this.bridges;
    const [m1, m2] = this.macvlanMasters;
    const real: Array<Record<string, unknown>> = [
      { type: 'bridge', bridge: b0, isGateway: true, masterplugin: true },
      { type: 'ptp' },
      { type: 'ptp' },
      { type: 'ptp' },
      { type: 'macvlan', master: m1, mode: 'bridge' },
      { type: 'macvlan', master: m2, mode: 'bridge' },
      { type: 'bridge', bridge: b1 },
      { type: 'bridge', bridge: b1 },
    ];
    const delegates = real.map((conf, i) => {
      const fault = options.faults?.[i];
      const awaits = options.awaits?.[i];
      const vendor = options.vendor?.includes(i) === true;
      const master = options.masters?.[i];
      const viaFault = fault !== undefined || vendor;
      return {
        name: POD[i]?.network,
        ...conf,
        ...(master === undefined ? {} : { master }),
        ipam: ipam(i),
        eventLog: this.eventLog,
        ...(awaits === undefined ? {} : { await: awaits }),
        ...(viaFault ? { delegateTo: conf['type'], faultDir: this.faultDir } : {}),
        ...(fault === undefined ? {} : { fault }),
        ...(vendor ? { type: 'vendor' } : {}),
      };
    });
    return {
      name: 'pd-pod',
      type: 'multus',
      cniVersion: '1.0.0',
      logLevel: 'debug',
      logToStderr: true,
      cniDir: this.cniDir,
      binDir: this.binDir,
      parallelDelegates: options.parallel,
      ...(options.delegateTimeoutSeconds === undefined
        ? {}
        : { delegateTimeoutSeconds: options.delegateTimeoutSeconds }),
      delegates,
    };
  }

  call(): { containerId: string; netns: string } {
    return { containerId: this.containerId, netns: this.netnsPath };
  }

  /** The event log, in the order the events happened. */
  events(): PodEvent[] {
    if (!existsSync(this.eventLog)) return [];
    return readFileSync(this.eventLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as PodEvent);
  }

  /** The event log as `start ADD net3`, `end ADD net3 0`, `found ADD net0 <start ADD net3>` lines. */
  eventLines(command?: string): string[] {
    return this.events()
      .filter((e) => command === undefined || e.command === command)
      .map((e) => {
        const tail = e.event === 'end' ? ` ${String(e.status)}` : e.awaited === undefined ? '' : ` <${e.awaited}>`;
        return `${e.event} ${e.command} ${e.ifname}${tail}`;
      });
  }

  /** What the fault plugin recorded, in call order. */
  faultCalls(): FaultCall[] {
    return readFaultCalls(this.faultDir);
  }

  /** Every pid a hanging fault plugin wrote: itself and its grandchild. */
  hangPids(): number[] {
    return readHangPids(this.faultDir);
  }

  /** The cache record's attachments, or undefined without a record. */
  recorded(): RecordedAttachment[] | undefined {
    const file = cacheFile(this.cniDir, this.containerId);
    if (!existsSync(file)) return undefined;
    return (JSON.parse(readFileSync(file, 'utf8')) as { attachments: RecordedAttachment[] }).attachments;
  }

  /**
   * JSON with this pod's own names and numbers replaced by placeholders, so two pods' results
   * compare by shape: netns path, bridge and master names, random host veth names, MACs, and
   * 10.247.<base + i>.x as 10.247.<i>.x.
   */
  normalize(value: unknown): unknown {
    let text = JSON.stringify(value);
    const names: Array<[string, string]> = [
      [this.netnsPath, '<netns>'],
      [this.bridges[0], '<b0>'],
      [this.bridges[1], '<b1>'],
      [this.macvlanMasters[0], '<m1>'],
      [this.macvlanMasters[1], '<m2>'],
    ];
    for (const [name, placeholder] of names) text = text.split(name).join(placeholder);
    text = text.replace(/veth[0-9a-f]{8}/gu, '<veth>');
    text = text.replace(/\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b/giu, '<mac>');
    text = text.replace(
      new RegExp(`\\b10\\.${NET}\\.(\\d+)\\.`, 'gu'),
      (_, third: string) => `10.${NET}.<${Number(third) - this.base}>.`,
    );
    return JSON.parse(text) as unknown;
  }

  /**
   * What of the pod is still there: links in the pod, host veths into it, ports on its
   * bridges, ptp gateway addresses on the host, host-local leases, files in the cache dir
   * (entry, temp file, lock), and live processes (a hung delegate or its child, anything with
   * this container id, anything running the test's plugins). A process SIGKILLed a moment ago
   * may take a while to go on a loaded machine: running ones are polled for up to 10 s.
   */
  async leftovers(): Promise<Leftovers> {
    const running = (): number[] => [
      ...new Set([
        ...this.hangPids().filter(isRunning),
        ...processesWithEnv('CNI_CONTAINERID', this.containerId),
        ...processesMentioning(this.binDir),
        ...processesMentioning(join(this.ws.dir, 'tools')),
      ]),
    ];
    for (let waited = 0; running().length > 0 && waited < 30_000; waited += 50) await sleep(50);
    const ptpSubnets = POD.flatMap((a, i) => (a.type === 'ptp' ? [`10.${NET}.${this.base + i}.`] : []));
    return {
      podLinks: netnsExists(this.ns) ? netnsLinkNames(this.ns) : 'netns gone',
      hostVethsIntoPod: netnsExists(this.ns) ? hostLinksInto(this.ns) : [],
      bridgePorts: this.bridges.flatMap((b) => bridgePorts(b)),
      ptpHostAddrs: ptpSubnets.flatMap((p) => hostAddrsWithPrefix(p)),
      leases: leaseFiles(this.ipamDir),
      cacheDirFiles: cacheFiles(this.cniDir),
      processes: describeProcesses(running()),
    };
  }
}

/** Index of the first event line starting with `prefix` (e.g. `end ADD net3`); fails naming it when absent. */
export function lineIndex(lines: readonly string[], prefix: string): number {
  const i = lines.findIndex((l) => l === prefix || l.startsWith(`${prefix} `));
  if (i < 0) throw new Error(`no event "${prefix}" in the log:\n${lines.join('\n')}`);
  return i;
}

/** Asserts that event `first` was logged before event `second` (an ordering, not a duration). */
export function expectBefore(lines: readonly string[], first: string, second: string): void {
  const a = lineIndex(lines, first);
  const b = lineIndex(lines, second);
  if (a >= b)
    throw new Error(
      `expected "${first}" (line ${a}) before "${second}" (line ${b}) in the event log:\n${lines.join('\n')}`,
    );
}
