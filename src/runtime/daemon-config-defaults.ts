import { promises as fs } from 'node:fs';
import { DEFAULT_DAEMON_CONFIG, SHIM_TYPE } from '../core/config/shim-keys';
import { parseDaemonConfig, requestConfig } from '../core/config/thick-config';
import { CniCode, CniError, toCniError } from '../core/errors';
import type { ConfigDefaults, EffectiveConfig } from '../core/ports/config-defaults';

/**
 * Thin mode's defaults: none for a multus config; for a shim's config (the shim fell back to
 * this binary) the defaults of the daemon config it names (`daemonConfig`, else the default
 * path), so the request runs as the daemon would have run it. No daemon config file: no defaults.
 */
export class DaemonConfigFileDefaults implements ConfigDefaults {
  constructor(private readonly defaultPath = DEFAULT_DAEMON_CONFIG) {}

  async apply(raw: Readonly<Record<string, unknown>>, bestEffort: boolean): Promise<EffectiveConfig> {
    try {
      return { config: await this.merged(raw) };
    } catch (err) {
      if (!bestEffort) throw err;
      return { config: requestConfig({}, raw), problem: toCniError(err) };
    }
  }

  private async merged(raw: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    if (raw['type'] !== SHIM_TYPE) return { ...raw };
    const named = raw['daemonConfig'];
    const path = typeof named === 'string' && named !== '' ? named : this.defaultPath;
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

  apply(raw: Readonly<Record<string, unknown>>): Promise<EffectiveConfig> {
    return Promise.resolve({ config: requestConfig(this.defaults, raw) });
  }
}
