/**
 * The patch formats a Kubernetes client sends, applied to plain JSON. Strategic merge patch is
 * applied as a JSON merge patch: the difference (list merge keys) never matters for the
 * metadata maps multus patches, and this server does not pretend to know Go struct tags.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A patch the server must refuse: the HTTP status and message it answers with. */
export class PatchError extends Error {
  constructor(
    readonly status: 400 | 415 | 422,
    message: string,
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value);
  }
  return result;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The container of the location a JSON pointer names, and the last token. */
function locate(doc: Json, pointer: string): { parent: Json; key: string } {
  if (!pointer.startsWith('/')) throw new PatchError(422, `invalid JSON pointer "${pointer}"`);
  const tokens = pointer.slice(1).split('/').map(unescape);
  const key = tokens.pop() as string;
  let parent: Json = doc;
  for (const token of tokens) {
    const next: Json | undefined = Array.isArray(parent)
      ? parent[Number(token)]
      : isObject(parent)
        ? parent[token]
        : undefined;
    if (next === undefined) throw new PatchError(422, `path "${pointer}" does not exist`);
    parent = next;
  }
  return { parent, key };
}

function applyOp(doc: Json, op: { [key: string]: Json }): void {
  const path = op['path'];
  if (typeof path !== 'string') throw new PatchError(400, 'json patch operation without a "path"');
  const { parent, key } = locate(doc, path);
  const kind = op['op'];
  if (isObject(parent)) {
    if (kind === 'add' || kind === 'replace') {
      if (kind === 'replace' && !(key in parent)) throw new PatchError(422, `replace: path "${path}" does not exist`);
      parent[key] = structuredClone(op['value'] ?? null);
    } else if (kind === 'remove') {
      if (!(key in parent)) throw new PatchError(422, `remove: path "${path}" does not exist`);
      delete parent[key];
    } else if (kind === 'test') {
      if (JSON.stringify(parent[key]) !== JSON.stringify(op['value']))
        throw new PatchError(422, `test failed at "${path}"`);
    } else throw new PatchError(422, `json patch operation "${kind as string}" is not supported by the test server`);
    return;
  }
  if (Array.isArray(parent) && (kind === 'add' || kind === 'remove' || kind === 'replace')) {
    const index = key === '-' ? parent.length : Number(key);
    if (kind === 'add') parent.splice(index, 0, structuredClone(op['value'] ?? null));
    else if (kind === 'remove') parent.splice(index, 1);
    else parent[index] = structuredClone(op['value'] ?? null);
    return;
  }
  throw new PatchError(422, `cannot ${kind as string} at "${path}"`);
}

/** RFC 6902 add / remove / replace / test; a body that is not a list is a 400, as kube-apiserver answers. */
export function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch))
    throw new PatchError(400, 'json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  const doc = structuredClone(target);
  for (const op of patch) {
    if (!isObject(op)) throw new PatchError(400, 'json patch operation is not an object');
    applyOp(doc, op);
  }
  return doc;
}

/** Applies a PATCH body according to its Content-Type. */
export function applyPatch(target: Json, contentType: string, patch: Json): Json {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
    if (!isObject(patch)) throw new PatchError(400, 'a merge patch must be a JSON object');
    return mergePatch(target, patch);
  }
  if (type === 'application/json-patch+json') return jsonPatch(target, patch);
  throw new PatchError(
    415,
    `the body of the request was in an unknown format - accepted media types include: ` +
      `application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ` +
      `"${type}")`,
  );
}
