import { isObject } from '../../core/json';
import type { PodInfo } from '../../core/ports/kube-client';
import { podClaimStatuses, podExtendedClaimStatus } from './dra-objects';

/**
 * A pod from the API's JSON as multus needs it: a GET's answer or an informer's object. A
 * missing name or namespace is taken from `fallback` (the name the caller asked for); other
 * fields of the wrong shape count as absent.
 */
export function toPodInfo(object: unknown, fallback: { namespace: string; name: string } | undefined): PodInfo {
  const pod = isObject(object) ? object : {};
  const meta = isObject(pod['metadata']) ? pod['metadata'] : {};
  const text = (v: unknown, otherwise = ''): string => (typeof v === 'string' && v !== '' ? v : otherwise);
  const annotations = isObject(meta['annotations']) ? meta['annotations'] : {};
  const nodeName = text(isObject(pod['spec']) ? pod['spec']['nodeName'] : undefined);
  const claims = podClaimStatuses(pod);
  const extended = podExtendedClaimStatus(pod);
  return {
    namespace: text(meta['namespace'], fallback?.namespace),
    name: text(meta['name'], fallback?.name),
    uid: text(meta['uid']),
    resourceVersion: text(meta['resourceVersion']),
    annotations: Object.fromEntries(
      Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
    ...(nodeName === '' ? {} : { nodeName }),
    ...(claims === undefined ? {} : { resourceClaimStatuses: claims }),
    ...(extended === undefined ? {} : { extendedResourceClaimStatus: extended }),
  };
}
