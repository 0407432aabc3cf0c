import { appendFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { register as globalRegistry } from 'prom-client';
import { CniCode, CniError } from '../../../src/core/errors';
import type { NetworkRequest } from '../../../src/core/plan';
import type { ReconcileReport, RecordReport } from '../../../src/core/reconcile';
import type { PluginHandlers } from '../../../src/core/skel';
import {
  DaemonMetrics,
  FallbackTally,
  serveMetrics,
  type InformerStatus,
  type ServerLoad,
} from '../../../src/daemon/metrics';
import { MeteringExecutor } from '../../../src/daemon/metering-executor';
import { MeteringStatusReporter } from '../../../src/daemon/metering-status-reporter';
import { PROTOCOL_VERSION } from '../../../src/daemon/protocol';
import { DaemonServer } from '../../../src/daemon/server';
import { testServerOptions } from '../../support/daemon-socket';
import { FakeExecutor, RecordingLogger } from '../../../src/testing/fakes';
import { useTempDir } from '../../support/temp-dir';

type Labels = Readonly<Record<string, string>>;

/**
 * The value of one series of metric `name` whose labels are exactly `labels`, or undefined when
 * it has none; `part` picks a histogram's `_count` (or `_sum`).
 */
async function valueOf(
  metrics: DaemonMetrics,
  name: string,
  labels: Labels = {},
  part = '',
): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === `${name}${part}` &&
      JSON.stringify(Object.entries(v.labels).sort()) === wanted,
  );
  return found?.value;
}

/** A histogram's observation count for one series. */
function countOf(metrics: DaemonMetrics, name: string, labels: Labels): Promise<number | undefined> {
  return valueOf(metrics, name, labels, '_count');
}

