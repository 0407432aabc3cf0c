import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cleanup } from './cleanup';
import { bridgePorts, createVethPair, hostAddrsWithPrefix, hostLink, inSubnet } from './net';
import { CALLER_PATH, MULTUS_BIN, REFERENCE_PLUGINS } from './run-multus';
import type { ContainerLink } from './runtime-host';
import { SHIM_BIN } from './thick';
import { cacheFiles, leaseFiles, type Workspace } from './workspace';

/**
 * The pod the runtime tests start through podman and containerd: one `.conflist` whose only
 * plugin is multus, with three delegates, each with host-local IPAM in its own subnet and its
 * own dataDir, and multus's cache in its own dir:
 *
 * - bridge (master, eth0) with `isGateway`: its gateway lives on the host bridge, so the
 *   container can ping it;
 * - ptp (net0);
 * - macvlan (net1) on one end of a host veth pair (this kernel has no dummy links).
 *
 * `net` is the file's second octet (242 podman, 243 containerd), `third` the first of the three
 * third octets used, `suffix` (one letter) tells the pods of a file apart.
 */
export class RuntimePod {
  readonly bridge: string;
  readonly macvlanMaster: string;
  readonly subnets: { readonly master: string; readonly ptp: string; readonly macvlan: string };
  readonly gateway: string;
  readonly ptpPrefix: string;
  readonly cniDir: string;
  readonly ipamDir: string;
  readonly logFile: string;

  constructor(
    ws: Workspace,
    readonly suffix: string,
    net: number,
    third: number,
    cleanup: Cleanup,
  ) {
    this.bridge = `${ws.prefix}${suffix}b`;
    this.macvlanMaster = `${ws.prefix}${suffix}m`;
    cleanup.link(this.bridge);
    createVethPair(this.macvlanMaster, `${ws.prefix}${suffix}p`, cleanup);
    const [a, b, c] = [third, third + 1, third + 2].map((t) => `10.${net}.${t}`) as [string, string, string];
    this.subnets = { master: `${a}.0/24`, ptp: `${b}.0/24`, macvlan: `${c}.0/24` };
    this.gateway = `${a}.1`;
    this.ptpPrefix = `${b}.`;
    this.cniDir = join(ws.dir, `cache-${suffix}`);
    this.ipamDir = join(ws.dir, `ipam-${suffix}`);
    this.logFile = join(ws.dir, `multus-${suffix}.log`);
  }

  /** The multus plugin entry of the conflist (the runtime adds the list's name and cniVersion). */
  multusPlugin(extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
    const ipam = (subnet: string): Record<string, unknown> => ({ type: 'host-local', subnet, dataDir: this.ipamDir });
    return {
      type: 'multus',
      logLevel: 'debug',
      logFile: this.logFile,
      logToStderr: false,
      cniDir: this.cniDir,
      ...extra,
      delegates: [
        {
          name: `${this.bridge}-master`,
          type: 'bridge',
          bridge: this.bridge,
          isGateway: true,
          masterplugin: true,
          ipam: ipam(this.subnets.master),
        },
        { name: `${this.bridge}-ptp`, type: 'ptp', ipam: ipam(this.subnets.ptp) },
        {
          name: `${this.bridge}-macvlan`,
          type: 'macvlan',
          master: this.macvlanMaster,
          mode: 'bridge',
          ipam: ipam(this.subnets.macvlan),
        },
      ],
    };
  }

  /**
   * The `.conflist` the runtime reads: multus, and with `portmap` the portmap plugin chained
   * after it (both declaring the `portMappings` capability), as a node's primary network often
   * is: the runtime hands multus's result (the master bridge's) to portmap as prevResult.
   */
  conflist(
    name: string,
    extra: Readonly<Record<string, unknown>> = {},
    options: { readonly portmap?: boolean } = {},
  ): Record<string, unknown> {
    const plugins = [this.multusPlugin(extra)];
    if (options.portmap === true) plugins.push(PORTMAP_PLUGIN);
    return { cniVersion: '1.0.0', name, plugins };
  }

