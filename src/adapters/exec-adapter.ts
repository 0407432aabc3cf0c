import type { ClassConstructor } from 'class-transformer';
import type { CniCommand } from '../core/cni-env';
import type { DelegateConf } from '../core/plan';
import type {
  AdapterContext,
  DelegateAdapter,
  DelegateInvocation,
  VerifyContext,
} from '../core/ports/delegate-adapter';
import type { ExecRequest, Executor } from '../core/ports/executor';
import { joinPath, throwIfProblems, validateModel, type ConfigProblem } from '../core/validation';
import { nestedProblems } from './adapter-validators';
import { ipamFieldProblems, type IpamFieldOptions } from './ipam-model';

export interface ExecAdapterOptions {
  /** For logs and errors, e.g. "bridge". */
  readonly name: string;
  /** Higher wins among adapters that support a config; built-in typed adapters use 10, the generic one 0. */
  readonly priority: number;
  /** The plugin `type`s this adapter handles; undefined means every type. */
  readonly types?: readonly string[];
  /**
   * A class-validator model of the fields the plugin documents. Checked against the config with
   * JSON paths; the config itself is passed on untouched, so fields the model does not know
   * (newer plugin versions, vendor keys) still reach the plugin.
   */
  readonly model?: ClassConstructor<object>;
  /**
   * Models of nested objects by key (flannel's `delegate`, vhost-user's `vhost`), checked after
   * `model` with paths under the key; a key whose value is not an object is left to `model`.
   */
  readonly nested?: Readonly<Record<string, ClassConstructor<object>>>;
  /** Check the `ipam` section last (see {@link ipamFieldProblems}); undefined leaves it to the plugin. */
  readonly ipam?: IpamFieldOptions;
}

function delegateType(conf: DelegateConf): string {
  const type = conf['type'];
  return typeof type === 'string' ? type : '';
}

/**
 * The base of every adapter: validate the config, then run the plugin through the one Executor.
 * Typed adapters only add checks (the `model`, `nested` and `ipam` options, or an override of
 * {@link validate}), so what runs a plugin and how its output is decoded lives in one place for
 * all of them.
 */
export class ExecAdapter implements DelegateAdapter {
  readonly name: string;
  readonly priority: number;
  protected readonly executor: Executor;
  private readonly types: readonly string[] | undefined;
  private readonly checks: Pick<ExecAdapterOptions, 'model' | 'nested' | 'ipam'>;

  constructor(executor: Executor, options: ExecAdapterOptions) {
    this.executor = executor;
    this.name = options.name;
    this.priority = options.priority;
    this.types = options.types;
    this.checks = { model: options.model, nested: options.nested, ipam: options.ipam };
  }

  supports(conf: DelegateConf): boolean {
    return this.types === undefined || this.types.includes(delegateType(conf));
  }

  /** Throws one CniError (code 7) naming the network, where it came from and the type, with every problem. */
  prepare(conf: DelegateConf, context: AdapterContext): DelegateConf {
    const network = JSON.stringify(context.network);
    const where = `network ${network} (${context.origin}, type ${JSON.stringify(delegateType(conf))})`;
    throwIfProblems(this.validate(conf, context), where);
    return conf;
  }

  /** Host checks before any delegate of the ADD runs; none by default. */
  verify(_conf: DelegateConf, _context: VerifyContext): Promise<void> {
    return Promise.resolve();
  }

  add(call: DelegateInvocation): Promise<unknown> {
    return this.executor.run(this.request('ADD', call));
  }

  async del(call: DelegateInvocation): Promise<void> {
    await this.executor.run(this.request('DEL', call));
  }

  async gc(call: DelegateInvocation): Promise<void> {
    await this.executor.run(this.request('GC', call));
  }

  async status(call: DelegateInvocation): Promise<void> {
    await this.executor.run(this.request('STATUS', call));
  }

  async check(call: DelegateInvocation): Promise<void> {
    await this.executor.run(this.request('CHECK', call));
  }

  /**
   * The config's problems, with paths under `context.origin`; by default those of the `model`,
   * `nested` and `ipam` options, in that order.
   */
  protected validate(conf: DelegateConf, context: AdapterContext): ConfigProblem[] {
    const { model, nested = {}, ipam } = this.checks;
    const origin = context.origin;
    return [
      ...(model === undefined ? [] : validateModel(model, conf, origin)),
      ...Object.entries(nested).flatMap(([key, m]) => nestedProblems(m, conf[key], joinPath(origin, key))),
      ...(ipam === undefined ? [] : ipamFieldProblems(conf, origin, ipam)),
    ];
  }

  /** What the executor runs: the config on stdin, with `prevResult` added when the call has one. */
  protected request(command: CniCommand, call: DelegateInvocation): ExecRequest {
    const stdin: Record<string, unknown> = { ...call.conf };
    if (call.prevResult !== undefined) stdin['prevResult'] = call.prevResult;
    return {
      type: delegateType(call.conf),
      command,
      env: call.env,
      stdin,
      binDirs: call.binDirs,
      signal: call.signal,
      timeoutMs: call.timeoutMs,
      onSpawn: call.onSpawn,
    };
  }
}

/**
 * The fallback for every plugin type without a typed adapter (macvlan, ipvlan, host-device,
 * vendor plugins, ...): no checks beyond what multus itself needs, the plugin judges its config.
 */
export class GenericExecAdapter extends ExecAdapter {
  constructor(executor: Executor) {
    super(executor, { name: 'exec', priority: 0 });
  }
}
