import { request } from 'node:http';
import { isObject } from '../../core/json';
import type { RecordReport } from '../../core/reconcile';
import { RECORDS_PATH } from '../../daemon/protocol';
import type { RecordsListing } from '../../daemon/reconcile-loop';

/** GET /v1/records on the daemon's socket: the listing, or an Error saying why there is none. */
export function fetchRecords(socketPath: string, timeoutMs = 30_000): Promise<RecordsListing> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: RECORDS_PATH, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (res.statusCode === 200 && isObject(body) && Array.isArray(body['records']))
          resolve(body as unknown as RecordsListing);
        else reject(new Error(`the daemon answered HTTP ${res.statusCode ?? '?'}: ${text.slice(0, 500)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** "2 added", "1 added, 1 deleted": a record's attachments by state. */
function statesOf(record: RecordReport): string {
  const counts = new Map<string, number>();
  for (const a of record.attachments) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'none';
}

function nextOf(record: RecordReport, listing: RecordsListing): string {
  if (record.action === 'keep') return 'keep';
  if (listing.dryRun) return 'would delete (dry run)';
  return listing.intervalSeconds > 0 ? 'delete' : 'delete (reconcile off)';
}

/** Columns padded to their widest cell; the last one is left as it is. */
function table(rows: ReadonlyArray<readonly string[]>): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** The listing as people read it: a header line, then one row a record with what the next pass does and why. */
export function renderRecords(listing: RecordsListing): string {
  const every = listing.intervalSeconds > 0 ? `every ${listing.intervalSeconds} s` : 'off';
  const head = [
    `records in ${listing.cacheDir}: ${listing.records.length}`,
    `pod cache ${listing.synced ? 'synced' : 'NOT synced (nothing is deleted)'}`,
    `reconcile ${every}${listing.dryRun ? ', dry run' : ''}`,
    `grace ${listing.graceSeconds} s`,
    ...(listing.lastPass === undefined ? [] : [`last pass ${listing.lastPass}`]),
  ].join('; ');
  if (listing.records.length === 0) return `${head}\n`;
  const rows = [
    ['CONTAINER', 'IFNAME', 'POD', 'ATTACHMENTS', 'NEXT', 'WHY'],
    ...listing.records.map((r) => [
      r.containerId.slice(0, 12),
      r.ifname,
      r.pod === undefined ? '-' : `${r.pod.namespace}/${r.pod.name}`,
      statesOf(r),
      nextOf(r, listing),
      `${r.outcome}: ${r.why}`,
    ]),
  ];
  return `${head}\n\n${table(rows)}\n`;
}
