import { DEFAULT_DAEMON_CONFIG, SHIM_TYPE } from '../../core/config/shim-keys';
import { parseDaemonConfig } from '../../core/config/thick-config';
import { CniError } from '../../core/errors';
import { InstallError } from './install-error';
import { multusKeys, validateMultusConflist, wrapPrimary, type MultusConflistInput } from './multus-conflist';
import type { PrimaryConfig } from './primary-config';

/** The shim's name in the CNI bin dir: the `type` of thick mode's conflist entry. */
export const SHIM_BINARY_NAME = SHIM_TYPE;

export interface ShimConflistInput {
  readonly primary: PrimaryConfig;
  /** The daemon's socket dir on the host (`daemonSocketDir`: where the shim looks for multus.sock). */
  readonly socketDir: string;
  /** The daemon config's path on the host, where the thin binary reads its defaults when the shim falls back. */
  readonly daemonConfigHostPath: string;
}

/**
 * Thick mode's conflist: one plugin, the shim, with what only the shim reads: where the daemon
 * listens, and the daemon config a fallback through the thin binary takes its defaults from.
 * The multus config keys live in the daemon config instead, so the runtime's file says where
 * the work is done and the daemon config says how.
 *
 * `daemonConfig` is written only when it is not the default path. A named file that is missing
 * fails the fallback's call, while a missing default file only means no defaults: after
 * `--cleanup` has removed the daemon config, a DEL that reaches the thin binary still runs from
 * its record.
 */
export function buildShimConflist(input: ShimConflistInput): Record<string, unknown> {
  const named =
    input.daemonConfigHostPath === DEFAULT_DAEMON_CONFIG ? {} : { daemonConfig: input.daemonConfigHostPath };
  return wrapPrimary(input.primary, { type: SHIM_TYPE, daemonSocketDir: input.socketDir, ...named });
}

export interface DaemonConfigInput extends MultusConflistInput {
  /** The socket dir, as the daemon sees it (the DaemonSet mounts the host's /run at /run). */
  readonly socketDir: string;
  /** The CNI config dir on the host: where `multusConfigFile: "auto"` would look. */
  readonly confDirHostPath: string;
}

/**
 * The daemon config: the daemon's own keys (`socketDir`, `cniConfigDir`), then the multus config
 * keys thin mode writes into its conflist (`kubeconfig`, `clusterNetwork` and the `--set` keys),
 * which the daemon gives every call as defaults. A `--set` key the daemon reads itself
 * (`maxConcurrentRequests`, `metricsPort`, ...) lands here too, and configures the daemon.
 */
export function buildDaemonConfig(input: DaemonConfigInput): Record<string, unknown> {
  return { socketDir: input.socketDir, cniConfigDir: input.confDirHostPath, ...multusKeys(input) };
}

/**
 * Checks both files with the parsers that will read them: the daemon config with the daemon's
 * (a Go key that does not apply, a limit out of range), and the shim's conflist merged with the
 * daemon config's defaults with the plugin's, as the daemon merges every call.
 */
export function validateThickFiles(
  conflist: Readonly<Record<string, unknown>>,
  daemonConfig: Readonly<Record<string, unknown>>,
  primaryPath: string,
  daemonConfigPath: string,
): void {
  let defaults: Readonly<Record<string, unknown>>;
  try {
    defaults = parseDaemonConfig(daemonConfig, daemonConfigPath).defaults;
  } catch (err) {
    if (!(err instanceof CniError)) throw err;
    throw new InstallError(`the generated daemon config would not load: ${err.msg}`, { cause: err });
  }
  validateMultusConflist(conflist, primaryPath, defaults);
}
