import { parseMultusConfig } from '../../core/config/multus-config';
import { requestConfig } from '../../core/config/thick-config';
import { POD_ANNOTATIONS_KEY } from '../../core/delegate-conf';
import { CniError } from '../../core/errors';
import { DEFAULT_CONFIG_VERSION } from '../../core/version';
import { InstallError } from './install-error';
import type { PrimaryConfig } from './primary-config';

/** The network name Go Multus gives its generated config; kept so logs and tools read the same. */
export const MULTUS_NETWORK_NAME = 'multus-cni-network';

/** Keys of the multus plugin that the installer sets itself; `--set` may not change them. */
export const RESERVED_KEYS: readonly string[] = [
  'type',
  'name',
  'cniVersion',
  'kubeconfig',
  'clusterNetwork',
  'delegates',
  'capabilities',
];

export interface MultusConflistInput {
  readonly primary: PrimaryConfig;
  /** The primary config's path on the host, where the multus binary will read it. */
  readonly primaryHostPath: string;
  /** The kubeconfig's path on the host. */
  readonly kubeconfigHostPath: string;
  /** Further keys of the multus plugin (`--log-level`, `--log-file`, `--set`). */
  readonly extra: Readonly<Record<string, unknown>>;
}

/**
 * The multus config keys an install sets: `clusterNetwork` is the primary config's absolute
 * path, and the Kubernetes source reads that file on every ADD, so a primary that is later
 * rewritten (new subnet, new plugin version) is picked up without a reinstall, and every pod
 * keeps the primary as `eth0` with its annotated networks added. Thin mode writes them into the
 * runtime's conflist; thick mode into the daemon config, as defaults of every call.
 */
export function multusKeys(input: MultusConflistInput): Record<string, unknown> {
  return { kubeconfig: input.kubeconfigHostPath, clusterNetwork: input.primaryHostPath, ...input.extra };
}

/**
 * The conflist the runtime will find first, around one plugin (multus, or thick mode's shim):
 * the primary's `cniVersion`, so the runtime gets results in the version it has been getting.
 *
 * `capabilities` repeats the primary's: libcni passes a runtimeConfig key only to a plugin that
 * declares it, and multus hands the master what it received. `io.kubernetes.cri.pod-annotations`
 * lets containerd pass the pod's annotations, which spares a pod GET.
 */
export function wrapPrimary(
  primary: PrimaryConfig,
  plugin: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const capabilities: Record<string, boolean> = {};
  for (const name of primary.capabilities) capabilities[name] = true;
  capabilities[POD_ANNOTATIONS_KEY] = true;
  const { type, ...rest } = plugin;
  return {
    cniVersion: primary.cniVersion ?? DEFAULT_CONFIG_VERSION,
    name: MULTUS_NETWORK_NAME,
    plugins: [{ type, capabilities, ...rest }],
  };
}

/** Thin mode's conflist: one plugin, multus, with the install's multus config keys. */
export function buildMultusConflist(input: MultusConflistInput): Record<string, unknown> {
  return wrapPrimary(input.primary, { type: 'multus', ...multusKeys(input) });
}

/**
 * Checks the generated conflist with the parser the plugin itself runs, on the config exactly
 * as libcni hands it to the plugin (the list's `name` and `cniVersion` added to the plugin's)
 * and, for thick mode's shim, merged with the daemon config's `defaults` as the daemon merges
 * every call. A config that would fail every pod is never written; the message names the
 * primary it came from, since that is where an unsupported `cniVersion` comes from.
 */
export function validateMultusConflist(
  conflist: Readonly<Record<string, unknown>>,
  primaryPath: string,
  defaults: Readonly<Record<string, unknown>> = {},
): void {
  const plugins = conflist['plugins'] as ReadonlyArray<Record<string, unknown>>;
  const plugin = { ...plugins[0], name: conflist['name'], cniVersion: conflist['cniVersion'] };
  try {
    parseMultusConfig(requestConfig(defaults, plugin));
  } catch (err) {
    if (!(err instanceof CniError)) throw err;
    throw new InstallError(
      `the generated multus config (primary CNI config ${primaryPath}) would not load: ${err.msg}`,
      { cause: err },
    );
  }
}
