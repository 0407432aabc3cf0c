#!/usr/bin/env node
// Writes the examples of docs/errors.md and docs/cli.md from real runs of the compiled binary,
// never by hand, so they cannot drift from it. In those pages each generated example follows a
// marker comment naming the example of this script:
//
//   <!-- example: NAME -->            then a fenced block: the block's content is replaced
//   <!-- example: NAME -->`...`       an inline code span (in a table cell): the span is replaced
//
// CNI-mode examples run the binary as a runtime does (CNI_* env, the config on stdin) and show the
// error's msg (inline) or stdout (block); the error code must be the one the example expects.
// Human-mode examples run `multus validate|explain ...` in a temp dir and show a shell session.
// The temp dir, its fixtures (configs, small shell-script plugins, a vendor adapter module), a test
// Kubernetes API server (HTTPS on 127.0.0.1, certificate made by openssl) and a kubelet
// pod-resources socket are made by this script and removed at exit, even on failure. Output is
// normalised so it is stable: the temp dir is shown as /tmp, an empty plugin dir as /opt/cni/bin,
// the test API server as https://10.96.0.1:443.
//
//   node scripts/docs-examples.mjs [--bin PATH]           rewrite the pages (default dist/multus)
//   node scripts/docs-examples.mjs --check [--bin PATH]   exit 1 with a diff when a page differs
//
// Run as root: the bridge example makes (and removes) a host bridge. No network namespace is made:
// the other ADDs run the docs' stand-in plugins, which create nothing.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import {
  existsSync,
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PAGES = ['docs/errors.md', 'docs/cli.md'];
const REFERENCE_PLUGINS = '/usr/lib/cni';
const SHOWN_API = 'https://10.96.0.1:443';
const PATH_ENV = '/usr/sbin:/usr/bin:/sbin:/bin';
/** Examples run at once (several wait for a timeout). */
const PARALLEL = 6;
let runCount = 0;

// ---------------------------------------------------------------------------------------------
// Fixtures: the files the examples read. `@T@` is the temp dir (shown as /tmp).

/** The stand-in plugins of errors.md, as small shell scripts in `<T>/docs-multus/bin`. */
const ALL_VERSIONS = '"0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"';
function plugin({ versions = ALL_VERSIONS, add = 'result', del = 'true' } = {}) {
  return `#!/bin/sh
in=$(cat)
v=$(printf '%s' "$in" | sed -n 's/.*"cniVersion":"\\([^"]*\\)".*/\\1/p')
ips='"ips":[{"address":"10.250.0.2/24","interface":0}]'
result() { printf '{"cniVersion":"%s","interfaces":[{"name":"%s"}],%s}' "$v" "$CNI_IFNAME" "$ips"; }
case "$CNI_COMMAND" in
VERSION) printf '{"cniVersion":"1.0.0","supportedVersions":[${versions}]}' ;;
ADD) ${add} ;;
DEL) ${del} ;;
*) true ;;
esac
`;
}
const BUSY = `printf '{"cniVersion":"%s","code":11,"msg":"device busy, try again"}' "$v"; exit 1`;
const DOCS_PLUGINS = {
  docsok: plugin(),
  docsfail: plugin({ del: BUSY }),
  docsjunk: plugin({ add: 'echo hello' }),
  docsbadip: plugin({
    add: `printf '{"cniVersion":"%s","ips":[{"address":"10.1.2.300/24"}]}' "$v"`,
  }),
  docsstderr: plugin({ add: 'echo "something went wrong" >&2; exit 3' }),
  docsnoip: plugin({ add: `printf '{"cniVersion":"%s","interfaces":[{"name":"%s"}]}' "$v" "$CNI_IFNAME"` }),
  // Says when its ADD has started (a file beside it, named for the container), then hangs.
  docsslow: plugin({ add: 'touch "$(dirname "$0")/started-$CNI_CONTAINERID"; exec sleep 30' }),
  docsnew: plugin({ versions: '"1.1.0"' }),
};

/** A vendor adapter module (CommonJS, as shipped for adapterDirs) that names itself "bridge". */
const ACME_ADAPTER = `'use strict';
module.exports = {
  name: 'acme',
  adapters: [
    () => {
      const none = async () => undefined;
      const supports = (conf) => conf.type === 'acme-bridge';
      const methods = { prepare: (c) => c, add: none, del: none, check: none, gc: none, status: none };
      return { name: 'bridge', priority: 10, supports, ...methods };
    },
  ],
};
`;

/** docs/cli.md: the seed's three delegates (shown as written here). */
const SEED_CONF = `{
  "name": "seed-net",
  "type": "multus",
  "cniVersion": "0.4.0",
  "delegates": [
    { "name": "pod-net", "type": "bridge", "bridge": "mbr0", "isGateway": true, "masterplugin": true,
      "ipam": { "type": "host-local", "subnet": "10.1.0.0/24" } },
    { "type": "ptp",
      "ipam": { "type": "host-local", "subnet": "10.1.1.0/24", "gateway": "10.1.1.1" } },
    { "type": "bridge", "bridge": "mbr1",
      "ipam": { "type": "host-local", "subnet": "10.1.2.0/24", "rangeStart": "10.1.2.10", "rangeEnd": "10.1.2.20" } }
  ]
}
`;

