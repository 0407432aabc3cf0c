import { inject, injectable, multiInject } from 'inversify';
import type { AdapterRegistry } from './adapter-registry';
import { delegateBinDirs } from './delegate-call';
import { CniCode, CniError, toCniError } from './errors';
import { isObject } from './json';
import type { DelegateConf, NetworkRequest, PodRef } from './plan';
import { pluginTypeProblem } from './plugin-type';
import { combineProblems, prepareAttachments, type PlanProblem, type PreparedAttachment } from './planner';
import type { NetworkSource } from './ports/network-source';
import type { PluginFinder } from './ports/plugin-finder';
import { TOKENS } from './tokens';

/** A plugin binary as the executor would find it: its file, or the error the ADD would fail with. */
export interface BinaryFact {
  /** Where the type is named: `delegates[1].type`, `delegates[1].ipam.type`. */
  readonly at: string;
  readonly type: string;
  readonly path: string | undefined;
  readonly error: CniError | undefined;
}

/**
 * Everything an ADD decides before it runs its first delegate, and nothing run: the source that
 * serves the request, the attachments (network, place, adapter, interface name, each plugin's
 * exact stdin and env), and every problem found, each at its JSON path. ADD executes this plan;
 * `multus validate` and `multus explain` render it.
 */
export interface DryRun {
  /** The network source that serves the request (`file`, `kubernetes`); undefined when none does. */
  readonly source: string | undefined;
  /** The pod a Kubernetes source resolved the plan for (network-status is written to it). */
  readonly pod: PodRef | undefined;
  readonly attachments: readonly PreparedAttachment[];
  readonly problems: readonly PlanProblem[];
  /** With `binaries`: each plugin's binary, and its IPAM plugin's (which the delegate runs from CNI_PATH). */
  readonly binaries: readonly BinaryFact[];
}

export interface DryRunOptions {
  /** Look each plugin binary up, as the executor would (ADD does not: its version negotiation does). */
  readonly binaries?: boolean;
}

/** The IPAM plugin a delegate runs (`ipam.type`), which the delegate finds in the same CNI_PATH. */
export function ipamType(conf: DelegateConf): string | undefined {
  const ipam = conf['ipam'];
  if (!isObject(ipam)) return undefined;
  const type = ipam['type'];
  return typeof type === 'string' && type !== '' ? type : undefined;
}

/**
 * The one planning path: the source the request goes to, its resolution, and the planner. The
 * adapters are the caller's (a request's config may add vendor adapter directories).
 */
@injectable()
export class Planner {
  constructor(
    @multiInject(TOKENS.NetworkSource) private readonly sources: readonly NetworkSource[],
    @inject(TOKENS.PluginFinder) private readonly finder: PluginFinder,
  ) {}

  /** The dry run of an ADD of `request`; it never throws for what is wrong with the request. */
  async dryRun(request: NetworkRequest, adapters: AdapterRegistry, options: DryRunOptions = {}): Promise<DryRun> {
    const none: DryRun = { source: undefined, pod: undefined, attachments: [], problems: [], binaries: [] };
    // The first source that supports the request serves it.
    const source = this.sources.find((s) => s.supports(request));
    if (source === undefined) {
      const names = this.sources.map((s) => s.name).join(', ') || 'none';
      const error = new CniError(CniCode.InvalidConfig, `no network source can serve this request (sources: ${names})`);
      return { ...none, problems: [{ at: '(config)', error }] };
    }
    let plan;
    try {
      plan = await source.resolve(request);
    } catch (err) {
      return { ...none, source: source.name, problems: [{ at: '(networks)', error: toCniError(err) }] };
    }
    const prepared = prepareAttachments(plan, request, adapters);
    const binaries = options.binaries === true ? await this.binaries(request, prepared.plugins) : [];
    return { ...prepared, source: source.name, pod: plan.pod, binaries };
  }

  /** The dry run's attachments, or its problems as the one error the ADD fails with. */
  async plan(request: NetworkRequest, adapters: AdapterRegistry): Promise<DryRun> {
    const run = await this.dryRun(request, adapters);
    if (run.problems.length > 0) throw combineProblems(run.problems.map((p) => p.error));
    return run;
  }

  private binaries(
    request: NetworkRequest,
    plugins: readonly { conf: DelegateConf; origin: string }[],
  ): Promise<BinaryFact[]> {
    const binDirs = delegateBinDirs(request.config, request.env);
    const wanted = plugins.flatMap(({ conf, origin }) => {
      const ipam = ipamType(conf);
      const own = { at: `${origin}.type`, type: String(conf['type']) };
      return ipam === undefined || pluginTypeProblem(ipam) !== undefined
        ? [own]
        : [own, { at: `${origin}.ipam.type`, type: ipam }];
    });
    return Promise.all(
      wanted.map(({ at, type }) =>
        this.finder.find(type, binDirs).then(
          (path): BinaryFact => ({ at, type, path, error: undefined }),
          (err: unknown): BinaryFact => ({ at, type, path: undefined, error: toCniError(err) }),
        ),
      ),
    );
  }
}
