import type { LiveOutcome } from '../core/live-networks';
import type { MultusConfig } from '../core/config/multus-config';
import { toCniError } from '../core/errors';
import type { PodInfo } from '../core/ports/kube-client';
import type { Logger } from '../core/ports/logger';
import type { NodePods, PodChange } from '../core/ports/node-pods';
import { DEFAULT_NETWORK_ANNOTATION, NETWORKS_ANNOTATION, SEED_NETWORKS_ANNOTATION } from '../core/selection';

/** The annotations a pod's networks come from: a change to one of them is what live networks act on. */
const WATCHED = [NETWORKS_ANNOTATION, SEED_NETWORKS_ANNOTATION, DEFAULT_NETWORK_ANNOTATION];

export interface LiveLoopOptions {
  readonly pods: NodePods;
  readonly live: { apply(pod: PodInfo, config: MultusConfig, log: Logger): Promise<LiveOutcome> };
  /** The multus config of a pass: the daemon's defaults. */
  readonly config: MultusConfig;
  readonly log: Logger;
  /** Told after each pass (metrics, tests). */
  readonly observe?: (pod: PodInfo, outcome: LiveOutcome | undefined) => void;
}

/** A pod's place in the loop: the pass running, and whether another must follow it. */
interface Slot {
  running: Promise<void>;
  again: boolean;
}

function annotationsChanged(change: PodChange): boolean {
  if (change.type !== 'modified' || change.previous === undefined) return change.type === 'added';
  const before = change.previous.annotations;
  const now = change.pod.annotations;
  return WATCHED.some((key) => before[key] !== now[key]);
}

/**
 * Live networks in the daemon: each change of a pod's networks annotation (and each pod the
 * cache holds or lists at start: a daemon restarted mid-change finishes it) starts a pass over
 * that pod. Passes of one pod run one at a time, in order; edits that arrive during a pass are
 * folded into one more pass, which reads the pod as it is then, so a burst ends in the state of
 * its last edit. Pods are independent of one another.
 */
export class LiveNetworksLoop {
  private readonly slots = new Map<string, Slot>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: LiveLoopOptions) {}

  /**
   * Listens to the pod cache, and starts a pass over every pod it already holds: the cache may
   * have listed them before this subscribed (a pod passed twice is left as it is the second time).
   */
  start(): void {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = this.options.pods.subscribe((change) => {
      if (change.type !== 'deleted' && annotationsChanged(change)) this.schedule(change.pod);
    });
    for (const pod of this.options.pods.list()) this.schedule(pod);
  }

  /** Stops listening; resolves when the passes running have ended. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.idle();
  }

  /** Resolves when no pass is running or due. */
  async idle(): Promise<void> {
    while (this.slots.size > 0) await Promise.all([...this.slots.values()].map((s) => s.running));
  }

  private schedule(pod: PodInfo): void {
    const key = `${pod.namespace}/${pod.name}`;
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      slot.again = true;
      return;
    }
    const fresh: Slot = { running: Promise.resolve(), again: false };
    fresh.running = this.drain(key, pod, fresh);
    this.slots.set(key, fresh);
  }

  /** Passes over one pod until no edit arrived during the last; each reads the pod as the cache has it then. */
  private async drain(key: string, first: PodInfo, slot: Slot): Promise<void> {
    let pod: PodInfo | undefined = first;
    while (pod !== undefined) {
      slot.again = false;
      await this.pass(pod);
      pod = slot.again ? this.options.pods.get(pod.namespace, pod.name) : undefined;
    }
    this.slots.delete(key);
  }

  private async pass(pod: PodInfo): Promise<void> {
    const log = this.options.log.child({ pod: `${pod.namespace}/${pod.name}`, component: 'live-networks' });
    try {
      const outcome = await this.options.live.apply(pod, this.options.config, log);
      if (outcome.attached.length + outcome.detached.length + outcome.failed.length > 0)
        log.info({ ...outcome }, 'live networks: pod updated');
      this.options.observe?.(pod, outcome);
    } catch (err) {
      log.warn({ reason: toCniError(err).msg }, 'live networks: pass failed; the next change of the pod tries again');
      this.options.observe?.(pod, undefined);
    }
  }
}
