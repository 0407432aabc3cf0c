import type { Container } from 'inversify';
import { CniCode, CniError, toCniError } from './errors';
import type { DelegateConf, NetworkRequest } from './plan';
import type { AdapterCatalog } from './ports/adapter-catalog';
import type { Logger } from './ports/logger';
import type { DelegateAdapter } from './ports/delegate-adapter';
import type { Executor } from './ports/executor';
import { TOKENS } from './tokens';

/** How an adapter is made: it gets the one Executor, through which it must run its plugin. */
export type AdapterFactory = (executor: Executor) => DelegateAdapter;

/** An adapter factory as registered, with who registered it (`built-in`, a vendor module's path). */
export interface AdapterRegistration {
  readonly factory: AdapterFactory;
  readonly origin: string;
}

/** An adapter made from its registration. */
export interface RegisteredAdapter {
  readonly adapter: DelegateAdapter;
  readonly origin: string;
}

/**
 * Registers a delegate adapter with a container that is being built: the one registration call.
 * The built-in adapters register through it too, so a vendor's adapter is a peer of theirs and a
 * higher `priority` overrides them. `origin` names who registered it, for errors.
 */
export function registerAdapter(container: Container, factory: AdapterFactory, origin = 'built-in'): void {
  container.bind<AdapterRegistration>(TOKENS.AdapterRegistration).toConstantValue({ factory, origin });
}

/** Makes each registered adapter with the executor. */
export function makeAdapters(registrations: readonly AdapterRegistration[], executor: Executor): RegisteredAdapter[] {
  return registrations.map(({ factory, origin }) => ({ adapter: factory(executor), origin }));
}

/** What {@link registryOf} resolves from: a container, or inversify's resolution context. */
export interface AdapterBindings {
  get<T>(token: symbol): T;
  getAll<T>(token: symbol): T[];
}

/** The registry of every adapter registered with a container, each made with its Executor. */
export function registryOf(bindings: AdapterBindings): AdapterRegistry {
  const registrations = bindings.getAll<AdapterRegistration>(TOKENS.AdapterRegistration);
  return new AdapterRegistry(makeAdapters(registrations, bindings.get<Executor>(TOKENS.Executor)));
}

/**
 * Picks the adapter for a delegate config: the highest priority among those that support it.
 * Immutable: the adapters of a config's `adapterDirs` make a new registry ({@link withAdapters}),
 * so concurrent requests with different configs never see each other's adapters.
 */
export class AdapterRegistry {
  private readonly entries: readonly RegisteredAdapter[];

  /** Two adapters of one name are a registration mistake (code 108 naming both origins). */
  constructor(entries: readonly RegisteredAdapter[]) {
    const seen = new Map<string, RegisteredAdapter>();
    for (const entry of entries) {
      const other = seen.get(entry.adapter.name);
      if (other !== undefined) {
        throw new CniError(
          CniCode.AdapterLoadFailed,
          `adapter name "${entry.adapter.name}" is registered twice: by ${other.origin} and by ${entry.origin}; ` +
            `give the vendor adapter its own name (a higher priority is how it overrides another)`,
        );
      }
      seen.set(entry.adapter.name, entry);
    }
    this.entries = entries;
  }

  /** A new registry with these adapters after this one's. */
  withAdapters(more: readonly RegisteredAdapter[]): AdapterRegistry {
    return more.length === 0 ? this : new AdapterRegistry([...this.entries, ...more]);
  }

  /** Every registered adapter, in registration order. */
  list(): readonly DelegateAdapter[] {
    return this.entries.map((e) => e.adapter);
  }

  /** Who registered an adapter of this registry (`unknown` for any other). */
  originOf(adapter: DelegateAdapter): string {
    return this.entries.find((e) => e.adapter === adapter)?.origin ?? 'unknown';
  }

  /** Ties go to the adapter registered first. No adapter at all is code 7 naming the type and where. */
  pick(conf: DelegateConf, origin: string): DelegateAdapter {
    let best: DelegateAdapter | undefined;
    for (const { adapter } of this.entries) {
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

/**
 * The adapters for a request: its config's `adapterDirs` loaded. A DEL is never stuck behind a
 * broken or newly unsafe module: it goes on with the container's adapters (the generic one runs
 * any plugin) and logs it; every other command fails with the loader's error (code 108).
 */
export async function adaptersFor(
  catalog: AdapterCatalog,
  request: NetworkRequest,
  log: Logger,
): Promise<AdapterRegistry> {
  try {
    return await catalog.registryFor(request.config.adapterDirs);
  } catch (err) {
    if (request.env.command !== 'DEL') throw err;
    const error = toCniError(err);
    log.warn({ code: error.code }, `DEL goes on without some vendor adapters: ${error.msg}`);
    return catalog.base;
  }
}
