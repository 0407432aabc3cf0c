import type { CniResult } from '../result';
import type { DelegateConf } from '../plan';
import type { DelegateEnv } from './executor';

/** Where a delegate config sits, so an adapter's errors can name it. */
export interface AdapterContext {
  /** The network's name. */
  readonly network: string;
  /** The JSON path of the delegate config (`delegates[2]`), prefixed to every problem. */
  readonly origin: string;
}

/** Where a delegate is about to run, for {@link DelegateAdapter.verify}'s host checks. */
export interface VerifyContext extends AdapterContext {
  /** The pod's network namespace (CNI_NETNS), for checks made inside it (through nsenter). */
  readonly netns: string;
  /**
   * Host links that delegates running earlier in this ADD create (a bridge plugin's bridge): they
   * may not exist yet when verify runs, and a check must not call them missing.
   */
  readonly madeEarlier: readonly string[];
}

/** One call of a delegate: its prepared config, its env, where to find it. */
export interface DelegateInvocation {
  readonly conf: DelegateConf;
  readonly env: DelegateEnv;
  readonly binDirs: readonly string[];
  /** The delegate's earlier result, sent as `prevResult` (DEL and CHECK, CNI ≥ 0.4.0). */
  readonly prevResult?: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
  /** The delegate timeout (ms): the plugin's process group is killed after it. */
  readonly timeoutMs?: number;
  /** Told the plugin's pid once it runs. */
  readonly onSpawn?: (pid: number) => void;
}

/**
 * A typed adapter for one kind of delegate plugin. It validates and shapes the plugin's config
 * (`prepare`), runs the plugin through the one Executor, and may post-process its result.
 * Adapters are chosen by `supports` and `priority` (highest wins), so a vendor's adapter can
 * override a built-in one for the same plugin type.
 */
export interface DelegateAdapter {
  /** A name for logs and errors, e.g. "bridge". */
  readonly name: string;
  /** Higher wins among the adapters that support a config; the generic exec adapter is 0. */
  readonly priority: number;
  supports(conf: DelegateConf): boolean;
  /** Validates the config (throwing a CniError with JSON paths) and returns what the plugin gets. */
  prepare(conf: DelegateConf, context: AdapterContext): DelegateConf;
  /**
   * Host checks that need more than the config (a link exists, a device is free): run for every
   * delegate of an ADD before the first delegate runs, so a problem of the last one creates
   * nothing. Rejects with a CniError saying what is wrong; optional (default: nothing to check).
   */
  verify?(conf: DelegateConf, context: VerifyContext): Promise<void>;
  /** Runs ADD; resolves with the plugin's raw result JSON. */
  add(call: DelegateInvocation): Promise<unknown>;
  del(call: DelegateInvocation): Promise<void>;
  check(call: DelegateInvocation): Promise<void>;
  /** CNI 1.1 GC; the config carries `cni.dev/valid-attachments`. */
  gc(call: DelegateInvocation): Promise<void>;
  /** CNI 1.1 STATUS: resolves when the plugin is ready for ADDs. */
  status(call: DelegateInvocation): Promise<void>;
  /** Adjusts the parsed result (e.g. fills an interface's sandbox); default: unchanged. */
  postProcess?(result: CniResult, context: AdapterContext): CniResult;
}
