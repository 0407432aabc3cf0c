import { isObject } from '../../core/json';
import type {
  ClaimDeviceResult,
  ExtendedResourceClaimStatus,
  PodClaimStatus,
  ResourceClaimInfo,
  ResourceSliceInfo,
  SliceDevice,
} from '../../core/ports/kube-client';

/**
 * The Dynamic Resource Allocation objects (resource.k8s.io/v1) and pod fields multus reads,
 * parsed defensively from the API's JSON: a field of the wrong shape counts as absent, so a
 * strange object makes a clear "no allocation" or "device not found" later, never a crash here.
 */

/** The attribute domain of the devices multus maps to networks; other attributes are not kept. */
export const MULTUS_ATTRIBUTE_DOMAIN = 'k8s.cni.cncf.io/';

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function objects(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function field(object: unknown, ...path: string[]): unknown {
  let value = object;
  for (const key of path) value = isObject(value) ? value[key] : undefined;
  return value;
}

/** `status.resourceClaimStatuses`, or undefined when the pod has none. */
export function podClaimStatuses(pod: unknown): readonly PodClaimStatus[] | undefined {
  const list = objects(field(pod, 'status', 'resourceClaimStatuses')).map((s) => {
    const claim = text(s['resourceClaimName']);
    return { name: text(s['name']), resourceClaimName: claim === '' ? undefined : claim };
  });
  return list.length === 0 ? undefined : list;
}

/** `status.extendedResourceClaimStatus`, or undefined when the pod has none. */
export function podExtendedClaimStatus(pod: unknown): ExtendedResourceClaimStatus | undefined {
  const status = field(pod, 'status', 'extendedResourceClaimStatus');
  const resourceClaimName = text(field(status, 'resourceClaimName'));
  if (resourceClaimName === '') return undefined;
  const requestMappings = objects(field(status, 'requestMappings')).map((m) => ({
    containerName: text(m['containerName']),
    resourceName: text(m['resourceName']),
    requestName: text(m['requestName']),
  }));
  return { resourceClaimName, requestMappings };
}

/** A ResourceClaim's allocated devices; `results` is undefined without `status.allocation.devices.results`. */
export function toResourceClaim(object: unknown, namespace: string, name: string): ResourceClaimInfo {
  const raw = field(object, 'status', 'allocation', 'devices', 'results');
  const results: ClaimDeviceResult[] | undefined = Array.isArray(raw)
    ? objects(raw).map((r) => ({
        request: text(r['request']),
        driver: text(r['driver']),
        pool: text(r['pool']),
        device: text(r['device']),
      }))
    : undefined;
  return {
    namespace: text(field(object, 'metadata', 'namespace')) || namespace,
    name: text(field(object, 'metadata', 'name')) || name,
    results,
  };
}

function toSliceDevice(device: Record<string, unknown>): SliceDevice {
  const attributes = isObject(device['attributes']) ? device['attributes'] : {};
  const kept = Object.entries(attributes).flatMap(([key, value]): [string, string][] => {
    const string = field(value, 'string');
    return key.startsWith(MULTUS_ATTRIBUTE_DOMAIN) && typeof string === 'string' ? [[key, string]] : [];
  });
  return { name: text(device['name']), attributes: Object.fromEntries(kept) };
}

/** The slices of a ResourceSliceList, each with its pool and devices (only what multus reads). */
export function toResourceSlices(list: unknown): ResourceSliceInfo[] {
  return objects(field(list, 'items')).map((slice) => ({
    name: text(field(slice, 'metadata', 'name')),
    pool: text(field(slice, 'spec', 'pool', 'name')),
    devices: objects(field(slice, 'spec', 'devices')).map(toSliceDevice),
  }));
}
