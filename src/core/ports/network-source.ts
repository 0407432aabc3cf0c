import type { NetworkPlan, NetworkRequest } from '../plan';

/**
 * Resolves a request into the pod's ordered attachments. The file source reads the config's
 * `delegates`; the Kubernetes sources read pod annotations and network objects. Which source
 * serves a request is decided in one place (`supports`, first match in binding order).
 */
export interface NetworkSource {
  readonly name: string;
  supports(request: NetworkRequest): boolean;
  resolve(request: NetworkRequest): Promise<NetworkPlan>;
}
