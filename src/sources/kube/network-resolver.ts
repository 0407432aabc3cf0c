import { CniCode, CniError } from '../../core/errors';
import { isObject } from '../../core/json';
import type { DelegateConf } from '../../core/plan';
import type { KubeClient, ObjectRef } from '../../core/ports/kube-client';
import type { ConfDirReader } from './conf-dir';

/** A network found in Kubernetes (or on disk): the delegate config and how to name it. */
export interface ResolvedNetwork {
  readonly conf: DelegateConf;
  /** The network's name for logs and the cache: the config's `name`, else the object's. */
  readonly network: string;
  /** `namespace/name` of the object, for the network-status annotation. */
  readonly statusName: string;
  /** What it was read from, e.g. `NetworkAttachmentDefinition ns1/macvlan-conf`. */
  readonly origin: string;
  /**
   * The device-plugin resource the network's device comes from: a NetworkAttachmentDefinition's
   * `k8s.v1.cni.cncf.io/resourceName` annotation (e.g. `intel.com/sriov_netdevice`).
   */
  readonly resourceName?: string;
}

/** The NetworkAttachmentDefinition annotation naming the device-plugin resource of its device. */
export const RESOURCE_NAME_ANNOTATION = 'k8s.v1.cni.cncf.io/resourceName';

/** The object's resourceName annotation; absent, blank or not a string is none. */
function resourceNameOf(object: Record<string, unknown>): string | undefined {
  const metadata = isObject(object['metadata']) ? object['metadata'] : {};
  const annotations = isObject(metadata['annotations']) ? metadata['annotations'] : {};
  const value = annotations[RESOURCE_NAME_ANNOTATION];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Which kind of object a name is looked up as first: NADs for today's annotation, `Network` for the seed's. */
export type LookupOrder = 'nad-first' | 'network-first';

const NAD = { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions' };
const NETWORK = { group: 'kubernetes.com', version: 'v1', plural: 'networks' };
const CRD_NAME = 'networks.kubernetes.com';
const TPR_NAME = 'network.kubernetes.com';

type NetworkKind = 'CRD' | 'TPR' | undefined;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CniError(CniCode.InvalidConfig, `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Finds networks by name: NetworkAttachmentDefinitions (`k8s.cni.cncf.io/v1`) and the seed's
 * `Network` objects (`kubernetes.com/v1`, served by a CRD, or by a ThirdPartyResource on
 * Kubernetes ≤ 1.7: found out once per process, only when a Network is looked up).
 */
export class NetworkResolver {
  private kind: Promise<NetworkKind> | undefined;

  constructor(
    private readonly client: () => Promise<KubeClient>,
    private readonly confDir: ConfDirReader,
    private readonly confDirPath: string,
  ) {}

  /** The named network; not found as any kind is code 105 naming namespace, name and what was tried. */
  async resolve(namespace: string, name: string, order: LookupOrder): Promise<ResolvedNetwork> {
    const lookups =
      order === 'nad-first'
        ? [this.nad.bind(this), this.network.bind(this)]
        : [this.network.bind(this), this.nad.bind(this)];
    for (const lookup of lookups) {
      const found = await lookup(namespace, name);
      if (found !== undefined) return found;
    }
    throw new CniError(
      CniCode.KubernetesNotFound,
      `network ${namespace}/${name} not found: no NetworkAttachmentDefinition (k8s.cni.cncf.io/v1) and no ` +
        `Network (kubernetes.com/v1) of that name in namespace ${namespace}`,
    );
  }

  private async nad(namespace: string, name: string): Promise<ResolvedNetwork | undefined> {
    const object = await (await this.client()).getObject({ ...NAD, namespace, name });
    if (object === undefined) return undefined;
    const origin = `NetworkAttachmentDefinition ${namespace}/${name}`;
    const spec = isObject(object['spec']) ? object['spec'] : {};
    const text = typeof spec['config'] === 'string' ? spec['config'].trim() : '';
    let conf: DelegateConf;
    if (text === '') {
      const onDisk = await this.confDir.findByName(this.confDirPath, name);
      if (onDisk === undefined) {
        throw new CniError(
          CniCode.InvalidConfig,
          `${origin} has an empty spec.config and no config named "${name}" is in ${this.confDirPath}`,
        );
      }
      conf = onDisk;
    } else {
      const parsed = parseJson(text, `${origin} spec.config`);
      if (!isObject(parsed)) throw new CniError(CniCode.InvalidConfig, `${origin} spec.config must be a JSON object`);
      conf = parsed;
    }
    if (conf['type'] === undefined && conf['plugins'] === undefined) {
      throw new CniError(CniCode.InvalidConfig, `${origin} spec.config has neither "type" nor "plugins"`);
    }
    const resourceName = resourceNameOf(object);
    const found = {
      conf,
      network: typeof conf['name'] === 'string' ? conf['name'] : name,
      statusName: `${namespace}/${name}`,
      origin,
    };
    return resourceName === undefined ? found : { ...found, resourceName };
  }

  private async network(namespace: string, name: string): Promise<ResolvedNetwork | undefined> {
    const kind = await this.networkKind();
    if (kind === undefined) return undefined;
    const object = await (await this.client()).getObject({ ...NETWORK, namespace, name });
    if (object === undefined) return undefined;
    const origin = `${kind} Network ${namespace}/${name}`;
    const args = typeof object['args'] === 'string' ? parseJson(object['args'], `${origin} args`) : object['args'];
    const list = Array.isArray(args) ? args : [args];
    if (list.length !== 1 || !isObject(list[0])) {
      throw new CniError(CniCode.InvalidConfig, `${origin}: args must hold a list with exactly one delegate config`);
    }
    const plugin = typeof object['plugin'] === 'string' ? object['plugin'] : undefined;
    const conf: Record<string, unknown> = { ...list[0] };
    conf['type'] ??= plugin;
    if (typeof conf['type'] !== 'string')
      throw new CniError(CniCode.InvalidConfig, `${origin}: neither "plugin" nor the config in args names a type`);
    conf['name'] ??= name;
    return { conf, network: String(conf['name']), statusName: `${namespace}/${name}`, origin };
  }

  /**
   * CRD if `networks.kubernetes.com` is defined (v1 or v1beta1), else TPR if `network.kubernetes.com` is, else neither.
   */
  private networkKind(): Promise<NetworkKind> {
    this.kind ??= (async (): Promise<NetworkKind> => {
      const client = await this.client();
      // A node's service account may not read CRDs (403): then assume the CRD and look the object up.
      const exists = (ref: ObjectRef): Promise<boolean> =>
        client.getObject(ref).then(
          (o) => o !== undefined,
          (err: unknown) => {
            if (
              err instanceof CniError &&
              err.code === CniCode.KubernetesAccessDenied &&
              ref.group === 'apiextensions.k8s.io'
            )
              return true;
            throw err;
          },
        );
      const crd = { group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions', name: CRD_NAME };
      if ((await exists({ ...crd, version: 'v1' })) || (await exists({ ...crd, version: 'v1beta1' }))) return 'CRD';
      if (await exists({ group: 'extensions', version: 'v1beta1', plural: 'thirdpartyresources', name: TPR_NAME }))
        return 'TPR';
      return undefined;
    })();
    return this.kind;
  }
}