describe('DaemonMetrics', () => {
  const tmp = useTempDir('multus-metrics-');
  const newMetrics = (informers?: () => readonly InformerStatus[]): DaemonMetrics =>
    new DaemonMetrics({
      fallbackLog: join(tmp(), 'shim-fallbacks.log'),
      processMetrics: false,
      ...(informers === undefined ? {} : { informers: { status: informers } }),
    });

  it('counts calls by command and result code, and times each in the histogram', async () => {
    const metrics = newMetrics();
    metrics.callFinished({ command: 'ADD', exitCode: 0, code: 0, seconds: 0.2 });
    metrics.callFinished({ command: 'ADD', exitCode: 0, code: 0, seconds: 0.3 });
    metrics.callFinished({ command: 'ADD', exitCode: 1, code: 7, seconds: 0.01 });
    metrics.callFinished({ command: 'DEL', exitCode: 1, code: undefined, seconds: 0.01 });
    expect(await valueOf(metrics, 'multus_requests_total', { command: 'ADD', code: '0' })).toBe(2);
    expect(await valueOf(metrics, 'multus_requests_total', { command: 'ADD', code: '7' })).toBe(1);
    expect(await valueOf(metrics, 'multus_requests_total', { command: 'DEL', code: 'unknown' })).toBe(1);
    expect(await countOf(metrics, 'multus_request_duration_seconds', { command: 'ADD' })).toBe(3);
    expect(await countOf(metrics, 'multus_request_duration_seconds', { command: 'DEL' })).toBe(1);
  });

  it('counts refused requests by their CNI code', async () => {
    const metrics = newMetrics();
    metrics.callRefused(CniCode.TryAgainLater);
    metrics.callRefused(CniCode.TryAgainLater);
    metrics.callRefused(CniCode.DecodeFailure);
    expect(await valueOf(metrics, 'multus_requests_refused_total', { code: '11' })).toBe(2);
    expect(await valueOf(metrics, 'multus_requests_refused_total', { code: '6' })).toBe(1);
  });

  it('counts and times delegate runs by type, command and result code', async () => {
    const metrics = newMetrics();
    metrics.execFinished({ type: 'bridge', command: 'ADD', code: 0, seconds: 0.1 });
    metrics.execFinished({ type: 'bridge', command: 'ADD', code: 0, seconds: 0.1 });
    metrics.execFinished({ type: 'ptp', command: 'DEL', code: 11, seconds: 0.1 });
    expect(await valueOf(metrics, 'multus_delegate_execs_total', { type: 'bridge', command: 'ADD', code: '0' })).toBe(
      2,
    );
    expect(await valueOf(metrics, 'multus_delegate_execs_total', { type: 'ptp', command: 'DEL', code: '11' })).toBe(1);
    const exec = 'multus_delegate_exec_duration_seconds';
    expect(await countOf(metrics, exec, { type: 'bridge', command: 'ADD' })).toBe(2);
    expect(await countOf(metrics, exec, { type: 'ptp', command: 'DEL' })).toBe(1);
  });

  it('counts the runs of a MeteringExecutor that reports to it, by type and command', async () => {
    const metrics = newMetrics();
    const executor = new MeteringExecutor(new FakeExecutor(), metrics);
    const env = { CNI_CONTAINERID: 'c', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'net1', CNI_ARGS: '', CNI_PATH: '/b' };
    const run = (type: string, command: 'ADD' | 'DEL'): Promise<unknown> =>
      executor.run({ type, command, env, stdin: { cniVersion: '1.0.0', name: 'n', type }, binDirs: ['/b'] });
    await run('bridge', 'ADD');
    await run('bridge', 'DEL');
    await run('bridge', 'DEL');
    expect(await valueOf(metrics, 'multus_delegate_execs_total', { type: 'bridge', command: 'ADD', code: '0' })).toBe(
      1,
    );
    expect(await valueOf(metrics, 'multus_delegate_execs_total', { type: 'bridge', command: 'DEL', code: '0' })).toBe(
      2,
    );
  });

  it('reads the in-flight and queued gauges from the server when scraped, 0 before one is watched', async () => {
    const metrics = newMetrics();
    expect(await valueOf(metrics, 'multus_requests_in_flight')).toBe(0);
    const load = { inFlight: 3, queued: 5 };
    metrics.watch(load);
    expect(await valueOf(metrics, 'multus_requests_in_flight')).toBe(3);
    expect(await valueOf(metrics, 'multus_requests_queued')).toBe(5);
    Object.assign(load, { inFlight: 0, queued: 0 } satisfies ServerLoad);
    expect(await valueOf(metrics, 'multus_requests_in_flight')).toBe(0);
    expect(await valueOf(metrics, 'multus_requests_queued')).toBe(0);
  });

  it("counts the shim's fallback lines by action, 0 for each before the first", async () => {
    const metrics = newMetrics();
    const fallbacks = (action: string): Promise<number | undefined> =>
      valueOf(metrics, 'multus_shim_fallbacks_total', { action });
    expect([await fallbacks('thin'), await fallbacks('fail')]).toEqual([0, 0]);
    appendFileSync(join(tmp(), 'shim-fallbacks.log'), 't abc ADD thin\nt abd DEL thin\nt abe ADD fail\n');
    expect([await fallbacks('thin'), await fallbacks('fail')]).toEqual([2, 1]);
    expect([await fallbacks('thin'), await fallbacks('fail')]).toEqual([2, 1]);
  });

  it('reports each informer cache by kind and scope, and no informer series without informers', async () => {
    const nads = 'network-attachment-definitions.k8s.cni.cncf.io';
    const statuses: InformerStatus[] = [
      { kind: 'pods', scope: 'node=n1', synced: true, lastEventAgeSeconds: 4, objects: 12 },
      { kind: nads, scope: 'namespace=a', synced: false, lastEventAgeSeconds: undefined, objects: 0 },
      { kind: nads, scope: 'namespace=b', synced: true, lastEventAgeSeconds: 1 },
    ];
    const metrics = newMetrics(() => statuses);
    const synced = (kind: string, scope: string): Promise<number | undefined> =>
      valueOf(metrics, 'multus_informer_synced', { kind, scope });
    const age = (kind: string, scope: string): Promise<number | undefined> =>
      valueOf(metrics, 'multus_informer_last_event_age_seconds', { kind, scope });
    expect([
      await synced('pods', 'node=n1'),
      await synced(nads, 'namespace=a'),
      await synced(nads, 'namespace=b'),
    ]).toEqual([1, 0, 1]);
    expect([await age('pods', 'node=n1'), await age(nads, 'namespace=a'), await age(nads, 'namespace=b')]).toEqual([
      4,
      undefined,
      1,
    ]);
    expect(await valueOf(metrics, 'multus_informer_objects', { kind: 'pods', scope: 'node=n1' })).toBe(12);
    expect(await valueOf(metrics, 'multus_informer_objects', { kind: nads, scope: 'namespace=b' })).toBeUndefined();
    statuses[1] = { kind: nads, scope: 'namespace=a', synced: true, lastEventAgeSeconds: 0 };
    expect(await synced(nads, 'namespace=a')).toBe(1);
    statuses.pop();
    expect(await synced(nads, 'namespace=b')).toBeUndefined();
    expect(newMetrics().registry.getSingleMetric('multus_informer_synced')).toBeUndefined();
  });

  it("reports each reconcile pass: the last synced pass's records by outcome, deletes and passes counted", async () => {
    const metrics = newMetrics();
    expect(await valueOf(metrics, 'multus_reconcile_records', { outcome: 'deleted' })).toBe(0);
    const record = (outcome: string): RecordReport =>
      ({ containerId: 'c', ifname: 'eth0', outcome }) as unknown as RecordReport;
    const pass = (synced: boolean, outcomes: string[]): ReconcileReport => ({
      at: '2026-01-02T03:04:05.000Z',
      synced,
      dryRun: false,
      graceSeconds: 0,
      cacheDir: '/c',
      records: outcomes.map(record),
    });
    metrics.reconciled(pass(true, ['deleted', 'deleted', 'failed', 'pod_present', 'kept_netns']));
    metrics.reconciled(pass(false, []));
    metrics.reconcileFailed();
    expect(await valueOf(metrics, 'multus_reconcile_records', { outcome: 'deleted' })).toBe(2);
    expect(await valueOf(metrics, 'multus_reconcile_records', { outcome: 'pod_present' })).toBe(1);
    expect(await valueOf(metrics, 'multus_reconcile_records', { outcome: 'waiting_grace' })).toBe(0);
    expect(await valueOf(metrics, 'multus_reconcile_deletes_total', { result: 'deleted' })).toBe(2);
    expect(await valueOf(metrics, 'multus_reconcile_deletes_total', { result: 'failed' })).toBe(1);
    expect(await valueOf(metrics, 'multus_reconcile_passes_total', { result: 'done' })).toBe(1);
    expect(await valueOf(metrics, 'multus_reconcile_passes_total', { result: 'not_synced' })).toBe(1);
    expect(await valueOf(metrics, 'multus_reconcile_passes_total', { result: 'failed' })).toBe(1);
    metrics.reconciled(pass(true, ['pod_present']));
    expect(await valueOf(metrics, 'multus_reconcile_records', { outcome: 'deleted' })).toBe(0);
    expect(await valueOf(metrics, 'multus_reconcile_deletes_total', { result: 'deleted' })).toBe(2);
  });

  it('counts network-status writes by how they ended; the metering reporter answers as the inner one', async () => {
    const metrics = newMetrics();
    const answers: Array<CniError | undefined> = [
      undefined,
      new CniError(CniCode.KubernetesNotFound, 'gone'),
      new CniError(CniCode.TryAgainLater, 'down'),
    ];
    const inner = {
      report: (): Promise<void> => {
        const answer = answers.shift();
        return answer === undefined ? Promise.resolve() : Promise.reject(answer);
      },
    };
    const reporter = new MeteringStatusReporter(inner, metrics);
    const call = (): Promise<void> =>
      reporter.report({} as NetworkRequest, { namespace: 'ns', name: 'p' }, [], new RecordingLogger());
    expect(await valueOf(metrics, 'multus_network_status_writes_total', { result: 'failed' })).toBe(0);
    await call();
    await expect(call()).rejects.toMatchObject({ code: CniCode.KubernetesNotFound });
    await expect(call()).rejects.toMatchObject({ code: CniCode.TryAgainLater });
    for (const result of ['written', 'pod_gone', 'failed']) {
      expect(await valueOf(metrics, 'multus_network_status_writes_total', { result })).toBe(1);
    }
  });

  it("keeps its metrics in its own registry, never prom-client's global one: two can live in one process", async () => {
    const [one, two] = [newMetrics(), newMetrics()];
    one.callRefused(CniCode.TryAgainLater);
    expect(await valueOf(two, 'multus_requests_refused_total', { code: '11' })).toBeUndefined();
    expect(globalRegistry.getSingleMetric('multus_requests_total')).toBeUndefined();
  });

  it('adds the process metrics unless told not to', () => {
    const metrics = new DaemonMetrics({ fallbackLog: join(tmp(), 'f.log') });
    expect(metrics.registry.getSingleMetric('process_resident_memory_bytes')).toBeDefined();
    expect(newMetrics().registry.getSingleMetric('process_resident_memory_bytes')).toBeUndefined();
  });
});

