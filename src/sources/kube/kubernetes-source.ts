import { inject, injectable } from 'inversify';
import { withAuxiliaryChain } from '../../core/auxiliary-chain';
import type { KubernetesSettings } from '../../core/config/kubernetes-settings';
import { getIgnoringCase, POD_ANNOTATIONS_KEY } from '../../core/delegate-conf';
import { CniCode, CniError } from '../../core/errors';
import { isObject } from '../../core/json';
import type { Attachment, NetworkPlan, NetworkRequest, PodRef } from '../../core/plan';
import type { KubeClient, KubeClientProvider, PodInfo } from '../../core/ports/kube-client';
import type { NetworkSource } from '../../core/ports/network-source';
import type { PodDevices, PodResources } from '../../core/ports/pod-resources';
import {
  NETWORKS_ANNOTATION,
  podSelections,
  SEED_NETWORKS_ANNOTATION,
  selectionKeys,
  type NetworkSelection,
} from '../../core/selection';
import { TOKENS } from '../../core/tokens';
import { loadAuxiliaryChain } from './auxiliary-chain-loader';
import type { ConfDirReader } from './conf-dir';
import { DeviceAllocator, settleDevices, type SourcedAttachment } from './device-allocator';
import { DraDevices, hasDraClaims } from './dra-devices';
import { requestKubeClient } from './request-kube-client';
import { NetworkResolver, type LookupOrder, type ResolvedNetwork } from './network-resolver';
import { checkIsolation, runtimeRequests } from './selection-rules';

/** The pod's annotations and where they came from (with the pod when it was read for them). */
interface PodAnnotations {
  readonly annotations: Readonly<Record<string, string>>;
  readonly from: 'runtimeConfig' | 'api';
  readonly info?: PodInfo;
}

/** One pod GET (made once per request); a pod whose UID is not the runtime's was replaced: code 3. */
async function readPod(request: NetworkRequest, pod: PodRef, client: () => Promise<KubeClient>): Promise<PodInfo> {
  const info = await (await client()).getPod(pod.namespace, pod.name);
  const uid = request.env.args.get('K8S_POD_UID');
  if (uid !== undefined && uid !== '' && info.uid !== uid) {
    throw new CniError(
      CniCode.UnknownContainer,
      `pod ${pod.namespace}/${pod.name} has UID ${info.uid} in the API, but the runtime asked for UID ${uid} ` +
        `(the pod was replaced)`,
    );
  }
  return info;
}

/**
 * Networks from Kubernetes, for configs with a kubeconfig: the pod's annotations (from the
 * runtime's runtimeConfig when it passes them, else one pod GET) select NetworkAttachmentDefinitions
 * or the seed's `Network` objects. Without `clusterNetwork` the seed's rules hold: the first
 * annotated network is the master, and a pod without annotation gets the config's delegates.
 * With `clusterNetwork`, today's Go Multus rules: it is always the master, then defaultNetworks,
 * then the annotated ones. A network annotated with a device-plugin `resourceName` gets one of
 * the pod's devices from the kubelet's pod-resources API.
 */
@injectable()
export class KubernetesSource implements NetworkSource {
  readonly name = 'kubernetes';

  constructor(
    @inject(TOKENS.KubeClientProvider) private readonly clients: KubeClientProvider,
    @inject(TOKENS.ConfDirReader) private readonly confDir: ConfDirReader,
    @inject(TOKENS.PodResources) private readonly podResources: PodResources,
  ) {}

  supports(request: NetworkRequest): boolean {
    return request.config.kubeconfig !== undefined;
  }

  async resolve(request: NetworkRequest): Promise<NetworkPlan> {
    const settings = request.config.kubernetes;
    const pod = podRef(request);
    // Identical GETs within this request are made once (a network annotated many times).
    const client = requestKubeClient(() => this.clients.get(request.config.kubeconfig as string));
    const { annotations, info } = await this.annotations(request, pod, client);
    const { key, selections, chosenDefault } = podSelections(annotations);
    for (const s of selections) checkIsolation(settings, pod, s);
    const resolver = new NetworkResolver(client, this.confDir, settings.confDir);
    const order: LookupOrder = key === NETWORKS_ANNOTATION ? 'nad-first' : 'network-first';
    const sourced = await this.attachments(request, pod, { selections, chosenDefault, resolver, order });
    const dra = async (): Promise<PodDevices> => {
      const read = info ?? (await readPod(request, pod, client));
      return hasDraClaims(read) ? new DraDevices(await client(), read, request.log).devices() : new Map();
    };
    const allocator = new DeviceAllocator(this.podResources, settings.podResourcesSocket, pod, dra);
    const settled = await settleDevices(sourced, allocator, request.env.command === 'DEL');
    const chain = await loadAuxiliaryChain(
      this.confDir,
      settings,
      settled.find((a) => a.master),
    );
    return { attachments: withAuxiliaryChain(settled, chain), pod };
  }

  private async annotations(
    request: NetworkRequest,
    pod: PodRef,
    client: () => Promise<KubeClient>,
  ): Promise<PodAnnotations> {
    const rc = request.config.raw['runtimeConfig'] as Record<string, unknown> | undefined;
    const fromRuntime = rc === undefined ? undefined : getIgnoringCase(rc, POD_ANNOTATIONS_KEY);
    if (isObject(fromRuntime)) {
      const entries = Object.entries(fromRuntime).filter((e): e is [string, string] => typeof e[1] === 'string');
      return { annotations: Object.fromEntries(entries), from: 'runtimeConfig' };
    }
    const info = await readPod(request, pod, client);
    return { annotations: info.annotations, from: 'api', info };
  }

