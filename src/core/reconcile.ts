import { parseCniArgs } from './cni-env';
import { parseMultusConfigForDelete, type MultusConfig } from './config/multus-config';
import type { PodInfo } from './ports/kube-client';
import type { AttachmentState, CacheEntry } from './ports/result-cache';

/**
 * The daemon's reconcile of its records with its node's pods (docs/thick.md "Reconcile"): the
 * decisions, as small pure functions. A record is deleted only when the pod cache is synced, the
 * record names its pod, that pod has been gone for the grace period, and its netns is gone too.
 */

/** The pod a record belongs to, from the CNI_ARGS its ADD had. */
export interface RecordPod {
  readonly namespace: string;
  readonly name: string;
  /** K8S_POD_UID, when the runtime passed it: a pod of the same name with another UID is another pod. */
  readonly uid?: string;
}

/** Why a record is kept. */
export type KeepReason = 'not_synced' | 'no_pod' | 'pod_present' | 'waiting_grace' | 'kept_netns';

/** What reconcile does with one record now, and why (`why` is for people). */
export type Verdict =
  | { readonly action: 'keep'; readonly reason: KeepReason; readonly why: string }
  | { readonly action: 'delete'; readonly reason: 'pod_gone'; readonly why: string };

/** How a record ended in a pass: kept (why), or deleted, failed, or only reported (dry run). */
export type ReconcileOutcome = KeepReason | 'deleted' | 'would_delete' | 'failed';

/** Every outcome, for metrics that show each one from the start. */
export const RECONCILE_OUTCOMES: readonly ReconcileOutcome[] = [
  'deleted',
  'would_delete',
  'failed',
  'kept_netns',
  'waiting_grace',
  'pod_present',
  'no_pod',
  'not_synced',
];

/** The facts one verdict is made of. */
export interface RecordFacts {
  /** The pod cache is listed and watching: a pod missing from it is gone from the API. */
  readonly synced: boolean;
  readonly pod: RecordPod | undefined;
  /** The pod of that namespace and name on the node now, if any. */
  readonly found: PodInfo | undefined;
  /** How long the pod has been seen gone (0 before a pass saw it gone). */
  readonly goneForMs: number;
  /** Whether the record's netns path still exists. */
  readonly netnsExists: boolean;
  readonly netns: string;
}

/** The record's pod, or undefined when its CNI_ARGS name none (K8S_POD_NAMESPACE and K8S_POD_NAME). */
export function recordPod(entry: Pick<CacheEntry, 'cniArgs'>): RecordPod | undefined {
  let args;
  try {
    args = parseCniArgs(entry.cniArgs);
  } catch {
    return undefined;
  }
  const namespace = args.get('K8S_POD_NAMESPACE') ?? '';
  const name = args.get('K8S_POD_NAME') ?? '';
  if (namespace === '' || name === '') return undefined;
  const uid = args.get('K8S_POD_UID') ?? '';
  return uid === '' ? { namespace, name } : { namespace, name, uid };
}

/** Whether `found` is the record's pod: same name, and the same UID when both have one. */
export function isRecordPod(pod: RecordPod, found: PodInfo | undefined): boolean {
  if (found === undefined) return false;
  return pod.uid === undefined || found.uid === '' || found.uid === pod.uid;
}

/** `namespace/name`, for logs and tables. */
export function podName(pod: RecordPod): string {
  return `${pod.namespace}/${pod.name}`;
}

/**
 * The verdict on one record. In this order: nothing while the pod cache is not synced; never a
 * record that names no pod; keep while the pod is there; wait out the grace period; never a
 * record whose netns still exists; else delete it as its DEL would.
 */
export function judgeRecord(facts: RecordFacts, graceMs: number): Verdict {
  const keep = (reason: KeepReason, why: string): Verdict => ({ action: 'keep', reason, why });
  if (!facts.synced) return keep('not_synced', 'the pod cache is not synced (file mode, or not listed yet)');
  const pod = facts.pod;
  if (pod === undefined) return keep('no_pod', 'the record names no pod (no K8S_POD_NAMESPACE and K8S_POD_NAME)');
  if (isRecordPod(pod, facts.found)) return keep('pod_present', `pod ${podName(pod)} is on the node`);
  const gone =
    facts.found === undefined
      ? `pod ${podName(pod)} is gone`
      : `pod ${podName(pod)} is gone (the one there now has UID ${facts.found.uid}, not ${pod.uid ?? ''})`;
  const seconds = Math.floor(facts.goneForMs / 1000);
  if (facts.goneForMs < graceMs)
    return keep('waiting_grace', `${gone} since ${seconds} s; the grace is ${Math.floor(graceMs / 1000)} s`);
  if (facts.netnsExists) return keep('kept_netns', `${gone}, but its netns ${facts.netns} still exists`);
  const netns = facts.netns === '' ? 'it has no netns' : `its netns ${facts.netns} is gone`;
  return { action: 'delete', reason: 'pod_gone', why: `${gone} since ${seconds} s and ${netns}` };
}

/** A record's attachments as a listing shows them. */
export interface ListedAttachment {
  readonly network: string;
  readonly type: string;
  readonly ifname: string;
  readonly state: AttachmentState;
}

/** One record, what reconcile does (or did) with it, and why. */
export interface RecordReport {
  readonly containerId: string;
  readonly ifname: string;
  readonly netns: string;
  readonly createdAt: string;
  readonly pod: RecordPod | undefined;
  readonly attachments: readonly ListedAttachment[];
  /** keep or delete (in a listing: what the next pass would do). */
  readonly action: Verdict['action'];
  readonly outcome: ReconcileOutcome | 'pod_gone';
  readonly why: string;
  /** When a pass first saw the pod gone. */
  readonly goneSince?: string;
  /** A failed delete's CNI error. */
  readonly error?: { readonly code: number; readonly msg: string };
}

/** A pass's result, or a listing: every record of the cache dir with its verdict. */
export interface ReconcileReport {
  readonly at: string;
  readonly synced: boolean;
  readonly dryRun: boolean;
  readonly graceSeconds: number;
  readonly cacheDir: string;
  readonly records: readonly RecordReport[];
}

/** What the daemon's reconcile is set to. */
export interface ReconcileSettings {
  /** The daemon's defaults as a multus config: the cache dir, binDir, adapterDirs, delegate timeout. */
  readonly config: MultusConfig;
  readonly graceMs: number;
  readonly dryRun: boolean;
}

/**
 * The multus config a reconcile deletes with: the daemon's defaults, parsed as a DEL parses its
 * config (a default that is not a whole multus config still gives the cache dir and binDir).
 */
export function reconcileConfig(defaults: Readonly<Record<string, unknown>>): MultusConfig {
  return parseMultusConfigForDelete({ ...defaults, type: 'multus' }).config;
}

/** A record as a listing shows it, before any verdict. */
export function reportOf(entry: CacheEntry, verdict: Verdict, goneSince: Date | undefined): RecordReport {
  return {
    containerId: entry.containerId,
    ifname: entry.ifname,
    netns: entry.netns,
    createdAt: entry.createdAt,
    pod: recordPod(entry),
    attachments: entry.attachments.map((a) => ({ network: a.network, type: a.type, ifname: a.ifname, state: a.state })),
    action: verdict.action,
    outcome: verdict.reason,
    why: verdict.why,
    ...(goneSince === undefined ? {} : { goneSince: goneSince.toISOString() }),
  };
}
