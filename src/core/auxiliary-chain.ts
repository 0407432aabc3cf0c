import { CniCode, CniError } from './errors';
import { isObject } from './json';
import type { Attachment, DelegateConf, NetworkRequest } from './plan';
import type { Logger } from './ports/logger';

/** One CNI config file of the chain's directory, parsed. */
export interface ChainFile {
  readonly path: string;
  readonly conf: DelegateConf;
}

/** Go Multus puts this plugin first in its chain for an empty result; here the master's result takes its place. */
const PASSTHRU = 'passthru';

/** A plugin of the chain and where it came from (the file, and the JSON path in a conflist). */
interface ChainPlugin {
  readonly conf: DelegateConf;
  readonly origin: string;
}

function invalid(message: string): CniError {
  return new CniError(CniCode.InvalidConfig, message);
}

/** A `.conflist` contributes its plugins in order; a `.conf` or `.json` file is one plugin. */
function filePlugins(file: ChainFile): ChainPlugin[] {
  const where = `auxiliaryCNIChainName (${file.path})`;
  if (!file.path.endsWith('.conflist')) return [{ conf: file.conf, origin: where }];
  const plugins = file.conf['plugins'];
  if (!Array.isArray(plugins) || plugins.length === 0)
    throw invalid(`${where}.plugins: must be a non-empty list of plugin configs (the file is a .conflist)`);
  return plugins.map((p: unknown, i) => {
    if (!isObject(p)) throw invalid(`${where}.plugins[${i}]: must be a JSON object`);
    return { conf: p, origin: `${where}.plugins[${i}]` };
  });
}

/** Every plugin needs a type, and passthru is refused: the chain's first plugin gets the master's result instead. */
function checkPlugin({ conf, origin }: ChainPlugin): void {
  const type = conf['type'];
  if (typeof type !== 'string' || type === '') {
    const hint =
      conf['plugins'] === undefined ? '' : ' (a .conf or .json file holds one plugin; a list belongs in a .conflist)';
    throw invalid(`${origin}.type: must be a non-empty string, got ${JSON.stringify(type) ?? 'undefined'}${hint}`);
  }
  if (type === PASSTHRU) {
    throw invalid(
      `${origin}.type: "passthru" is not needed: multus gives the chain's first plugin the default network's ` +
        'result as prevResult itself; remove this plugin',
    );
  }
}

/**
 * The auxiliary CNI chain as one attachment: the plugins of the chain directory's files (already
 * in name order), as a conflist named after the chain with the master's cniVersion; undefined
 * when the files hold no plugin (Go Multus then adds nothing). A plugin without a type, a broken
 * conflist or a `passthru` plugin is code 7 naming the file and JSON path.
 */
export function auxiliaryChain(
  name: string,
  dir: string,
  files: readonly ChainFile[],
  master: Attachment,
): Attachment | undefined {
  const plugins = files.flatMap(filePlugins);
  plugins.forEach(checkPlugin);
  if (plugins.length === 0) return undefined;
  const version = master.conf['cniVersion'];
  return {
    network: name,
    conf: {
      ...(typeof version === 'string' ? { cniVersion: version } : {}),
      name,
      plugins: plugins.map((p) => p.conf),
    },
    master: false,
    origin: `auxiliaryCNIChainName "${name}" (${dir})`,
    auxiliary: true,
    pluginOrigins: plugins.map((p) => p.origin),
  };
}

/** The plan with the chain right after the master (it acts on the master's interface), or unchanged without one. */
export function withAuxiliaryChain<T extends Attachment>(attachments: readonly T[], chain: T | undefined): T[] {
  if (chain === undefined) return [...attachments];
  const master = attachments.findIndex((a) => a.master);
  const at = master < 0 ? 0 : master + 1;
  return [...attachments.slice(0, at), chain, ...attachments.slice(at)];
}

/** A config with auxiliaryCNIChainName whose directory gave no plugin runs no chain (as in Go): said at debug. */
export function noteMissingChain(request: NetworkRequest, attachments: readonly Attachment[], log: Logger): void {
  const name = request.config.kubernetes.auxiliaryCNIChainName;
  if (name === undefined || attachments.some((a) => a.auxiliary === true)) return;
  log.debug({ chain: name }, 'auxiliary CNI chain: its directory is missing or holds no plugin config; no chain runs');
}
