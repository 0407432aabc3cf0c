import { CniError } from '../../../src/core/errors';
import type { ExecRequest } from '../../../src/core/ports/executor';
import { defaultScript, FakeExecutor } from '../../support/fakes';
import { hostLocal, multusConf } from '../../support/multus-conf';
import { runPlugin } from '../../support/run-plugin';
import { testContainer, type TestContainer } from '../../support/test-container';

const config = multusConf([
  { type: 'bridge', name: 'br-a', bridge: 'br-a', masterplugin: true, ipam: hostLocal('10.10.0.0/24') },
  { type: 'ptp', ipam: hostLocal('10.20.0.0/24') },
  { type: 'vendor-thing', name: 'v', cniVersion: '0.3.1', custom: { keep: true } },
]);

function failOn(type: string, command = 'ADD', code = 11): (req: ExecRequest) => unknown {
  return (req) => {
    if (req.type === type && req.command === command)
      throw new CniError(code, `${type} says no`, { details: 'delegate details' });
    return defaultScript(req);
  };
}

describe('ADD', () => {
  test('runs delegates in order with names, env and inherited fields; prints the master result', async () => {
    const t = testContainer();
    const run = await runPlugin(t.container, { command: 'ADD', config });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual(['ADD bridge eth0', 'ADD ptp net0', 'ADD vendor-thing net1']);
    const [bridge, ptp, vendor] = t.executor.calls;
    expect(bridge?.stdin).toEqual({
      type: 'bridge',
      name: 'br-a',
      bridge: 'br-a',
      cniVersion: '1.0.0',
      ipam: { type: 'host-local', subnet: '10.10.0.0/24' },
    });
    expect(ptp?.stdin).toMatchObject({ name: 'multus-net', cniVersion: '1.0.0' });
    expect(vendor?.stdin).toEqual({ type: 'vendor-thing', name: 'v', cniVersion: '0.3.1', custom: { keep: true } });
    expect(bridge?.env).toEqual({
      CNI_CONTAINERID: 'ctr1',
      CNI_NETNS: '/var/run/netns/test',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=true;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1',
      CNI_PATH: '/opt/cni/bin',
    });
    expect(run.json).toMatchObject({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }] });
  });

  test('the cache is written before the first delegate runs and after each success', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config });
    expect(t.cache.history.map((e) => e.attachments.map((a) => a.state).join(','))).toEqual([
      'pending,pending,pending',
      'added,pending,pending',
      'added,added,pending',
      'added,added,added',
    ]);
    const entry = t.cache.history[3];
    expect(entry).toMatchObject({
      kind: 'multus-ts/attachments',
      version: 2,
      containerId: 'ctr1',
      ifname: 'eth0',
      createdAt: '2026-01-02T03:04:05.000Z',
    });
    expect(entry?.attachments.map((a) => [a.ifname, a.type, a.master])).toEqual([
      ['eth0', 'bridge', true],
      ['net0', 'ptp', false],
      ['net1', 'vendor-thing', false],
    ]);
  });

  test.each([
    ['bridge', ['ADD bridge eth0', 'DEL bridge eth0']],
    ['ptp', ['ADD bridge eth0', 'ADD ptp net0', 'DEL ptp net0', 'DEL bridge eth0']],
    [
      'vendor-thing',
      [
        'ADD bridge eth0',
        'ADD ptp net0',
        'ADD vendor-thing net1',
        'DEL vendor-thing net1',
        'DEL ptp net0',
        'DEL bridge eth0',
      ],
    ],
  ])('failure of %s rolls back k..0 in reverse, removes the cache entry, keeps the code', async (type, sequence) => {
    const t = testContainer(new FakeExecutor(failOn(type)));
    const run = await runPlugin(t.container, { command: 'ADD', config });
    expect(run.code).toBe(1);
    expect(t.executor.sequence()).toEqual(sequence);
    expect(run.json).toMatchObject({ code: 11, details: 'delegate details' });
    expect(run.json?.['msg']).toContain(`type "${type}"`);
    expect(run.json?.['msg']).toContain(`ADD failed: ${type} says no`);
    expect(t.cache.entries.size).toBe(0);
  });

  test('a rollback DEL that fails keeps the entry for the runtime and is reported in details', async () => {
    const script = (req: ExecRequest): unknown => {
      if (req.type === 'ptp' && req.command === 'ADD') throw new CniError(7, 'ptp add failed');
      if (req.type === 'bridge' && req.command === 'DEL') throw new CniError(5, 'bridge del failed');
      return defaultScript(req);
    };
    const t = testContainer(new FakeExecutor(script));
    const run = await runPlugin(t.container, { command: 'ADD', config });
    expect(run.json).toMatchObject({ code: 7 });
    expect(run.json?.['details']).toContain('bridge del failed');
    const kept = [...t.cache.entries.values()][0];
    expect(kept?.attachments.map((a) => a.state)).toEqual(['added', 'deleted', 'pending']);
  });

  test('a delegate that prints nothing on ADD is an error and is rolled back', async () => {
    const t = testContainer(
      new FakeExecutor((req) => (req.type === 'ptp' && req.command === 'ADD' ? undefined : defaultScript(req))),
    );
    const run = await runPlugin(t.container, { command: 'ADD', config });
    expect(run.json).toMatchObject({ code: 102 });
    expect(run.json?.['msg']).toContain('printed nothing on ADD');
    expect(t.executor.sequence().slice(-2)).toEqual(['DEL ptp net0', 'DEL bridge eth0']);
  });

  test('an invalid delegate config fails before anything runs', async () => {
    const bad = {
      ...config,
      delegates: [config.delegates[0], { type: 'ptp', ipam: { type: 'host-local', subnet: '10.20.0.0/33' } }],
    };
    const t = testContainer();
    const run = await runPlugin(t.container, { command: 'ADD', config: bad });
    expect(run.json).toMatchObject({ code: 7 });
    expect(run.json?.['msg']).toContain('delegates[1].ipam.subnet');
    expect(t.executor.calls).toHaveLength(0);
    expect(t.cache.history).toHaveLength(0);
  });

  test.each([['../../bin/sh'], ['/usr/bin/evil'], ['a\\b']])(
    'a delegate type %j that could escape the plugin dirs is refused before anything runs',
    async (type) => {
      const t = testContainer();
      const run = await runPlugin(t.container, {
        command: 'ADD',
        config: { ...config, delegates: [config.delegates[0], { type }] },
      });
      expect(run.json).toMatchObject({ code: 7 });
      expect(run.json?.['msg']).toContain('delegates[1].type:');
      expect(run.json?.['msg']).toContain('is not a plain plugin name');
      expect(t.executor.calls).toHaveLength(0);
    },
  );

  test('problems of several delegates are all reported at once', async () => {
    const bad = {
      ...config,
      delegates: [
        { type: 'bridge', mtu: 5 },
        config.delegates[1],
        { type: 'ptp', ipam: { type: 'host-local', subnet: 'x' } },
      ],
    };
    const t = testContainer();
    const run = await runPlugin(t.container, { command: 'ADD', config: bad });
    expect(run.json).toMatchObject({ code: 7, details: '2 attachments have problems' });
    expect(run.json?.['msg']).toContain('delegates[0].mtu');
    expect(run.json?.['msg']).toContain('delegates[2].ipam.subnet');
  });

  test('a master result that cannot be converted to 0.2.0 rolls everything back', async () => {
    const noIp = (req: ExecRequest): unknown =>
      req.command === 'ADD' ? { cniVersion: '1.0.0', interfaces: [{ name: req.env.CNI_IFNAME }] } : undefined;
    const t = testContainer(new FakeExecutor(noIp));
    const cfg = {
      ...config,
      cniVersion: '0.2.0',
      delegates: [
        { type: 'x-a', cniVersion: '1.0.0' },
        { type: 'x-b', cniVersion: '1.0.0' },
      ],
    };
    const run = await runPlugin(t.container, { command: 'ADD', config: cfg });
    expect(run.json).toMatchObject({ code: 1 });
    expect(run.json?.['msg']).toContain('master network');
    expect(t.executor.sequence().slice(-2)).toEqual(['DEL x-b net0', 'DEL x-a eth0']);
    expect(t.cache.entries.size).toBe(0);
  });
});

