import { IsBoolean, IsOptional } from 'class-validator';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { IsAbsolutePath, IsNonEmptyString, valueDecorator, type ValueDecorator } from '../validators';

export const DEFAULT_CONF_DIR = '/etc/cni/multus/net.d';
/** The kubelet's pod-resources socket (kubelet `--root-dir` /var/lib/kubelet, `pod-resources/kubelet.sock`). */
export const DEFAULT_POD_RESOURCES_SOCKET = '/var/lib/kubelet/pod-resources/kubelet.sock';
export const DEFAULT_MULTUS_NAMESPACE = 'kube-system';
export const DEFAULT_SYSTEM_NAMESPACES: readonly string[] = ['kube-system'];

/** How the Kubernetes sources behave; every key optional, with Go Multus's defaults. */
export interface KubernetesSettings {
  /** The pod's first network (eth0) for every pod, a network name or an absolute config path. */
  readonly clusterNetwork: string | undefined;
  /** Networks added to every pod outside `systemNamespaces`, after the cluster network. */
  readonly defaultNetworks: readonly string[];
  /** Where `clusterNetwork` and `defaultNetworks` objects live. */
  readonly multusNamespace: string;
  /** Pods of these namespaces get no `defaultNetworks`. */
  readonly systemNamespaces: readonly string[];
  /** When true, a pod may use only networks of its own namespace, `default` and `globalNamespaces`. */
  readonly namespaceIsolation: boolean;
  readonly globalNamespaces: readonly string[];
  /** Where a NetworkAttachmentDefinition with an empty `spec.config` finds its config file. */
  readonly confDir: string;
  /**
   * The kubelet's pod-resources API socket, asked which device a pod got for a
   * NetworkAttachmentDefinition annotated `k8s.v1.cni.cncf.io/resourceName`. A key because
   * kubelets run with another `--root-dir`, or multus in a container sees the host's elsewhere.
   */
  readonly podResourcesSocket: string;
  /**
   * When true, a network-status annotation that cannot be written fails the ADD (rolled back).
   * Off by default (today's Go Multus): the pod's networking is up, so the failure is logged.
   */
  readonly strictNetworkStatus: boolean;
  /**
   * Go Multus's auxiliary CNI chain: the configs in the directory of this name beside the
   * `clusterNetwork` file run as one more chain on the pod's default interface, for every pod.
   */
  readonly auxiliaryCNIChainName: string | undefined;
}

/** A list of names: a JSON list of strings, or (as Go Multus writes globalNamespaces) one comma-separated string. */
function IsNameList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNameList',
      validator: {
        validate: (v: unknown) =>
          typeof v === 'string' || (Array.isArray(v) && v.every((e) => typeof e === 'string' && e.trim() !== '')),
        defaultMessage: () => 'must be a list of names (or one comma-separated string)',
      },
    },
    options,
  );
}

/**
 * A directory name beside the clusterNetwork file: one path component, so the chain can never be
 * read from anywhere else (no `/`, backslash, `..` or NUL, not `.`).
 */
const IsChainName: ValueDecorator = valueDecorator(
  'isChainName',
  (v) => typeof v === 'string' && v.trim() !== '' && !/[/\\\0]/u.test(v) && v !== '.' && !v.includes('..'),
  'must be a directory name beside the clusterNetwork file (no "/" or "..", not ".")',
);

/** Wire model of the Kubernetes keys of the multus config (the multus config model extends it). */
export class KubernetesSettingsWire {
  @IsOptional()
  @IsNonEmptyString()
  clusterNetwork?: unknown;

  @IsOptional()
  @IsNameList()
  defaultNetworks?: unknown;

  @IsOptional()
  @IsNonEmptyString()
  multusNamespace?: unknown;

  @IsOptional()
  @IsNameList()
  systemNamespaces?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  namespaceIsolation?: unknown;

  @IsOptional()
  @IsNameList()
  globalNamespaces?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  confDir?: unknown;

  @IsOptional()
  @IsAbsolutePath()
  podResourcesSocket?: unknown;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  strictNetworkStatus?: unknown;

  @IsOptional()
  @IsChainName()
  auxiliaryCNIChainName?: unknown;
}

function nameList(value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  const items = typeof value === 'string' ? value.split(',') : (value as string[]);
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** The settings from a validated config object. */
export function kubernetesSettings(raw: Readonly<Record<string, unknown>>): KubernetesSettings {
  return {
    clusterNetwork: raw['clusterNetwork'] as string | undefined,
    defaultNetworks: nameList(raw['defaultNetworks'], []),
    multusNamespace: (raw['multusNamespace'] as string | undefined) ?? DEFAULT_MULTUS_NAMESPACE,
    systemNamespaces: nameList(raw['systemNamespaces'], DEFAULT_SYSTEM_NAMESPACES),
    namespaceIsolation: (raw['namespaceIsolation'] as boolean | undefined) ?? false,
    globalNamespaces: nameList(raw['globalNamespaces'], []),
    confDir: (raw['confDir'] as string | undefined) ?? DEFAULT_CONF_DIR,
    podResourcesSocket: (raw['podResourcesSocket'] as string | undefined) ?? DEFAULT_POD_RESOURCES_SOCKET,
    strictNetworkStatus: (raw['strictNetworkStatus'] as boolean | undefined) ?? false,
    auxiliaryCNIChainName: raw['auxiliaryCNIChainName'] as string | undefined,
  };
}
