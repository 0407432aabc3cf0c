import type { Container } from 'inversify';
import { CniCode, CniError } from './errors';
import type { DelegateConf } from './plan';
import type { DelegateAdapter } from './ports/delegate-adapter';
import type { Executor } from './ports/executor';
import { TOKENS } from './tokens';

/** How an adapter is made: it gets the one Executor, through which it must run its plugin. */
export type AdapterFactory = (executor: Executor) => DelegateAdapter;

/** Where each adapter came from (`built-in`, a vendor module's path), for errors about it. */
const origins = new WeakMap<DelegateAdapter, string>();

/**
 * Registers a delegate adapter with a container: the one registration call. The built-in
 * adapters register through it too, so a vendor's adapter is a peer of theirs and a higher
 * `priority` overrides them. `origin` names who registered it, for errors.
 */
export function registerAdapter(container: Container, factory: AdapterFactory, origin = 'built-in'): void {
  container
    .bind<DelegateAdapter>(TOKENS.DelegateAdapter)
    .toDynamicValue((ctx) => {
      const adapter = factory(ctx.get<Executor>(TOKENS.Executor));
      origins.set(adapter, origin);
      return adapter;
    })
    .inSingletonScope();
}

/** Who registered an adapter. */
export function adapterOrigin(adapter: DelegateAdapter): string {
  return origins.get(adapter) ?? 'unknown';
}

/** Picks the adapter for a delegate config: the highest priority among those that support it. */
export class AdapterRegistry {
  private readonly adapters: readonly DelegateAdapter[];

  /** Two adapters of one name are a registration mistake (code 108 naming both origins). */
  constructor(adapters: readonly DelegateAdapter[]) {
    const seen = new Map<string, DelegateAdapter>();
    for (const adapter of adapters) {
      const other = seen.get(adapter.name);
      if (other !== undefined) {
        throw new CniError(
          CniCode.AdapterLoadFailed,
          `adapter name "${adapter.name}" is registered twice: by ${adapterOrigin(other)} and by ` +
            `${adapterOrigin(adapter)}; give the vendor adapter its own name (a higher priority is how it ` +
            `overrides another)`,
        );
      }
      seen.set(adapter.name, adapter);
    }
    this.adapters = adapters;
  }

  /** Every registered adapter, in registration order. */
  list(): readonly DelegateAdapter[] {
    return this.adapters;
  }

  /** Ties go to the adapter registered first. No adapter at all is code 7 naming the type and where. */
  pick(conf: DelegateConf, origin: string): DelegateAdapter {
    let best: DelegateAdapter | undefined;
    for (const adapter of this.adapters) {
      if (!adapter.supports(conf)) continue;
      if (best === undefined || adapter.priority > best.priority) best = adapter;
    }
    if (best === undefined) {
      throw new CniError(
        CniCode.InvalidConfig,
        `${origin}: no adapter handles delegate type ${JSON.stringify(conf['type'])}`,
      );
    }
    return best;
  }
}
