import { CniCode, CniError } from '../../core/errors';
import type { ExecRequest, Executor, HostLink } from '../../core/ports/executor';

/**
 * The Executor the operator commands bind in place of the real one: it records what was asked
 * and runs nothing, so `validate` and `explain` can use the production container and code paths
 * with the guarantee that no plugin, `ip` or `nsenter` is ever started
 * and no host link is looked at.
 */
export class RefusingExecutor implements Executor {
  /** What something tried to run (`ADD bridge`, `tool nsenter ...`); empty when all went as designed. */
  readonly attempts: string[] = [];

  run(request: ExecRequest): Promise<unknown> {
    this.attempts.push(`${request.command} ${request.type}`);
    return Promise.reject(refused(`plugin ${JSON.stringify(request.type)}`));
  }

  runTool(file: string, args: readonly string[]): Promise<string> {
    this.attempts.push(`tool ${[file, ...args].join(' ')}`);
    return Promise.reject(refused(`tool ${JSON.stringify(file)}`));
  }

  hostLink(name: string): Promise<HostLink | undefined> {
    this.attempts.push(`link ${name}`);
    return Promise.reject(refused(`host link ${JSON.stringify(name)}`));
  }
}

function refused(what: string): CniError {
  return new CniError(CniCode.Internal, `internal error: ${what} asked to run, but this command runs nothing`);
}