describe('parallelDelegates', () => {
  test('same names, same result and same record as sequential', async () => {
    const seq = testContainer();
    const par = testContainer();
    const a = await runPlugin(seq.container, { command: 'ADD', config });
    const b = await runPlugin(par.container, { command: 'ADD', config: { ...config, parallelDelegates: true } });
    expect(Object.keys(b.json ?? {})).toEqual(Object.keys(a.json ?? {}));
    expect(par.executor.calls.map((c) => `${c.type} ${c.ifname}`).sort()).toEqual(
      seq.executor.calls.map((c) => `${c.type} ${c.ifname}`).sort(),
    );
    const entry = [...par.cache.entries.values()][0];
    expect(entry?.attachments.map((x) => [x.index, x.ifname, x.state])).toEqual([
      [0, 'eth0', 'added'],
      [1, 'net0', 'added'],
      [2, 'net1', 'added'],
    ]);
  });

  test('a failure rolls back everything made, also attachments after the failed one', async () => {
    const t = testContainer(new FakeExecutor(failOn('ptp')));
    const run = await runPlugin(t.container, { command: 'ADD', config: { ...config, parallelDelegates: true } });
    expect(run.json).toMatchObject({ code: 11 });
    const dels = t.executor.sequence().filter((s) => s.startsWith('DEL'));
    expect(dels).toEqual(['DEL vendor-thing net1', 'DEL ptp net0', 'DEL bridge eth0']);
    expect(t.cache.entries.size).toBe(0);
  });
});