/** seed.conf with five mistakes: relative logFile, mtu 20, subnet without prefix, misspelt type, vlan 5000. */
const BAD_CONF = `{
  "name": "seed-net",
  "type": "multus",
  "cniVersion": "0.4.0",
  "logFile": "var/log/multus.log",
  "delegates": [
    { "name": "pod-net", "type": "bridge", "bridge": "mbr0", "isGateway": true, "masterplugin": true, "mtu": 20,
      "ipam": { "type": "host-local", "subnet": "10.1.0" } },
    { "type": "ptp-typo",
      "ipam": { "type": "host-local", "subnet": "10.1.1.0/24", "gateway": "10.1.1.1" } },
    { "type": "bridge", "bridge": "mbr1", "vlan": 5000,
      "ipam": { "type": "host-local", "subnet": "10.1.2.0/24", "rangeStart": "10.1.2.10", "rangeEnd": "10.1.2.20" } }
  ]
}
`;

/** The kubeconfig `multus install` writes, in the node example (shown where install puts it). */
const KUBECONFIG = 'net.d/multus.d/multus.kubeconfig';

/** docs/cli.md: the conflist `multus install` writes. */
const MULTUS_CONFLIST = `{
  "cniVersion": "1.0.0",
  "name": "multus-cni-network",
  "plugins": [
    {
      "type": "multus",
      "capabilities": { "portMappings": true, "io.kubernetes.cri.pod-annotations": true },
      "kubeconfig": "@T@/node-example/net.d/multus.d/multus.kubeconfig",
      "clusterNetwork": "@T@/node-example/net.d/10-cluster-net.conflist"
    }
  ]
}
`;

/** docs/cli.md: a multus config with Go Multus's auxiliary CNI chain beside its clusterNetwork file. */
const AUX_CONF = `{
  "name": "multus-cni-network",
  "type": "multus",
  "cniVersion": "1.0.0",
  "kubeconfig": "@T@/node-example/net.d/multus.d/multus.kubeconfig",
  "clusterNetwork": "@T@/node-example/net.d/10-cluster-net.conflist",
  "auxiliaryCNIChainName": "vendor-cni-chain"
}
`;

/** The chain's one file: tuning, setting a sysctl on the pod's eth0. */
const AUX_TUNING = `{ "type": "tuning", "sysctl": { "net.ipv4.conf.eth0.arp_ignore": "1" } }
`;

function writeFixtures(t) {
  const errors = join(t, 'docs-multus');
  const cli = join(t, 'node-example');
  const bin = join(errors, 'bin');
  mkdirSync(bin, { recursive: true, mode: 0o755 });
  for (const [name, text] of Object.entries(DOCS_PLUGINS)) writeFileSync(join(bin, name), text, { mode: 0o755 });
  const open = join(errors, 'open-bin');
  mkdirSync(open);
  writeFileSync(join(open, 'bridge'), plugin(), { mode: 0o755 });
  chmodSync(open, 0o777);
  const adapters = join(errors, 'adapters');
  mkdirSync(adapters, { mode: 0o755 });
  writeFileSync(join(adapters, 'acme.cjs'), ACME_ADAPTER, { mode: 0o644 });
  mkdirSync(join(t, 'opt', 'cni', 'bin'), { recursive: true, mode: 0o755 });
  mkdirSync(join(cli, 'net.d'), { recursive: true });
  writeFileSync(join(cli, 'seed.conf'), SEED_CONF);
  writeFileSync(join(cli, 'bad.conf'), BAD_CONF);
  writeFileSync(join(cli, 'net.d', '00-multus.conflist'), MULTUS_CONFLIST.replaceAll('@T@', t));
  mkdirSync(join(cli, 'net.d', 'multus.d'));
  writeFileSync(join(cli, KUBECONFIG), kubeconfigText('https://10.96.0.1:443', Buffer.from('not contacted')));
  writeFileSync(
    join(cli, 'net.d', '10-cluster-net.conflist'),
    readFileSync(join(root, 'examples', 'conf-dir', 'cluster-net.conflist')),
  );
  writeFileSync(join(cli, 'aux-multus.conf'), AUX_CONF.replaceAll('@T@', t));
  mkdirSync(join(cli, 'net.d', 'vendor-cni-chain'));
  writeFileSync(join(cli, 'net.d', 'vendor-cni-chain', '10-tuning.conf'), AUX_TUNING);
  return { errors, cli, bin };
}

// ---------------------------------------------------------------------------------------------
// Running the binary.

