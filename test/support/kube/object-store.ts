import { randomUUID } from 'node:crypto';
import { applyPatch, type Json } from './patches';
import type { ChangeType, StoreChange } from './watch-hub';

/**
 * The test API server's objects, in memory. Like etcd behind kube-apiserver, one counter gives
 * every write a new resourceVersion, and a write that names a stale resourceVersion is a
 * conflict, which is the behaviour multus's annotation update must survive.
 */

/** A resource type the server serves: `/apis/<group>/<version>[/namespaces/<ns>]/<plural>`. */
export interface KubeTestResource {
  /** '' for the core group (`/api/v1`). */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** The object kind, e.g. `Network`; lists are `<kind>List`. */
  readonly kind: string;
  readonly namespaced: boolean;
}

/** Where one object lives; `namespace` absent for cluster-scoped objects. */
export interface KubeTestObjectRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace?: string;
  readonly name: string;
}

/** An object as stored and served. */
export interface KubeTestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Why a write failed, for the server to turn into a Status. */
export type WriteResult =
  { readonly ok: true; readonly object: KubeTestObject } | { readonly ok: false; readonly status: 404 | 409 };

export function resourceKey(r: { group: string; version: string; plural: string }): string {
  return `${r.group}/${r.version}/${r.plural}`;
}

function objectKey(ref: KubeTestObjectRef): string {
  return `${resourceKey(ref)}/${ref.namespace ?? ''}/${ref.name}`;
}

export class ObjectStore {
  private readonly objects = new Map<string, KubeTestObject>();
  private revision = 100;

  /** `onChange` hears every write, in order (the server's watches). */
  constructor(private readonly onChange: (change: StoreChange) => void = () => undefined) {}

  /** The resourceVersion of the last write: what a list answers, and where a watch after it starts. */
  get currentRevision(): number {
    return this.revision;
  }

  /** Stores `body` at `ref`, filling apiVersion, kind and metadata (name, namespace, uid, resourceVersion). */
  put(resource: KubeTestResource, ref: KubeTestObjectRef, body: Record<string, unknown>): KubeTestObject {
    const copy = structuredClone(body) as Partial<KubeTestObject>;
    const meta = { ...(copy.metadata ?? {}) } as Partial<KubeTestObject['metadata']>;
    const object: KubeTestObject = {
      ...copy,
      apiVersion:
        copy.apiVersion ?? (resource.group === '' ? resource.version : `${resource.group}/${resource.version}`),
      kind: copy.kind ?? resource.kind,
      metadata: {
        ...meta,
        name: ref.name,
        ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }),
        uid: meta.uid ?? randomUUID(),
        creationTimestamp: meta.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: this.nextRevision(),
      },
    };
    const previous = this.objects.get(objectKey(ref));
    this.objects.set(objectKey(ref), object);
    this.emit(previous === undefined ? 'ADDED' : 'MODIFIED', ref, object, previous);
    return structuredClone(object);
  }

  get(ref: KubeTestObjectRef): KubeTestObject | undefined {
    const object = this.objects.get(objectKey(ref));
    return object === undefined ? undefined : structuredClone(object);
  }

  /** Deletes an object; watches see it DELETED at a new resourceVersion. */
  remove(ref: KubeTestObjectRef): boolean {
    const object = this.objects.get(objectKey(ref));
    if (object === undefined) return false;
    this.objects.delete(objectKey(ref));
    const gone = { ...object, metadata: { ...object.metadata, resourceVersion: this.nextRevision() } };
    this.emit('DELETED', ref, gone, object);
    return true;
  }

  /** Objects of one resource, in one namespace or (namespace undefined) all of them. */
  list(resource: KubeTestResource, namespace: string | undefined): KubeTestObject[] {
    const prefix = `${resourceKey(resource)}/${namespace === undefined ? '' : `${namespace}/`}`;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, object]) => structuredClone(object));
  }

  /** Applies a patch; a resourceVersion in the patched object that is not the current one is a conflict. */
  patch(ref: KubeTestObjectRef, contentType: string, patch: Json): WriteResult {
    const current = this.objects.get(objectKey(ref));
    if (current === undefined) return { ok: false, status: 404 };
    const patched = applyPatch(current as unknown as Json, contentType, patch) as unknown as KubeTestObject;
    return this.write(ref, current, patched);
  }

  /** Replaces an object (PUT); a stale metadata.resourceVersion in the body is a conflict, none means unconditional. */
  replace(ref: KubeTestObjectRef, body: Record<string, unknown>): WriteResult {
    const current = this.objects.get(objectKey(ref));
    if (current === undefined) return { ok: false, status: 404 };
    return this.write(ref, current, structuredClone(body) as unknown as KubeTestObject);
  }

  /** Changes an object the way another writer would, bumping its resourceVersion. */
  mutate(ref: KubeTestObjectRef, change: (object: KubeTestObject) => void): KubeTestObject | undefined {
    const current = this.objects.get(objectKey(ref));
    if (current === undefined) return undefined;
    const next = structuredClone(current);
    change(next);
    const result = this.write(ref, current, {
      ...next,
      metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion },
    });
    return result.ok ? result.object : undefined;
  }

  private write(ref: KubeTestObjectRef, current: KubeTestObject, next: KubeTestObject): WriteResult {
    const claimed = next.metadata?.resourceVersion;
    if (claimed !== undefined && claimed !== '' && claimed !== current.metadata.resourceVersion)
      return { ok: false, status: 409 };
    const object: KubeTestObject = {
      ...next,
      apiVersion: current.apiVersion,
      kind: current.kind,
      metadata: {
        ...(next.metadata ?? {}),
        name: current.metadata.name,
        ...(current.metadata.namespace === undefined ? {} : { namespace: current.metadata.namespace }),
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        resourceVersion: this.nextRevision(),
      },
    };
    this.objects.set(objectKey(ref), object);
    this.emit('MODIFIED', ref, object, current);
    return { ok: true, object: structuredClone(object) };
  }

  private emit(type: ChangeType, ref: KubeTestObjectRef, object: KubeTestObject, previous?: KubeTestObject): void {
    this.onChange({
      type,
      resource: resourceKey(ref),
      revision: this.revision,
      object: structuredClone(object),
      previous: previous === undefined ? undefined : structuredClone(previous),
    });
  }

  private nextRevision(): string {
    this.revision += 1;
    return String(this.revision);
  }
}
