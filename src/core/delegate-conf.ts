import type { MultusConfig } from './config/multus-config';
import { CniCode, CniError } from './errors';
import { isObject } from './json';
import type { DelegateConf } from './plan';
import { isSupportedVersion, SUPPORTED_VERSIONS } from './version';

/** One plugin of an attachment, with where it came from. */
export interface PluginConf {
  readonly conf: DelegateConf;
  readonly origin: string;
  /**
   * The delegate (or its conflist) gave its own `cniVersion`. When it did not, the version is
   * negotiated with the plugin before it runs (core/version-negotiation.ts).
   */
  readonly explicitVersion: boolean;
}

/** The runtimeConfig key the CRI runtime uses to pass the pod's annotations to multus. */
export const POD_ANNOTATIONS_KEY = 'io.kubernetes.cri.pod-annotations';

/**
 * A key looked up regardless of case: some runtimes (containerd's go-cni) send runtimeConfig
 * keys in Go's field case, and the plugins, written in Go, read JSON case-insensitively too.
 */
export function getIgnoringCase(object: Readonly<Record<string, unknown>>, key: string): unknown {
  if (key in object) return object[key];
  const lower = key.toLowerCase();
  const found = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : object[found];
}

/**
 * The plugins an attachment runs: its config alone, or each entry of a conflist's `plugins`
 * with the list's `name` and `cniVersion` (a plugin without them gets the multus config's).
 */
export function expandPlugins(conf: DelegateConf, config: MultusConfig, origin: string): PluginConf[] {
  const inherit = (c: DelegateConf, from: DelegateConf): DelegateConf => ({
    ...c,
    cniVersion: typeof from['cniVersion'] === 'string' ? from['cniVersion'] : config.cniVersion,
    name: typeof from['name'] === 'string' ? from['name'] : config.name,
  });
  const version = conf['cniVersion'];
  const explicitVersion = version !== undefined;
  if (version !== undefined && !isSupportedVersion(version)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `${origin}.cniVersion: ${JSON.stringify(version)} is not a CNI version this plugin speaks ` +
        `(${SUPPORTED_VERSIONS.join(', ')})`,
    );
  }
  const plugins = conf['plugins'];
  if (plugins === undefined) return [{ conf: inherit(conf, conf), origin, explicitVersion }];
  if (!Array.isArray(plugins) || plugins.length === 0) {
    throw new CniError(CniCode.InvalidConfig, `${origin}.plugins: must be a non-empty list of plugin configs`);
  }
  return plugins.map((p: unknown, i) => {
    if (!isObject(p)) throw new CniError(CniCode.InvalidConfig, `${origin}.plugins[${i}]: must be a JSON object`);
    return { conf: inherit(p, conf), origin: `${origin}.plugins[${i}]`, explicitVersion };
  });
}

/**
 * Adds the attachment's runtime requests to one plugin's config: `runtimeConfig` keys only for
 * the capabilities the plugin declares (libcni's rule: a plugin never receives a request it did
 * not ask for), and `cni-args` as `args.cni`.
 */
export function withRuntimeRequests(
  conf: DelegateConf,
  runtimeConfig: Readonly<Record<string, unknown>> | undefined,
  cniArgs: Readonly<Record<string, unknown>> | undefined,
): DelegateConf {
  let out: Record<string, unknown> = { ...conf };
  const capabilities = isObject(conf['capabilities']) ? conf['capabilities'] : {};
  const granted = Object.entries(runtimeConfig ?? {}).filter(([key]) => getIgnoringCase(capabilities, key) === true);
  if (granted.length > 0) {
    const existing = isObject(conf['runtimeConfig']) ? conf['runtimeConfig'] : {};
    out = { ...out, runtimeConfig: { ...existing, ...Object.fromEntries(granted) } };
  }
  if (cniArgs !== undefined && Object.keys(cniArgs).length > 0) {
    const args = isObject(conf['args']) ? conf['args'] : {};
    const cni = isObject(args['cni']) ? args['cni'] : {};
    out = { ...out, args: { ...args, cni: { ...cni, ...cniArgs } } };
  }
  return out;
}

/**
 * The runtime's own requests to multus (`runtimeConfig` on stdin: portMappings, bandwidth, ...),
 * meant for the pod's main network: they go to the master attachment. The pod-annotations key
 * is for multus itself and is not passed on.
 */
export function runtimeConfigForMaster(config: MultusConfig): Readonly<Record<string, unknown>> | undefined {
  const rc = config.raw['runtimeConfig'];
  if (!isObject(rc)) return undefined;
  const rest = Object.fromEntries(Object.entries(rc).filter(([k]) => k.toLowerCase() !== POD_ANNOTATIONS_KEY));
  return Object.keys(rest).length > 0 ? rest : undefined;
}
