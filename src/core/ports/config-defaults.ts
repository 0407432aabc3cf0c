/**
 * The multus config a request runs with. In thin mode a plain multus config is used as given,
 * and a shim's config (a fallback from `multus-shim`) gets the daemon config's defaults, read
 * from its file; in the daemon every request gets the defaults the daemon loaded at start.
 */
export interface ConfigDefaults {
  /** The request's multus config (`type: multus`), its stdin JSON merged with the defaults. */
  apply(raw: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
}