/** Runs the binary; stdout and stderr go to one file, so a shell session shows them in order. */
function runBinary(ctx, { args = [], env = {}, stdin = '', cwd, merge = false, signalWhen }) {
  return new Promise((resolve, reject) => {
    const outFile = join(ctx.t, `out-${(runCount += 1)}`);
    const errFile = `${outFile}.err`;
    const out = openSync(outFile, 'w');
    const err = merge ? out : openSync(errFile, 'w');
    const child = spawn(ctx.bin, args, {
      cwd: cwd ?? ctx.t,
      env: { PATH: PATH_ENV, ...env },
      stdio: ['pipe', out, err],
    });
    closeSync(out);
    if (!merge) closeSync(err);
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
    // SIGTERM once the file `signalWhen` exists (a delegate's ADD has started): no race with a clock.
    const timer =
      signalWhen === undefined
        ? undefined
        : setInterval(() => {
            if (existsSync(signalWhen)) {
              clearInterval(timer);
              child.kill('SIGTERM');
            }
          }, 50);
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(timer);
      resolve({
        status,
        stdout: readFileSync(outFile, 'utf8'),
        stderr: merge ? '' : readFileSync(errFile, 'utf8'),
      });
    });
  });
}

/** The env a runtime gives multus. */
function cniEnv(command, { containerId, ifname = 'eth0', netns = '/var/run/netns/cni-1234', args, path }) {
  const env = { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_IFNAME: ifname, CNI_PATH: path };
  if (netns !== null) env.CNI_NETNS = netns;
  if (args !== undefined) env.CNI_ARGS = args;
  return env;
}

/**
 * A CNI-mode example: the binary run as a runtime does; it must fail with `code`. `config` is a
 * function of the example context (fixture dirs, the API server's kubeconfig), or stdin text.
 */
function cni(code, command, config, options = {}) {
  return {
    kind: 'cni',
    async run(ctx, name) {
      const stdin = typeof config === 'string' ? config : JSON.stringify(await config(ctx));
      const path = `${ctx.dirs.bin}:${REFERENCE_PLUGINS}`;
      const env = { ...cniEnv(command, { path, containerId: name, ...options }), ...options.env };
      for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
      const signalWhen = options.signalWhenStarted ? join(ctx.dirs.bin, `started-${name}`) : undefined;
      const run = await runBinary(ctx, { env, stdin, signalWhen });
      let error;
      try {
        error = JSON.parse(run.stdout);
      } catch {
        throw new Error(`stdout is not one JSON error: ${run.stdout}\n${run.stderr}`);
      }
      if (run.status !== 1 || error.code !== code)
        throw new Error(`expected exit 1 with code ${code}, got exit ${run.status}: ${run.stdout}`);
      const block = options.pretty === true ? JSON.stringify(error, undefined, 2) : run.stdout.trimEnd();
      return { msg: error.msg, block };
    },
  };
}

/** A human-mode example: a shell session of `multus ARGS` lines, in `<T>/node-example`. */
function session(...commands) {
  return {
    kind: 'session',
    async run(ctx) {
      const lines = [];
      for (const c of commands) {
        const args = c.run.map((a) => a.replaceAll('@OPT@', join(ctx.t, 'opt', 'cni', 'bin')));
        const run = await runBinary(ctx, { args, cwd: ctx.dirs.cli, merge: true });
        const status = run.status;
        if (c.status !== undefined && status !== c.status)
          throw new Error(`multus ${c.shown.join(' ')}: expected exit ${c.status}, got ${status}:\n${run.stdout}`);
        const output = run.stdout.replace(/\n$/u, '');
        const shown = c.shown.map((a) => shellQuote(a.replaceAll('@OPT@', '/opt/cni/bin')));
        if (c.hideCommand !== true) lines.push(`$ multus ${shown.join(' ')}`);
        lines.push(c.excerpt ? c.excerpt(output) : output);
        if (c.showStatus) lines.push('$ echo $?', String(status));
      }
      return { block: lines.join('\n') };
    },
  };
}

/** A command of a session: `shown` is what the page shows; the run adds `--cni-path` for the node's layout. */
function multus(shown, more = {}) {
  const needsPath = ['validate', 'explain'].includes(shown[0]) && !shown.includes('--help');
  const run = needsPath && !shown.includes('--cni-path') ? [...shown, '--cni-path', '@OPT@:/usr/lib/cni'] : shown;
  return { shown, run, ...more };
}

function shellQuote(arg) {
  return /^[\w@%+=:,./-]+$/u.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A fixture shown on a page as written. */
function fixture(text) {
  return { kind: 'fixture', run: async () => ({ block: text.replace(/\n$/u, '') }) };
}

// ---------------------------------------------------------------------------------------------
// A test Kubernetes API server: only what the examples need. Pods and networks are objects in
// memory; `faults` answer a matching request with a status instead.

function makeCert(t) {
  const key = join(t, 'api.key');
  const cert = join(t, 'api.crt');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

function status(code, reason, message) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code };
}

