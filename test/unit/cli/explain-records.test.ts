import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli-main';
import { renderRecords } from '../../../src/cli/explain/records-listing';
import type { RecordReport } from '../../../src/core/reconcile';
import type { PluginHandlers } from '../../../src/core/skel';
import type { RecordsListing } from '../../../src/daemon/reconcile-loop';
import { DaemonServer } from '../../../src/daemon/server';
import { testServerOptions } from '../../support/daemon-socket';
import { RecordingLogger } from '../../support/fakes';
import { useTempDir } from '../../support/temp-dir';
import { bufferIo } from './cli-test-support';

const gone: RecordReport = {
  containerId: '0123456789abcdef0123',
  ifname: 'eth0',
  netns: '/var/run/netns/cni-1',
  createdAt: '2026-01-02T03:04:05.000Z',
  pod: { namespace: 'ns1', name: 'web-0', uid: 'u1' },
  attachments: [
    { network: 'br', type: 'bridge', ifname: 'eth0', state: 'added' },
    { network: 'v', type: 'macvlan', ifname: 'net1', state: 'deleted' },
  ],
  action: 'delete',
  outcome: 'pod_gone',
  why: 'pod ns1/web-0 is gone since 700 s and its netns /var/run/netns/cni-1 is gone',
  goneSince: '2026-01-02T03:04:05.000Z',
};
const kept: RecordReport = {
  ...gone,
  containerId: 'fedcba',
  pod: undefined,
  attachments: [{ network: 'br', type: 'bridge', ifname: 'eth0', state: 'added' }],
  action: 'keep',
  outcome: 'no_pod',
  why: 'the record names no pod (no K8S_POD_NAMESPACE and K8S_POD_NAME)',
};
const LISTING: RecordsListing = {
  at: '2026-01-02T03:20:00.000Z',
  synced: true,
  dryRun: false,
  graceSeconds: 600,
  cacheDir: '/var/lib/cni/multus',
  intervalSeconds: 300,
  lastPass: '2026-01-02T03:19:00.000Z',
  records: [gone, kept],
};

describe('renderRecords', () => {
  test('a header, then one row a record: its pod, attachments, what the next pass does and why', () => {
    expect(renderRecords(LISTING).split('\n')).toEqual([
      'records in /var/lib/cni/multus: 2; pod cache synced; reconcile every 300 s; grace 600 s; last pass ' +
        '2026-01-02T03:19:00.000Z',
      '',
      'CONTAINER     IFNAME  POD        ATTACHMENTS         NEXT    WHY',
      '0123456789ab  eth0    ns1/web-0  1 added, 1 deleted  delete  pod_gone: pod ns1/web-0 is gone since 700 s and ' +
        'its netns /var/run/netns/cni-1 is gone',
      'fedcba        eth0    -          1 added             keep    no_pod: the record names no pod (no ' +
        'K8S_POD_NAMESPACE and K8S_POD_NAME)',
      '',
    ]);
  });

  test('not synced, dry run, reconcile off, no records', () => {
    const listing = { ...LISTING, synced: false, dryRun: true, intervalSeconds: 0, records: [] };
    const { lastPass: _l, ...noPass } = listing;
    expect(renderRecords(noPass)).toBe(
      'records in /var/lib/cni/multus: 0; pod cache NOT synced (nothing is deleted); reconcile off, dry run; ' +
        'grace 600 s\n',
    );
    expect(renderRecords({ ...LISTING, dryRun: true })).toContain('would delete (dry run)');
    expect(renderRecords({ ...LISTING, intervalSeconds: 0 })).toContain('delete (reconcile off)');
  });
});

describe('multus explain --records', () => {
  const dir = useTempDir('multus-explain-records-');
  let server: DaemonServer | undefined;

  afterEach(async () => {
    await server?.stop(1000);
    server = undefined;
  });

  async function serve(): Promise<string> {
    const socket = join(dir(), 'multus.sock');
    const plugin = {} as PluginHandlers;
    const options = testServerOptions(socket, plugin, new RecordingLogger(), {
      records: () => Promise.resolve(LISTING),
    });
    server = new DaemonServer(options);
    await server.start();
    return socket;
  }

  async function explain(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const io = bufferIo();
    const code = await runCli(['explain', ...args], io);
    return { code, out: io.stdout(), err: io.stderr() };
  }

  test('asks the daemon on --socket and prints the table; --json prints the listing', async () => {
    const socket = await serve();
    expect(await explain('--records', '--socket', socket)).toEqual({ code: 0, out: renderRecords(LISTING), err: '' });
    const json = await explain('--records', `--socket=${socket}`, '--json');
    expect(JSON.parse(json.out)).toEqual(LISTING);
  });

  test('no daemon: exit 1 naming the socket', async () => {
    const socket = join(dir(), 'none.sock');
    const r = await explain('--records', '--socket', socket);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot list the daemon's records at ${socket}: connect ENOENT`);
  });

  test('usage: a FILE or an unknown option with --records is exit 2', async () => {
    expect((await explain('--records', 'multus.conf')).code).toBe(2);
    expect((await explain('--records', '--pod', 'x')).code).toBe(2);
  });
});
