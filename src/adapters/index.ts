/** The public adapter API: the base class vendors extend, the built-ins, and the production executor. */
export { ExecAdapter, GenericExecAdapter, type ExecAdapterOptions } from './exec-adapter';
export { BridgeAdapter } from './bridge-adapter';
export { PtpAdapter } from './ptp-adapter';
export { FlannelAdapter } from './flannel-adapter';
export { SriovAdapter } from './sriov-adapter';
export { VhostUserAdapter } from './vhostuser-adapter';
export { validateIpam, ipamFieldProblems, type IpamCheckOptions } from './ipam-model';
export { IsIntInRange, IsJsonArray, IsJsonBoolean, IsJsonObject, IsPciAddress, listProblems, nestedProblems } from './adapter-validators';
export { registerBuiltinAdapters } from './register-builtins';
export { ExecaExecutor, DEFAULT_PLUGIN_PATH, type ExecaExecutorOptions } from './executor/execa-executor';
export { findPlugin, pluginTypeProblem } from './executor/plugin-finder';
export { decodePluginOutput, type PluginOutcome } from './executor/plugin-output';
