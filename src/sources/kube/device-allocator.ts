import { withDeviceId } from '../../core/device-id';
import { CniCode, CniError, toCniError } from '../../core/errors';
import type { Attachment, PodRef } from '../../core/plan';
import type { PodDevices, PodResources } from '../../core/ports/pod-resources';

/** An attachment as the Kubernetes source builds it, before its device is settled. */
export type SourcedAttachment = Attachment & {
  /** The network's `k8s.v1.cni.cncf.io/resourceName`: its device comes from DRA or the kubelet. */
  readonly resourceName?: string;
};

/** No devices from Dynamic Resource Allocation: the pod has no claims, or none is asked for. */
const NO_DRA_DEVICES = (): Promise<PodDevices> => Promise.resolve(new Map());

/**
 * Hands out the devices allocated to one pod: for each resource, its device IDs in order, one
 * per attachment that asks. A resource that the pod's DRA claims serve (`dra`, asked once, on
 * the first request) is served from them; any other from the kubelet's pod-resources API, asked
 * once, on the first request for such a resource, and only then (Go Multus
 * `getKubernetesDelegate` with its `resourceMap`). A node without the kubelet's socket serves
 * pods whose devices all come from DRA.
 */
export class DeviceAllocator {
  private kubelet: Promise<PodDevices> | undefined;
  private draDevices: Promise<PodDevices> | undefined;
  private readonly taken = new Map<string, number>();

  constructor(
    private readonly podResources: PodResources,
    private readonly socketPath: string,
    private readonly pod: PodRef,
    private readonly dra: () => Promise<PodDevices> = NO_DRA_DEVICES,
  ) {}

  /** The next device of `resourceName`; none left is code 7 naming the pod, the resource and what it has. */
  async take(resourceName: string): Promise<string> {
    this.draDevices ??= this.dra();
    const fromDra = (await this.draDevices).get(resourceName);
    let ids = fromDra;
    if (ids === undefined) {
      this.kubelet ??= this.podResources.devices(this.socketPath, this.pod);
      ids = (await this.kubelet).get(resourceName) ?? [];
    }
    const index = this.taken.get(resourceName) ?? 0;
    const id = ids[index];
    if (id === undefined) {
      const who = fromDra === undefined ? 'the kubelet allocated it' : 'its resource claims (DRA) gave it';
      const has =
        ids.length === 0 ? `${who} none` : `${who} ${ids.length} (${ids.join(', ')}), all given to earlier attachments`;
      throw new CniError(
        CniCode.InvalidConfig,
        `pod ${this.pod.namespace}/${this.pod.name} has no device of resource "${resourceName}" left for this ` +
          `attachment: ${has} (does the pod request ${resourceName} in its resources for every network that names ` +
          `it?)`,
      );
    }
    this.taken.set(resourceName, index + 1);
    return id;
  }
}

/** The attachment with its device written into its config, `runtimeConfig.deviceID` and `deviceId`. */
function withDevice(attachment: Attachment, deviceId: string): Attachment {
  return {
    ...attachment,
    conf: withDeviceId(attachment.conf, deviceId),
    runtimeConfig: { ...attachment.runtimeConfig, deviceID: deviceId },
    deviceId,
  };
}

/**
 * Settles each attachment's device, in attachment order: the next device of the network's
 * resource from the pod's DRA claims or the kubelet (which wins over the selection's `deviceID`,
 * as in Go Multus), else the selection's `deviceID`. The device goes into the config (`deviceID` for sriov, `pciBusID`
 * for host-device) and into `runtimeConfig.deviceID` for plugins that declare the capability.
 * With `bestEffort` (DEL without a record: the pod may be gone from the kubelet), an attachment
 * whose device cannot be had keeps its config as it is instead of failing the whole DEL.
 */
export async function settleDevices(
  attachments: readonly SourcedAttachment[],
  allocator: DeviceAllocator,
  bestEffort: boolean,
): Promise<Attachment[]> {
  const settled: Attachment[] = [];
  for (const { resourceName, ...attachment } of attachments) {
    let deviceId = attachment.deviceId;
    if (resourceName !== undefined) {
      try {
        deviceId = await allocator.take(resourceName);
      } catch (err) {
        if (!bestEffort) throw toCniError(err).withContext(`${attachment.origin}: resourceName "${resourceName}"`);
      }
    }
    settled.push(deviceId === undefined ? attachment : withDevice(attachment, deviceId));
  }
  return settled;
}