async function startApi(ctx, { pods = {}, nads = {}, faults = [] }) {
  const server = createServer({ key: ctx.certs.key, cert: ctx.certs.cert }, (req, res) => {
    const url = new URL(req.url, 'https://x');
    const send = (code, body) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      const fault = faults.find((f) => f.methods.includes(req.method) && url.pathname.startsWith(f.path));
      if (fault !== undefined) return send(fault.code, status(fault.code, fault.reason, fault.message));
      let m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/u.exec(url.pathname);
      if (m !== null) {
        const pod = pods[`${m[1]}/${m[2]}`];
        if (pod === undefined) return send(404, status(404, 'NotFound', `pods "${m[2]}" not found`));
        const metadata = {
          namespace: m[1],
          name: m[2],
          uid: pod.uid,
          resourceVersion: '1',
          annotations: pod.annotations,
        };
        return send(200, { apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [{ name: 'c' }] } });
      }
      m = /^\/apis\/k8s\.cni\.cncf\.io\/v1\/namespaces\/([^/]+)\/network-attachment-definitions\/([^/]+)$/u.exec(
        url.pathname,
      );
      const nad = m === null ? undefined : nads[`${m[1]}/${m[2]}`];
      if (nad !== undefined) {
        const metadata = { namespace: m[1], name: m[2], uid: `uid-${m[2]}`, resourceVersion: '1', ...nad.metadata };
        return send(200, {
          apiVersion: 'k8s.cni.cncf.io/v1',
          kind: 'NetworkAttachmentDefinition',
          metadata,
          spec: { config: nad.config },
        });
      }
      return send(404, status(404, 'NotFound', `${url.pathname} not found`));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  ctx.replacements.push([`https://127.0.0.1:${port}`, SHOWN_API]);
  const kubeconfig = join(ctx.t, `kubeconfig-${port}`);
  writeFileSync(kubeconfig, kubeconfigText(`https://127.0.0.1:${port}`, ctx.certs.cert));
  ctx.closers.push(() => new Promise((resolve) => server.close(resolve)));
  server.closeAllConnections?.();
  return kubeconfig;
}

function kubeconfigText(server, ca) {
  const cluster = { server, 'certificate-authority-data': ca.toString('base64') };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster }],
    users: [{ name: 'multus', user: { token: 'docs-token' } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: 'multus' } }],
    'current-context': 'local',
  });
}

/** A multus config whose networks come from the test API server. */
function kubeConf(api, more = {}) {
  return async (ctx) => ({
    cniVersion: '0.4.0',
    name: 'multus-cni-network',
    type: 'multus',
    kubeconfig: await startApi(ctx, api),
    cniDir: join(ctx.dirs.errors, 'cache'),
    delegates: [{ name: 'pods', type: 'docsok' }],
    ...more,
  });
}

const POD_ARGS = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1';
const POD_PATH = '/api/v1/namespaces/ns1/pods/pod1';
const NAD_PATH = '/apis/k8s.cni.cncf.io/v1/namespaces/ns1/network-attachment-definitions';
const CONFLICT =
  'Operation cannot be fulfilled on pods "pod1": the object has been modified; please apply your changes to the ' +
  'latest version and try again';
const FORBIDDEN =
  'network-attachment-definitions.k8s.cni.cncf.io "macvlan-conf" is forbidden: User ' +
  '"system:serviceaccount:kube-system:multus" cannot get resource "network-attachment-definitions" in API group ' +
  '"k8s.cni.cncf.io" in the namespace "ns1"';
const SRIOV = 'intel.com/sriov_netdevice';

/**
 * A pod with two attachments of a NetworkAttachmentDefinition naming a device resource, and a
 * kubelet pod-resources socket that answers List with one device of it ('answer'), never answers
 * ('hang') or does not serve the API ('unimplemented').
 */
function deviceConf(mode) {
  return async (ctx) => {
    const socket = await startKubelet(ctx, mode);
    const config = JSON.stringify({ cniVersion: '0.4.0', name: 'sriov-net', type: 'docsok' });
    const make = kubeConf(
      {
        pods: { 'ns1/pod1': { uid: 'u1', annotations: { [NETWORKS]: 'mon-net,sriov-net,sriov-net' } } },
        nads: {
          'ns1/mon-net': { config: JSON.stringify({ cniVersion: '0.4.0', name: 'mon-net', type: 'docsok' }) },
          'ns1/sriov-net': { config, metadata: { annotations: { 'k8s.v1.cni.cncf.io/resourceName': SRIOV } } },
        },
      },
      { podResourcesSocket: socket },
    );
    return make(ctx);
  };
}

