import type { CniEnv } from './cni-env';
import type { MultusConfig } from './config/multus-config';

/** Everything a source needs to decide a pod's networks: the CNI parameters and the multus config. */
export interface NetworkRequest {
  readonly env: CniEnv;
  readonly config: MultusConfig;
}

/** A delegate's network config as JSON; the plugin owns every key but `type`, `name`, `cniVersion`. */
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
}

/** The ordered attachments for one pod, as a source resolved them. */
export interface NetworkPlan {
  readonly attachments: readonly Attachment[];
}

/** An attachment with its final interface name and the config its adapter prepared. */
export interface PlannedAttachment extends Attachment {
  readonly ifname: string;
  readonly index: number;
}