describe('FallbackTally', () => {
  const tmp = useTempDir('multus-fallbacks-');

  it('is all zeros while the file does not exist', async () => {
    const tally = new FallbackTally(join(tmp(), 'absent.log'));
    expect(Object.fromEntries(await tally.read())).toEqual({ thin: 0, fail: 0 });
  });

  it('counts a line being written only once it is complete, and each line once', async () => {
    const path = join(tmp(), 'f.log');
    const tally = new FallbackTally(path);
    appendFileSync(path, 't a ADD thin\nt b DEL fa');
    expect(Object.fromEntries(await tally.read())).toEqual({ thin: 1, fail: 0 });
    appendFileSync(path, 'il\n');
    expect(Object.fromEntries(await tally.read())).toEqual({ thin: 1, fail: 1 });
    expect(Object.fromEntries(await tally.read())).toEqual({ thin: 1, fail: 1 });
  });

  it('keeps its totals when the file is truncated or replaced, and counts what is written after', async () => {
    const path = join(tmp(), 'f.log');
    const tally = new FallbackTally(path);
    appendFileSync(path, 't a ADD thin\nt b ADD thin\n');
    await tally.read();
    writeFileSync(path, 't c DEL fail\n');
    expect(Object.fromEntries(await tally.read())).toEqual({ thin: 2, fail: 1 });
  });

  it('counts a line with an action it does not know as unknown', async () => {
    const path = join(tmp(), 'f.log');
    appendFileSync(path, 't a ADD sideways\n\n');
    expect(Object.fromEntries(await new FallbackTally(path).read())).toEqual({ thin: 0, fail: 0, unknown: 1 });
  });
});