/** A kubelet pod-resources API on a unix socket, from the same .proto text the binary embeds. */
async function startKubelet(ctx, mode) {
  const grpc = await import('@grpc/grpc-js');
  const loader = await import('@grpc/proto-loader');
  const source = readFileSync(join(root, 'src', 'sources', 'kube', 'pod-resources-proto.ts'), 'utf8');
  const proto = join(ctx.t, 'pod-resources.proto');
  writeFileSync(proto, /POD_RESOURCES_PROTO = `([^`]*)`/u.exec(source)[1]);
  const definition = grpc.loadPackageDefinition(loader.loadSync(proto, { keepCase: true }));
  const server = new grpc.Server();
  const pod = { name: 'pod1', namespace: 'ns1', containers: [{ name: 'c', devices: [] }] };
  pod.containers[0].devices.push({ resource_name: SRIOV, device_ids: ['0000:af:06.2'] });
  if (mode !== 'unimplemented') {
    server.addService(definition.v1.PodResourcesLister.service, {
      List: (call, callback) => (mode === 'hang' ? undefined : callback(null, { pod_resources: [pod] })),
    });
  }
  const socket = join(ctx.t, `kubelet-${mode}.sock`);
  ctx.replacements.push([socket, '/var/lib/kubelet/pod-resources/kubelet.sock']);
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  ctx.closers.push(() => server.forceShutdown());
  return socket;
}
const NETWORKS = 'k8s.v1.cni.cncf.io/networks';

// ---------------------------------------------------------------------------------------------
// The examples, by the name their marker gives.

/** A multus config over delegates, in the docs dir; `more` adds keys. */
function conf(delegates, more = {}) {
  return (ctx) => ({
    cniVersion: '0.4.0',
    name: 'n',
    type: 'multus',
    cniDir: join(ctx.dirs.errors, 'cache'),
    delegates,
    ...more,
  });
}
const ok = (more = {}) => ({ type: 'docsok', ...more });

const EXAMPLES = {
  // errors.md, code 1
  'err-version-explicit': cni(
    1,
    'ADD',
    conf([ok(), { type: 'ptp', cniVersion: '1.1.0', ipam: { type: 'host-local', subnet: '10.250.1.0/24' } }], {
      name: 'p2p',
    }),
  ),
  'err-version-none': cni(1, 'ADD', conf([ok(), { type: 'docsnew' }], { name: 'p2p', cniVersion: '1.0.0' })),
  'err-version-config': cni(1, 'ADD', conf([ok()], { cniVersion: '0.9.0' })),
  'err-version-check': cni(1, 'CHECK', conf([ok()], { cniVersion: '0.3.1' })),
  'err-version-noip': cni(1, 'ADD', conf([{ type: 'docsnoip', cniVersion: '0.4.0' }], { cniVersion: '0.2.0' })),
  // code 2
  'err-thick': cni(2, 'ADD', conf([ok()], { socketDir: '/run/multus' })),
  // code 3
  'err-check-unknown': cni(3, 'CHECK', conf([ok()]), { containerId: 'abc' }),
  'err-pod-replaced': cni(
    3,
    'ADD',
    kubeConf({ pods: { 'ns1/pod1': { uid: '5f0c2d4e-0000-4000-8000-000000000001' } } }),
    { args: `${POD_ARGS};K8S_POD_UID=9a1d7c3b-0000-4000-8000-000000000002` },
  ),
  // code 4
  'err-env-netns': cni(4, 'ADD', conf([ok()]), { netns: null }),
  'err-env-command': cni(4, 'FOO', conf([ok()])),
  'err-env-ifname': cni(4, 'ADD', conf([ok()]), { ifname: 'averyveryverylongname' }),
  'err-env-args-pair': cni(4, 'ADD', conf([ok()]), { args: 'FOO' }),
  'err-env-args-unknown': cni(4, 'ADD', conf([ok()]), { args: 'FOO=1' }),
  'err-env-args-k8s': cni(4, 'ADD', kubeConf({}), { args: 'IgnoreUnknown=1;K8S_POD_NAME=pod1' }),
  // multus's own /proc/self is its own namespace: the host's, wherever /proc/1 may not be read.
  'err-env-host-netns': cni(4, 'ADD', conf([ok()]), { netns: '/proc/self/ns/net' }),
  // code 5
  'err-cache-write': cni(5, 'ADD', (ctx) => ({ ...conf([ok()])(ctx), cniDir: '/proc/docs' })),
  'err-cache-garbage': cni(
    5,
    'CHECK',
    (ctx) => {
      const cache = join(ctx.dirs.errors, 'garbage-cache');
      mkdirSync(cache, { recursive: true });
      writeFileSync(join(cache, 'abc-eth0.json'), '{"hello": "world"}');
      return { ...conf([ok()])(ctx), cniDir: cache };
    },
    { containerId: 'abc' },
  ),
  // code 6
  'err-decode-json': cni(6, 'ADD', '{"'),
  'err-decode-object': cni(6, 'ADD', '[1]'),
  // code 7
  'err-config-empty': cni(7, 'ADD', conf([])),
  'err-config-masters': cni(7, 'ADD', conf([ok({ masterplugin: true }), ok({ masterplugin: true })])),
  'err-config-sriov': cni(7, 'ADD', conf([{ type: 'sriov', deviceID: '03:02.3' }])),
  'err-config-type-path': cni(7, 'ADD', conf([{ type: '../bin/sh' }], { name: 'multus-cni-network' })),
  'err-config-annotation': cni(
    7,
    'ADD',
    kubeConf({ pods: { 'ns1/pod1': { uid: 'u1', annotations: { [NETWORKS]: 'x,a/b/c' } } } }),
    { args: POD_ARGS },
  ),
  'err-config-isolation': cni(
    7,
    'ADD',
    kubeConf(
      { pods: { 'ns1/pod1': { uid: 'u1', annotations: { [NETWORKS]: 'other/x' } } } },
      { namespaceIsolation: true },
    ),
    { args: POD_ARGS },
  ),
  'err-config-empty-nad': cni(
    7,
    'ADD',
    kubeConf({
      pods: { 'ns1/pod1': { uid: 'u1', annotations: { [NETWORKS]: 'disk-net' } } },
      nads: { 'ns1/disk-net': { config: '' } },
    }),
    { args: POD_ARGS },
  ),
  'err-config-http': cni(
    7,
    'ADD',
    (ctx) => {
      const kubeconfig = join(ctx.dirs.errors, 'node.kubeconfig');
      writeFileSync(
        kubeconfig,
        kubeconfigText('http://10.96.0.1:8080', Buffer.from('')).replace(/,"certificate-authority-data":""/u, ''),
      );
      return { ...conf([ok()])(ctx), kubeconfig };
    },
    { args: POD_ARGS },
  ),
  // code 11
  'err-api-unreachable': cni(
    11,
    'ADD',
    async (ctx) => {
      const closed = createNetServer();
      await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address();
      await new Promise((resolve) => closed.close(resolve));
      ctx.replacements.push([`https://127.0.0.1:${port}`, SHOWN_API]);
      const kubeconfig = join(ctx.t, 'kubeconfig-closed');
      writeFileSync(kubeconfig, kubeconfigText(`https://127.0.0.1:${port}`, ctx.certs.cert));
      return { ...conf([ok()])(ctx), kubeconfig };
    },
    { args: POD_ARGS },
  ),
  'err-del-busy': cni(
    11,
    'DEL',
    async (ctx) => {
      const config = conf([{ type: 'docsfail' }])(ctx);
      await added(ctx, config, 'busy');
      return config;
    },
    { containerId: 'busy' },
  ),
  'err-api-conflict': cni(
    11,
    'ADD',
    kubeConf(
      {
        pods: { 'ns1/pod1': { uid: 'u1' } },
        faults: [{ methods: ['PATCH', 'PUT'], path: POD_PATH, code: 409, reason: 'Conflict', message: CONFLICT }],
      },
      { strictNetworkStatus: true },
    ),
    { args: POD_ARGS },
  ),
  'err-kubelet-hang': cni(11, 'ADD', deviceConf('hang'), { args: POD_ARGS }),
  // code 104, 105
  'err-api-401': cni(
    104,
    'ADD',
    kubeConf({
      faults: [{ methods: ['GET'], path: POD_PATH, code: 401, reason: 'Unauthorized', message: 'Unauthorized' }],
    }),
    { args: POD_ARGS },
  ),
  'err-api-403': cni(
    104,
    'ADD',
    kubeConf({
      pods: { 'ns1/pod1': { uid: 'u1', annotations: { [NETWORKS]: 'macvlan-conf' } } },
      faults: [
        { methods: ['GET'], path: `${NAD_PATH}/macvlan-conf`, code: 403, reason: 'Forbidden', message: FORBIDDEN },
      ],
    }),
    { args: POD_ARGS },
  ),
  'err-pod-not-found': cni(105, 'ADD', kubeConf({}), { args: POD_ARGS }),
  'err-network-not-found': cni(
    105,
    'ADD',
    kubeConf({ pods: { 'ns1/pod1': { uid: 'u1', annotations: { [NETWORKS]: 'nope' } } } }),
    { args: POD_ARGS },
  ),
  // code 999
  'err-api-400': cni(
    999,
    'ADD',
    kubeConf({ faults: [{ methods: ['GET'], path: POD_PATH, code: 400, reason: 'BadRequest', message: '…' }] }),
    { args: POD_ARGS },
  ),
  'err-kubelet-unimplemented': cni(999, 'ADD', deviceConf('unimplemented'), { args: POD_ARGS }),
  // code 7, devices
  'err-config-devices': cni(7, 'ADD', deviceConf('answer'), { args: POD_ARGS }),
  // code 50
  'err-not-ready': cni(
    50,
    'STATUS',
    conf([ok()], { cniVersion: '1.1.0', readinessindicatorfile: '/run/flannel/subnet.env' }),
  ),
  // code 999
  'err-bridge-netns': {
    // The bridge plugin makes its bridge on the host before it opens the netns: remove it after.
    async run(ctx, name) {
      const bridge = `docs${process.pid % 1000000}`;
      ctx.closers.push(() => spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' }));
      const ipam = { type: 'host-local', subnet: '10.250.9.0/24', dataDir: join(ctx.t, 'ipam') };
      const example = cni(999, 'ADD', conf([{ type: 'bridge', bridge, ipam }]), { netns: '/x', ifname: 'net0' });
      return example.run(ctx, name);
    },
  },
  // code 100..108
  'err-delegate-stderr': cni(100, 'ADD', conf([ok(), { type: 'docsstderr' }]), { containerId: 'stderr' }),
  'err-not-found': cni(101, 'ADD', conf([{ type: 'nosuch' }], { name: 'multus-cni-network' }), {
    path: REFERENCE_PLUGINS,
  }),
  'err-junk': cni(102, 'ADD', conf([{ type: 'docsjunk' }]), { containerId: 'junk' }),
  'err-bad-ip': cni(102, 'ADD', conf([{ type: 'docsbadip' }]), { containerId: 'badip' }),
  'err-del-two': cni(
    103,
    'DEL',
    async (ctx) => {
      const config = conf([{ type: 'docsfail' }, { type: 'docsfail' }])(ctx);
      await added(ctx, config, 'busy2');
      return config;
    },
    { containerId: 'busy2' },
  ),
  'err-timeout': cni(106, 'ADD', conf([{ type: 'docsslow' }], { delegateTimeoutSeconds: 1 }), {
    containerId: 'slow',
  }),
  'err-insecure': cni(107, 'ADD', (ctx) => ({
    ...conf([{ type: 'bridge' }])(ctx),
    name: 'pods',
    binDir: join(ctx.dirs.errors, 'open-bin'),
  })),
  'err-adapter-twice': cni(108, 'ADD', (ctx) => ({
    ...conf([ok()])(ctx),
    adapterDirs: [join(ctx.dirs.errors, 'adapters')],
  })),
  // errors.md blocks
  'err-rollback': cni(100, 'ADD', conf([{ type: 'docsfail' }, { type: 'docsfail' }, { type: 'docsstderr' }]), {
    pretty: true,
  }),
  'err-sigterm': cni(11, 'ADD', conf([{ type: 'docsslow' }]), { signalWhenStarted: true }),
  'err-config-problems': cni(7, 'ADD', conf([{ type: 'ptp', mtu: 1.5, ipam: { type: 'host-local' } }])),
  // cli.md
  'cli-validate-usage': session(multus(['validate', '--help'], { status: 0, hideCommand: true, excerpt: usage })),
  'cli-explain-usage': session(multus(['explain', '--help'], { status: 0, hideCommand: true, excerpt: usage })),
  'cli-seed-conf': fixture(SEED_CONF),
  'cli-multus-conflist': fixture(
    MULTUS_CONFLIST.replaceAll('@T@/node-example/net.d/multus.d', '/etc/cni/net.d/multus.d').replaceAll('@T@', '/tmp'),
  ),
  'cli-validate-seed': session(multus(['validate', 'seed.conf'], { status: 0, showStatus: true })),
  'cli-validate-bad': session(multus(['validate', 'bad.conf'], { status: 1, showStatus: true })),
  'cli-validate-bad-json': session(multus(['validate', 'bad.conf', '--json'], { status: 1 })),
  'cli-validate-opt': session(multus(['validate', 'seed.conf', '--cni-path', '@OPT@'], { status: 1 })),
  'cli-validate-conflist': session(multus(['validate', 'net.d/00-multus.conflist'], { status: 0 })),
  'cli-explain-seed': session(multus(['explain', 'seed.conf', '--pod', 'web'], { status: 0 })),
  'cli-explain-opt': session(
    multus(['explain', 'seed.conf', '--cni-path', '@OPT@'], { status: 0, excerpt: firstPluginLines }),
  ),
  'cli-explain-runtime-config': session(
    multus(
      ['explain', 'net.d/00-multus.conflist', '--pod', 'ns1/web', '--runtime-config'].concat([
        '{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}',
      ]),
      { status: 0 },
    ),
  ),
  'cli-explain-annotations': session(
    multus(
      ['explain', 'net.d/00-multus.conflist', '--pod', 'ns1/web', '--pod-annotation'].concat([
        `${NETWORKS}=[{"name":"macvlan-conf","interface":"net5","ips":["10.10.1.5/24"]},` +
          '{"name":"mon-net","namespace":"shared"}]',
      ]),
      { status: 0, showStatus: true },
    ),
  ),
  'cli-explain-malformed': session(
    multus(
      [
        'explain',
        'net.d/00-multus.conflist',
        '--pod',
        'ns1/web',
        '--pod-annotation',
        `${NETWORKS}=[{"name":"shared/mon-net"}]`,
      ],
      { status: 1, showStatus: true },
    ),
  ),
  'cli-explain-aux-chain': session(
    multus(['explain', 'aux-multus.conf', '--pod', 'ns1/web'], { status: 0, excerpt: auxiliaryChainLines }),
  ),
  'cli-explain-json-excerpt': session(
    multus(['explain', 'seed.conf', '--json'], {
      status: 0,
      hideCommand: true,
      excerpt: (out) => JSON.stringify(JSON.parse(out).attachments[1], undefined, 2),
    }),
  ),
};

