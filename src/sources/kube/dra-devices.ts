import { CniCode, CniError } from '../../core/errors';
import type {
  ClaimDeviceResult,
  ExtendedResourceClaimStatus,
  KubeClient,
  PodInfo,
  ResourceClaimInfo,
  SliceDevice,
} from '../../core/ports/kube-client';
import type { Logger } from '../../core/ports/logger';
import type { PodDevices } from '../../core/ports/pod-resources';

/** The device attribute holding what the delegate gets as its device (a VF's PCI address). */
export const DRA_DEVICE_ID_ATTRIBUTE = 'k8s.cni.cncf.io/deviceID';
/** The device attribute naming the NetworkAttachmentDefinitions' `k8s.v1.cni.cncf.io/resourceName`. */
export const DRA_RESOURCE_NAME_ATTRIBUTE = 'k8s.cni.cncf.io/resourceName';

/** A network device of a claim: its device ID and the resource name it serves. */
interface NetworkDevice {
  readonly deviceId: string;
  readonly resourceName: string;
}

/** Whether the pod may have devices from Dynamic Resource Allocation (claims in its status). */
export function hasDraClaims(pod: PodInfo): boolean {
  return (pod.resourceClaimStatuses?.length ?? 0) > 0 || pod.extendedResourceClaimStatus !== undefined;
}

function where(result: ClaimDeviceResult): string {
  return `device "${result.device}" (driver "${result.driver}", pool "${result.pool}")`;
}

/**
 * The devices Dynamic Resource Allocation gave one pod, per resource name, as Go Multus
 * (pkg/draclient) finds them: each claim of `status.resourceClaimStatuses`, then the claim of
 * `status.extendedResourceClaimStatus`; each allocated device is looked up in the ResourceSlices
 * of its driver on the pod's node, and a device with the `k8s.cni.cncf.io/deviceID` and
 * `k8s.cni.cncf.io/resourceName` attributes serves that resource name. Devices without a
 * deviceID (a GPU in the same claim) are skipped. The order is the claims' and their results'.
 */
export class DraDevices {
  private readonly claimOf: (name: string) => string;

  constructor(
    private readonly client: KubeClient,
    private readonly pod: PodInfo,
    private readonly log: Logger | undefined,
  ) {
    this.claimOf = (name) => `ResourceClaim ${pod.namespace}/${name} of pod ${pod.namespace}/${pod.name}`;
  }

  async devices(): Promise<PodDevices> {
    const found = new Map<string, string[]>();
    if (!hasDraClaims(this.pod)) return found;
    const add = (device: NetworkDevice | undefined, resourceName = device?.resourceName): void => {
      if (device === undefined || resourceName === undefined) return;
      found.set(resourceName, [...(found.get(resourceName) ?? []), device.deviceId]);
    };
    const names = (this.pod.resourceClaimStatuses ?? []).flatMap((s) => {
      if (s.resourceClaimName === undefined) this.log?.debug({ claim: s.name }, 'pod claim without a ResourceClaim');
      return s.resourceClaimName === undefined ? [] : [s.resourceClaimName];
    });
    const claims = await Promise.all(names.map((name) => this.allocatedClaim(name)));
    for (const claim of claims) {
      const devices = await Promise.all((claim.results ?? []).map((r) => this.networkDevice(claim.name, r)));
      devices.forEach((d) => add(d));
    }
    const extended = this.pod.extendedResourceClaimStatus;
    if (extended !== undefined) {
      for (const [resourceName, devices] of await this.extendedDevices(extended))
        devices.forEach((d) => add(d, resourceName));
    }
    return found;
  }

