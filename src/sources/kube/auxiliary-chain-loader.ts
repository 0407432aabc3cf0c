import { dirname, join } from 'node:path';
import { auxiliaryChain } from '../../core/auxiliary-chain';
import type { KubernetesSettings } from '../../core/config/kubernetes-settings';
import { toCniError } from '../../core/errors';
import type { Attachment } from '../../core/plan';
import type { ConfDirReader } from './conf-dir';

/**
 * Go Multus's auxiliary CNI chain: the CNI configs of `<dir of clusterNetwork>/<auxiliaryCNIChainName>/`
 * (libcni's name order) as one attachment acting on the master's interface, for every pod that has
 * a master. A missing or empty directory gives no chain; a file that cannot be read or parsed is
 * code 7 naming it. The config check made sure clusterNetwork is an absolute path.
 */
export async function loadAuxiliaryChain(
  confDir: ConfDirReader,
  settings: KubernetesSettings,
  master: Attachment | undefined,
): Promise<Attachment | undefined> {
  const name = settings.auxiliaryCNIChainName;
  const cluster = settings.clusterNetwork;
  if (name === undefined || cluster === undefined || master === undefined) return undefined;
  const dir = join(dirname(cluster), name);
  const context = `auxiliary CNI chain "${name}" (auxiliaryCNIChainName, directory ${dir})`;
  try {
    const paths = await confDir.listFiles(dir);
    if (paths === undefined) return undefined;
    const files = await Promise.all(paths.map(async (path) => ({ path, conf: await confDir.readFile(path) })));
    return auxiliaryChain(name, dir, files, master);
  } catch (err) {
    throw toCniError(err).withContext(context);
  }
}