test('parallelDelegates DEL: independent attachments at once, in reverse where they share a host object', async () => {
  const shared = multusConf([
    { type: 'bridge', name: 'b0', bridge: 'br-a', masterplugin: true, ipam: hostLocal('10.10.0.0/24') },
    { type: 'ptp', name: 'p', ipam: hostLocal('10.20.0.0/24') },
    { type: 'bridge', name: 'b1', bridge: 'br-a', ipam: hostLocal('10.30.0.0/24') },
    { type: 'vendor-thing', name: 'v', cniVersion: '0.3.1' },
  ]);
  const events: string[] = [];
  const t = testContainer(undefined, undefined, {
    replace: {
      Executor: {
        run: async (req: ExecRequest) => {
          if (req.command !== 'DEL') return defaultScript(req);
          events.push(`start ${req.env.CNI_IFNAME}`);
          await new Promise((resolve) => setImmediate(resolve));
          events.push(`end ${req.env.CNI_IFNAME}`);
          return undefined;
        },
        runTool: () => Promise.resolve(''),
      },
    },
  });
  const parallel = { ...shared, parallelDelegates: true };
  expect((await runPlugin(t.container, { command: 'ADD', config: parallel })).code).toBe(0);
  expect((await runPlugin(t.container, { command: 'DEL', config: parallel })).code).toBe(0);
  // The vendor type (last) runs alone, first; then net1 (b1) and net0 (ptp) together; eth0 (b0,
  // on b1's bridge) after net1.
  expect(events.slice(0, 2)).toEqual(['start net2', 'end net2']);
  expect(events.slice(2, 4).sort()).toEqual(['start net0', 'start net1']);
  expect(events.indexOf('start eth0')).toBeGreaterThan(events.indexOf('end net1'));
  expect(events).toHaveLength(8);
  expect(t.cache.entries.size).toBe(0);
});

describe('the container lock', () => {
  test('ADD, DEL and CHECK each hold it for the container and release it, also on failure', async () => {
    const t = testContainer(new FakeExecutor(failOn('ptp', 'CHECK')));
    await runPlugin(t.container, { command: 'ADD', config });
    await runPlugin(t.container, { command: 'CHECK', config });
    await runPlugin(t.container, { command: 'DEL', config });
    expect(t.lock.events).toEqual([
      'acquire ctr1-eth0',
      'release ctr1-eth0',
      'acquire ctr1-eth0',
      'release ctr1-eth0',
      'acquire ctr1-eth0',
      'release ctr1-eth0',
    ]);
  });

  test('delegates started under the lock are recorded in it', async () => {
    const t: TestContainer = testContainer(undefined, undefined, {
      replace: {
        Executor: {
          run: (req: ExecRequest) => {
            req.onSpawn?.(1000 + t.lock.events.length);
            return Promise.resolve(defaultScript(req));
          },
          runTool: () => Promise.resolve(''),
        },
      },
    });
    await runPlugin(t.container, { command: 'ADD', config });
    expect(t.lock.events).toEqual(['acquire ctr1-eth0', 'child 1001', 'child 1002', 'child 1003', 'release ctr1-eth0']);
  });
});

describe('stopping (SIGTERM)', () => {
  test('a stop during ADD rolls back what was made and fails with code 11', async () => {
    const stop = new AbortController();
    const script = (req: ExecRequest): unknown => {
      if (req.type === 'bridge' && req.command === 'ADD') stop.abort(new Error('multus received SIGTERM'));
      return defaultScript(req);
    };
    const t = testContainer(new FakeExecutor(script));
    const run = await runPlugin(t.container, { command: 'ADD', config, signal: stop.signal });
    expect(run.json).toMatchObject({ code: 11 });
    expect(run.json?.['msg']).toContain('ADD stopped: multus received SIGTERM');
    expect(t.executor.sequence()).toEqual(['ADD bridge eth0', 'DEL ptp net0', 'DEL bridge eth0']);
    expect(t.cache.entries.size).toBe(0);
  });

  test('delegates receive the stop signal and the delegate timeout', async () => {
    const seen: Array<[boolean, number | undefined]> = [];
    const t = testContainer(undefined, undefined, {
      replace: {
        Executor: {
          run: (req: ExecRequest) => {
            seen.push([req.signal !== undefined, req.timeoutMs]);
            return Promise.resolve(defaultScript(req));
          },
          runTool: () => Promise.resolve(''),
        },
      },
    });
    await runPlugin(t.container, {
      command: 'ADD',
      config: { ...config, delegateTimeoutSeconds: 2.5 },
      signal: new AbortController().signal,
    });
    expect(seen).toEqual([
      [true, 2500],
      [true, 2500],
      [true, 2500],
    ]);
  });
});

