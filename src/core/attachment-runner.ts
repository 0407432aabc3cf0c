import type { DelegateConf } from './plan';
import type { PreparedAttachment } from './planner';

/** Plugin types whose host objects are known from their config; any other type conflicts with all. */
const KNOWN_TYPES = new Set([
  'bridge',
  'ptp',
  'macvlan',
  'ipvlan',
  'host-device',
  'vlan',
  'tuning',
  'portmap',
  'bandwidth',
  'firewall',
  'sbr',
  'sriov',
  'vhostuser',
  'loopback',
]);

/**
 * Config keys that name a host object a plugin changes, by the namespace the name lives in: a
 * bridge one plugin creates may be another's macvlan master, so all interface names compare
 * with each other; likewise PCI addresses.
 */
const HOST_OBJECT_KEYS: Readonly<Record<string, string>> = {
  bridge: 'link',
  master: 'link',
  device: 'link',
  if0: 'link',
  deviceID: 'pci',
  deviceid: 'pci',
  pciBusID: 'pci',
  hwaddr: 'mac',
  kernelpath: 'path',
};

/** Stands for "may touch anything": such an attachment runs alone, in order. */
const EVERYTHING = '*';

/**
 * The host objects one plugin may change, as strings: two attachments sharing one must not run
 * at once. ptp, tuning and the like touch only the pod and their IPAM (host-local locks its own
 * store), so they share nothing; an unknown plugin type may touch anything.
 */
export function hostObjects(conf: DelegateConf): string[] {
  const type = String(conf['type']);
  if (!KNOWN_TYPES.has(type)) return [EVERYTHING];
  const objects = Object.entries(HOST_OBJECT_KEYS)
    .filter(([key]) => typeof conf[key] === 'string' && conf[key] !== '')
    .map(([key, space]) => `${space}=${String(conf[key])}`);
  if (type === 'bridge' && conf['bridge'] === undefined) objects.push('link=cni0');
  return objects;
}

/**
 * The host objects of a whole attachment. The auxiliary chain needs the master's result, so it
 * counts as touching everything: it runs after every attachment before it (the master) and before
 * every one after it, and its DEL likewise waits for the later ones.
 */
export function attachmentHostObjects(confs: readonly DelegateConf[], auxiliary: boolean | undefined): string[] {
  return auxiliary === true ? [EVERYTHING] : confs.flatMap(hostObjects);
}

/**
 * Host links a plugin creates when they are missing (bridge makes its bridge, `cni0` by
 * default): a later delegate of the same ADD may name one (a macvlan's master) before it exists.
 */
export function createdHostLinks(conf: DelegateConf): string[] {
  if (conf['type'] !== 'bridge') return [];
  return [typeof conf['bridge'] === 'string' && conf['bridge'] !== '' ? conf['bridge'] : 'cni0'];
}

function conflict(a: readonly string[], b: readonly string[]): boolean {
  return a.includes(EVERYTHING) || b.includes(EVERYTHING) || a.some((o) => b.includes(o));
}

/** A failure of one attachment, with which one it was. */
export class AttachmentFailed extends Error {
  constructor(
    readonly attachment: PreparedAttachment,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

export type RunOne = (attachment: PreparedAttachment, signal: AbortSignal | undefined) => Promise<void>;

/**
 * Runs the attachments' ADDs in order, or, with `parallel`, each as soon as every earlier one
 * that shares a host object with it is done. On the first failure the others still running are
 * aborted (their delegates' process groups killed) and, once all have settled, the failure is
 * thrown as AttachmentFailed.
 */
export async function runAttachments(
  attachments: readonly PreparedAttachment[],
  parallel: boolean,
  run: RunOne,
  signal?: AbortSignal,
): Promise<void> {
  if (!parallel) {
    for (const a of attachments)
      await run(a, signal).catch((err: unknown) => Promise.reject(new AttachmentFailed(a, err)));
    return;
  }
  const stop = new AbortController();
  const combined = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  let failure: AttachmentFailed | undefined;
  await runByHostObjects(
    attachments,
    (a) =>
      attachmentHostObjects(
        a.plugins.map((p) => p.conf),
        a.auxiliary,
      ),
    async (a) => {
      if (failure !== undefined) return;
      await run(a, combined).catch((err: unknown) => {
        failure ??= new AttachmentFailed(a, err);
        stop.abort(new Error(`attachment ${a.origin} failed`));
      });
    },
  );
  if (failure !== undefined) throw failure;
}

/**
 * Runs each item once every earlier item that shares a host object with it has settled: items
 * that share none run at the same time. Resolves when all have settled; `run` handles its own
 * failures. ADD runs the attachments in order through it, DEL in reverse.
 */
export async function runByHostObjects<T>(
  items: readonly T[],
  objectsOf: (item: T) => readonly string[],
  run: (item: T) => Promise<void>,
): Promise<void> {
  const objects = items.map(objectsOf);
  const done: Array<Promise<void>> = [];
  items.forEach((item, i) => {
    const before = done.filter((_, j) => conflict(objects[i] ?? [], objects[j] ?? []));
    done.push(Promise.allSettled(before).then(() => run(item)));
  });
  await Promise.allSettled(done);
}
