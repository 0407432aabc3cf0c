/**
 * The public API of multus-ts, for vendors writing adapters for their CNI plugins and for
 * embedding multus: the adapter contract and its thin base class, the one registration call,
 * the adapter-module format (build time and run time), the CNI result types per version, and
 * the error type with the spec's codes. The built-in adapters use exactly this API.
 *
 * Test support (fakes, a container with them bound) is a separate entry: `src/testing`.
 */

// The adapter contract and how to register adapters.
export type { AdapterContext, DelegateAdapter, DelegateInvocation, VerifyContext } from './core/ports/delegate-adapter';
export {
  AdapterRegistry,
  registerAdapter,
  registryOf,
  type AdapterFactory,
  type AdapterRegistration,
  type RegisteredAdapter,
} from './core/adapter-registry';
export type { AdapterCatalog } from './core/ports/adapter-catalog';
export { ExecAdapter, GenericExecAdapter, type ExecAdapterOptions } from './adapters/exec-adapter';
export {
  ADAPTER_API,
  registerAdapterModule,
  type AdapterApi,
  type AdapterModule,
  type AdapterModuleExport,
} from './adapters/modules/adapter-module';
export { AdapterDirCatalog } from './adapters/modules/adapter-dir-loader';
export { registerBuiltinAdapters } from './adapters/register-builtins';
export { BridgeAdapter } from './adapters/bridge-adapter';
export { PtpAdapter } from './adapters/ptp-adapter';
export { FlannelAdapter } from './adapters/flannel-adapter';
export { SriovAdapter } from './adapters/sriov-adapter';
export { VhostUserAdapter } from './adapters/vhostuser-adapter';

// Validating a delegate's config with JSON paths.
export { formatProblems, throwIfProblems, validateModel, type ConfigProblem } from './core/validation';
export {
  IsAbsolutePath,
  IsCidr,
  IsCniVersion,
  IsInterfaceName,
  IsIpAddress,
  IsNonEmptyString,
  isCidr,
} from './core/validators';
export { ipamFieldProblems, validateIpam, type IpamCheckOptions } from './adapters/ipam-model';
export { interfaceNameProblem } from './core/cni-env';

// Delegate configs, the executor port, results per CNI version.
export type { DelegateConf } from './core/plan';
export type { DelegateEnv, ExecRequest, Executor, HostLink } from './core/ports/executor';
export {
  parseResult,
  convertResult,
  RESULT_CONVERTERS,
  Result020,
  Result040,
  Result100,
  type CniResult,
} from './core/result';
export { SUPPORTED_VERSIONS, type CniVersion } from './core/version';

// Errors.
export { CniCode, CniError, type CniErrorJson } from './core/errors';

// Extension tokens and the container, for embedding and tests.
export { TOKENS } from './core/tokens';
export { buildContainer, type ContainerOptions } from './container';
