import type { Container } from 'inversify';
import type { CniEnv } from './core/cni-env';
import { parseMultusConfig, parseMultusConfigForDelete, type DeleteConfig } from './core/config/multus-config';
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
    return this.run(env, raw, (_o, request, log) => this.housekeeper().status(request, log));
  }

  /**
   * Vendor adapters from the config's adapterDirs. A DEL must never be stuck behind a broken or
   * newly unsafe module: it goes on with the adapters that did load (the generic one runs any
   * plugin) and logs it; every other command fails with the loader's error.
   */
  private async loadAdapters(env: CniEnv, dirs: readonly string[], log: Logger): Promise<void> {
    if (dirs.length === 0) return;
    try {
      await this.container.get<AdapterDirLoader>(TOKENS.AdapterLoader).load(this.container, dirs);
    } catch (err) {
      if (env.command !== 'DEL') throw err;
      const error = toCniError(err);
      log.warn({ code: error.code }, `DEL goes on without some vendor adapters: ${error.msg}`);
    }
  }

  private housekeeper(): Housekeeper {
    return this.container.get<Housekeeper>(TOKENS.Housekeeper);
  }

  private async run<T>(
    env: CniEnv,
    raw: Record<string, unknown>,
    work: (o: Orchestrator, r: NetworkRequest, l: Logger) => Promise<T>,
  ): Promise<T> {
    // A DEL is not stopped by a config problem: it works from the record (see the orchestrator).
    const { config, problem }: DeleteConfig =
      env.command === 'DEL' ? parseMultusConfigForDelete(raw) : { config: parseMultusConfig(raw) };
    const log = this.container
      .get<LoggerFactory>(TOKENS.LoggerFactory)
      .create(config.log)
      .child({
        command: env.command,
        containerId: env.containerId,
        ifname: env.ifname,
        podNamespace: env.args.get('K8S_POD_NAMESPACE'),
        podName: env.args.get('K8S_POD_NAME'),
      });
    try {
      if (problem !== undefined)
        log.warn(
          { code: problem.code },
          `DEL works from the container's record despite a config problem: ${problem.msg}`,
        );
      await this.loadAdapters(env, config.adapterDirs, log);
      const request: NetworkRequest = problem === undefined ? { env, config } : { env, config, configProblem: problem };
      const result = await work(this.container.get<Orchestrator>(TOKENS.Orchestrator), request, log);
      log.info({}, `${env.command} done`);
      return result;
    } catch (err) {
      const error = toCniError(err);
      log.error({ code: error.code, details: error.details }, `${env.command} failed: ${error.msg}`);
      throw error;
    }
  }
}
