import type { Container } from 'inversify';
import { buildContainer } from '../../container';
import { TOKENS } from '../../core/tokens';
import { checkConfig } from './config-checks';
import { readConfigFile } from './config-file';
import { OfflineKubeClientProvider } from './offline-kube';
import type { Problem } from './problem';
import { RefusingExecutor } from './refusing-executor';

export interface ValidateOptions {
  readonly cniPath: readonly string[];
  readonly ifname: string;
  /** The container to take the adapters from; the production one (with nothing able to run) by default. */
  readonly container?: Container;
}

export interface ValidateReport {
  readonly file: string;
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  /** What was found, when ok: `3 delegates, master delegates[0] → eth0, ...`. */
  readonly summary: string;
}

/**
 * The production container with every way out closed: the executor runs nothing and the
 * Kubernetes client answers nothing. The adapters, sources and planner are the ones an ADD uses.
 */
export function offlineContainer(executor = new RefusingExecutor()): Container {
  const container = buildContainer();
  container.rebind(TOKENS.Executor).toConstantValue(executor);
  container.rebind(TOKENS.KubeClientProvider).toConstantValue(new OfflineKubeClientProvider());
  return container;
}

/** Reads and checks one file; every problem found, in the order found. */
export async function validateFile(file: string, options: ValidateOptions): Promise<ValidateReport> {
  const read = await readConfigFile(file);
  if (!read.ok) return { file, ok: false, problems: read.problems, summary: '' };
  const container = options.container ?? offlineContainer();
  const report = await checkConfig(read.config, { container, cniPath: options.cniPath, ifname: options.ifname });
  return { file, ok: report.problems.length === 0, problems: report.problems, summary: report.summary };
}
