import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type KubeTestObject,
  type KubeTestObjectRef,
  type KubeTestResource,
  ObjectStore,
  resourceKey,
} from './kube/object-store';
import { type Json, PatchError } from './kube/patches';
import { apiVersionOf, Pager, parseCollectionRequest } from './kube/collection';
import { type Armed, type KubeTestFault, type KubeTestMatcher, take } from './kube/faults';
import { type KubeconfigOptions, kubeconfigYaml } from './kube/kubeconfig';
import { DEFAULT_RESOURCES, type KubeTestRoute, parseRoute, verbOf } from './kube/routes';
import { conflictStatus, forbiddenStatus, notFoundStatus, statusBody, unauthorizedStatus } from './kube/status';
import { generateTestCerts, type TestCerts } from './kube/test-certs';
import { WatchHub } from './kube/watch-hub';

export type { KubeTestObject, KubeTestObjectRef, KubeTestResource } from './kube/object-store';
export type { KubeTestFault, KubeTestMatcher } from './kube/faults';
export type { KubeconfigOptions } from './kube/kubeconfig';

/**
 * A TEST API server: it is not kube-apiserver, and does not pretend to be one beyond what
 * multus uses. It speaks HTTPS on 127.0.0.1 with a CA made for this run, checks bearer tokens,
 * keeps objects in memory and serves them in the REST shapes @kubernetes/client-node requests
 * (get / list / patch / update / delete; merge, strategic-merge and JSON patches; resourceVersion
 * conflicts; Status bodies), and lists and watches as informers use them (field selectors,
 * limit/continue pages, `?watch=true` event streams from a resourceVersion, 410 Gone when it is
 * too old, bookmarks). Faults are injected per request: any status, delays, hangs, resets, and
 * the whole server can be stopped and restarted on the same port.
 */

export interface KubeTestServerOptions {
  /** The bearer token the server accepts (default: random). */
  readonly token?: string;
  /** The user that token belongs to, as 403 messages name it (default `multus`). */
  readonly user?: string;
  /** Resource types served (default: pods, events, CRDs, TPRs, kubernetes.com networks, NADs, DRA claims, slices). */
  readonly resources?: readonly KubeTestResource[];
}

