// The daemon's memory over many pods: a fresh `multus daemon`, then N ADD/DEL pods of the seed's
// shape (three delegates) sent straight to its socket at concurrency 8. The delegates are a
// stand-in (a shell script answering at once) so that thousands of pods take a minute and the
// daemon's own memory is what grows, not the host's links and leases; the real delegates run in
// phases 1–5. Resident memory is read after the start (idle), after the first `early` pods and
// at the end, and every SAMPLE_EVERY pods for the growth check: the collector makes RSS a
// sawtooth, so growth compares means over windows, as issue 12's memory test does.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callDaemon, memoryOf, sleep, startDaemon } from './daemon.mjs';
import { baseEnv } from './pods.mjs';

export const STANDIN_TYPE = 'bench-noop';
/** VmRSS is read every this many pods (the series the growth check averages over). */
const SAMPLE_EVERY = 10;

/** A CNI plugin that does nothing: VERSION, ADD (one interface, one address), DEL, CHECK. */
const STANDIN = `#!/bin/sh
case "$CNI_COMMAND" in
VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}' ;;
ADD) cat >/dev/null
  echo "{\\"cniVersion\\":\\"1.0.0\\",\\"interfaces\\":[{\\"name\\":\\"$CNI_IFNAME\\",\\"sandbox\\":\\"$CNI_NETNS\\"}],\\"ips\\":[{\\"address\\":\\"10.246.9.2/24\\",\\"interface\\":0}]}" ;;
*) cat >/dev/null ;;
esac
`;

/** Three stand-in delegates: the seed pod's shape without its work. */
export function standinDelegates() {
  return [0, 1, 2].map((i) => ({ name: `bench-noop${i}`, type: STANDIN_TYPE }));
}

/** Writes the stand-in plugin into its own CNI_PATH dir (once); returns the dir. */
export function standinDir(host) {
  const dir = host.dir('standin-bin');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    writeFileSync(join(dir, STANDIN_TYPE), STANDIN);
    chmodSync(join(dir, STANDIN_TYPE), 0o755);
  }
  return dir;
}

/** What the runtime gives the shim, as the shim sends it on: `extra` over a config with no delegates. */
export const shimStdin = (daemon, cniDir, extra = {}) =>
  JSON.stringify({
    name: 'multus-cni-network',
    type: 'multus-shim',
    cniVersion: '1.0.0',
    cniDir,
    daemonSocketDir: daemon.socketDir,
    ...extra,
  });

/** One pod straight to the daemon's socket: ADD of eth0, then DEL; the stand-in plugin on CNI_PATH. */
export async function daemonPod(host, daemon, { id, netns, pod, namespace, stdin }) {
  const env = { ...baseEnv({ containerId: id, netns: netns.path, pod, namespace }), CNI_PATH: standinDir(host) };
  for (const command of ['ADD', 'DEL'])
    await callDaemon(
      daemon.socketPath,
      { ...env, CNI_COMMAND: command, CNI_IFNAME: 'eth0' },
      stdin,
      `${id}-${command}`,
    );
}

/** Runs `pods` ADD/DEL pairs through a fresh daemon; returns its memory idle, after `early` pods and at the end. */
export async function memoryRun(host, multus, { pods, early, concurrency, netns, log }) {
  const daemon = await startDaemon(host, multus, 'memdaemon');
  await sleep(1000);
  const samples = [{ pods: 0, ...memoryOf(daemon.pid) }];
  const series = [];
  const stdin = shimStdin(daemon, host.dir('memcache'), { delegates: standinDelegates() });
  let next = 0;
  let done = 0;
  const onePod = async (i) => {
    await daemonPod(host, daemon, { id: `mem-${i}`, netns, pod: `mem-${i}`, stdin });
    done += 1;
    if (done === early) samples.push({ pods: early, ...memoryOf(daemon.pid) });
    if (done % SAMPLE_EVERY === 0) series.push({ pods: done, rssKb: memoryOf(daemon.pid).rssKb });
    if (done % 500 === 0) log(`bench: memory run, ${done}/${pods} pods`);
  };
  const worker = async () => {
    while (next < pods) await onePod(next++);
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  samples.push({ pods, ...memoryOf(daemon.pid) });
  return { pods, concurrency, seconds, delegates: 'three stand-in delegates (a shell script)', samples, series };
}
