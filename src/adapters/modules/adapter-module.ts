import type { Container } from 'inversify';
import { registerAdapter, type AdapterFactory, type AdapterRegistration } from '../../core/adapter-registry';
import { interfaceNameProblem } from '../../core/cni-env';
import { CniCode, CniError } from '../../core/errors';
import { parseResult } from '../../core/result';
import { throwIfProblems, validateModel } from '../../core/validation';
import { ExecAdapter, GenericExecAdapter } from '../exec-adapter';
import { ipamFieldProblems } from '../ipam-model';

/**
 * What a vendor adapter module provides: a name (for errors) and its adapter factories. The
 * same shape serves modules compiled in at build time (package.json `multusAdapters`) and
 * modules loaded at run time from a config's `adapterDirs`.
 */
export interface AdapterModule {
  readonly name: string;
  readonly adapters: readonly AdapterFactory[];
}

/**
 * The toolkit handed to a module whose default export is a function. A module loaded at run
 * time from a node's disk cannot import multus-ts (it is compiled into the binary), so it gets
 * the base class and helpers it needs from here.
 */
export interface AdapterApi {
  readonly apiVersion: 1;
  readonly ExecAdapter: typeof ExecAdapter;
  readonly GenericExecAdapter: typeof GenericExecAdapter;
  readonly CniError: typeof CniError;
  readonly CniCode: typeof CniCode;
  readonly validateModel: typeof validateModel;
  readonly throwIfProblems: typeof throwIfProblems;
  readonly ipamFieldProblems: typeof ipamFieldProblems;
  readonly interfaceNameProblem: typeof interfaceNameProblem;
  readonly parseResult: typeof parseResult;
}

/** A module's default export: the module itself, or a function of the toolkit that returns it. */
export type AdapterModuleExport = AdapterModule | ((api: AdapterApi) => AdapterModule);

export const ADAPTER_API: AdapterApi = {
  apiVersion: 1,
  ExecAdapter,
  GenericExecAdapter,
  CniError,
  CniCode,
  validateModel,
  throwIfProblems,
  ipamFieldProblems,
  interfaceNameProblem,
  parseResult,
};

function loadError(source: string, problem: string, cause?: unknown): CniError {
  return new CniError(CniCode.AdapterLoadFailed, `adapter module ${source}: ${problem}`, { cause });
}

/** The AdapterModule a module's exports describe (its default export, or the exports themselves). */
function moduleOf(exported: unknown, source: string): AdapterModule {
  let candidate = exported;
  // `default`, and under Node's import() of compiled CommonJS, `default.default` (__esModule).
  for (let i = 0; i < 2 && typeof candidate === 'object' && candidate !== null && 'default' in candidate; i += 1) {
    candidate = candidate.default;
  }
  if (typeof candidate === 'function') {
    try {
      candidate = (candidate as (api: AdapterApi) => unknown)(ADAPTER_API);
    } catch (err) {
      throw loadError(source, `its setup function threw: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
  const m = candidate as Partial<AdapterModule> | null;
  if (typeof m !== 'object' || m === null || typeof m.name !== 'string' || m.name === '') {
    throw loadError(source, 'must export (as default) {name, adapters} or a function of the adapter API returning it');
  }
  if (!Array.isArray(m.adapters) || m.adapters.length === 0 || !m.adapters.every((f) => typeof f === 'function')) {
    throw loadError(source, `"${m.name}": adapters must be a non-empty list of factories (executor) => adapter`);
  }
  return m as AdapterModule;
}

/** Checks what a factory made is an adapter, so a broken vendor adapter fails at load, naming its module. */
function checkedFactory(factory: AdapterFactory, source: string, index: number): AdapterFactory {
  return (executor) => {
    let adapter: unknown;
    try {
      adapter = factory(executor);
    } catch (err) {
      throw loadError(
        source,
        `adapters[${index}] threw when created: ${err instanceof Error ? err.message : String(err)}`,
        err,
      );
    }
    const a = adapter as Record<string, unknown> | null;
    const methods = ['supports', 'prepare', 'add', 'del', 'check', 'gc', 'status'];
    const missing = methods.filter((m) => typeof a?.[m] !== 'function');
    if (a === null || typeof a['name'] !== 'string' || typeof a['priority'] !== 'number' || missing.length > 0) {
      throw loadError(
        source,
        `adapters[${index}] did not make an adapter (needs name, priority and ${methods.join(', ')}; missing ` +
          `${missing.join(', ') || 'name/priority'})`,
      );
    }
    return adapter as ReturnType<AdapterFactory>;
  };
}

function registrationsOf(module: AdapterModule, source: string): AdapterRegistration[] {
  return module.adapters.map((factory, i) => ({
    factory: checkedFactory(factory, source, i),
    origin: `${source} (${module.name})`,
  }));
}

/** The registrations of every adapter of a module's exports (run time: a config's adapterDirs), each checked. */
export function adapterModuleRegistrations(exported: unknown, source: string): AdapterRegistration[] {
  return registrationsOf(moduleOf(exported, source), source);
}

/** Registers every adapter of a module's exports with a container being built (build-time modules). */
export function registerAdapterModule(container: Container, exported: unknown, source: string): AdapterModule {
  const module = moduleOf(exported, source);
  for (const { factory, origin } of registrationsOf(module, source)) registerAdapter(container, factory, origin);
  return module;
}
