import type { Container } from 'inversify';
import type { CniEnv } from './core/cni-env';
import { parseMultusConfig } from './core/config/multus-config';
import { toCniError } from './core/errors';
import type { AdapterDirLoader } from './adapters/modules/adapter-dir-loader';
import type { Housekeeper } from './core/housekeeper';
import type { Orchestrator } from './core/orchestrator';
import type { NetworkRequest } from './core/plan';
import type { Logger, LoggerFactory } from './core/ports/logger';
import type { PluginHandlers } from './core/skel';
import { TOKENS } from './core/tokens';

/**
 * The multus plugin's handlers: validate the config, make the request's logger, hand the
 * request to the orchestrator, and log the outcome once, at this boundary.
 */
export class MultusPlugin implements PluginHandlers {
  constructor(private readonly container: Container) {}

  add(env: CniEnv, raw: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.run(env, raw, async (o, request, log) => {
      await this.housekeeper().waitUntilReady(request);
      return o.add(signal === undefined ? request : { ...request, signal }, log);
    });
  }

  del(env: CniEnv, raw: Record<string, unknown>): Promise<void> {
    return this.run(env, raw, (o, request, log) => o.del(request, log));
  }

  check(env: CniEnv, raw: Record<string, unknown>): Promise<void> {
    return this.run(env, raw, (o, request, log) => o.check(request, log));
  }

  gc(env: CniEnv, raw: Record<string, unknown>): Promise<void> {
    return this.run(env, raw, (_o, request, log) => this.housekeeper().gc(request, log));
  }

  status(env: CniEnv, raw: Record<string, unknown>): Promise<void> {
    return this.run(env, raw, (_o, request) => this.housekeeper().status(request));
  }

  private housekeeper(): Housekeeper {
    return this.container.get<Housekeeper>(TOKENS.Housekeeper);
  }

  private async run<T>(env: CniEnv, raw: Record<string, unknown>, work: (o: Orchestrator, r: NetworkRequest, l: Logger) => Promise<T>): Promise<T> {
    const config = parseMultusConfig(raw);
    if (config.adapterDirs.length > 0) await this.container.get<AdapterDirLoader>(TOKENS.AdapterLoader).load(this.container, config.adapterDirs);
    const log = this.container.get<LoggerFactory>(TOKENS.LoggerFactory).create(config.log).child({
      command: env.command,
      containerId: env.containerId,
      ifname: env.ifname,
      podNamespace: env.args.get('K8S_POD_NAMESPACE'),
      podName: env.args.get('K8S_POD_NAME'),
    });
    try {
      const result = await work(this.container.get<Orchestrator>(TOKENS.Orchestrator), { env, config }, log);
      log.info({}, `${env.command} done`);
      return result;
    } catch (err) {
      const error = toCniError(err);
      log.error({ code: error.code, details: error.details }, `${env.command} failed: ${error.msg}`);
      throw error;
    }
  }
}
