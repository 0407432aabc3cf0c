import { promises as fs } from 'node:fs';
import { DEFAULT_DAEMON_CONFIG, SHIM_TYPE } from '../core/config/shim-keys';
import { parseDaemonConfig, requestConfig } from '../core/config/thick-config';
import { CniCode, CniError } from '../core/errors';
import type { ConfigDefaults } from '../core/ports/config-defaults';

/**
 * Thin mode's defaults: none for a multus config; for a shim's config (the shim fell back to
 * this binary) the defaults of the daemon config it names (`daemonConfig`, else the default
 * path), so the request runs as the daemon would have run it. No daemon config file: no defaults.
 */
export class DaemonConfigFileDefaults implements ConfigDefaults {
  async apply(raw: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    if (raw['type'] !== SHIM_TYPE) return { ...raw };
    const named = raw['daemonConfig'];
    const path = typeof named === 'string' && named !== '' ? named : DEFAULT_DAEMON_CONFIG;
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && named === undefined) return requestConfig({}, raw);
      throw new CniError(CniCode.InvalidConfig, `daemon config ${path}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new CniError(CniCode.DecodeFailure, `daemon config ${path}: not JSON: ${(err as Error).message}`);
    }
    return requestConfig(parseDaemonConfig(parsed, path).defaults, raw);
  }
}

/** The daemon's defaults, loaded once at start: every request is merged with the same ones. */
export class FixedConfigDefaults implements ConfigDefaults {
  constructor(private readonly defaults: Readonly<Record<string, unknown>>) {}

  apply(raw: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    return Promise.resolve(requestConfig(this.defaults, raw));
  }
}
