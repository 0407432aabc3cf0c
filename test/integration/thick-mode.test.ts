/**
 * Thick mode, file mode (issue 12): the seed README's three-delegate pod (bridge master with
 * isGateway, ptp, bridge; host-local with a private dataDir) through the compiled multus-shim
 * and a `multus daemon` started from a temp daemon config, in real network namespaces with
 * Debian's reference plugins. ADD makes the same pod and prints the same result as the thin
 * binary; CHECK passes; DEL leaves nothing; the request id the shim sends is in the daemon's
 * log. A shim conflist with only type/name/cniVersion/daemonSocketDir gets its delegates from
 * the daemon config; a request's own keys win over the daemon's defaults.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, ipv4Of, netnsLinkNames } from './support/net';
import { expectSuccess, runMultus, type MultusRun } from './support/run-multus';
import { SeedPod, resultShape, withoutEmptyDns } from './support/seed-pod';
import { assertThickPrerequisites, runShim, shimConfig, ThickDaemon } from './support/thick';
import { cacheFile, cacheFiles, leaseFiles, useWorkspace } from './support/workspace';

const NET = 226; // 10.226.0.0/16 belongs to this file

/** A shim run must be one CNI answer: exit 0, or the stderr says why not. */
function expectShimSuccess(run: MultusRun): void {
  expectSuccess(run);
  expect(run.stderr).toBe('');
}

describe('thick mode: the seed pod through multus-shim and multus daemon (file mode)', () => {
  const { ws, cleanup, perFile } = useWorkspace('tm', { prerequisites: assertThickPrerequisites });
  let daemon: ThickDaemon;
  /** The pod whose delegates are the daemon's defaults. */
  let defaultsPod: SeedPod;

  beforeAll(async () => {
    defaultsPod = new SeedPod(ws, 'd', NET, 31, perFile);
    const { delegates } = defaultsPod.config('1.0.0');
    daemon = await ThickDaemon.start(ws.dir, perFile, {
      config: { cniDir: ws.cniDir, logLevel: 'debug', delegates },
    });
  }, 60_000);

  it(
    'ADD makes eth0, net0, net1 with their addresses and prints what the thin binary prints for the same pod; ' +
      'CHECK passes; DEL leaves nothing; the request id is in the daemon log',
    async () => {
      const ns = `${ws.prefix}-a`;
      const netns = createNetns(ns, cleanup);
      const pod = new SeedPod(ws, 'a', NET, 1, cleanup);
      const conf = pod.config('1.0.0');
      const call = { containerId: `${ws.prefix}-ctr-a`, netns };

      // The thin binary first, the same pod in the same netns: what the shim must print.
      const thin = await runMultus({ ...call, config: conf, command: 'ADD' });
      expectSuccess(thin);
      expectSuccess(await runMultus({ ...call, config: conf, command: 'DEL' }));
      pod.expectGone(ns);

      const id = (command: string): Record<string, string> => ({ MULTUS_REQUEST_ID: `tm-${command}-${process.pid}` });
      const config = shimConfig(conf, daemon);
      const add = await runShim({ ...call, config, command: 'ADD', extraEnv: id('add') });
      expectShimSuccess(add);
      pod.expectUp(ns, call.containerId);
      expect(ipv4Of(ns, 'eth0')[0]?.startsWith(`10.${NET}.1.`)).toBe(true);
      expect(ipv4Of(ns, 'net0')[0]?.startsWith(`10.${NET}.2.`)).toBe(true);
      expect(ipv4Of(ns, 'net1')[0]?.startsWith(`10.${NET}.3.`)).toBe(true);
      expect(withoutEmptyDns(add.json)).toEqual(pod.expectedMasterResult(ns, netns, '1.0.0'));
      expect(resultShape(add.json)).toEqual(resultShape(thin.json));

      const check = await runShim({ ...call, config, command: 'CHECK', extraEnv: id('check') });
      expectShimSuccess(check);
      expect(check.stdout).toBe('');
      pod.expectUp(ns, call.containerId);

      const del = await runShim({ ...call, config, command: 'DEL', extraEnv: id('del') });
      expectShimSuccess(del);
      expect(del.stdout).toBe('');
      pod.expectGone(ns);

      const lines = daemon.logLines();
      for (const command of ['ADD', 'CHECK', 'DEL']) {
        const requestId = id(command.toLowerCase())['MULTUS_REQUEST_ID'];
        const own = lines.filter((l) => l['requestId'] === requestId);
        expect(own.length).toBeGreaterThan(0);
        expect(own.every((l) => l['command'] === command && l['containerId'] === call.containerId)).toBe(true);
        expect(own.map((l) => l['msg'])).toContain(`${command} done`);
      }
    },
  );

  it("a shim conflist of only type, name, cniVersion, daemonSocketDir gets the daemon config's delegates", async () => {
    const ns = `${ws.prefix}-d`;
    const netns = createNetns(ns, cleanup);
    const config = { type: 'multus-shim', name: 'tm-defaults', cniVersion: '1.0.0', daemonSocketDir: daemon.socketDir };
    const call = { config, containerId: `${ws.prefix}-ctr-d`, netns };

    const add = await runShim({ ...call, command: 'ADD' });
    expectShimSuccess(add);
    // The daemon's delegates and its cniDir: the pod, its leases and its record are the defaults pod's.
    defaultsPod.expectUp(ns, call.containerId);
    expect(withoutEmptyDns(add.json)).toEqual(defaultsPod.expectedMasterResult(ns, netns, '1.0.0'));

    expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
    defaultsPod.expectGone(ns);
  });

  it("the request's own keys win over the daemon's defaults: its delegates, its cniDir, its log level", async () => {
    const ns = `${ws.prefix}-e`;
    const netns = createNetns(ns, cleanup);
    const pod = new SeedPod(ws, 'e', NET, 41, cleanup);
    const cniDir = join(ws.dir, 'cache-e');
    // Only the master delegate, another cniDir, and the other spelling of the log level than the daemon's.
    const own = {
      ...pod.config('1.0.0'),
      cniDir,
      log_level: 'warn',
      delegates: [{ ...pod.masterDelegate(), masterplugin: true }],
    };
    const call = { config: shimConfig(own, daemon), containerId: `${ws.prefix}-ctr-e`, netns };

    const add = await runShim({ ...call, command: 'ADD' });
    expectShimSuccess(add);
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo']);
    expect(ipv4Of(ns, 'eth0')[0]?.startsWith(`10.${NET}.41.`)).toBe(true);
    expect(existsSync(cacheFile(cniDir, call.containerId))).toBe(true);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
    expect(leaseFiles(ws.ipamDir)).toHaveLength(1);

    expectShimSuccess(await runShim({ ...call, command: 'DEL' }));
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(cacheFiles(cniDir)).toEqual([]);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    // log_level "warn" over the daemon's logLevel "debug": none of this pod's info lines were logged.
    const lines = daemon.logLines().filter((l) => l['containerId'] === call.containerId);
    expect(lines.filter((l) => Number(l['level']) < 40)).toEqual([]);
  });

  // Last: the daemon the tests above used (the file's cleanup would SIGKILL it otherwise).
  it('SIGTERM with nothing in flight: the daemon exits 0 and removes its socket file', async () => {
    expect(existsSync(daemon.socketPath)).toBe(true);
    expect(await daemon.signal('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(existsSync(daemon.socketPath)).toBe(false);
  });
});
