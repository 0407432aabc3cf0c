import type { Container } from 'inversify';
import type { AdapterDirLoader } from '../../adapters/modules/adapter-dir-loader';
import type { AdapterRegistry } from '../../core/adapter-registry';
import type { MultusConfig } from '../../core/config/multus-config';
import { TOKENS } from '../../core/tokens';

/**
 * The adapter registry an ADD with this config would use: the container's adapters (built-in and
 * compiled-in vendor modules) plus the modules of the config's `adapterDirs`, loaded by the same
 * loader with the same ownership checks. Throws the loader's or the registry's CniError (code 108).
 */
export async function registryFor(container: Container, config: MultusConfig): Promise<AdapterRegistry> {
  if (config.adapterDirs.length > 0)
    await container.get<AdapterDirLoader>(TOKENS.AdapterLoader).load(container, config.adapterDirs);
  return container.get<AdapterRegistry>(TOKENS.AdapterRegistry);
}
