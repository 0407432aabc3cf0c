/**
 * multus-adapter-acme-bridge: an example of a vendor adapter that overrides a built-in one. ACME's
 * fabric wants every pod bridge with hairpin mode on and jumbo frames, so its adapter claims the
 * `bridge` type at priority 20 (the built-in bridge adapter has 10) and fills those defaults in
 * when a config leaves them out.
 *
 * One file, no run-time imports (types only): the default export is a function of the adapter
 * API, so this file compiles to a single .cjs that can be dropped into an `adapterDirs`
 * directory, or be listed in package.json "multusAdapters" and compiled into the binary.
 */
import type {
  AdapterApi,
  AdapterContext,
  AdapterModule,
  ConfigProblem,
  DelegateConf,
  Executor,
} from '../../../src/index';

/** What ACME's bridges get unless the config says otherwise. */
export const ACME_BRIDGE_DEFAULTS: Readonly<Record<string, unknown>> = { hairpinMode: true, mtu: 9000 };

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * The checks this adapter owns. An override replaces the built-in adapter for its type, checks
 * included, so it re-checks the fields it relies on: the bridge name, the two it defaults, ipam.
 */
export function acmeBridgeProblems(
  conf: DelegateConf,
  origin: string,
  api: Pick<AdapterApi, 'interfaceNameProblem' | 'ipamFieldProblems'>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { bridge, hairpinMode, mtu } = conf;
  if (bridge !== undefined) {
    const why = typeof bridge === 'string' ? api.interfaceNameProblem(bridge) : `got ${shown(bridge)}`;
    if (why !== undefined)
      problems.push({ path: `${origin}.bridge`, message: `must be a Linux interface name: ${why}` });
  }
  if (hairpinMode !== undefined && typeof hairpinMode !== 'boolean') {
    problems.push({ path: `${origin}.hairpinMode`, message: `must be true or false, got ${shown(hairpinMode)}` });
  }
  if (mtu !== undefined && !(typeof mtu === 'number' && Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535)) {
    problems.push({ path: `${origin}.mtu`, message: `must be an integer from 68 to 65535, got ${shown(mtu)}` });
  }
  problems.push(...api.ipamFieldProblems(conf, origin, { allowEmpty: true }));
  return problems;
}

export default function acmeBridgeModule(api: AdapterApi): AdapterModule {
  class AcmeBridgeAdapter extends api.ExecAdapter {
    constructor(executor: Executor) {
      super(executor, { name: 'acme-bridge', priority: 20, types: ['bridge'] });
    }

    /** Checks the config as written (so paths and values are the operator's), then adds the defaults it lacks. */
    override prepare(conf: DelegateConf, context: AdapterContext): DelegateConf {
      const checked = super.prepare(conf, context);
      return {
        ...checked,
        ...Object.fromEntries(Object.entries(ACME_BRIDGE_DEFAULTS).filter(([key]) => checked[key] === undefined)),
      };
    }

    protected override validate(conf: DelegateConf, context: AdapterContext): ConfigProblem[] {
      return [...super.validate(conf, context), ...acmeBridgeProblems(conf, context.origin, api)];
    }
  }
  return { name: 'multus-adapter-acme-bridge', adapters: [(executor) => new AcmeBridgeAdapter(executor)] };
}
