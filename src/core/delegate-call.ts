import type { CniArgs, CniEnv } from './cni-env';
import type { MultusConfig } from './config/multus-config';
import type { NetworkRequest } from './plan';
import type { DelegateInvocation } from './ports/delegate-adapter';
import type { DelegateEnv } from './ports/executor';

/** The pod-identity keys, passed to every delegate first and in this order. */
const POD_KEYS = ['K8S_POD_NAMESPACE', 'K8S_POD_NAME', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID'] as const;

/**
 * CNI_ARGS for a delegate: `IgnoreUnknown=true`, the pod-identity keys the caller gave, then the
 * caller's other pairs in their order. Delegates get IgnoreUnknown because multus passes keys
 * that a given plugin may not know.
 */
export function delegateCniArgs(args: CniArgs): string {
  const pairs: string[] = ['IgnoreUnknown=true'];
  for (const key of POD_KEYS) {
    const value = args.get(key);
    if (value !== undefined) pairs.push(`${key}=${value}`);
  }
  for (const [key, value] of args.pairs) {
    if (key === 'IgnoreUnknown' || (POD_KEYS as readonly string[]).includes(key)) continue;
    pairs.push(`${key}=${value}`);
  }
  return pairs.join(';');
}

/** Where delegate binaries are looked for: the config's binDir first, then CNI_PATH. */
export function delegateBinDirs(config: MultusConfig, env: CniEnv): string[] {
  return config.binDir === undefined ? [...env.path] : [config.binDir, ...env.path.filter((p) => p !== config.binDir)];
}

/** The CNI_* env of one delegate call. CNI_PATH includes binDir so a delegate finds IPAM plugins there too. */
export function delegateEnv(env: CniEnv, ifname: string, binDirs: readonly string[], cniArgs: string): DelegateEnv {
  return {
    CNI_CONTAINERID: env.containerId,
    CNI_NETNS: env.netns,
    CNI_IFNAME: ifname,
    CNI_ARGS: cniArgs,
    CNI_PATH: binDirs.join(':'),
  };
}

/**
 * What varies between delegate calls; the rest (the delegate timeout, the lock's onSpawn) comes
 * from the request. Only an ADD passes its signal: a rollback or a DEL must run to its end even
 * after SIGTERM.
 */
export type CallFields = Omit<DelegateInvocation, 'timeoutMs' | 'onSpawn'>;

/** One delegate call, built in one place: the fields given, the delegate timeout and the lock's onSpawn. */
export function delegateInvocation(request: NetworkRequest, fields: CallFields): DelegateInvocation {
  const { prevResult, signal, ...always } = fields;
  return {
    ...always,
    timeoutMs: request.config.delegateTimeoutMs,
    onSpawn: request.onSpawn,
    ...(prevResult === undefined ? {} : { prevResult }),
    ...(signal === undefined ? {} : { signal }),
  };
}
