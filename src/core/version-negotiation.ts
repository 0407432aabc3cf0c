import type { NetworkRequest } from './plan';
import { combineProblems, type PreparedAttachment, type PreparedPlugin } from './planner';
import { CniCode, CniError, toCniError } from './errors';
import type { PluginVersions } from './ports/plugin-versions';
import { SUPPORTED_VERSIONS, versionAtLeast, type CniVersion } from './version';

/** What a negotiation needs besides the attachments: who to ask, where the plugins are. */
export interface NegotiationContext {
  readonly versions: PluginVersions;
  readonly request: NetworkRequest;
  readonly binDirs: readonly string[];
  /**
   * A best-effort DEL: an attachment whose version cannot be settled keeps its configured one
   * (its DEL fails on its own, logged) instead of stopping the others' DELs.
   */
  readonly bestEffort?: boolean;
}

/**
 * Each plugin type's VERSION answer, asked once per type: its list, undefined (no usable
 * answer), or why it could not be asked (not found, unsafe, timed out: what running it would meet).
 */
export type VersionAnswers = ReadonlyMap<string, readonly string[] | undefined | CniError>;

/** Asks every distinct plugin type for its supported versions, at once. */
export async function askVersions(types: Iterable<string>, ctx: NegotiationContext): Promise<VersionAnswers> {
  const { config, signal } = ctx.request;
  const unique = [...new Set(types)];
  const answers = await Promise.allSettled(
    unique.map((type) =>
      ctx.versions.supported({
        type,
        binDirs: ctx.binDirs,
        cacheDir: config.cacheDir,
        timeoutMs: config.delegateTimeoutMs,
        signal,
      }),
    ),
  );
  return new Map(
    unique.map((type, i) => {
      const answer = answers[i] as PromiseSettledResult<readonly string[] | undefined>;
      return [type, answer.status === 'fulfilled' ? answer.value : toCniError(answer.reason)];
    }),
  );
}

/** One type's answer; a failure to ask is thrown, naming `where`. */
export function answerFor(answers: VersionAnswers, type: string, where: string): readonly string[] | undefined {
  const answer = answers.get(type);
  if (answer instanceof CniError) throw answer.withContext(where);
  return answer;
}

/**
 * The highest CNI version that is at most `ceiling` (the multus config's) and that every known
 * answer lists; undefined when there is none. With no answer at all, `ceiling` itself.
 */
export function highestCommonVersion(
  ceiling: string,
  answers: ReadonlyArray<readonly string[] | undefined>,
): CniVersion | undefined {
  const known = answers.filter((a): a is readonly string[] => a !== undefined);
  const fits = SUPPORTED_VERSIONS.filter((v) => versionAtLeast(ceiling, v) && known.every((list) => list.includes(v)));
  return fits[fits.length - 1];
}

/** The plugin's place, network and type, as every version error names them. */
function where(a: PreparedAttachment, p: PreparedPlugin): string {
  return `network ${JSON.stringify(a.network)} (${p.origin}, type ${JSON.stringify(p.type)})`;
}

function listed(list: readonly string[]): string {
  return `[${list.join(', ')}]`;
}

/** An explicit cniVersion must be one each of the attachment's plugins lists (code 1 otherwise). */
function checkExplicit(a: PreparedAttachment, answers: VersionAnswers): PreparedAttachment {
  for (const p of a.plugins) {
    const list = answerFor(answers, p.type, where(a, p));
    if (list === undefined || list.includes(a.cniVersion)) continue;
    throw new CniError(
      CniCode.IncompatibleVersion,
      `${where(a, p)}: cniVersion ${JSON.stringify(a.cniVersion)} is not supported by the plugin, which ` +
        `supports ${listed(list)}; nothing was run`,
    );
  }
  return a;
}

/** An inherited cniVersion becomes the highest one, up to the multus config's, that all its plugins speak. */
function negotiate(a: PreparedAttachment, answers: VersionAnswers, ceiling: string): PreparedAttachment {
  const lists = a.plugins.map((p) => answerFor(answers, p.type, where(a, p)));
  const chosen = highestCommonVersion(ceiling, lists);
  if (chosen === undefined) {
    const i = lists.findIndex((list) => highestCommonVersion(ceiling, [list]) === undefined);
    const p = a.plugins[Math.max(i, 0)] as PreparedPlugin;
    const supported = lists[Math.max(i, 0)] ?? [];
    const what = a.plugins.length > 1 ? 'every plugin of the chain supports' : 'the plugin supports';
    throw new CniError(
      CniCode.IncompatibleVersion,
      `${where(a, p)}: no CNI version up to ${ceiling} (the multus config's cniVersion) that ${what}; it ` +
        `supports ${listed(supported)}; nothing was run`,
    );
  }
  if (chosen === a.cniVersion) return a;
  return {
    ...a,
    cniVersion: chosen,
    plugins: a.plugins.map((p) => ({ ...p, conf: { ...p.conf, cniVersion: chosen } })),
  };
}

/**
 * Settles each attachment's CNI version with its plugins before anything runs. A delegate
 * without `cniVersion` runs at the highest version both the multus config's allows and its
 * plugins speak (its result is converted to the config's version as any other); an explicit
 * one its plugin does not speak is code 1 naming the network, the place, the type, the version
 * and the plugin's list. Every attachment's problem is reported at once (unless `bestEffort`).
 */
export async function negotiateVersions(
  attachments: readonly PreparedAttachment[],
  ctx: NegotiationContext,
): Promise<PreparedAttachment[]> {
  const answers = await askVersions(
    attachments.flatMap((a) => a.plugins.map((p) => p.type)),
    ctx,
  );
  const ceiling = ctx.request.config.cniVersion;
  const problems: CniError[] = [];
  const settled = attachments.map((a) => {
    try {
      return (a.plugins[0] as PreparedPlugin).explicitVersion
        ? checkExplicit(a, answers)
        : negotiate(a, answers, ceiling);
    } catch (err) {
      problems.push(toCniError(err));
      return a;
    }
  });
  if (problems.length > 0 && ctx.bestEffort !== true) throw combineProblems(problems);
  return settled;
}
