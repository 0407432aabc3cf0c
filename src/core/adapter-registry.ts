import type { Container } from 'inversify';
import { CniCode, CniError } from './errors';
import type { DelegateConf } from './plan';
import type { DelegateAdapter } from './ports/delegate-adapter';
import type { Executor } from './ports/executor';
import { TOKENS } from './tokens';

/** How an adapter is made: it gets the one Executor, through which it must run its plugin. */
export type AdapterFactory = (executor: Executor) => DelegateAdapter;

/**
 * Registers a delegate adapter with a container. The built-in adapters register through this
 * same call, so a vendor's adapter is a peer of theirs; a higher `priority` overrides them.
 */
export function registerAdapter(container: Container, factory: AdapterFactory): void {
  container
    .bind<DelegateAdapter>(TOKENS.DelegateAdapter)
    .toDynamicValue((ctx) => factory(ctx.get<Executor>(TOKENS.Executor)))
    .inSingletonScope();
}

/** Picks the adapter for a delegate config: the highest priority among those that support it. */
export class AdapterRegistry {
  private readonly adapters: readonly DelegateAdapter[];

  constructor(adapters: readonly DelegateAdapter[]) {
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
      throw new CniError(CniCode.InvalidConfig, `${origin}: no adapter handles delegate type ${JSON.stringify(conf['type'])}`);
    }
    return best;
  }
}
