#!/usr/bin/env node
// A tiny TEST API server for the benchmark, run as its own process so that it answers while
// the bench blocks in spawnSync. Not kube-apiserver: HTTPS on 127.0.0.1 with a CA made for this
// run (openssl CLI), one bearer token, and the REST shapes multus uses (see
// test/support/kube/routes.ts): GET pod, merge-PATCH pod, GET NetworkAttachmentDefinition, and
// list and watch of pods and NADs (kube-lists.mjs: what the daemon's informers ask); any other
// path is a 404 Status. Every request is appended to <dir>/requests.log ("METHOD URL CODE"; a
// watch when it opens, a held list also when it is held: "GET URL held").
//   node kube-server.mjs <dir> <objects.json>   prints {"url","kubeconfig","log","sizes"} once
//   listening; exits when its stdin closes (so it never outlives the bench) or on SIGTERM. The
//   line "release" on stdin answers the lists held since the start (objects.json "holdLists").
// objects.json: {pods: [{namespace, name, uid, annotations}], nads: [{namespace, name, config}]}
// (small objects), and/or "generate": {node, namespaces, pods, nads, type} (kube-objects.mjs).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { Collections, statusBody as status } from './kube-lists.mjs';
import { generateObjects } from './kube-objects.mjs';

const [dir, objectsFile] = process.argv.slice(2);
const file = (name) => join(dir, name);
const token = randomBytes(16).toString('hex');
const log = file('requests.log');

function makeCerts() {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=multus-ts bench CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(
    file('server.ext'),
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  ]);
}

/** Objects by path: `/api/v1/namespaces/<ns>/pods/<name>`, `/apis/k8s.cni.cncf.io/v1/namespaces/<ns>/network-attachment-definitions/<name>`. */
const objects = new Map();
let resourceVersion = 0;
const nextVersion = () => String((resourceVersion += 1));
const { pods = [], nads = [], generate, holdLists } = JSON.parse(readFileSync(objectsFile, 'utf8'));
for (const p of pods) {
  objects.set(`/api/v1/namespaces/${p.namespace}/pods/${p.name}`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: nextVersion(),
      annotations: p.annotations ?? {},
    },
    spec: { containers: [{ name: 'c', image: 'bench' }] },
    status: {},
  });
}
for (const n of nads) {
  objects.set(`/apis/k8s.cni.cncf.io/v1/namespaces/${n.namespace}/network-attachment-definitions/${n.name}`, {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: {
      name: n.name,
      namespace: n.namespace,
      uid: randomBytes(8).toString('hex'),
      resourceVersion: nextVersion(),
    },
    spec: { config: JSON.stringify(n.config) },
  });
}
/** Count and mean JSON size of the generated pods and NADs (reported by the bench). */
const sizes = { pods: 0, podBytes: 0, nads: 0, nadBytes: 0 };
for (const [path, object] of generate ? generateObjects(generate) : []) {
  object.metadata.resourceVersion = nextVersion();
  objects.set(path, object);
  const which = path.startsWith('/api/v1/') ? 'pod' : 'nad';
  sizes[`${which}s`] += 1;
  sizes[`${which}Bytes`] += Buffer.byteLength(JSON.stringify(object));
}
for (const which of ['pod', 'nad'])
  sizes[`${which}Bytes`] = Math.round(sizes[`${which}Bytes`] / (sizes[`${which}s`] || 1));

/** RFC 7386 merge patch. */
function merge(target, patch) {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

const logRequest = (req, what) => appendFileSync(log, `${req.method} ${req.url} ${what}\n`);

function send(req, res, code, body) {
  logRequest(req, code);
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req, res, body) {
  if (req.headers.authorization !== `Bearer ${token}`)
    return send(req, res, 401, status(401, 'Unauthorized', 'Unauthorized'));
  const url = new URL(req.url, 'https://127.0.0.1');
  const path = url.pathname;
  const obj = objects.get(path);
  const collection = obj === undefined && req.method === 'GET' ? lists.match(path) : undefined;
  if (collection !== undefined) return lists.serve(req, res, collection, url.searchParams);
  if (obj === undefined) return send(req, res, 404, status(404, 'NotFound', `${path} not found`));
  if (req.method === 'GET') return send(req, res, 200, obj);
  if (
    req.method === 'PATCH' &&
    path.startsWith('/api/v1/') &&
    (req.headers['content-type'] ?? '').startsWith('application/merge-patch+json')
  ) {
    let patch;
    try {
      patch = JSON.parse(body);
    } catch {
      return send(req, res, 400, status(400, 'BadRequest', 'patch is not JSON'));
    }
    const wanted = patch?.metadata?.resourceVersion;
    if (wanted !== undefined && wanted !== obj.metadata.resourceVersion) {
      return send(
        req,
        res,
        409,
        status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on pods "${obj.metadata.name}": the object has been modified`,
        ),
      );
    }
    const next = merge(obj, patch);
    next.metadata.resourceVersion = nextVersion();
    objects.set(path, next);
    lists.changed(path, next);
    return send(req, res, 200, next);
  }
  return send(
    req,
    res,
    405,
    status(405, 'MethodNotAllowed', `${req.method} ${path} is not served by the bench server`),
  );
}

const lists = new Collections({
  objects,
  revision: () => resourceVersion,
  send,
  log: logRequest,
  hold: holdLists,
});

makeCerts();
const server = createServer(
  { key: readFileSync(file('server.key')), cert: readFileSync(file('server.crt')) },
  (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  },
);
server.listen(0, '127.0.0.1', () => {
  const url = `https://127.0.0.1:${server.address().port}`;
  const q = JSON.stringify;
  const kubeconfig = file('kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: bench',
      '  cluster:',
      `    server: ${q(url)}`,
      `    certificate-authority-data: ${q(readFileSync(file('ca.crt')).toString('base64'))}`,
      'users:',
      '- name: multus',
      '  user:',
      `    token: ${q(token)}`,
      'contexts:',
      '- name: bench',
      '  context:',
      '    cluster: bench',
      '    user: multus',
      'current-context: bench',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  writeFileSync(log, '');
  process.stdout.write(`${JSON.stringify({ url, kubeconfig, log, sizes })}\n`);
});
const stop = () => {
  server.close();
  process.exit(0);
};
process.stdin
  .on('data', (c) => String(c).includes('release') && lists.release())
  .on('end', stop)
  .on('error', stop)
  .resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