  /**
   * What the container saw (`ip addr` inside it): lo, eth0, net0, net1 and nothing else, each
   * with one IPv4 address in its delegate's subnet.
   */
  expectUp(links: readonly ContainerLink[]): void {
    expect(links.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo', 'net0', 'net1']);
    const inet = (ifname: string): string[] => [...(links.find((l) => l.ifname === ifname)?.inet ?? [])];
    expect(inet('eth0')).toHaveLength(1);
    expect(inet('net0')).toHaveLength(1);
    expect(inet('net1')).toHaveLength(1);
    expect(inSubnet(inet('eth0')[0] ?? '', this.subnets.master)).toBe(true);
    expect(inSubnet(inet('net0')[0] ?? '', this.subnets.ptp)).toBe(true);
    expect(inSubnet(inet('net1')[0] ?? '', this.subnets.macvlan)).toBe(true);
  }

  /** The addresses the container had, as host-local lease file names. */
  static addresses(links: readonly ContainerLink[]): string[] {
    return links
      .filter((l) => l.ifname !== 'lo')
      .flatMap((l) => l.inet)
      .map((a) => a.split('/')[0] ?? '')
      .sort();
  }

  /**
   * Nothing of the pod left on the host: no port on the bridge, no ptp host veth (it holds the
   * ptp gateway address), no lease, no multus cache entry or lock. The bridge itself stays (the
   * bridge plugin never deletes it; cleanup does), so does the macvlan master.
   */
  expectGone(): void {
    expect(bridgePorts(this.bridge)).toEqual([]);
    expect(hostAddrsWithPrefix(this.ptpPrefix)).toEqual([]);
    expect(leaseFiles(this.ipamDir)).toEqual([]);
    expect(cacheFiles(this.cniDir)).toEqual([]);
    expect(hostLink(this.macvlanMaster)).toBeDefined();
  }

  /** multus's own log lines (JSON), e.g. to read the pod name it was given. */
  logLines(): Array<Record<string, unknown>> {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** portmap chained after multus in a runtime's conflist. */
export const PORTMAP_PLUGIN: Readonly<Record<string, unknown>> = {
  type: 'portmap',
  capabilities: { portMappings: true },
};

export interface ChainCall {
  readonly command: 'ADD' | 'DEL';
  readonly containerId: string;
  readonly netns: string;
  readonly cniArgs: string;
}

/**
 * Runs the portmap plugin the way libcni runs the second plugin of a conflist: the list's name and
 * cniVersion, the runtimeConfig keys it declared, and prevResult (ADD: multus's result; DEL: the
 * list's cached result). Returns its result (ADD) or undefined (DEL); throws on failure.
 */
export function runPortmap(
  call: ChainCall,
  conf: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  const child = spawnSync(join(REFERENCE_PLUGINS, 'portmap'), [], {
    input: JSON.stringify(conf),
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: CALLER_PATH,
      CNI_COMMAND: call.command,
      CNI_CONTAINERID: call.containerId,
      CNI_NETNS: call.netns,
      CNI_IFNAME: 'eth0',
      CNI_ARGS: call.cniArgs,
      CNI_PATH: REFERENCE_PLUGINS,
    },
  });
  if (child.status !== 0)
    throw new Error(`portmap ${call.command} failed (${String(child.status)}): ${child.stdout} ${child.stderr}`);
  return child.stdout.trim() === '' ? undefined : (JSON.parse(child.stdout) as Record<string, unknown>);
}

/**
 * A CNI plugin dir for a runtime: mode 0755 (multus refuses plugin dirs that group or others may
 * write, code 107) holding a copy of dist/multus, mode 0755; with `shim`, dist/multus-shim beside it.
 */
export function multusBinDir(dir: string, options: { readonly shim?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const binaries: Array<[string, string]> = [[MULTUS_BIN, 'multus']];
  if (options.shim === true) binaries.push([SHIM_BIN, 'multus-shim']);
  for (const [from, name] of binaries) {
    copyFileSync(from, join(dir, name));
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/** One call of multus as a runtime made it, seen by the recording wrapper. */
export interface RuntimeCall {
  readonly command: string;
  /** The CNI_* variables the runtime set (an empty value is kept: CNI_NETNS= on some DELs). */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
  readonly stdout: string;
  readonly exitCode: number;
}

/**
 * A plugin dir whose `multus` is a small shell wrapper: it writes down the CNI_* environment,
 * stdin, stdout and exit code of each call the runtime makes, and runs the real compiled binary
 * (a copy of dist/multus in `<dir>/../multus-real/`) with exactly that input. So a test can
 * assert what podman/ctr really pass (the VERSION probe, CNI_ARGS, DEL's prevResult and netns)
 * and what multus answered, while the work is done by the unchanged binary.
 */
export class RecordingMultusDir {
  readonly records: string;
  readonly real: string;

  constructor(readonly dir: string) {
    this.records = `${dir}-records`;
    this.real = join(`${dir}-real`, 'multus');
    multusBinDir(`${dir}-real`);
    mkdirSync(this.records, { recursive: true });
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const script = [
      '#!/bin/sh',
      '# Test wrapper (test/integration/support/runtime-pod.ts): records one CNI call, runs the real multus.',
      `rec='${this.records}'`,
      'id="$(date +%s%N)-$$"',
      'env | grep "^CNI_" | sort > "$rec/$id.env"',
      'cat > "$rec/$id.stdin"',
      `out="$('${this.real}' < "$rec/$id.stdin")"`,
      'rc=$?',
      'printf "%s" "$out" > "$rec/$id.stdout"',
      'echo "$rc" > "$rec/$id.rc"',
      'printf "%s" "$out"',
      'exit "$rc"',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'multus'), script, { mode: 0o755 });
    chmodSync(join(dir, 'multus'), 0o755);
  }

  /** Every recorded call, oldest first. */
  calls(): RuntimeCall[] {
    const ids = readdirSync(this.records)
      .filter((f) => f.endsWith('.rc'))
      .map((f) => f.slice(0, -'.rc'.length))
      .sort();
    return ids.map((id) => {
      const read = (ext: string): string => readFileSync(join(this.records, `${id}.${ext}`), 'utf8');
      const env = Object.fromEntries(
        read('env')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      return {
        command: env['CNI_COMMAND'] ?? '',
        env,
        stdin: read('stdin'),
        stdout: read('stdout'),
        exitCode: Number(read('rc').trim()),
      };
    });
  }
}