/** The usage lines at the top of a command's --help. */
function usage(out) {
  return out.slice(0, out.indexOf('\n\n'));
}

/** explain's first plugin block, from its `plugin:` line to its `ipam:` line, after `...`. */
function firstPluginLines(out) {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith('plugin'));
  const end = lines.findIndex((l, i) => i > start && l.trimStart().startsWith('ipam:'));
  return ['...', ...lines.slice(start, end + 1)].join('\n');
}

/** explain's auxiliary chain attachment, from its `attachment 1:` line to before `result:`, after `...`. */
function auxiliaryChainLines(out) {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith('attachment 1:'));
  const end = lines.findIndex((l) => l.startsWith('result:'));
  return ['...', ...lines.slice(start, end - 1)].join('\n');
}

/** Runs an ADD that succeeds, so a DEL has a record to work from. */
async function added(ctx, config, containerId) {
  const env = cniEnv('ADD', { containerId, path: `${ctx.dirs.bin}:${REFERENCE_PLUGINS}` });
  const run = await runBinary(ctx, { env, stdin: JSON.stringify(config) });
  if (run.status !== 0) throw new Error(`the ADD before the example failed: ${run.stdout}`);
}

// ---------------------------------------------------------------------------------------------
// The pages.

const MARKER = /<!-- example: ([\w-]+) -->(?:(`+)[^\n]*?\2|\n(```[^\n]*)\n[\s\S]*?\n```)/gu;

function render(page, results) {
  return page.replace(MARKER, (whole, name, ticks, fence) => {
    const result = results.get(name);
    if (result === undefined) throw new Error(`no example named "${name}" in scripts/docs-examples.mjs`);
    if (fence !== undefined) return `<!-- example: ${name} -->\n${fence}\n${result.block}\n\`\`\``;
    const text = (result.msg ?? result.block).replaceAll('|', '\\|');
    const delimiter = text.includes('`') ? '``' : '`';
    return `<!-- example: ${name} -->${delimiter}${text}${delimiter}`;
  });
}