/** One request as the server saw it; `status` is 0 while unanswered, or for hangs and resets. */
export interface KubeTestRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly contentType: string | undefined;
  status: number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class KubeTestServer {
  /** Every request received, in order; tests assert on it (e.g. that no pod was read). */
  readonly requests: KubeTestRequest[] = [];
  readonly token: string;
  readonly user: string;
  private readonly tokens = new Map<string, string>();
  private readonly watches = new WatchHub();
  private readonly store = new ObjectStore((change) => this.watches.record(change));
  private readonly pager = new Pager();
  private readonly served = new Map<string, KubeTestResource>();
  private readonly faults: Armed<KubeTestFault>[] = [];
  private readonly hooks: Armed<() => void>[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private listening = false;
  private kubeconfigs = 0;
  private rotations = 0;
  private portNumber = 0;

  /** Use startKubeTestServer(). */
  constructor(
    private readonly dir: string,
    /** The CA and certificate served now ({@link rotateCertificate} replaces them). */
    public certs: TestCerts,
    options: KubeTestServerOptions,
  ) {
    this.token = options.token ?? randomBytes(16).toString('hex');
    this.user = options.user ?? 'multus';
    this.tokens.set(this.token, this.user);
    for (const r of options.resources ?? DEFAULT_RESOURCES) this.serve(r);
    this.server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        this.send(res, undefined, 500, statusBody(500, `test server: ${String(err)}`)),
      );
    });
    this.server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** `https://127.0.0.1:<port>`. */
  get url(): string {
    return `https://127.0.0.1:${this.portNumber}`;
  }

  get port(): number {
    return this.portNumber;
  }

  /** Listens on `port` (0: a random one, kept for restart()). */
  async listen(port = this.portNumber): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address !== null && typeof address === 'object') this.portNumber = address.port;
    this.listening = true;
  }

  /** Writes a kubeconfig for this server (CA inline, token user, unless told otherwise) and returns its path. */
  writeKubeconfig(
    path: string = join(this.dir, `kubeconfig-${++this.kubeconfigs}`),
    options: KubeconfigOptions = {},
  ): string {
    const yaml = kubeconfigYaml(
      { server: this.url, caPem: this.certs.caPem, user: this.user, token: this.token },
      options,
    );
    writeFileSync(path, yaml, { mode: 0o600 });
    return path;
  }

  /** Accepts another bearer token, as another user. */
  addToken(token: string, user: string): void {
    this.tokens.set(token, user);
  }

  /** Stops accepting a token (a rotated service-account token): requests with it get 401. */
  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** Serves a new certificate from a new CA (a rotated cluster CA) on new connections; returns the new CA's PEM. */
  async rotateCertificate(): Promise<string> {
    const dir = join(this.dir, `ca-${++this.rotations}`);
    mkdirSync(dir);
    const certs = await generateTestCerts(dir);
    this.server.setSecureContext({ key: certs.keyPem, cert: certs.certPem });
    this.certs = certs;
    // Open connections keep the old certificate: drop them, as a restart with the new one would.
    this.watches.closeAll();
    for (const socket of this.sockets) socket.destroy();
    return certs.caPem;
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return this.watches.open;
  }

  /** Ends every watch stream normally, as kube-apiserver does at its timeout (clients re-watch). */
  closeWatches(): void {
    this.watches.closeAll();
  }

  /**
   * Forgets the event history: a watch from an older resourceVersion gets 410 Gone, and the
   * continue tokens of list pages expire.
   */
  compact(): void {
    this.watches.compact(this.store.currentRevision);
    this.pager.expire();
  }

  /** Sends a BOOKMARK (the current resourceVersion) to every watch that allows them. */
  sendBookmarks(): void {
    this.watches.bookmark(this.store.currentRevision, apiVersionOf);
  }

  serve(resource: KubeTestResource): void {
    this.served.set(resourceKey(resource), resource);
  }

  /** Stops serving a type: its paths answer `404 page not found` (e.g. a CRD that is not installed). */
  unserve(resource: { group: string; version: string; plural: string }): void {
    this.served.delete(resourceKey(resource));
  }

  addPod(pod: {
    namespace: string;
    name: string;
    uid?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    /** The node it is scheduled to (`spec.nodeName`, what a node's informer selects). */
    nodeName?: string;
  }): KubeTestObject {
    const metadata = {
      ...(pod.uid === undefined ? {} : { uid: pod.uid }),
      annotations: { ...(pod.annotations ?? {}) },
      ...(pod.labels === undefined ? {} : { labels: pod.labels }),
    };
    return this.addObject(
      { group: '', version: 'v1', plural: 'pods', namespace: pod.namespace, name: pod.name },
      {
        metadata,
        spec: {
          ...(pod.nodeName === undefined ? {} : { nodeName: pod.nodeName }),
          containers: [{ name: 'main', image: 'busybox' }],
        },
        status: { phase: 'Pending' },
      },
    );
  }

  /** The pod as stored now (a copy), e.g. to read annotations after a patch. */
  pod(namespace: string, name: string): KubeTestObject | undefined {
    return this.store.get({ group: '', version: 'v1', plural: 'pods', namespace, name });
  }

  /** Changes a pod as another writer would (bumps its resourceVersion). */
  updatePod(namespace: string, name: string, change: (pod: KubeTestObject) => void): KubeTestObject | undefined {
    return this.store.mutate({ group: '', version: 'v1', plural: 'pods', namespace, name }, change);
  }

  removePod(namespace: string, name: string): boolean {
    return this.store.remove({ group: '', version: 'v1', plural: 'pods', namespace, name });
  }

  /** Stores an object of a served type; metadata (name, namespace, uid, resourceVersion) is filled in. */
  addObject(ref: KubeTestObjectRef, body: Record<string, unknown>): KubeTestObject {
    const resource = this.served.get(resourceKey(ref));
    if (resource === undefined)
      throw new Error(`kube test server: ${resourceKey(ref)} is not served; call serve() first`);
    if (resource.namespaced !== (ref.namespace !== undefined))
      throw new Error(`kube test server: ${resourceKey(ref)} is ${resource.namespaced ? '' : 'not '}namespaced`);
    return this.store.put(resource, ref, body);
  }

  object(ref: KubeTestObjectRef): KubeTestObject | undefined {
    return this.store.get(ref);
  }

  removeObject(ref: KubeTestObjectRef): boolean {
    return this.store.remove(ref);
  }

  /** Makes the next matching request(s) fail as described. */
  failNext(matcher: KubeTestMatcher, fault: KubeTestFault): void {
    this.faults.push({ matcher, remaining: fault.times ?? 1, value: fault });
  }

  /** Runs `action` when the next matching request arrives, before it is served (e.g. another writer's update). */
  beforeNext(matcher: KubeTestMatcher, action: () => void, times = 1): void {
    this.hooks.push({ matcher, remaining: times, value: action });
  }

  /** Removes armed faults and hooks. */
  clearFaults(): void {
    this.faults.length = 0;
    this.hooks.length = 0;
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Simulates the API server going down: stops listening and drops every open connection. */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    this.watches.closeAll();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port after stop(); objects, faults and the log are kept. */
  async restart(): Promise<void> {
    if (!this.listening) await this.listen(this.portNumber);
  }

  /** Stops the server and removes its temp dir (CA, keys, kubeconfigs written there). */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const entry: KubeTestRequest = {
      method,
      path: url.pathname,
      query: url.search,
      contentType: req.headers['content-type'],
      status: 0,
    };
    this.requests.push(entry);
    const text = await readBody(req);
    take(this.hooks, method, entry.path)?.();
    const fault = take(this.faults, method, entry.path);
    const route = parseRoute(entry.path, this.served);
    if (fault !== undefined && (await this.injectFault(fault, req, res, entry, route))) return;
    const user = this.authenticate(req);
    if (user === undefined) return this.send(res, entry, 401, unauthorizedStatus());
    if (route === undefined) return this.send(res, entry, 404, '404 page not found\n');
    if (route.name === undefined && method === 'POST') return this.create(route, text, res, entry);
    if (route.name === undefined) return this.serveCollection(method, route, url.searchParams, res, entry);
    this.serveRoute(method, route, text, req.headers['content-type'] ?? '', res, entry);
  }

  /**
   * POST on a namespaced collection: creates the object, named by `metadata.name` or by
   * `metadata.generateName` plus a random suffix (events are made so); 409 when the name is taken.
   */
  private create(route: KubeTestRoute, text: string, res: ServerResponse, entry: KubeTestRequest): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.send(res, entry, 400, statusBody(400, 'the request body is not valid JSON'));
    }
    const meta = (body['metadata'] ?? {}) as { name?: unknown; generateName?: unknown };
    const name =
      typeof meta.name === 'string' && meta.name !== ''
        ? meta.name
        : `${typeof meta.generateName === 'string' ? meta.generateName : ''}${randomBytes(4).toString('hex')}`;
    if (route.namespace === undefined) return this.send(res, entry, 405, statusBody(405, 'create needs a namespace'));
    const ref: KubeTestObjectRef = { ...route.resource, namespace: route.namespace, name };
    if (this.store.get(ref) !== undefined) return this.send(res, entry, 409, conflictStatus(route.resource, name));
    this.send(res, entry, 201, this.store.put(route.resource, ref, body));
  }

  /** Every object of a served type in a namespace (all namespaces when undefined), e.g. the events a test caused. */
  objects(resource: { group: string; version: string; plural: string }, namespace?: string): KubeTestObject[] {
    const served = this.served.get(resourceKey(resource));
    return served === undefined ? [] : this.store.list(served, namespace);
  }

  /** A list (one page of it) or a watch stream. */
  private serveCollection(
    method: string,
    route: KubeTestRoute,
    query: URLSearchParams,
    res: ServerResponse,
    entry: KubeTestRequest,
  ): void {
    if (method !== 'GET')
      return this.send(
        res,
        entry,
        405,
        statusBody(405, 'the server does not allow this method on the requested resource'),
      );
    const request = parseCollectionRequest(route, query);
    if ('code' in request) return this.send(res, entry, request.code, request);
    const all = (): KubeTestObject[] => this.store.list(route.resource, route.namespace);
    if (request.kind === 'list') {
      const { status, body } = this.pager.page(request, all(), this.store.currentRevision);
      return this.send(res, entry, status, body);
    }
    entry.status = 200;
    this.watches.start(request.selection, request.options, all, res);
  }

  /** Applies a fault; true when it answered (or deliberately did not). */
  private async injectFault(
    fault: KubeTestFault,
    req: IncomingMessage,
    res: ServerResponse,
    entry: KubeTestRequest,
    route: KubeTestRoute | undefined,
  ): Promise<boolean> {
    if (fault.delayMs !== undefined) await sleep(fault.delayMs);
    if (fault.hang === true) return true;
    if (fault.reset === true) {
      req.socket.destroy();
      return true;
    }
    if (fault.status === undefined) return false;
    this.send(res, entry, fault.status, this.faultBody(fault, entry.method, route));
    return true;
  }

  private faultBody(fault: KubeTestFault, method: string, route: KubeTestRoute | undefined): unknown {
    const { status, message } = fault;
    const code = status ?? 500;
    if (message === undefined && route !== undefined) {
      const name = route.name ?? '';
      if (code === 403)
        return forbiddenStatus(route.resource, this.user, verbOf(method, route), route.namespace, route.name);
      if (code === 404) return notFoundStatus(route.resource, name);
      if (code === 409) return conflictStatus(route.resource, name);
    }
    return statusBody(
      code,
      message ?? (code === 500 ? 'Internal error occurred: injected failure' : 'injected failure'),
    );
  }

  private authenticate(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    return match?.[1] === undefined ? undefined : this.tokens.get(match[1]);
  }

  private serveRoute(
    method: string,
    route: KubeTestRoute,
    text: string,
    contentType: string,
    res: ServerResponse,
    entry: KubeTestRequest,
  ): void {
    const { resource, namespace } = route;
    const name = route.name as string;
    const ref: KubeTestObjectRef = { ...resource, ...(namespace === undefined ? {} : { namespace }), name };
    if (method === 'GET' || method === 'DELETE') {
      const object = this.store.get(ref);
      if (object === undefined) return this.send(res, entry, 404, notFoundStatus(resource, name));
      if (method === 'DELETE') this.store.remove(ref);
      return this.send(res, entry, 200, object);
    }
    if (method !== 'PATCH' && method !== 'PUT')
      return this.send(
        res,
        entry,
        405,
        statusBody(405, `the server does not allow this method on the requested resource`),
      );
    let body: Json;
    try {
      body = JSON.parse(text) as Json;
    } catch {
      return this.send(res, entry, 400, statusBody(400, 'the request body is not valid JSON'));
    }
    try {
      const result =
        method === 'PATCH'
          ? this.store.patch(ref, contentType, body)
          : this.store.replace(ref, body as Record<string, unknown>);
      if (result.ok) return this.send(res, entry, 200, result.object);
      return this.send(
        res,
        entry,
        result.status,
        result.status === 404 ? notFoundStatus(resource, name) : conflictStatus(resource, name),
      );
    } catch (err) {
      if (err instanceof PatchError) return this.send(res, entry, err.status, statusBody(err.status, err.message));
      throw err;
    }
  }

  private send(res: ServerResponse, entry: KubeTestRequest | undefined, status: number, body: unknown): void {
    if (entry !== undefined) entry.status = status;
    if (res.headersSent || res.destroyed) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}

/** Starts a test API server on a random 127.0.0.1 port with a CA generated for it. */
export async function startKubeTestServer(options: KubeTestServerOptions = {}): Promise<KubeTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-test-server-'));
  try {
    const server = new KubeTestServer(dir, await generateTestCerts(dir), options);
    await server.listen(0);
    return server;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