/** GET over TCP: status, content type and body. */
function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveMetrics', () => {
  const tmp = useTempDir('multus-metrics-http-');

  it('serves GET /metrics in the Prometheus text format, 404 elsewhere, and nothing once closed', async () => {
    const metrics = new DaemonMetrics({ fallbackLog: join(tmp(), 'f.log'), processMetrics: false });
    metrics.callFinished({ command: 'ADD', exitCode: 0, code: 0, seconds: 0.1 });
    const endpoint = await serveMetrics(metrics, '127.0.0.1', 0);
    try {
      const page = await get(endpoint.port, '/metrics');
      expect(page.status).toBe(200);
      expect(page.type).toContain('text/plain');
      expect(page.body).toContain('multus_requests_total{command="ADD",code="0"} 1');
      expect((await get(endpoint.port, '/')).status).toBe(404);
    } finally {
      await endpoint.close();
    }
    await expect(get(endpoint.port, '/metrics')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('fails to start, naming the address, when the port is taken', async () => {
    const metrics = new DaemonMetrics({ fallbackLog: join(tmp(), 'f.log'), processMetrics: false });
    const first = await serveMetrics(metrics, '127.0.0.1', 0);
    try {
      await expect(serveMetrics(metrics, '127.0.0.1', first.port)).rejects.toThrow(
        `metrics endpoint 127.0.0.1:${first.port}: listen EADDRINUSE`,
      );
    } finally {
      await first.close();
    }
  });
});

/** POSTs one CNI call to the daemon's socket; resolves with the HTTP status and the answer's exit code. */
function postCall(socketPath: string, body: string): Promise<{ status: number; exitCode: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1/cni', method: 'POST' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { exitCode: unknown };
        resolve({ status: res.statusCode ?? 0, exitCode: answer.exitCode });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function cniCall(command: string): string {
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: 'c1',
    CNI_NETNS: '/run/netns/none',
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/opt/cni/bin',
  };
  const stdin = JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'multus' });
  return JSON.stringify({ version: PROTOCOL_VERSION, requestId: 'r1', env, stdin });
}

describe('DaemonMetrics observing a DaemonServer', () => {
  const tmp = useTempDir('multus-metrics-server-');

  it('counts what the server answers and reads its in-flight calls while one runs', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (entered = resolve));
    const plugin = {
      add: async () => {
        entered();
        await held;
        return { cniVersion: '1.0.0' };
      },
      del: () => Promise.reject(new CniError(CniCode.InvalidConfig, 'no')),
    } as unknown as PluginHandlers;
    const metrics = new DaemonMetrics({ fallbackLog: join(tmp(), 'f.log'), processMetrics: false });
    const socketPath = join(tmp(), 'multus.sock');
    const server = new DaemonServer(
      testServerOptions(socketPath, plugin, new RecordingLogger(), { observer: metrics }),
    );
    metrics.watch(server);
    await server.start();
    try {
      const add = postCall(socketPath, cniCall('ADD'));
      await running;
      expect(await valueOf(metrics, 'multus_requests_in_flight')).toBe(1);
      release();
      expect(await add).toEqual({ status: 200, exitCode: 0 });
      expect(await postCall(socketPath, cniCall('DEL'))).toEqual({ status: 200, exitCode: 1 });
      expect((await postCall(socketPath, '{"not": "a call"}')).status).toBe(400);
      expect(await valueOf(metrics, 'multus_requests_in_flight')).toBe(0);
      expect(await valueOf(metrics, 'multus_requests_total', { command: 'ADD', code: '0' })).toBe(1);
      expect(await valueOf(metrics, 'multus_requests_total', { command: 'DEL', code: '7' })).toBe(1);
      expect(await valueOf(metrics, 'multus_requests_refused_total', { code: '6' })).toBe(1);
      expect(await countOf(metrics, 'multus_request_duration_seconds', { command: 'ADD' })).toBe(1);
    } finally {
      release();
      await server.stop(5_000);
    }
  });
});