  private async attachments(request: NetworkRequest, pod: PodRef, ctx: Selections): Promise<SourcedAttachment[]> {
    const settings = request.config.kubernetes;
    const defaults = settings.systemNamespaces.includes(pod.namespace) ? [] : settings.defaultNetworks;
    const defaultAttachments = (): Promise<SourcedAttachment[]> =>
      Promise.all(defaults.map((name, i) => this.fromName(ctx, settings, name, `defaultNetworks[${i}]`)));
    const keys = selectionKeys(ctx.selections, pod.namespace);
    const selected = (list: readonly NetworkSelection[]): Promise<SourcedAttachment[]> =>
      Promise.all(
        list.map(async (s, i) => ({
          ...fromSelection(s, await ctx.resolver.resolve(s.namespace ?? pod.namespace, s.name, ctx.order), false),
          selection: keys[i] as string,
        })),
      );
    const masterSpec = ctx.chosenDefault ?? settings.clusterNetwork;
    if (masterSpec !== undefined) {
      const master =
        ctx.chosenDefault !== undefined
          ? fromSelection(
              ctx.chosenDefault,
              await ctx.resolver.resolve(
                ctx.chosenDefault.namespace ?? settings.multusNamespace,
                ctx.chosenDefault.name,
                ctx.order,
              ),
              true,
            )
          : {
              ...(await this.fromName(ctx, settings, settings.clusterNetwork as string, 'clusterNetwork')),
              master: true,
            };
      return [master, ...(await defaultAttachments()), ...(await selected(ctx.selections))];
    }
    if (ctx.selections.length > 0) {
      const [first, ...rest] = await selected(ctx.selections);
      const { selection: _master, ...master } = first as SourcedAttachment;
      return [{ ...master, master: true }, ...(await defaultAttachments()), ...rest];
    }
    const delegates = request.config.delegates.map((d): Attachment => ({
      network: typeof d.conf['name'] === 'string' ? d.conf['name'] : request.config.name,
      conf: d.conf,
      master: d.master,
      origin: d.path,
    }));
    const all = [...delegates, ...(await defaultAttachments())];
    if (all.length === 0) {
      throw new CniError(
        CniCode.InvalidConfig,
        `pod ${pod.namespace}/${pod.name} selects no network (no ${NETWORKS_ANNOTATION} or ` +
          `${SEED_NETWORKS_ANNOTATION} annotation) and the multus config has no delegates, clusterNetwork or ` +
          `defaultNetworks`,
      );
    }
    return all;
  }

  /**
   * clusterNetwork / defaultNetworks entries: an absolute path to a config file, or a network name in multusNamespace.
   */
  private async fromName(
    ctx: Selections,
    settings: KubernetesSettings,
    value: string,
    origin: string,
  ): Promise<SourcedAttachment> {
    if (value.startsWith('/')) {
      const conf = await this.confDir.readFile(value);
      const network = typeof conf['name'] === 'string' ? conf['name'] : value;
      return { network, conf, master: false, origin: `${origin} (${value})`, statusName: network };
    }
    const [namespace, name] = value.includes('/')
      ? (value.split('/', 2) as [string, string])
      : [settings.multusNamespace, value];
    const resolved: ResolvedNetwork = await ctx.resolver
      .resolve(namespace, name, 'nad-first')
      .catch(async (err: unknown) => {
        const onDisk = await this.confDir.findByName(settings.confDir, name);
        if (onDisk === undefined) throw err;
        return {
          conf: onDisk,
          network: name,
          statusName: name,
          origin: `${settings.confDir}`,
        } satisfies ResolvedNetwork;
      });
    const attachment = {
      network: resolved.network,
      conf: resolved.conf,
      master: false,
      origin: `${origin} (${resolved.origin})`,
      statusName: resolved.statusName,
    };
    return resolved.resourceName === undefined ? attachment : { ...attachment, resourceName: resolved.resourceName };
  }
}

interface Selections {
  readonly selections: readonly NetworkSelection[];
  readonly chosenDefault: NetworkSelection | undefined;
  readonly resolver: NetworkResolver;
  readonly order: LookupOrder;
}

function fromSelection(selection: NetworkSelection, resolved: ResolvedNetwork, master: boolean): SourcedAttachment {
  const base: SourcedAttachment = {
    network: resolved.network,
    conf: resolved.conf,
    master,
    origin: `${selection.origin} (${resolved.origin})`,
    statusName: resolved.statusName,
    ...runtimeRequests(selection),
    ...(selection.deviceId === undefined ? {} : { deviceId: selection.deviceId }),
    ...(resolved.resourceName === undefined ? {} : { resourceName: resolved.resourceName }),
  };
  return selection.interface === undefined || master ? base : { ...base, ifname: selection.interface };
}

/** The pod from CNI_ARGS; both keys are needed to find its networks (code 4 naming what is missing). */
function podRef(request: NetworkRequest): PodRef {
  const namespace = request.env.args.get('K8S_POD_NAMESPACE') ?? '';
  const name = request.env.args.get('K8S_POD_NAME') ?? '';
  const missing = [namespace === '' ? 'K8S_POD_NAMESPACE' : '', name === '' ? 'K8S_POD_NAME' : ''].filter(
    (m) => m !== '',
  );
  if (missing.length > 0) {
    throw new CniError(
      CniCode.InvalidEnvironment,
      `CNI_ARGS: ${missing.join(' and ')} missing: needed to find the pod's networks (the config has a kubeconfig)`,
    );
  }
  return { namespace, name };
}
