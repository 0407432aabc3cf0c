import { createdHostLinks } from './attachment-runner';
import { CniError, toCniError } from './errors';
import { combineProblems, type PreparedAttachment } from './planner';
import type { VerifyContext } from './ports/delegate-adapter';

/**
 * Runs every delegate's host checks (`adapter.verify`) before the first delegate runs, all at
 * once, and reports every problem together, each naming the network, its place and its type:
 * an ADD whose last delegate cannot work creates nothing.
 */
export async function verifyAttachments(attachments: readonly PreparedAttachment[], netns: string): Promise<void> {
  const checks = attachments.flatMap((a) => a.plugins.map((p) => ({ a, p })));
  const made: string[] = [];
  const contexts = checks.map(({ a, p }): VerifyContext => {
    const context = { network: a.network, origin: p.origin, netns, madeEarlier: [...made] };
    made.push(...createdHostLinks(p.conf));
    return context;
  });
  const settled = await Promise.allSettled(
    checks.map(({ p }, i) => p.adapter.verify?.(p.conf, contexts[i] as VerifyContext) ?? Promise.resolve()),
  );
  const problems: CniError[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') return;
    const { a, p } = checks[i] as (typeof checks)[number];
    problems.push(
      toCniError(s.reason).withContext(
        `network ${JSON.stringify(a.network)} (${p.origin}, type ${JSON.stringify(p.type)})`,
      ),
    );
  });
  if (problems.length > 0) throw combineProblems(problems);
}
