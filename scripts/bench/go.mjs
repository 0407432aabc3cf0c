// The Go Multus v4.1.4 reference binaries (../shared/reference/go-multus-v4.1.4, read its
// README): benchmark rows only, never a test dependency, and optional. When the xz files or the
// xz tool are missing the Go rows are skipped with a note; when Go's thick daemon cannot start
// (go-thick.sh needs python3, openssl, curl and unshare) its rows are skipped and Go thin stays.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv } from './pods.mjs';
import { sh } from './proc.mjs';

const BINARIES = ['multus', 'multus-shim', 'multus-daemon'];
/** The one pod go-thick.sh's API stand-in serves (its daemon config skips the pod GET for it). */
export const GO_THICK_POD = { namespace: 'default', name: 'bench-pod' };

const onPath = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/** Where the reference lives: $MULTUS_GO_REFERENCE_DIR, else ../shared/reference beside the repo. */
function referenceDir(root) {
  if (process.env.MULTUS_GO_REFERENCE_DIR) return process.env.MULTUS_GO_REFERENCE_DIR;
  const candidates = [
    join(root, '..', 'shared', 'reference', 'go-multus-v4.1.4'),
    '/work/shared/reference/go-multus-v4.1.4',
  ];
  return candidates.find((d) => existsSync(join(d, 'multus.xz'))) ?? candidates[0];
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Unpacks Go's thin plugin, shim and daemon into `dir`/bin. Returns {thin, notes, ...} or
 * {skipped: reason} when the reference cannot be used here.
 */
export function unpackGo(root, dir) {
  const from = referenceDir(root);
  const missing = BINARIES.map((b) => join(from, `${b}.xz`)).filter((f) => !existsSync(f));
  if (missing.length > 0) return { from, skipped: `not found: ${missing.join(', ')} (set MULTUS_GO_REFERENCE_DIR)` };
  if (!onPath('xz')) return { from, skipped: 'the xz tool is missing (apt-get install xz-utils)' };
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const sums = {};
  for (const b of BINARIES) {
    const r = spawnSync('xz', ['-dc', join(from, `${b}.xz`)], { maxBuffer: 256 << 20 });
    if (r.status !== 0) return { from, skipped: `xz -dc ${b}.xz failed: ${r.stderr}` };
    writeFileSync(join(bin, b), r.stdout, { mode: 0o755 });
    sums[b] = sha256(join(bin, b));
  }
  return { from, dir, thin: join(bin, 'multus'), shim: join(bin, 'multus-shim'), sha256: sums };
}

function pidOf(file) {
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
  return Number.isInteger(pid) && existsSync(`/proc/${pid}`) ? pid : undefined;
}

/**
 * Starts Go's thick daemon with go-thick.sh (and its API stand-in) in `go.dir`; registers its
 * stop with the host's cleanup. Returns {socketDir, pid} or {skipped: reason}.
 */
export function startGoThick(go, host) {
  const script = join(go.from, 'go-thick.sh');
  if (!existsSync(script)) return { skipped: `${script} is missing` };
  const tools = ['python3', 'openssl', 'curl', 'unshare'].filter((t) => !onPath(t));
  if (tools.length > 0) return { skipped: `go-thick.sh needs ${tools.join(', ')}` };
  host.atCleanup(() => spawnSync('bash', [script, 'stop', go.dir], { stdio: 'ignore' }));
  const r = sh('bash', [script, 'start', go.dir], { allowFail: true });
  const socketDir = join(go.dir, 'run');
  const pid = pidOf(join(go.dir, 'daemon.pid'));
  if (r.status !== 0 || pid === undefined || !existsSync(join(socketDir, 'multus.sock'))) {
    const tail = existsSync(join(go.dir, 'daemon.log'))
      ? readFileSync(join(go.dir, 'daemon.log'), 'utf8').trim().split('\n').slice(-3).join(' | ')
      : '';
    return { skipped: `go-thick.sh start failed (exit ${r.status}): ${`${r.stderr ?? ''}`.trim()} ${tail}`.trim() };
  }
  return { socketDir, pid };
}

/** Go's file-mode config: the delegates carry their cniVersion (else Go runs them as 0.1.0). */
export function goThinConfig(delegates, { cniDir }) {
  return JSON.stringify({
    name: 'multus-cni-network',
    type: 'multus',
    cniVersion: '1.0.0',
    cniDir,
    delegates: delegates.map((d) => ({ cniVersion: '1.0.0', ...d })),
  });
}

/** What a runtime gives Go's shim: the conflist entry of type multus-shim with the delegates. */
export function goShimConfig(delegates, { socketDir, cniDir }) {
  return JSON.stringify({
    ...JSON.parse(goThinConfig(delegates, { cniDir })),
    type: 'multus-shim',
    daemonSocketDir: socketDir,
  });
}

/** Go's thick daemon serves the stand-in's one pod: every call names it, the container ID differs. */
export const goThickEnv = ({ containerId, netns }) => ({
  ...baseEnv({ containerId, netns, pod: GO_THICK_POD.name }),
  CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${GO_THICK_POD.namespace};K8S_POD_NAME=${GO_THICK_POD.name};K8S_POD_INFRA_CONTAINER_ID=${containerId}`,
});

/** Go names the interfaces after the first net1, net2, ... */
export const goIfnames = (n) => Array.from({ length: n }, (_, i) => (i === 0 ? 'eth0' : `net${i}`));