  /**
   * The extended-resource claim, matched strictly: each mapping's request must be in the claim,
   * and each network device it got must carry the mapping's resource name.
   */
  private async extendedDevices(status: ExtendedResourceClaimStatus): Promise<[string, NetworkDevice[]][]> {
    const claim = await this.allocatedClaim(status.resourceClaimName);
    const byRequest = new Map<string, ClaimDeviceResult[]>();
    for (const r of claim.results ?? []) byRequest.set(r.request, [...(byRequest.get(r.request) ?? []), r]);
    return Promise.all(
      status.requestMappings.map(async (mapping): Promise<[string, NetworkDevice[]]> => {
        const results = byRequest.get(mapping.requestName) ?? [];
        if (results.length === 0)
          throw new CniError(
            CniCode.InvalidConfig,
            `${this.claimOf(claim.name)} has no device for request "${mapping.requestName}", which ` +
              `status.extendedResourceClaimStatus maps to extended resource "${mapping.resourceName}" of container ` +
              `"${mapping.containerName}" (the claim's requests: ${[...byRequest.keys()].join(', ') || 'none'})`,
          );
        const devices = await Promise.all(results.map((r) => this.networkDevice(claim.name, r)));
        for (const [i, device] of devices.entries()) {
          if (device === undefined || device.resourceName === mapping.resourceName) continue;
          throw new CniError(
            CniCode.InvalidConfig,
            `${this.claimOf(claim.name)}: ${where(results[i] as ClaimDeviceResult)} has ` +
              `${DRA_RESOURCE_NAME_ATTRIBUTE} "${device.resourceName}", but status.extendedResourceClaimStatus maps ` +
              `its request "${mapping.requestName}" to extended resource "${mapping.resourceName}"`,
          );
        }
        return [mapping.resourceName, devices.filter((d): d is NetworkDevice => d !== undefined)];
      }),
    );
  }

  /** The claim, which must have an allocation (code 7 naming it and the pod otherwise). */
  private async allocatedClaim(name: string): Promise<ResourceClaimInfo> {
    const claim = await this.client.getResourceClaim(this.pod.namespace, name, this.pod.uid);
    if (claim.results !== undefined) return claim;
    throw new CniError(
      CniCode.InvalidConfig,
      `${this.claimOf(name)} has no allocation (status.allocation.devices.results is not set): its devices ` +
        'are not known yet',
    );
  }

  /** The device's deviceID and resource name; undefined for a device that is not a network device. */
  private async networkDevice(claim: string, result: ClaimDeviceResult): Promise<NetworkDevice | undefined> {
    const device = await this.sliceDevice(claim, result);
    const deviceId = device.attributes[DRA_DEVICE_ID_ATTRIBUTE];
    if (deviceId === undefined) {
      this.log?.debug(
        { claim, device: result.device, driver: result.driver, pool: result.pool },
        `DRA device without a string ${DRA_DEVICE_ID_ATTRIBUTE} attribute skipped: not a network device`,
      );
      return undefined;
    }
    const resourceName = device.attributes[DRA_RESOURCE_NAME_ATTRIBUTE];
    if (resourceName === undefined)
      throw new CniError(
        CniCode.InvalidConfig,
        `${this.claimOf(claim)}: ${where(result)} has ${DRA_DEVICE_ID_ATTRIBUTE} but no string attribute ` +
          `${DRA_RESOURCE_NAME_ATTRIBUTE} (it must name the NetworkAttachmentDefinition's ` +
          'k8s.v1.cni.cncf.io/resourceName)',
      );
    return { deviceId, resourceName };
  }

  /**
   * The device in the slices of its driver on the pod's node, in its pool; when it is not there
   * the slices are listed once more (a cache may predate the device), then it is code 11.
   */
  private async sliceDevice(claim: string, result: ClaimDeviceResult): Promise<SliceDevice> {
    const node = this.pod.nodeName;
    if (node === undefined)
      throw new CniError(
        CniCode.InvalidConfig,
        `pod ${this.pod.namespace}/${this.pod.name} has resource claims but no spec.nodeName: the ResourceSlices ` +
          `of ${where(result)} (${this.claimOf(claim)}) cannot be found`,
      );
    const find = async (refresh: boolean): Promise<SliceDevice | undefined> =>
      (await this.client.listResourceSlices(node, result.driver, refresh))
        .filter((slice) => slice.pool === result.pool)
        .flatMap((slice) => slice.devices)
        .find((device) => device.name === result.device);
    const device = (await find(false)) ?? (await find(true));
    if (device !== undefined) return device;
    throw new CniError(
      CniCode.TryAgainLater,
      `${this.claimOf(claim)}: ${where(result)} is in no ResourceSlice of driver "${result.driver}" ` +
        `and pool "${result.pool}" on node "${node}"`,
    );
  }
}
