import type { KubeTestResource } from './object-store';
import { resourceKey } from './object-store';

/**
 * The REST paths client-node builds, parsed: core `/api/v1[/namespaces/<ns>]/<plural>[/<name>]`
 * and `/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>]`. A path of a resource the
 * server does not serve parses to undefined, which the server answers like kube-apiserver does
 * for an unknown group or version: a bare `404 page not found`.
 */
export interface KubeTestRoute {
  readonly resource: KubeTestResource;
  /** Set for namespaced paths; absent for cluster-scoped objects and all-namespace lists. */
  readonly namespace?: string;
  /** Absent for a collection (list). */
  readonly name?: string;
}

/** The API verb of a request, as RBAC names it. */
export function verbOf(method: string, route: KubeTestRoute | undefined): string {
  const named = route?.name !== undefined;
  switch (method) {
    case 'GET':
      return named ? 'get' : 'list';
    case 'PATCH':
      return 'patch';
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    case 'POST':
      return 'create';
    default:
      return method.toLowerCase();
  }
}

function splitApiPath(segments: readonly string[]): { group: string; version: string; rest: string[] } | undefined {
  if (segments[0] === 'api' && segments[1] !== undefined)
    return { group: '', version: segments[1], rest: segments.slice(2) };
  if (segments[0] === 'apis' && segments[1] !== undefined && segments[2] !== undefined) {
    return { group: segments[1], version: segments[2], rest: segments.slice(3) };
  }
  return undefined;
}

export function parseRoute(pathname: string, served: ReadonlyMap<string, KubeTestResource>): KubeTestRoute | undefined {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const api = splitApiPath(segments);
  if (api === undefined) return undefined;
  const { group, version, rest } = api;
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [plural, name, extra] = namespaced ? rest.slice(2) : rest;
  if (plural === undefined || extra !== undefined) return undefined;
  const resource = served.get(resourceKey({ group, version, plural }));
  if (resource === undefined) return undefined;
  if (namespaced && !resource.namespaced) return undefined;
  if (!namespaced && resource.namespaced && name !== undefined) return undefined;
  return {
    resource,
    ...(namespaced ? { namespace: rest[1] as string } : {}),
    ...(name === undefined ? {} : { name }),
  };
}

/** What every test server serves unless told otherwise: pods and the objects multus reads. */
export const DEFAULT_RESOURCES: readonly KubeTestResource[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
  },
  {
    group: 'extensions',
    version: 'v1beta1',
    plural: 'thirdpartyresources',
    kind: 'ThirdPartyResource',
    namespaced: false,
  },
  { group: 'kubernetes.com', version: 'v1', plural: 'networks', kind: 'Network', namespaced: true },
  {
    group: 'k8s.cni.cncf.io',
    version: 'v1',
    plural: 'network-attachment-definitions',
    kind: 'NetworkAttachmentDefinition',
    namespaced: true,
  },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  // Dynamic Resource Allocation (stable since Kubernetes 1.34): a pod's claims, the node's slices.
  { group: 'resource.k8s.io', version: 'v1', plural: 'resourceclaims', kind: 'ResourceClaim', namespaced: true },
  { group: 'resource.k8s.io', version: 'v1', plural: 'resourceslices', kind: 'ResourceSlice', namespaced: false },
];
