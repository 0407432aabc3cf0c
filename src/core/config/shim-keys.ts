/**
 * The thick mode's fixed names, in a module that imports nothing. The C shim gets the socket and
 * fallback-log names through src/generated/shim-constants.h (src/shim/shim-header.ts).
 */

/** The `type` of the shim's conflist entry (Go Multus thick's name). */
export const SHIM_TYPE = 'multus-shim';

/** Where the daemon listens, and the shim looks, by default (Go's default too). */
export const DEFAULT_SOCKET_DIR = '/run/multus';
export const SOCKET_NAME = 'multus.sock';

/**
 * Beside the socket: the shim appends one line per call it could not send to the daemon (it ran
 * the thin binary, or answered code 11), which the daemon counts as multus_shim_fallbacks_total.
 */
export const FALLBACK_LOG_NAME = 'shim-fallbacks.log';

/** The daemon's config file when `--config` is not given. */
export const DEFAULT_DAEMON_CONFIG = '/etc/cni/multus/daemon-config.json';

/**
 * Keys of the shim's conflist entry that only the shim reads: where the daemon is, what to do
 * when it is not there or does not answer, and where the daemon's own config is (for a fallback
 * through the thin binary). They are removed before the request becomes a multus config.
 */
export const SHIM_KEYS: readonly string[] = [
  'daemonSocketDir',
  'daemonFallback',
  'daemonTimeoutSeconds',
  'thinPath',
  'daemonConfig',
];
