/**
 * multus-adapter-macvlan: an example vendor adapter module for the macvlan plugin. Its default
 * export is a function of the adapter API (`AdapterModuleExport`), so the package imports
 * nothing from multus-ts at run time (types only): listed in package.json "multusAdapters" it is
 * compiled into dist/multus; compiled to one .cjs file it can be dropped into an `adapterDirs`
 * directory instead.
 */
import type { AdapterApi, AdapterModule } from '../../../src/index';
import { macvlanAdapterClass } from './macvlan-adapter';

export { MACVLAN_MODES, macvlanProblems, masterLinkProblem } from './macvlan-conf';
export { macvlanAdapterClass } from './macvlan-adapter';

export default function macvlanModule(api: AdapterApi): AdapterModule {
  const MacvlanAdapter = macvlanAdapterClass(api);
  return { name: 'multus-adapter-macvlan', adapters: [(executor) => new MacvlanAdapter(executor)] };
}
