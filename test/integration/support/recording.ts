import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The recording stand-in (test/plugins/recording-plugin.js): not the real flannel/sriov/vhostuser. */
export const RECORDING_PLUGIN = join(__dirname, '..', '..', 'plugins', 'recording-plugin.js');

/** Where the stand-in appends its VERSION calls. */
const VERSION_LOG = 'VERSION.jsonl';

/** One call the stand-in recorded: the env it got (CNI_* and PATH), all env keys, and its stdin. */
export interface Recorded {
  readonly type: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly envKeys: readonly string[];
  readonly stdin: Record<string, unknown>;
}

/** A bin dir holding the stand-in under each of `types`; it records into `<binDir>/records`. */
export class RecordingBinDir {
  readonly records: string;

  constructor(
    readonly binDir: string,
    types: readonly string[],
  ) {
    this.records = join(binDir, 'records');
    mkdirSync(binDir, { recursive: true });
    for (const type of types) symlinkSync(RECORDING_PLUGIN, join(binDir, type));
  }

  /** Names of the record files, e.g. `sriov-ADD-net0.json` (VERSION calls are counted apart: {@link versionCalls}). */
  files(): string[] {
    return existsSync(this.records)
      ? readdirSync(this.records)
          .filter((f) => f !== VERSION_LOG)
          .sort()
      : [];
  }

  /** The types asked VERSION, one entry per call, in order. */
  versionCalls(): string[] {
    const log = join(this.records, VERSION_LOG);
    if (!existsSync(log)) return [];
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { type: string }).type);
  }

  /** Makes the stand-in linked as `type` claim only `versions` (see recording-plugin.js). */
  claimVersions(type: string, versions: readonly string[]): void {
    writeFileSync(join(this.binDir, `${type}.versions`), JSON.stringify(versions));
  }

  /**
   * The types called for `command`, in the order they were called (by record file mtime; calls
   * are ≥ 10 ms apart).
   */
  callOrder(command: string): string[] {
    return this.files()
      .filter((f) => f.split('-')[1] === command)
      .map((f) => ({ type: f.split('-')[0] ?? '', at: statSync(join(this.records, f)).mtimeMs }))
      .sort((a, b) => a.at - b.at)
      .map((r) => r.type);
  }

  read(type: string, command: string, ifname: string): Recorded {
    const file = join(this.records, `${type}-${command}-${ifname}.json`);
    if (!existsSync(file))
      throw new Error(
        `the stand-in was not called as ${type} ${command} ${ifname} (records: ${this.files().join(', ') || 'none'})`,
      );
    return JSON.parse(readFileSync(file, 'utf8')) as Recorded;
  }
}

/** What the stand-in prints for ADD (see recording-plugin.js): the prevResult multus must hand back. */
export function standInResult(
  cniVersion: string,
  address: string,
  ifname: string,
  netns: string,
): Record<string, unknown> {
  const gateway = address.replace(/\.\d+\/\d+$/u, '.1');
  if (cniVersion === '0.1.0' || cniVersion === '0.2.0') return { cniVersion, ip4: { ip: address, gateway } };
  const ip = { address, gateway, interface: 0, ...(cniVersion.startsWith('1.') ? {} : { version: '4' }) };
  return { cniVersion, interfaces: [{ name: ifname, mac: '0a:58:0a:4d:00:02', sandbox: netns }], ips: [ip] };
}
