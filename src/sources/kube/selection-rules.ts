import type { KubernetesSettings } from '../../core/config/kubernetes-settings';
import { CniCode, CniError } from '../../core/errors';
import type { Attachment, PodRef } from '../../core/plan';
import type { NetworkSelection } from '../../core/selection';

/**
 * namespaceIsolation: a pod may use networks of its own namespace, of `default` and of the
 * global namespaces only (code 7 naming both namespaces).
 */
export function checkIsolation(settings: KubernetesSettings, pod: PodRef, selection: NetworkSelection): void {
  if (!settings.namespaceIsolation) return;
  const namespace = selection.namespace ?? pod.namespace;
  if (namespace === pod.namespace || namespace === 'default' || settings.globalNamespaces.includes(namespace)) return;
  const allowed = [pod.namespace, 'default', ...settings.globalNamespaces].map((n) => `"${n}"`).join(', ');
  throw new CniError(
    CniCode.InvalidConfig,
    `${selection.origin}: pod ${pod.namespace}/${pod.name} may not use network ${namespace}/${selection.name}: ` +
      `namespaceIsolation allows networks of namespaces ${allowed} only`,
  );
}

type RuntimeRequests = Pick<Attachment, 'runtimeConfig' | 'cniArgs' | 'defaultRoute'>;

/** The selection's requests in the form delegates receive them (libcni's runtimeConfig keys). */
export function runtimeRequests(selection: NetworkSelection): RuntimeRequests {
  const rc: Record<string, unknown> = {};
  if (selection.ips !== undefined) rc['ips'] = selection.ips;
  if (selection.mac !== undefined) rc['mac'] = selection.mac;
  if (selection.portMappings !== undefined) rc['portMappings'] = selection.portMappings;
  if (selection.bandwidth !== undefined) rc['bandwidth'] = selection.bandwidth;
  if (selection.infinibandGuid !== undefined) rc['infinibandGUID'] = selection.infinibandGuid;
  if (selection.deviceId !== undefined) rc['deviceID'] = selection.deviceId;
  const out: { -readonly [K in keyof RuntimeRequests]: RuntimeRequests[K] } = {};
  if (Object.keys(rc).length > 0) out.runtimeConfig = rc;
  if (selection.cniArgs !== undefined) out.cniArgs = selection.cniArgs;
  if (selection.defaultRoute !== undefined && selection.defaultRoute.length > 0)
    out.defaultRoute = selection.defaultRoute;
  return out;
}
