import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RECONCILE_OUTCOMES, type ReconcileReport } from '../core/reconcile';
import type { ExecObserver, ExecOutcome } from './metering-executor';
import type { ReconcileObserver } from './reconcile-loop';
import type { StatusWriteObserver, StatusWriteResult } from './metering-status-reporter';
import type { CallObserver, CallOutcome } from './server';

/** One informer cache as the metrics see it. */
export interface InformerStatus {
  /** What it caches: "pods", "network-attachment-definitions.k8s.cni.cncf.io", ... */
  readonly kind: string;
  /** Which of them: "node=NAME", "namespace=NS", "name=NAME" (one kind may have several caches). */
  readonly scope?: string;
  /** Whether it is listed and watching (until then a call may have to GET what it needs). */
  readonly synced: boolean;
  /** Seconds since its last list or watch event; undefined before the first. */
  readonly lastEventAgeSeconds: number | undefined;
  /** How many objects it holds. */
  readonly objects?: number;
}

/** The daemon's informer caches, when it keeps any (a kubeconfig is set); read at scrape time. */
export interface InformerStatusSource {
  status(): readonly InformerStatus[];
}

/** What the in-flight and queued gauges read at scrape time (the DaemonServer). */
export interface ServerLoad {
  readonly inFlight: number;
  readonly queued: number;
}

export interface DaemonMetricsOptions {
  /** The shim's fallback log (FALLBACK_LOG_NAME in the socket's dir), counted at scrape time. */
  readonly fallbackLog: string;
  readonly informers?: InformerStatusSource;
  /** The process's own metrics (memory, CPU, event loop lag, GC); on unless false. */
  readonly processMetrics?: boolean;
}

/** A CNI call takes milliseconds to a few seconds; a delegate past a minute is stuck. */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** A label for a CNI code: "0" for success, the code, or "unknown" when the failure printed none. */
function codeLabel(code: number | undefined): string {
  return code === undefined ? 'unknown' : String(code);
}

/**
 * Counts the lines the shim appends to its fallback log, one per call the daemon did not get,
 * by their last word (thin: run through the thin binary; fail: answered code 11). It reads only
 * what was appended since the last scrape; a file removed or truncated starts again from its
 * beginning, the totals kept (a counter never goes down).
 */
export class FallbackTally {
  private offset = 0;
  private ino: number | undefined;
  /** Both actions from the start, so a rate is defined before the first fallback. */
  private readonly totals = new Map<string, number>([
    ['thin', 0],
    ['fail', 0],
  ]);

  constructor(private readonly path: string) {}

  /** The totals by action, after reading what was appended since the last call. */
  async read(): Promise<ReadonlyMap<string, number>> {
    const file = await fs.open(this.path, 'r').catch(() => undefined);
    if (file === undefined) return this.totals;
    try {
      const st = await file.stat();
      if (st.ino !== this.ino || st.size < this.offset) [this.ino, this.offset] = [st.ino, 0];
      const length = Math.min(st.size - this.offset, 1024 * 1024);
      if (length <= 0) return this.totals;
      const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, this.offset);
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1); // a line being written waits for the next scrape
      this.offset += Buffer.byteLength(complete);
      for (const line of complete.split('\n').filter((l) => l.trim() !== '')) {
        const action = line.trim().split(/\s+/u).pop() as string;
        const key = action === 'thin' || action === 'fail' ? action : 'unknown';
        this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
      }
      return this.totals;
    } finally {
      await file.close();
    }
  }
}

/**
 * The daemon's Prometheus metrics, in a registry of their own (never prom-client's global one):
 * the calls it answers, the delegates it runs, its load, the shim's fallbacks and its informer
 * caches. It observes the server (CallObserver) and the metering executor (ExecObserver); the
 * gauges and the fallback counter are read when scraped, so they cost nothing between scrapes.
 */
