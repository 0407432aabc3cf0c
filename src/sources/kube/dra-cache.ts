import type { KubeClient, PodInfo, ResourceClaimInfo, ResourceSliceInfo } from '../../core/ports/kube-client';
import type { Informer } from './informer-cache';

/** Pods whose claims are remembered at most (the oldest go first, should deletions be missed). */
const MAX_CLAIM_PODS = 1000;

/**
 * The daemon's cache of Dynamic Resource Allocation objects. Slices are kept per node and
 * driver, listed on first use and listed again when a caller missed a device in them (a device
 * the driver published since). Claims are kept per pod, by namespace, name and the pod's UID:
 * an allocation does not change while the claim is reserved for the pod, and the claims of a
 * pod are forgotten when the node's pod informer says it was deleted. Without that informer
 * (no node name) nothing would say so, and claims are read each time. A claim without an
 * allocation is never kept (the next ADD reads it again), nor is a failed read.
 */
export class DraCache {
  private readonly slices = new Map<string, Promise<readonly ResourceSliceInfo[]>>();
  /** Pod UID → `namespace/claim` → the claim. */
  private readonly claims = new Map<string, Map<string, Promise<ResourceClaimInfo>>>();

  constructor(
    private readonly api: () => Promise<KubeClient>,
    /** The node's pod informer (only its changes are read); undefined without a node name. */
    private readonly pods: Pick<Informer<PodInfo>, 'subscribe'> | undefined,
  ) {
    pods?.subscribe(({ type, value }) => {
      if (type === 'deleted') this.claims.delete(value.uid);
    });
  }

  /** Pods whose claims are kept now (for tests and metrics). */
  get claimPods(): number {
    return this.claims.size;
  }

  async getResourceClaim(namespace: string, name: string, podUid: string): Promise<ResourceClaimInfo> {
    const read = async (): Promise<ResourceClaimInfo> => (await this.api()).getResourceClaim(namespace, name, podUid);
    if (this.pods === undefined || podUid === '') return read();
    let ofPod = this.claims.get(podUid);
    const key = `${namespace}/${name}`;
    const cached = ofPod?.get(key);
    if (cached !== undefined) return cached;
    if (ofPod === undefined) {
      ofPod = new Map();
      this.claims.set(podUid, ofPod);
      if (this.claims.size > MAX_CLAIM_PODS) this.claims.delete(this.claims.keys().next().value as string);
    }
    const answer = read();
    ofPod.set(key, answer);
    const forget = (): void => {
      if (this.claims.get(podUid)?.get(key) === answer) this.claims.get(podUid)?.delete(key);
    };
    answer.then((claim) => (claim.results === undefined ? forget() : undefined), forget);
    return answer;
  }

  listResourceSlices(nodeName: string, driver: string, refresh = false): Promise<readonly ResourceSliceInfo[]> {
    const key = `${nodeName}/${driver}`;
    const cached = this.slices.get(key);
    if (cached !== undefined && !refresh) return cached;
    const answer = this.api().then((api) => api.listResourceSlices(nodeName, driver));
    this.slices.set(key, answer);
    answer.catch(() => {
      if (this.slices.get(key) === answer) this.slices.delete(key);
    });
    return answer;
  }
}
