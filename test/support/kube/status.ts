import { STATUS_CODES } from 'node:http';

/**
 * Kubernetes `Status` bodies as kube-apiserver writes them (reasons and message shapes copied
 * from k8s.io/apimachinery `errors.go`), so the client under test sees what it would see live.
 */

/** A resource as the API names it: group ('' for core) and plural. */
export interface ResourceName {
  readonly group: string;
  readonly plural: string;
}

export interface StatusBody {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: { readonly name?: string; readonly group?: string; readonly kind?: string };
  readonly code: number;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** `pods` or `networks.kubernetes.com`, as the API server's messages spell a resource. */
export function qualified(resource: ResourceName): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`;
}

export function statusBody(
  code: number,
  message: string,
  details?: { name?: string; resource?: ResourceName },
): StatusBody {
  const reason = REASONS[code] ?? (STATUS_CODES[code] ?? 'Unknown').replace(/\s+/g, '');
  const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details === undefined) return body;
  const { name, resource } = details;
  const group = resource === undefined || resource.group === '' ? undefined : resource.group;
  return {
    ...body,
    details: {
      ...(name === undefined ? {} : { name }),
      ...(group === undefined ? {} : { group }),
      ...(resource === undefined ? {} : { kind: resource.plural }),
    },
  };
}

export function notFoundStatus(resource: ResourceName, name: string): StatusBody {
  return statusBody(404, `${qualified(resource)} "${name}" not found`, { name, resource });
}

export function conflictStatus(resource: ResourceName, name: string): StatusBody {
  return statusBody(
    409,
    `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please ` +
      `apply your changes to the latest version and try again`,
    {
      name,
      resource,
    },
  );
}

/**
 * The RBAC denial text: `pods "pod1" is forbidden: User "multus" cannot get resource "pods" in API group "" in the
 * namespace "ns1"`.
 */
export function forbiddenStatus(
  resource: ResourceName,
  user: string,
  verb: string,
  namespace: string | undefined,
  name: string | undefined,
): StatusBody {
  const subject = name === undefined ? qualified(resource) : `${qualified(resource)} "${name}"`;
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const message =
    `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource.plural}" in API group ` +
    `"${resource.group}" ${scope}`;
  return statusBody(403, message, { ...(name === undefined ? {} : { name }), resource });
}

export function unauthorizedStatus(): StatusBody {
  return statusBody(401, 'Unauthorized');
}
