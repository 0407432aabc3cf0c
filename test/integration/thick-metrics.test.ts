/**
 * Thick mode's metrics (issue 12): a `multus daemon` with metricsPort serves Prometheus text on
 * GET /metrics at 127.0.0.1 (its default metricsAddress). After the seed pod's ADD and DEL through
 * the compiled shim, in a real netns with the reference plugins, it counts the two calls by
 * command and code, each delegate run by type and command, and its in-flight gauge is back at 0.
 * Calls the shim could not send while the daemon was down are counted once one is back. Without
 * metricsPort the daemon has no TCP listener at all.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { freePort, sample, scrape } from './support/metrics';
import { createNetns } from './support/net';
import { expectSuccess } from './support/run-multus';
import { SeedPod } from './support/seed-pod';
import { assertThickPrerequisites, runShim, shimConfig, ThickDaemon } from './support/thick';
import { useWorkspace } from './support/workspace';

const NET = 229; // 10.229.0.0/16 belongs to this file

/** `address:port` of every TCP socket process `pid` listens on, from /proc (IPv4 and IPv6). */
function tcpListeners(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return ''; // closed since the listing
      }
    })();
    const inode = /^socket:\[(\d+)\]$/u.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const found: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const row of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/u);
      if (cols[3] !== '0A' || !inodes.has(cols[9] ?? '')) continue; // 0A: LISTEN
      const [hex, port] = (cols[1] ?? ':').split(':') as [string, string];
      const address =
        hex.length === 8
          ? (hex.match(/../gu) ?? [])
              .map((b) => parseInt(b, 16))
              .reverse()
              .join('.')
          : `[${hex}]`;
      found.push(`${address}:${parseInt(port, 16)}`);
    }
  }
  return found.sort();
}

describe('thick mode: Prometheus metrics of multus daemon', () => {
  const { ws, cleanup } = useWorkspace('mx', { prerequisites: assertThickPrerequisites });

  it(
    'counts an ADD and a DEL through the shim by command and code, each delegate run by type and command, ' +
      'with the in-flight gauge back at 0; it listens on 127.0.0.1 only, and not after SIGTERM',
    async () => {
      const port = await freePort();
      const daemon = await ThickDaemon.start(ws.dir, cleanup, { config: { cniDir: ws.cniDir, metricsPort: port } });
      expect(tcpListeners(daemon.pid)).toEqual([`127.0.0.1:${port}`]);
      const before = await scrape(port);
      expect(sample(before, 'multus_requests_in_flight')).toBe(0);
      expect(sample(before, 'multus_shim_fallbacks_total', { action: 'thin' })).toBe(0);
      expect(sample(before, 'multus_requests_total', { command: 'ADD', code: '0' })).toBeUndefined();

      const ns = `${ws.prefix}-a`;
      const netns = createNetns(ns, cleanup);
      const pod = new SeedPod(ws, 'a', NET, 1, cleanup);
      const call = { config: shimConfig(pod.config('1.0.0'), daemon), containerId: `${ws.prefix}-ctr-a`, netns };
      expectSuccess(await runShim({ ...call, command: 'ADD' }));
      pod.expectUp(ns, call.containerId);
      expectSuccess(await runShim({ ...call, command: 'DEL' }));
      pod.expectGone(ns);

      const text = await scrape(port);
      expect(sample(text, 'multus_requests_total', { command: 'ADD', code: '0' })).toBe(1);
      expect(sample(text, 'multus_requests_total', { command: 'DEL', code: '0' })).toBe(1);
      expect(sample(text, 'multus_request_duration_seconds_count', { command: 'ADD' })).toBe(1);
      expect(sample(text, 'multus_request_duration_seconds_count', { command: 'DEL' })).toBe(1);
      // The seed pod: a bridge master, a ptp and a second bridge.
      const execs = (type: string, command: string): number | undefined =>
        sample(text, 'multus_delegate_execs_total', { type, command, code: '0' });
      expect([execs('bridge', 'ADD'), execs('ptp', 'ADD'), execs('bridge', 'DEL'), execs('ptp', 'DEL')]).toEqual([
        2, 1, 2, 1,
      ]);
      const timed = sample(text, 'multus_delegate_exec_duration_seconds_count', { type: 'bridge', command: 'ADD' });
      expect(timed).toBe(2);
      expect(sample(text, 'multus_requests_in_flight')).toBe(0);
      expect(sample(text, 'multus_requests_queued')).toBe(0);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);

      expect(await daemon.signal('SIGTERM')).toEqual({ code: 0, signal: null });
      await expect(scrape(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    },
  );

  it('counts the calls the shim could not send while the daemon was down, once a daemon is back', async () => {
    const port = await freePort();
    const first = await ThickDaemon.start(ws.dir, cleanup, { config: { cniDir: ws.cniDir, metricsPort: port } });
    expect(await first.signal('SIGTERM')).toEqual({ code: 0, signal: null });
    // A DEL of a container nothing knows: the thin binary answers it (fallback), or the shim answers code 11.
    const call = { containerId: `${ws.prefix}-ctr-f`, netns: '', command: 'DEL' as const };
    const conf = { cniVersion: '1.0.0', name: 'mx-f', delegates: [{ type: 'bridge', bridge: `${ws.prefix}f0` }] };
    expectSuccess(await runShim({ ...call, config: shimConfig(conf, first) }));
    const failed = await runShim({ ...call, config: shimConfig(conf, first, { daemonFallback: 'fail' }) });
    expect([failed.exitCode, failed.json?.['code']]).toEqual([1, 11]);

    const second = await ThickDaemon.start(ws.dir, cleanup, {
      config: { cniDir: ws.cniDir, metricsPort: port, socketDir: first.socketDir },
    });
    const text = await scrape(port);
    expect(sample(text, 'multus_shim_fallbacks_total', { action: 'thin' })).toBe(1);
    expect(sample(text, 'multus_shim_fallbacks_total', { action: 'fail' })).toBe(1);
    expect(await second.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('without metricsPort the daemon has no TCP listener', async () => {
    const daemon = await ThickDaemon.start(ws.dir, cleanup, { config: { cniDir: ws.cniDir } });
    expect(tcpListeners(daemon.pid)).toEqual([]);
    expect(await daemon.signal('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