export class DaemonMetrics implements CallObserver, ExecObserver, ReconcileObserver, StatusWriteObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'command' | 'code'>;
  private readonly refused: Counter<'code'>;
  private readonly duration: Histogram<'command'>;
  private readonly execs: Counter<'type' | 'command' | 'code'>;
  private readonly execDuration: Histogram<'type' | 'command'>;
  private readonly reconcileRecords: Gauge<'outcome'>;
  private readonly reconcileDeletes: Counter<'result'>;
  private readonly reconcilePasses: Counter<'result'>;
  private readonly statusWrites: Counter<'result'>;
  private load: ServerLoad = { inFlight: 0, queued: 0 };

  constructor(options: DaemonMetricsOptions) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'multus_requests_total',
      help: 'CNI calls the daemon ran, by CNI command and result code (0: success, else the CNI error code)',
      labelNames: ['command', 'code'],
      registers,
    });
    this.refused = new Counter({
      name: 'multus_requests_refused_total',
      help: 'Requests answered without running them (busy, stopping, malformed, too large or slow), by CNI code',
      labelNames: ['code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'multus_request_duration_seconds',
      help: 'Time of a CNI call in the daemon, from the request read to the answer, the queue included',
      labelNames: ['command'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.execs = new Counter({
      name: 'multus_delegate_execs_total',
      help: 'Delegate plugin runs, by plugin type, CNI command and result code (0: success, else its CNI code)',
      labelNames: ['type', 'command', 'code'],
      registers,
    });
    this.execDuration = new Histogram({
      name: 'multus_delegate_exec_duration_seconds',
      help: 'Time of one delegate plugin run, by plugin type and CNI command',
      labelNames: ['type', 'command'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.reconcileRecords = new Gauge({
      name: 'multus_reconcile_records',
      help: "The records of the daemon's last synced reconcile pass, by outcome (what it did with each, or why not)",
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of RECONCILE_OUTCOMES) this.reconcileRecords.set({ outcome }, 0);
    this.reconcileDeletes = new Counter({
      name: 'multus_reconcile_deletes_total',
      help: 'Records reconcile deleted as their DEL would (deleted), or tried to and kept (failed)',
      labelNames: ['result'],
      registers,
    });
    this.reconcilePasses = new Counter({
      name: 'multus_reconcile_passes_total',
      help: 'Reconcile passes: done, not_synced (the pod cache was not synced: nothing done) or failed',
      labelNames: ['result'],
      registers,
    });
    this.statusWrites = new Counter({
      name: 'multus_network_status_writes_total',
      help:
        'network-status annotation writes after an ADD: written (or kept until the API answers), pod_gone, or ' +
        'failed (the ADD succeeded anyway unless strictNetworkStatus)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['written', 'pod_gone', 'failed'] as const) this.statusWrites.inc({ result }, 0);
    this.loadGauges();
    this.fallbackCounter(new FallbackTally(options.fallbackLog));
    if (options.informers !== undefined) this.informerGauges(options.informers);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The server whose in-flight and queued calls the gauges report. */
  watch(load: ServerLoad): void {
    this.load = load;
  }

  callFinished(outcome: CallOutcome): void {
    this.requests.inc({ command: outcome.command, code: codeLabel(outcome.code) });
    this.duration.observe({ command: outcome.command }, outcome.seconds);
  }

  callRefused(code: number): void {
    this.refused.inc({ code: String(code) });
  }

  execFinished(outcome: ExecOutcome): void {
    this.execs.inc({ type: outcome.type, command: outcome.command, code: codeLabel(outcome.code) });
    this.execDuration.observe({ type: outcome.type, command: outcome.command }, outcome.seconds);
  }

  reconciled(report: ReconcileReport): void {
    this.reconcilePasses.inc({ result: report.synced ? 'done' : 'not_synced' });
    if (!report.synced) return;
    for (const outcome of RECONCILE_OUTCOMES) {
      this.reconcileRecords.set({ outcome }, report.records.filter((r) => r.outcome === outcome).length);
    }
    for (const result of ['deleted', 'failed'] as const) {
      const count = report.records.filter((r) => r.outcome === result).length;
      if (count > 0) this.reconcileDeletes.inc({ result }, count);
    }
  }

  statusWritten(result: StatusWriteResult): void {
    this.statusWrites.inc({ result });
  }

  reconcileFailed(): void {
    this.reconcilePasses.inc({ result: 'failed' });
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private loadGauges(): void {
    const metrics = (): ServerLoad => this.load;
    new Gauge({
      name: 'multus_requests_in_flight',
      help: 'CNI calls running now',
      registers: [this.registry],
      collect() {
        this.set(metrics().inFlight);
      },
    });
    new Gauge({
      name: 'multus_requests_queued',
      help: 'CNI calls waiting for a free slot (maxConcurrentRequests) now',
      registers: [this.registry],
      collect() {
        this.set(metrics().queued);
      },
    });
  }

  private fallbackCounter(tally: FallbackTally): void {
    new Counter({
      name: 'multus_shim_fallbacks_total',
      help:
        'Calls the shim could not send to the daemon: run through the thin binary (thin) or ' +
        'answered code 11 (fail)',
      labelNames: ['action'],
      registers: [this.registry],
      async collect() {
        const totals = await tally.read();
        this.reset();
        for (const [action, total] of totals) this.inc({ action }, total);
      },
    });
  }

  private informerGauges(source: InformerStatusSource): void {
    const gauge = (name: string, help: string, value: (s: InformerStatus) => number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: ['kind', 'scope'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const s of source.status()) {
            const v = value(s);
            if (v !== undefined) this.set({ kind: s.kind, scope: s.scope ?? '' }, v);
          }
        },
      });
    };
    gauge('multus_informer_synced', 'Whether an informer cache is listed and watching (1) or not (0)', (s) =>
      s.synced ? 1 : 0,
    );
    gauge(
      'multus_informer_last_event_age_seconds',
      'Seconds since an informer cache last heard from the API server (a list or watch event)',
      (s) => s.lastEventAgeSeconds,
    );
    gauge('multus_informer_objects', 'Objects held by an informer cache', (s) => s.objects);
  }
}

/** The metrics endpoint: GET /metrics on its own TCP address (never the CNI socket). */
export interface MetricsEndpoint {
  /** The port it listens on (the one asked for, or the one given for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `metrics` as GET /metrics on address:port; anything else is 404. Resolves once it
 * listens; rejects when it cannot (the port is taken), so the daemon does not start half-seen.
 */
export function serveMetrics(metrics: DaemonMetrics, address: string, port: number): Promise<MetricsEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${req.method} ${path}; GET /metrics\n`);
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => reject(new Error(`metrics endpoint ${address}:${port}: ${err.message}`));
    server.once('error', fail);
    server.listen(port, address, () => {
      server.off('error', fail);
      const bound = server.address();
      resolve({
        port: typeof bound === 'object' && bound !== null ? bound.port : port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