describe('DEL', () => {
  test('runs from the cache in reverse with prevResult (>= 0.4.0 only) and removes the entry', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config });
    t.executor.calls.length = 0;
    const run = await runPlugin(t.container, { command: 'DEL', config: { ...config, delegates: [{ type: 'other' }] } });
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(t.executor.sequence()).toEqual(['DEL vendor-thing net1', 'DEL ptp net0', 'DEL bridge eth0']);
    expect(t.executor.calls[0]?.stdin['prevResult']).toBeUndefined();
    expect(t.executor.calls[1]?.stdin['prevResult']).toMatchObject({ cniVersion: '1.0.0', ips: [expect.anything()] });
    expect(t.cache.entries.size).toBe(0);
  });

  test('keeps going past failures, reports all, keeps only what failed', async () => {
    const script = (req: ExecRequest): unknown => {
      if (req.command === 'DEL' && req.type !== 'ptp') throw new CniError(11, `${req.type} busy`);
      return defaultScript(req);
    };
    const t = testContainer(new FakeExecutor(script));
    await runPlugin(t.container, { command: 'ADD', config });
    const run = await runPlugin(t.container, { command: 'DEL', config });
    expect(run.json).toMatchObject({ code: 103 });
    expect(run.json?.['msg']).toContain('vendor-thing busy');
    expect(run.json?.['msg']).toContain('bridge busy');
    const kept = [...t.cache.entries.values()][0];
    expect(kept?.attachments.map((a) => a.state)).toEqual(['added', 'deleted', 'added']);
  });

  test('DEL without ADD is a best-effort DEL of the configured delegates and succeeds', async () => {
    const t = testContainer(new FakeExecutor(failOn('ptp', 'DEL', 999)));
    const run = await runPlugin(t.container, { command: 'DEL', config });
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(t.executor.sequence()).toEqual(['DEL vendor-thing net1', 'DEL ptp net0', 'DEL bridge eth0']);
    expect(t.logger.lines.some((l) => l.level === 'warn' && String(l.msg).includes('ptp says no'))).toBe(true);
  });

  test('DEL twice: the second finds no entry and succeeds', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config });
    expect((await runPlugin(t.container, { command: 'DEL', config })).code).toBe(0);
    expect((await runPlugin(t.container, { command: 'DEL', config })).code).toBe(0);
  });
});

describe('CHECK', () => {
  test('runs each delegate >= 0.4.0 with its cached result, skipping older ones', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config });
    t.executor.calls.length = 0;
    const run = await runPlugin(t.container, { command: 'CHECK', config });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual(['CHECK bridge eth0', 'CHECK ptp net0']);
    expect(t.executor.calls[0]?.stdin['prevResult']).toMatchObject({ cniVersion: '1.0.0' });
  });

  test('a failing CHECK names the attachment', async () => {
    const t = testContainer(new FakeExecutor(failOn('ptp', 'CHECK', 999)));
    await runPlugin(t.container, { command: 'ADD', config });
    const run = await runPlugin(t.container, { command: 'CHECK', config });
    expect(run.json).toMatchObject({ code: 999 });
    expect(run.json?.['msg']).toContain('interface net0): CHECK failed: ptp says no');
  });

  test(
    'CHECK without ADD is code 3, and leaves no trace: ' + 'the lock (which makes the cache dir) is not taken',
    async () => {
      const t = testContainer();
      const run = await runPlugin(t.container, { command: 'CHECK', config });
      expect(run.json).toMatchObject({
        code: 3,
        msg: 'no attachments recorded for container ctr1 interface eth0 in /cache',
      });
      expect(t.lock.events).toEqual([]);
      expect(t.cache.history).toEqual([]);
    },
  );

  test('CHECK below 0.4.0 is code 1', async () => {
    const t = testContainer();
    const run = await runPlugin(t.container, { command: 'CHECK', config: { ...config, cniVersion: '0.3.1' } });
    expect(run.json).toMatchObject({ code: 1, msg: 'CHECK needs cniVersion 0.4.0 or later; the config is 0.3.1' });
  });
});
