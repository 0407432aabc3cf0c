import type { PodInfo } from '../../core/ports/kube-client';
import type { NodePods, PodChange } from '../../core/ports/node-pods';
import type { Informer } from './informer-cache';

type Listener = (change: PodChange) => void;

/**
 * The NodePods port over the daemon's pod informer (the pods of its node). The informer is
 * reached once the client of the daemon's kubeconfig is made; until then, and when that fails
 * or there is no node name, nothing is synced and nothing is told.
 */
export class InformerNodePods implements NodePods {
  private informer: Informer<PodInfo> | undefined;
  /** Each listener, with what detaches it from the informer (nothing while there is none yet). */
  private readonly listeners = new Map<Listener, () => void>();

  constructor(informer: Promise<Informer<PodInfo> | undefined>) {
    informer.then(
      (found) => {
        this.informer = found;
        for (const listener of this.listeners.keys()) this.listeners.set(listener, this.attach(found, listener));
      },
      () => undefined,
    );
  }

  synced(): boolean {
    return this.informer?.status().synced ?? false;
  }

  get(namespace: string, name: string): PodInfo | undefined {
    return this.informer?.get(`${namespace}/${name}`);
  }

  list(): readonly PodInfo[] {
    return this.informer?.values() ?? [];
  }

  subscribe(listener: Listener): () => void {
    this.listeners.set(listener, this.attach(this.informer, listener));
    return () => {
      this.listeners.get(listener)?.();
      this.listeners.delete(listener);
    };
  }

  private attach(informer: Informer<PodInfo> | undefined, listener: Listener): () => void {
    if (informer === undefined) return () => undefined;
    return informer.subscribe(({ type, value, previous }) =>
      listener(previous === undefined ? { type, pod: value } : { type, pod: value, previous }),
    );
  }
}
