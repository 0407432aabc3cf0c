import type { CniError } from '../../src/core/errors';
import type { PodRef } from '../../src/core/plan';
import type { PodDevices, PodResources } from '../../src/core/ports/pod-resources';

/** The kubelet's pod-resources API from a fixed map (or failing with an error); calls are `socket ns/name`. */
export class FakePodResources implements PodResources {
  readonly calls: string[] = [];

  constructor(private readonly answer: Record<string, string[]> | CniError = {}) {}

  devices(socketPath: string, pod: PodRef): Promise<PodDevices> {
    this.calls.push(`${socketPath} ${pod.namespace}/${pod.name}`);
    return this.answer instanceof Error
      ? Promise.reject(this.answer)
      : Promise.resolve(new Map(Object.entries(this.answer)));
  }
}

/** network-status `device-info` of a PCI device, as multus writes it for a device ID. */
export function pciDeviceInfo(address: string): Record<string, unknown> {
  return { type: 'pci', version: '1.1.0', pci: { 'pci-address': address } };
}
