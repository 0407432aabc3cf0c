import { CniError } from '../../../src/core/errors';
import type { ExecRequest } from '../../../src/core/ports/executor';
import { defaultScript, FakeExecutor, FakeFileProbe } from '../../support/fakes';
import { runPlugin } from '../../support/run-plugin';
import { testContainer, type TestContainer } from '../../support/test-container';

const config = {
  name: 'multus',
  type: 'multus',
  cniVersion: '1.1.0',
  cniDir: '/cache',
  delegates: [
    { type: 'bridge', name: 'br', ipam: { type: 'host-local', subnet: '10.10.0.0/24' } },
    { type: 'vendor', cniVersion: '1.0.0' },
  ],
};

function setup(executor = new FakeExecutor(), probe = new FakeFileProbe()): TestContainer {
  const t = testContainer(executor, undefined, { replace: { FileProbe: probe } });
  return { ...t, probe };
}

describe('GC', () => {
  test(
    'deletes every recorded container the runtime no longer ' + 'lists, then GCs the 1.1.0 delegates with what is left',
    async () => {
      const t = setup();
      for (const id of ['keep1', 'gone1', 'gone2'])
        await runPlugin(t.container, { command: 'ADD', config, containerId: id });
      t.executor.calls.length = 0;
      const gc = await runPlugin(t.container, {
        command: 'GC',
        config: { ...config, 'cni.dev/valid-attachments': [{ containerID: 'keep1', ifname: 'eth0' }] },
      });
      expect(gc).toMatchObject({ code: 0, stdout: '' });
      expect(t.executor.calls.map((c) => `${c.command} ${c.type} ${c.env.CNI_CONTAINERID}`)).toEqual([
        'DEL vendor gone1',
        'DEL bridge gone1',
        'DEL vendor gone2',
        'DEL bridge gone2',
        'GC bridge ',
      ]);
      expect(t.executor.calls[4]?.stdin['cni.dev/valid-attachments']).toEqual([
        { containerID: 'keep1', ifname: 'eth0' },
      ]);
      expect([...t.cache.entries.keys()]).toEqual(['/cache/keep1-eth0']);
    },
  );

  test('a failing DEL keeps that record and GC reports it; the others are still collected', async () => {
    const script = (req: ExecRequest): unknown => {
      if (req.command === 'DEL' && req.env.CNI_CONTAINERID === 'gone1' && req.type === 'bridge')
        throw new CniError(11, 'busy');
      return defaultScript(req);
    };
    const t = setup(new FakeExecutor(script));
    for (const id of ['gone1', 'gone2']) await runPlugin(t.container, { command: 'ADD', config, containerId: id });
    const gc = await runPlugin(t.container, { command: 'GC', config: { ...config, 'cni.dev/valid-attachments': [] } });
    expect(gc.json).toMatchObject({ code: 11 });
    expect(gc.json?.['msg']).toContain('busy');
    expect([...t.cache.entries.keys()]).toEqual(['/cache/gone1-eth0']);
  });

  test.each([[{ 'cni.dev/valid-attachments': 'x' }], [{ 'cni.dev/valid-attachments': [{ containerID: 1 }] }]])(
    'a malformed list %j is code 7',
    async (extra) => {
      const t = setup();
      const gc = await runPlugin(t.container, { command: 'GC', config: { ...config, ...extra } });
      expect(gc.json).toMatchObject({
        code: 7,
        msg: expect.stringContaining('cni.dev/valid-attachments: must be a list'),
      });
    },
  );

  test('GC below 1.1.0 is code 1', async () => {
    const t = setup();
    const gc = await runPlugin(t.container, { command: 'GC', config: { ...config, cniVersion: '1.0.0' } });
    expect(gc.json).toMatchObject({ code: 1, msg: 'GC needs cniVersion 1.1.0 or later; the config is 1.0.0' });
  });
});

describe('STATUS', () => {
  test('code 50 while the readiness indicator file is missing, naming it', async () => {
    const t = setup();
    const run = await runPlugin(t.container, {
      command: 'STATUS',
      config: { ...config, readinessindicatorfile: '/run/flannel/subnet.env' },
    });
    expect(run.json).toMatchObject({
      code: 50,
      msg: 'readiness indicator file /run/flannel/subnet.env does not exist: the cluster network is not ready',
    });
    expect(t.executor.calls).toHaveLength(0);
  });

  test('then the STATUS of every delegate that speaks 1.1.0; a failing one is reported', async () => {
    const probe = new FakeFileProbe(new Set(['/ready']));
    const t = setup(
      new FakeExecutor((req) =>
        req.command === 'STATUS'
          ? (() => {
              throw new CniError(51, 'no IPs left');
            })()
          : defaultScript(req),
      ),
      probe,
    );
    const run = await runPlugin(t.container, {
      command: 'STATUS',
      config: { ...config, readinessindicatorfile: '/ready' },
    });
    expect(t.executor.sequence()).toEqual(['STATUS bridge ']);
    expect(run.json).toMatchObject({ code: 51 });
    expect(run.json?.['msg']).toContain('no IPs left');
  });
});

describe('readiness gate on ADD', () => {
  test('ADD waits for the file, bounded, then fails with code 11 naming it and runs nothing', async () => {
    const t = setup();
    const run = await runPlugin(t.container, {
      command: 'ADD',
      config: { ...config, readinessindicatorfile: '/ready', readinessTimeoutSeconds: 2 },
    });
    expect(run.json).toMatchObject({
      code: 11,
      msg: 'readiness indicator file /ready did not appear within 2 s: the cluster network is not ready',
    });
    expect(t.executor.calls).toHaveLength(0);
  });

  test('ADD goes ahead once the file is there', async () => {
    const t = setup(new FakeExecutor(), new FakeFileProbe(new Set(['/ready'])));
    const run = await runPlugin(t.container, {
      command: 'ADD',
      config: { ...config, readinessindicatorfile: '/ready' },
    });
    expect(run.code).toBe(0);
  });
});
