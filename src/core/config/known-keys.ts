import { isObject } from '../json';

/**
 * The top-level keys `parseMultusConfig` reads (its own and the Kubernetes settings'). A unit
 * test parses configs through a Proxy and fails when the parser reads a key missing here, or
 * when a key here is no longer read, so the list cannot drift from the parser.
 */
export const MULTUS_KEYS: readonly string[] = [
  'type',
  'name',
  'cniVersion',
  'delegates',
  'kubeconfig',
  'log_level',
  'logLevel',
  'logFile',
  'logToStderr',
  'cniDir',
  'binDir',
  'ifnameIndexFrom',
  'delegateTimeoutSeconds',
  'readinessindicatorfile',
  'readinessTimeoutSeconds',
  'parallelDelegates',
  'masterDefaultRoute',
  'adapterDirs',
  'clusterNetwork',
  'defaultNetworks',
  'multusNamespace',
  'systemNamespaces',
  'namespaceIsolation',
  'globalNamespaces',
  'confDir',
  'podResourcesSocket',
  'strictNetworkStatus',
  'auxiliaryCNIChainName',
];

/**
 * Go Multus thick-plugin keys the parser knows and rejects with its own message (code 2): not
 * "unknown", and never offered as a suggestion.
 */
export const REJECTED_KEYS: readonly string[] = ['daemonSocketDir', 'socketDir', 'chrootDir'];

/**
 * Keys of a plugin config that belong to the CNI spec, libcni or the runtime rather than to
 * multus: the spec's own, what libcni injects (`runtimeConfig`, `prevResult`, the GC's
 * `cni.dev/valid-attachments`), and a 1.1 conflist's `cniVersions`.
 */
export const CNI_KEYS: readonly string[] = [
  'cniVersion',
  'cniVersions',
  'name',
  'type',
  'capabilities',
  'runtimeConfig',
  'args',
  'prevResult',
  'cni.dev/valid-attachments',
];

const KNOWN: ReadonlySet<string> = new Set([...MULTUS_KEYS, ...REJECTED_KEYS, ...CNI_KEYS]);
/** What a misspelling may be taken for, in this order when two are equally near. */
const SUGGESTIONS: readonly string[] = [...new Set([...MULTUS_KEYS, ...CNI_KEYS])];

/** A key of the multus config that nothing reads. */
export interface UnknownKey {
  /** Its JSON path in the config: `paralleldelegates`, or `["a.b"]` for a key that is no identifier. */
  readonly path: string;
  readonly key: string;
  /** The known key it most likely stands for; undefined when none is close. */
  readonly nearest: string | undefined;
}

/** Whether multus, the CNI spec or the runtime gives `key` a meaning at the top of a multus config. */
export function isKnownKey(key: string): boolean {
  return KNOWN.has(key);
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The known key `key` most likely misspells: one that differs only in case always wins;
 * otherwise the nearest by case-insensitive edit distance, if it is at most max(2, a third of
 * the key's length) — `fooBar` suggests nothing rather than something unrelated.
 */
export function nearestKey(key: string, candidates: readonly string[] = SUGGESTIONS): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = Math.max(2, Math.floor(key.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const c of candidates) {
    const distance = editDistance(lower, c.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key: c, distance };
  }
  return best?.key;
}

function pathOf(key: string): string {
  return /^[A-Za-z_$][\w$-]*$/u.test(key) ? key : `[${JSON.stringify(key)}]`;
}

/**
 * The keys of a multus config that nothing reads, each with the known key it is nearest to.
 * Only multus's own level is looked at: the config has no nested object of its own, and what
 * lies inside `delegates`, `runtimeConfig`, `args` or `capabilities` belongs to plugins and
 * runtimes, which take keys multus cannot know. An ADD ignores unknown keys (plugins and newer
 * configs carry extra ones); `multus validate` and `multus install` report them, since a
 * misspelt key is a setting that silently does not take effect.
 */
export function unknownKeys(raw: unknown): UnknownKey[] {
  if (!isObject(raw)) return [];
  return Object.keys(raw)
    .filter((key) => !KNOWN.has(key))
    .map((key) => ({ path: pathOf(key), key, nearest: nearestKey(key) }));
}

/** The one-line explanation `validate` and `install` print for an unknown key. */
export function describeUnknownKey(unknown: UnknownKey): string {
  const hint = unknown.nearest === undefined ? '' : `; did you mean "${unknown.nearest}"?`;
  return `unknown key, ignored by ADD${hint}`;
}
