import type { AdapterRegistry } from '../adapter-registry';

/**
 * The adapters a request's config can use: the container's (built-in and compiled-in vendor
 * modules) plus the vendor modules of the config's `adapterDirs`. Each answer is an immutable
 * snapshot, the same for the same directories and files; a changed module file makes a new one.
 */
export interface AdapterCatalog {
  /** The container's adapters alone. */
  readonly base: AdapterRegistry;
  /** The registry for these `adapterDirs`; a module that cannot be loaded is code 108 naming it. */
  registryFor(dirs: readonly string[]): Promise<AdapterRegistry>;
}
