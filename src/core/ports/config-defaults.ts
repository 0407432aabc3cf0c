import type { CniError } from '../errors';

/**
 * The multus config a request runs with. In thin mode a plain multus config is used as given,
 * and a shim's config (a fallback from `multus-shim`) gets the daemon config's defaults, read
 * from its file; in the daemon every request gets the defaults the daemon loaded at start.
 */
export interface ConfigDefaults {
  /**
   * The request's multus config (`type: multus`), its stdin JSON merged with the defaults. With
   * `bestEffort` (a DEL, which must work from its record) defaults that cannot be read are a
   * problem returned beside the request's own keys, not an error.
   */
  apply(raw: Readonly<Record<string, unknown>>, bestEffort: boolean): Promise<EffectiveConfig>;
}

export interface EffectiveConfig {
  readonly config: Record<string, unknown>;
  /** Why the defaults were left out (bestEffort only). */
  readonly problem?: CniError;
}
