import { parseMultusConfig } from '../../core/config/multus-config';
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
 * The conflist the runtime will find first: one plugin, multus, whose `clusterNetwork` is the
 * primary config's absolute path. The Kubernetes source reads that file on every ADD, so a
 * primary that is later rewritten (new subnet, new plugin version) is picked up without a
 * reinstall, and every pod keeps the primary as `eth0` with its annotated networks added.
 *
 * `capabilities` repeats the primary's: libcni passes a runtimeConfig key only to a plugin that
 * declares it, and multus hands the master what it received. `io.kubernetes.cri.pod-annotations`
 * lets containerd pass the pod's annotations, which spares a pod GET.
 */
export function buildMultusConflist(input: MultusConflistInput): Record<string, unknown> {
  const capabilities: Record<string, boolean> = {};
  for (const name of input.primary.capabilities) capabilities[name] = true;
  capabilities[POD_ANNOTATIONS_KEY] = true;
  return {
    cniVersion: input.primary.cniVersion ?? DEFAULT_CONFIG_VERSION,
    name: MULTUS_NETWORK_NAME,
    plugins: [
      {
        type: 'multus',
        capabilities,
        kubeconfig: input.kubeconfigHostPath,
        clusterNetwork: input.primaryHostPath,
        ...input.extra,
      },
    ],
  };
}

/**
 * Checks the generated conflist with the parser the plugin itself runs, on the config exactly
 * as libcni hands it to the plugin (the list's `name` and `cniVersion` added to the plugin's).
 * A config that would fail every pod is never written; the message names the primary it came
 * from, since that is where an unsupported `cniVersion` comes from.
 */
export function validateMultusConflist(conflist: Readonly<Record<string, unknown>>, primaryPath: string): void {
  const plugins = conflist['plugins'] as ReadonlyArray<Record<string, unknown>>;
  const plugin = { ...plugins[0], name: conflist['name'], cniVersion: conflist['cniVersion'] };
  try {
    parseMultusConfig(plugin);
  } catch (err) {
    if (!(err instanceof CniError)) throw err;
    throw new InstallError(
      `the generated multus config (primary CNI config ${primaryPath}) would not load: ${err.msg}`,
      { cause: err },
    );
  }
}
