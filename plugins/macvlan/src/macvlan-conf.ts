import type { AdapterApi, ConfigProblem, DelegateConf } from '../../../src/index';

/** The modes the macvlan plugin accepts (containernetworking/plugins `plugins/main/macvlan`). */
export const MACVLAN_MODES: readonly string[] = ['bridge', 'private', 'vepa', 'passthru'];

/** The adapter-API helpers these checks use: a subset, so a test can pass the real API. */
export type MacvlanCheckApi = Pick<AdapterApi, 'interfaceNameProblem' | 'ipamFieldProblems'>;

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Every problem of a macvlan config's own fields, located under `origin`: checked before any
 * delegate of the pod runs, so a typo in `mode` is reported with its JSON path instead of as the
 * plugin's error after other attachments were already added. Unknown keys pass untouched.
 * `master` may be absent (the plugin then uses the default route's interface); `"ipam": {}`
 * is the plugin's documented L2-only mode; `mtu` 0 means "the master's".
 */
export function macvlanProblems(conf: DelegateConf, origin: string, api: MacvlanCheckApi): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ path: `${origin}.${field}`, message });
  };
  const { master, mode, mtu, linkInContainer } = conf;
  if (typeof master === 'string') {
    const why = api.interfaceNameProblem(master);
    if (why !== undefined) problem('master', `must be a Linux interface name: ${why}`);
  } else if (master !== undefined) {
    problem('master', `must be an interface name (string), got ${shown(master)}`);
  }
  if (mode !== undefined && (typeof mode !== 'string' || !MACVLAN_MODES.includes(mode))) {
    problem('mode', `must be one of ${MACVLAN_MODES.join(', ')}, got ${shown(mode)}`);
  }
  const mtuOk = typeof mtu === 'number' && Number.isInteger(mtu) && (mtu === 0 || (mtu >= 68 && mtu <= 65535));
  if (mtu !== undefined && !mtuOk)
    problem('mtu', `must be an integer from 68 to 65535 (or 0: the master's), got ${shown(mtu)}`);
  if (linkInContainer !== undefined && typeof linkInContainer !== 'boolean') {
    problem('linkInContainer', `must be true or false, got ${shown(linkInContainer)}`);
  }
  problems.push(...api.ipamFieldProblems(conf, origin, { allowEmpty: true }));
  return problems;
}

/** The mtu in what `ip -j link show dev <link>` printed, or undefined when it is empty or not ip's JSON. */
export function ipLinkMtu(ipOutput: string): number | undefined {
  let links: unknown;
  try {
    links = JSON.parse(ipOutput);
  } catch {
    return undefined;
  }
  const mtu = Array.isArray(links) ? (links[0] as { mtu?: unknown } | undefined)?.mtu : undefined;
  return typeof mtu === 'number' ? mtu : undefined;
}

/**
 * Judges an existing master's mtu against the config: a problem, or undefined when the master
 * can carry the macvlan. The one thing to check is the MTU, which the kernel refuses above the
 * master's with a less helpful message. An unknown master mtu has nothing to judge.
 */
export function masterLinkProblem(master: string, masterMtu: number | undefined, mtu: unknown): string | undefined {
  if (typeof mtu !== 'number' || mtu === 0 || masterMtu === undefined || mtu <= masterMtu) return undefined;
  return `mtu ${mtu} is larger than the mtu ${masterMtu} of master "${master}": a macvlan cannot exceed its master's`;
}
