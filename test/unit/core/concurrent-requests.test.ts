/**
 * One container serves many requests at once (the thick daemon's shape): two ADDs for two pods
 * run interleaved on one container, with a scripted executor that holds the first pod's delegate
 * until the second pod's has started. Neither sees the other's state: its own delegates, its own
 * interface names and addresses, its own record, its own vendor adapters.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecRequest } from '../../../src/core/ports/executor';
import type { PluginHandlers } from '../../../src/core/skel';
import { TOKENS } from '../../../src/core/tokens';
import { FakeExecutor } from '../../support/fakes';
import { runPlugin } from '../../support/run-plugin';
import { testContainer } from '../../support/test-container';

/** A latch the script opens when the second pod's first delegate starts. */
function latch(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

function config(name: string, subnet: string, adapterDirs: string[] = []): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name,
    type: 'multus',
    adapterDirs,
    delegates: [
      { name: `${name}-a`, type: 'bridge', subnet },
      { name: `${name}-b`, type: 'ptp', subnet, ipam: { type: 'host-local', subnet: `${subnet}.0/24` } },
    ],
  };
}

/** Each delegate answers with an address from its own config's subnet, so a mix-up would show. */
function script(secondStarted: { opened: Promise<void>; open: () => void }) {
  return async (req: ExecRequest): Promise<unknown> => {
    if (req.command !== 'ADD') return undefined;
    if (req.env.CNI_CONTAINERID === 'pod-b') secondStarted.open();
    else await secondStarted.opened;
    const prefix = String(req.stdin['subnet']);
    const host = req.env.CNI_IFNAME === 'eth0' ? 2 : 3;
    return {
      cniVersion: '1.0.0',
      interfaces: [{ name: req.env.CNI_IFNAME, sandbox: req.env.CNI_NETNS }],
      ips: [{ address: `${prefix}.${host}/24`, interface: 0 }],
    };
  };
}

let vendorDir: string;
beforeAll(() => {
  vendorDir = mkdtempSync(join(tmpdir(), 'multus-concurrent-'));
  writeFileSync(
    join(vendorDir, 'only-b.cjs'),
    `module.exports = (api) => ({ name: 'only-b', adapters: [(e) => new (class extends api.ExecAdapter {
      constructor(x) { super(x, { name: 'only-b', priority: 90, types: ['ptp'] }); }
      prepare(conf, ctx) { return { ...super.prepare(conf, ctx), madeBy: 'only-b' }; }
    })(e)] });\n`,
    { mode: 0o644 },
  );
});
afterAll(() => rmSync(vendorDir, { recursive: true, force: true }));

test('two ADDs on one container at once: each gets its own results, names, records and adapters', async () => {
  const secondStarted = latch();
  const t = testContainer(new FakeExecutor(script(secondStarted)));
  const first = runPlugin(t.container, { command: 'ADD', containerId: 'pod-a', config: config('a', '10.61.1') });
  const second = runPlugin(t.container, {
    command: 'ADD',
    containerId: 'pod-b',
    netns: '/var/run/netns/b',
    config: config('b', '10.61.2', [vendorDir]),
  });
  const [a, b] = await Promise.all([first, second]);
  expect([a.code, b.code]).toEqual([0, 0]);
  expect(a.json?.['ips']).toEqual([{ address: '10.61.1.2/24', interface: 0 }]);
  expect(b.json?.['ips']).toEqual([{ address: '10.61.2.2/24', interface: 0 }]);
  // They really ran interleaved: pod-b's first delegate started before pod-a's first finished.
  const order = t.executor.calls.map((c) => `${c.env.CNI_CONTAINERID} ${c.type} ${c.ifname}`);
  expect(order.indexOf('pod-b bridge eth0')).toBeLessThan(order.indexOf('pod-a ptp net0'));
  const stdins = (pod: string): Record<string, unknown>[] =>
    t.executor.calls.filter((c) => c.env.CNI_CONTAINERID === pod).map((c) => c.stdin);
  // pod-b's config named a vendor adapter directory; pod-a's did not and never sees its adapter.
  expect(stdins('pod-a').map((s) => [s['name'], s['madeBy']])).toEqual([
    ['a-a', undefined],
    ['a-b', undefined],
  ]);
  expect(stdins('pod-b').map((s) => [s['name'], s['madeBy']])).toEqual([
    ['b-a', undefined],
    ['b-b', 'only-b'],
  ]);
  const records = [...t.cache.entries.values()].map((e) => [e.containerId, e.attachments.map((x) => x.network)]);
  expect(records.sort()).toEqual([
    ['pod-a', ['a-a', 'a-b']],
    ['pod-b', ['b-a', 'b-b']],
  ]);
});

test('the plugin, orchestrator and planner are singletons: both requests were served by the same objects', () => {
  const { container } = testContainer();
  for (const token of [TOKENS.Plugin, TOKENS.Orchestrator, TOKENS.Planner, TOKENS.AdapterCatalog])
    expect(container.get<PluginHandlers>(token)).toBe(container.get<PluginHandlers>(token));
});
