// Lists and watches of the bench API server (kube-server.mjs), in kube-apiserver's REST shapes
// (those test/support/kube/collection.ts and watch-hub.ts serve the tests), for pods and NADs:
// `GET <collection>?limit=N&continue=T&fieldSelector=f=v` answers one page of a List and a
// continue token for the rest; `?watch=true&resourceVersion=R` answers 200 and streams one JSON
// event per line: the changes after R (this server's only changes are its merge-PATCHes), then
// live ones, until `timeoutSeconds` or until the client goes away. No bookmarks: nothing needs
// them here. Lists can be held until the bench releases them, so that a daemon's memory can be
// read before its caches fill.

/** The collections served, by path without namespace. */
const TYPES = {
  '/api/v1/pods': { apiVersion: 'v1', kind: 'PodList' },
  '/apis/k8s.cni.cncf.io/v1/network-attachment-definitions': {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinitionList',
  },
};
const ROUTE = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/;

/** `{type, namespace, name}` of an API path; `type` is the collection's path without namespace. */
function routeOf(pathname) {
  const m = ROUTE.exec(pathname);
  return m ? { type: `${m[1]}/${m[3]}`, namespace: m[2], name: m[4] } : undefined;
}

const count = (text) => (text !== null && /^\d+$/.test(text) ? Number(text) : undefined);

/** `spec.nodeName=node1,metadata.name=x` (`=` or `==`) as [path, value] pairs; a string when it cannot be read. */
function parseFields(text) {
  const terms = [];
  for (const term of text ? text.split(',') : []) {
    const m = /^([A-Za-z0-9.]+)==?([^=!]*)$/.exec(term.trim());
    if (!m) return `unable to parse requirement: "${term}" (only field=value is served here)`;
    terms.push([m[1].split('.'), m[2]]);
  }
  return terms;
}

function fieldValue(object, path) {
  const value = path.reduce((v, k) => (v !== null && typeof v === 'object' ? v[k] : undefined), object);
  return value === undefined || value === null ? '' : String(value);
}

const encode = (token) => Buffer.from(JSON.stringify(token)).toString('base64url');
function decode(text) {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    return Number.isInteger(t.rv) && Number.isInteger(t.from) ? t : undefined;
  } catch {
    return undefined;
  }
}

export class Collections {
  /**
   * `objects`: the server's Map of path → object (read at each request); `revision()`: its
   * current resourceVersion; `send(req, res, code, body)` answers and logs, `log(req, what)` logs.
   */
  constructor({ objects, revision, send, log, hold }) {
    Object.assign(this, { objects, revision, send, log, holding: hold === true });
    this.held = [];
    this.watches = new Set();
    this.changes = [];
    this.paths = undefined;
  }

  /** The route of a collection this server lists and watches, else undefined. */
  match(pathname) {
    const route = routeOf(pathname);
    return route && route.name === undefined && TYPES[route.type] ? route : undefined;
  }

  /** Answers a GET of a collection: a watch, a list page, or a list held until {@link release}. */
  serve(req, res, route, query) {
    const fields = parseFields(query.get('fieldSelector'));
    if (typeof fields === 'string') return this.send(req, res, 400, statusBody(400, 'BadRequest', fields));
    const sel = { ...route, fields };
    if (query.get('watch') === 'true' || query.get('watch') === '1') return this.watch(req, res, sel, query);
    if (!this.holding) return this.list(req, res, sel, query);
    this.log(req, 'held');
    this.held.push(() => this.list(req, res, sel, query));
  }

  /** Answers the held lists, and every later one at once. */
  release() {
    this.holding = false;
    for (const answer of this.held.splice(0)) answer();
  }

  /** A merge-PATCH changed the object at `path`: watches that select it get a MODIFIED event. */
  changed(path, object) {
    const change = { rv: Number(object.metadata.resourceVersion), path, object };
    this.changes.push(change);
    for (const w of this.watches) this.notify(w, change);
  }

  /** The paths of `sel`'s objects, in key order (the index is made at the first list: objects are never added). */
  selected(sel) {
    if (this.paths === undefined) {
      this.paths = new Map(Object.keys(TYPES).map((t) => [t, []]));
      for (const path of [...this.objects.keys()].sort()) this.paths.get(routeOf(path)?.type)?.push(path);
    }
    return this.paths.get(sel.type).filter((p) => this.selects(sel, p, this.objects.get(p)));
  }

  selects(sel, path, object) {
    const route = routeOf(path);
    if (route?.type !== sel.type || (sel.namespace !== undefined && route.namespace !== sel.namespace)) return false;
    return sel.fields.every(([field, value]) => fieldValue(object, field) === value);
  }

  list(req, res, sel, query) {
    const limit = count(query.get('limit')) ?? 0;
    const token = query.get('continue') ? decode(query.get('continue')) : { rv: this.revision(), from: 0 };
    if (token === undefined) return this.send(req, res, 400, statusBody(400, 'BadRequest', 'invalid continue token'));
    const paths = this.selected(sel);
    const end = limit > 0 ? token.from + limit : paths.length;
    const metadata = { resourceVersion: String(token.rv) };
    if (end < paths.length)
      Object.assign(metadata, { continue: encode({ ...token, from: end }), remainingItemCount: paths.length - end });
    const items = paths.slice(token.from, end).map((p) => this.objects.get(p));
    return this.send(req, res, 200, { ...TYPES[sel.type], metadata, items });
  }

  watch(req, res, sel, query) {
    const rv = query.get('resourceVersion');
    const from = rv === null || rv === '' ? 0 : count(rv);
    if (from === undefined)
      return this.send(req, res, 400, statusBody(400, 'BadRequest', `invalid resourceVersion "${rv}"`));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    this.log(req, 200);
    const w = { sel, res };
    if (from === 0) for (const p of this.selected(sel)) this.write(w, 'ADDED', this.objects.get(p));
    else for (const c of this.changes) if (c.rv > from) this.notify(w, c);
    this.watches.add(w);
    const timeout = count(query.get('timeoutSeconds'));
    const timer = timeout === undefined ? undefined : setTimeout(() => res.end(), timeout * 1000);
    res.on('close', () => {
      clearTimeout(timer);
      this.watches.delete(w);
    });
  }

  notify(w, change) {
    if (this.selects(w.sel, change.path, change.object)) this.write(w, 'MODIFIED', change.object);
  }

  write(w, type, object) {
    if (!w.res.writableEnded) w.res.write(`${JSON.stringify({ type, object })}\n`);
  }
}

/** A Status, as kube-apiserver answers a failure. */
export function statusBody(code, reason, message) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
