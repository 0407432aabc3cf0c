import type { Container } from 'inversify';
import { buildContainer } from '../../container';
import type { AdapterRegistry } from '../../core/adapter-registry';
import { parseCniArgs, type CniEnv } from '../../core/cni-env';
import type { MultusConfig } from '../../core/config/multus-config';
import type { DryRun, Planner } from '../../core/dry-run';
import type { NetworkRequest } from '../../core/plan';
import type { AdapterCatalog } from '../../core/ports/adapter-catalog';
import { TOKENS } from '../../core/tokens';
import { ClientNodeKubeClientProvider } from '../../sources/kube/client-node-kube-client';
import type { ConfigFile } from './config-file';
import { OfflineKubeClientProvider } from './offline-kube';
import { problemsOf, type Problem } from './problem';
import { RefusingExecutor } from './refusing-executor';

/**
 * The production container with every way out closed: the executor runs nothing and the
 * Kubernetes client answers nothing (its kubeconfig is still read and checked as an ADD would).
 * The adapters, sources and planner are the ones an ADD uses.
 */
export function offlineContainer(executor = new RefusingExecutor()): Container {
  const kube = new OfflineKubeClientProvider(new ClientNodeKubeClientProvider());
  return buildContainer({ replace: { Executor: executor, KubeClientProvider: kube } });
}

/** What `validate` and `explain` use of the container: resolved here, once per command. */
export interface OfflineServices {
  readonly planner: Planner;
  readonly catalog: AdapterCatalog;
  readonly kube: OfflineKubeClientProvider;
}

export function offlineServices(container: Container): OfflineServices {
  return {
    planner: container.get<Planner>(TOKENS.Planner),
    catalog: container.get<AdapterCatalog>(TOKENS.AdapterCatalog),
    kube: container.get<OfflineKubeClientProvider>(TOKENS.KubeClientProvider),
  };
}

/** The request an ADD for this config would make, short of a container: what the planner needs. */
export function offlineRequest(
  config: MultusConfig,
  ifname: string,
  cniPath: readonly string[],
  cniArgs = '',
): NetworkRequest {
  const env: CniEnv = {
    command: 'ADD',
    containerId: 'offline',
    netns: '',
    ifname,
    args: parseCniArgs(cniArgs),
    path: [...cniPath],
  };
  return { env, config };
}

/** The adapters for the config (its adapterDirs loaded), or the problem at `adapterDirs`. */
export async function offlineAdapters(
  services: OfflineServices,
  config: MultusConfig,
  file: ConfigFile,
): Promise<{ adapters?: AdapterRegistry; problems: Problem[] }> {
  try {
    return { adapters: await services.catalog.registryFor(config.adapterDirs), problems: [] };
  } catch (err) {
    return { problems: problemsOf(err, file.mapPath('adapterDirs'), file.mapPath) };
  }
}

/** The kubeconfig checks an ADD makes (readable, a user, TLS, no plain http without skip-verify). */
export async function kubeconfigProblems(
  services: OfflineServices,
  config: MultusConfig,
  file: ConfigFile,
): Promise<Problem[]> {
  if (config.kubeconfig === undefined) return [];
  try {
    await services.kube.check(config.kubeconfig);
    return [];
  } catch (err) {
    return problemsOf(err, file.mapPath('kubeconfig'), file.mapPath);
  }
}

/** A dry-run path as a path in the file; `(networks)` and the like stay as they are. */
function inFile(path: string, file: ConfigFile): string {
  return path.startsWith('(') && path !== '(config)' ? path : file.mapPath(path);
}

/** What stops the dry run's ADD, each problem at its path in the file. */
export function planProblems(run: DryRun, file: ConfigFile): Problem[] {
  return run.problems.flatMap((p) => problemsOf(p.error, inFile(p.at, file), file.mapPath));
}

/** The list indices in a path (`delegates[1].plugins[0].type` → [1, 0]): problems sort in file order by them. */
function indices(path: string): number[] {
  return [...path.matchAll(/\[(\d+)\]/gu)].map((m) => Number(m[1]));
}

function fileOrder(a: Problem, b: Problem): number {
  const [x, y] = [indices(a.path), indices(b.path)];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return x.length - y.length;
}

/** The plan's problems and every plugin binary that would not be found, in file order, as `validate` prints them. */
export function dryRunProblems(run: DryRun, file: ConfigFile): Problem[] {
  const binaries = run.binaries.flatMap((b) =>
    b.error === undefined ? [] : [{ path: inFile(b.at, file), message: b.error.msg, code: b.error.code }],
  );
  return [...planProblems(run, file), ...binaries].sort(fileOrder);
}