function normalise(ctx, value) {
  const t = ctx.t;
  const rules = [
    [`${t}/opt/cni/bin`, '/opt/cni/bin'],
    [join(t, 'node-example', KUBECONFIG), '/etc/cni/net.d/multus.d/multus.kubeconfig'],
    ...ctx.replacements,
    [`${t}/`, '/tmp/'],
    [realpathSync(t), '/tmp'],
  ];
  let out = value;
  for (const [from, to] of rules) out = out.replaceAll(from, to);
  return out;
}

function parseArgs(argv) {
  const options = { check: false, show: false, bin: join(root, 'dist', 'multus') };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--check') options.check = true;
    else if (argv[i] === '--show') options.show = true;
    else if (argv[i] === '--bin' && argv[i + 1] !== undefined) options.bin = argv[(i += 1)];
    else {
      process.stderr.write('usage: node scripts/docs-examples.mjs [--check] [--bin PATH]\n');
      process.exit(2);
    }
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const t = realpathSync(mkdtempSync(join(tmpdir(), 'multus-docs-')));
  const cleanup = () => rmSync(t, { recursive: true, force: true });
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
  const base = { t, bin: options.bin, dirs: writeFixtures(t), certs: makeCert(t) };

  const pages = PAGES.map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
  const marked = new Set(pages.flatMap((p) => [...p.text.matchAll(MARKER)].map((m) => m[1])));
  const wanted = options.show ? new Set([...marked, ...Object.keys(EXAMPLES)]) : marked;
  const unused = Object.keys(EXAMPLES).filter((name) => !marked.has(name));
  if (unused.length > 0) process.stderr.write(`note: examples not on any page: ${unused.join(', ')}\n`);

  const results = new Map();
  const failures = [];
  const queue = [...wanted];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const example = EXAMPLES[name];
      if (example === undefined) {
        failures.push(`${name}: no such example in scripts/docs-examples.mjs`);
        continue;
      }
      const ctx = { ...base, replacements: [], closers: [] };
      try {
        const result = await example.run(ctx, name);
        for (const key of Object.keys(result))
          if (typeof result[key] === 'string') result[key] = normalise(ctx, result[key]);
        results.set(name, result);
      } catch (e) {
        failures.push(`${name}: ${e.message}`);
      } finally {
        await Promise.all(ctx.closers.map((close) => close()));
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  if (options.show)
    for (const [name, result] of [...results].sort(([a], [b]) => a.localeCompare(b)))
      process.stdout.write(
        `== ${name}\n${result.block ?? result.stdout}\n${result.msg === undefined ? '' : `msg: ${result.msg}\n`}`,
      );
  if (failures.length > 0) {
    process.stderr.write(`docs examples failed:\n- ${failures.join('\n- ')}\n`);
    process.exit(1);
  }

  let differs = false;
  for (const page of pages) {
    const text = render(page.text, results);
    if (text === page.text) continue;
    if (!options.check) {
      writeFileSync(join(root, page.file), text);
      process.stdout.write(`${page.file}: examples rewritten\n`);
      continue;
    }
    differs = true;
    const generated = join(t, 'generated.md');
    writeFileSync(generated, text);
    const diff = spawnSync(
      'diff',
      ['-u', '--label', page.file, '--label', `${page.file} (from ${options.bin})`].concat([
        join(root, page.file),
        generated,
      ]),
      { encoding: 'utf8' },
    );
    process.stdout.write(diff.stdout);
  }
  if (differs) {
    process.stderr.write(
      'docs examples differ from the binary: run "node scripts/docs-examples.mjs" to rewrite them\n',
    );
    process.exit(1);
  }
}

await main();
