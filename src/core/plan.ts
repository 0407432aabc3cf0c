import type { CniEnv } from './cni-env';
import type { MultusConfig } from './config/multus-config';
import type { CniError } from './errors';
import type { Logger } from './ports/logger';

/** Everything a source needs to decide a pod's networks: the CNI parameters and the multus config. */
export interface NetworkRequest {
  readonly env: CniEnv;
  readonly config: MultusConfig;
  /** Aborted when the process is asked to stop (SIGTERM): the ADD in progress is rolled back. */
  readonly signal?: AbortSignal;
  /** Told each delegate's pid as it starts (the container lock records it). */
  readonly onSpawn?: (pid: number) => void;
  /**
   * DEL only: what was wrong with the config when it failed validation. The DEL then works from
   * the container's record (with the config's usable keys) and reports this only when there is
   * no record to work from.
   */
  readonly configProblem?: CniError;
  /** The request's logger, for what a source notes on the way (debug details); errors are thrown, not logged. */
  readonly log?: Logger;
}

/**
 * A delegate's network config as JSON: one plugin's config, or a conflist
 * (`{"cniVersion", "name", "plugins": [...]}`) run as a chain. The plugin owns every key but
 * `type`, `name`, `cniVersion`, `runtimeConfig`, `args` and `prevResult`.
 */
export type DelegateConf = Readonly<Record<string, unknown>>;

/** One interface to make in the pod: which network, which delegate config, which name. */
export interface Attachment {
  /** The network's name (the delegate's `name`, or the multus config's when it has none). */
  readonly network: string;
  readonly conf: DelegateConf;
  readonly master: boolean;
  /** An interface name the selection asked for; when absent the naming rule picks one. */
  readonly ifname?: string;
  /** Where this attachment came from, for error messages (`delegates[2]`, `annotation networks[1]`). */
  readonly origin: string;
  /**
   * Runtime requests for the delegate (`ips`, `mac`, `portMappings`, `bandwidth`,
   * `infinibandGUID`, `deviceID`), passed as `runtimeConfig` to each plugin that declares the
   * capability (libcni's rule).
   */
  readonly runtimeConfig?: Readonly<Record<string, unknown>>;
  /** Passed to the delegate as `args.cni` (the selection's `cni-args`). */
  readonly cniArgs?: Readonly<Record<string, unknown>>;
  /** Gateways this attachment should own the pod's default route through (one per IP family). */
  readonly defaultRoute?: readonly string[];
  /** The name shown in the network-status annotation (`namespace/name` for Kubernetes networks). */
  readonly statusName?: string;
  /**
   * The device this attachment was given (the selection's `deviceID`, or the kubelet's device
   * for a NetworkAttachmentDefinition's `resourceName`), already written into `conf` by the
   * source; kept here so network-status can report it as device-info.
   */
  readonly deviceId?: string;
  /**
   * Which entry of the pod's networks annotation made this attachment, as a key that stays the
   * same while the entry does (`namespace/name@interface#n`, n counting equal entries): live
   * networks compare a running pod's annotation with its record by it. Set for annotated,
   * non-master attachments only.
   */
  readonly selection?: string;
  /**
   * The auxiliary CNI chain (`auxiliaryCNIChainName`): chained plugins acting on the pod's default
   * interface, right after the master. It takes the master's interface name and the master's result
   * as its first prevResult, makes no interface of its own (no `net<N>`, no network-status entry,
   * never the runtime's result) and is deleted with the pod like any attachment.
   */
  readonly auxiliary?: true;
  /** Where each plugin of `conf.plugins` came from (a file, a file's `plugins[i]`), when not `origin.plugins[i]`. */
  readonly pluginOrigins?: readonly string[];
}

/** The ordered attachments for one pod, as a source resolved them. */
export interface NetworkPlan {
  readonly attachments: readonly Attachment[];
  /** The pod, when a Kubernetes source resolved the plan: network-status is written to it. */
  readonly pod?: PodRef;
}

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

/** An attachment with its final interface name. */
export interface PlannedAttachment extends Attachment {
  readonly ifname: string;
  readonly index: number;
}
