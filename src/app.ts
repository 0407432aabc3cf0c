import { inject, injectable } from 'inversify';
import type { CniEnv } from './core/cni-env';
import { parseMultusConfig, parseMultusConfigForDelete, type DeleteConfig } from './core/config/multus-config';
import { toCniError } from './core/errors';
import type { Housekeeper } from './core/housekeeper';
import type { Orchestrator } from './core/orchestrator';
import type { NetworkRequest } from './core/plan';
import type { ConfigDefaults } from './core/ports/config-defaults';
import type { Logger, LoggerFactory } from './core/ports/logger';
import type { PluginHandlers } from './core/skel';
import { TOKENS } from './core/tokens';

/**
 * The multus plugin's handlers: validate the config, make the request's logger, hand the
 * request to the orchestrator, and log the outcome once, at this boundary. It keeps no state
 * between requests: one instance serves every request of the process.
 */
@injectable()
export class MultusPlugin implements PluginHandlers {
  constructor(
    @inject(TOKENS.LoggerFactory) private readonly loggers: LoggerFactory,
    @inject(TOKENS.Orchestrator) private readonly orchestrator: Orchestrator,
    @inject(TOKENS.Housekeeper) private readonly housekeeper: Housekeeper,
    @inject(TOKENS.ConfigDefaults) private readonly defaults: ConfigDefaults,
  ) {}

  add(env: CniEnv, raw: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.run(env, raw, async (o, request, log) => {
      await this.housekeeper.waitUntilReady(request);
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
    return this.run(env, raw, (_o, request, log) => this.housekeeper.gc(request, log));
  }

  status(env: CniEnv, raw: Record<string, unknown>): Promise<void> {
    return this.run(env, raw, (_o, request, log) => this.housekeeper.status(request, log));
  }

  private async run<T>(
    env: CniEnv,
    raw: Record<string, unknown>,
    work: (o: Orchestrator, r: NetworkRequest, l: Logger) => Promise<T>,
  ): Promise<T> {
    // A DEL is not stopped by a config problem: it works from the record (see the orchestrator).
    const del = env.command === 'DEL';
    const { config: effective, problem: defaultsProblem } = await this.defaults.apply(raw, del);
    const parsed: DeleteConfig = del ? parseMultusConfigForDelete(effective) : { config: parseMultusConfig(effective) };
    const { config } = parsed;
    const problem = parsed.problem ?? defaultsProblem;
    const log = this.loggers.create(config.log).child({
      ...(env.requestId === undefined ? {} : { requestId: env.requestId }),
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
      const request: NetworkRequest =
        problem === undefined ? { env, config, log } : { env, config, configProblem: problem, log };
      const result = await work(this.orchestrator, request, log);
      log.info({}, `${env.command} done`);
      return result;
    } catch (err) {
      const error = toCniError(err);
      log.error({ code: error.code, details: error.details }, `${env.command} failed: ${error.msg}`);
      throw error;
    }
  }
}
