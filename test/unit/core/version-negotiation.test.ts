import { CniError } from '../../../src/core/errors';
import type { ExecRequest } from '../../../src/core/ports/executor';
import { highestCommonVersion } from '../../../src/core/version-negotiation';
import { defaultScript, FakeExecutor, FakePluginVersions } from '../../support/fakes';
import { hostLocal, multusConf } from '../../support/multus-conf';
import { runPlugin } from '../../support/run-plugin';
import { testContainer } from '../../support/test-container';

/** Debian 12's reference plugins (containernetworking-plugins 1.1.1) answer VERSION with these. */
const DEBIAN = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'];

function config(cniVersion: string, delegates: object[]): object {
  return multusConf(delegates, cniVersion);
}

const bridge = { type: 'bridge', name: 'br', ipam: hostLocal('10.10.0.0/24') };
const ptp = { type: 'ptp', name: 'p2p', ipam: hostLocal('10.20.0.0/24') };

describe('highestCommonVersion', () => {
  test.each([
    ['1.1.0', [DEBIAN], '1.0.0'],
    ['0.3.1', [DEBIAN], '0.3.1'],
    ['1.1.0', [DEBIAN, ['0.3.0', '0.3.1']], '0.3.1'],
    ['1.1.0', [undefined], '1.1.0'],
    ['1.0.0', [['1.1.0']], undefined],
    ['1.1.0', [['0.4.0', '9.9.9']], '0.4.0'],
  ] as const)('up to %s with answers %j: %s', (ceiling, answers, expected) => {
    expect(highestCommonVersion(ceiling, answers)).toBe(expected);
  });
});

describe('ADD: delegates without cniVersion run at the highest version they and the config allow', () => {
  test('a 1.1.0 config over 1.0.0 plugins: each delegate gets 1.0.0, the runtime a 1.1.0 result', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: DEBIAN, ptp: DEBIAN }));
    const run = await runPlugin(t.container, { command: 'ADD', config: config('1.1.0', [bridge, ptp]) });
    expect(run.code).toBe(0);
    expect(t.executor.calls.map((c) => [c.type, c.stdin['cniVersion']])).toEqual([
      ['bridge', '1.0.0'],
      ['ptp', '1.0.0'],
    ]);
    expect(run.json).toMatchObject({ cniVersion: '1.1.0' });
    expect(t.cache.history.at(-1)?.attachments.map((a) => a.cniVersion)).toEqual(['1.0.0', '1.0.0']);
  });

  test('each plugin type is asked once per call, with the config dir and the bin dirs', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: DEBIAN }));
    await runPlugin(t.container, { command: 'ADD', config: config('1.0.0', [bridge, bridge, ptp]) });
    expect(t.versions.queries.map((q) => [q.type, q.cacheDir, q.binDirs])).toEqual([
      ['bridge', '/cache', ['/opt/cni/bin']],
      ['ptp', '/cache', ['/opt/cni/bin']],
    ]);
  });

  test('a conflist without cniVersion runs at the highest version every plugin of its chain speaks', async () => {
    const chain = { name: 'chain', plugins: [bridge, { type: 'tuning' }] };
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: DEBIAN, tuning: ['0.3.1', '0.4.0'] }));
    const run = await runPlugin(t.container, { command: 'ADD', config: config('1.0.0', [chain]) });
    expect(run.code).toBe(0);
    expect(t.executor.calls.map((c) => [c.type, c.stdin['cniVersion']])).toEqual([
      ['bridge', '0.4.0'],
      ['tuning', '0.4.0'],
    ]);
    expect(t.executor.calls[1]?.stdin['prevResult']).toMatchObject({ cniVersion: '0.4.0' });
  });

  test('a plugin with no usable VERSION answer keeps the config version (as before negotiation)', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: undefined }));
    await runPlugin(t.container, { command: 'ADD', config: config('1.0.0', [bridge]) });
    expect(t.executor.calls[0]?.stdin['cniVersion']).toBe('1.0.0');
  });

  test('a plugin that speaks nothing up to the config version: code 1 before anything runs', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ ptp: ['1.1.0'] }));
    const run = await runPlugin(t.container, { command: 'ADD', config: config('1.0.0', [bridge, ptp]) });
    expect(run.json).toMatchObject({ code: 1 });
    expect(run.json?.['msg']).toBe(
      'network "p2p" (delegates[1], type "ptp"): no CNI version up to 1.0.0 (the multus config\'s cniVersion) ' +
        'that the plugin supports; it supports [1.1.0]; nothing was run',
    );
    expect(t.executor.calls).toEqual([]);
    expect(t.cache.history).toEqual([]);
  });
});

describe('ADD: an explicit cniVersion is checked against the plugin before anything runs', () => {
  test(
    'unsupported: code 1 naming network, place, type, ' + 'version and the plugin list; nothing runs or is recorded',
    async () => {
      const t = testContainer(new FakeExecutor(), new FakePluginVersions({ ptp: DEBIAN }));
      const run = await runPlugin(t.container, {
        command: 'ADD',
        config: config('1.1.0', [bridge, { ...ptp, cniVersion: '1.1.0' }]),
      });
      expect(run.code).toBe(1);
      expect(run.json).toEqual({
        cniVersion: '1.1.0',
        code: 1,
        msg:
          'network "p2p" (delegates[1], type "ptp"): cniVersion "1.1.0" is not supported by the plugin, which ' +
          'supports [0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0]; nothing was run',
      });
      expect(t.executor.calls).toEqual([]);
      expect(t.cache.history).toEqual([]);
    },
  );

  test('two delegates with problems are both reported', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: ['0.3.1'], ptp: ['0.3.1'] }));
    const run = await runPlugin(t.container, {
      command: 'ADD',
      config: config('1.0.0', [
        { ...bridge, cniVersion: '1.0.0' },
        { ...ptp, cniVersion: '0.4.0' },
      ]),
    });
    expect(run.json?.['msg']).toMatch(
      new RegExp(
        /^network "br" \(delegates\[0\], type "bridge"\): cniVersion "1\.0\.0".*; /u.source +
          /network "p2p" \(delegates\[1\], type "ptp"\): cniVersion "0\.4\.0"/u.source,
        'u',
      ),
    );
    expect(run.json?.['details']).toBe('2 attachments have problems');
  });

  test('supported: sent as written, never raised or lowered', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: DEBIAN }));
    await runPlugin(t.container, { command: 'ADD', config: config('1.0.0', [{ ...bridge, cniVersion: '0.3.1' }]) });
    expect(t.executor.calls[0]?.stdin['cniVersion']).toBe('0.3.1');
  });
});

describe('DEL and CHECK use the version recorded at ADD', () => {
  test('DEL and CHECK of a negotiated attachment send its recorded version and prevResult', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: DEBIAN }));
    const c = config('1.1.0', [bridge]);
    await runPlugin(t.container, { command: 'ADD', config: c });
    t.executor.calls.length = 0;
    expect((await runPlugin(t.container, { command: 'CHECK', config: c })).code).toBe(0);
    expect((await runPlugin(t.container, { command: 'DEL', config: c })).code).toBe(0);
    expect(
      t.executor.calls.map((c2) => [
        c2.command,
        c2.stdin['cniVersion'],
        (c2.stdin['prevResult'] as { cniVersion?: string })?.cniVersion,
      ]),
    ).toEqual([
      ['CHECK', '1.0.0', '1.0.0'],
      ['DEL', '1.0.0', '1.0.0'],
    ]);
  });
});

describe('STATUS and GC go only to plugins that speak CNI 1.1', () => {
  const statusScript = (req: ExecRequest): unknown => defaultScript(req);

  test('STATUS of a 1.1.0 config over 1.0.0 plugins asks no plugin and succeeds', async () => {
    const t = testContainer(new FakeExecutor(statusScript), new FakePluginVersions({ bridge: DEBIAN, ptp: DEBIAN }));
    const run = await runPlugin(t.container, { command: 'STATUS', config: config('1.1.0', [bridge, ptp]) });
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(t.executor.calls).toEqual([]);
    expect(
      t.logger.lines
        .filter((l) => l.level === 'debug' && /STATUS skipped/u.test(l.msg ?? ''))
        .map((l) => (l.obj as { type: string }).type),
    ).toEqual(['bridge', 'ptp']);
  });

  test('STATUS goes to a plugin that speaks 1.1.0, at 1.1.0, and to each plugin of a conflist', async () => {
    const t = testContainer(new FakeExecutor(statusScript), new FakePluginVersions({ bridge: DEBIAN }));
    const chain = { name: 'chain', plugins: [{ type: 'vendor' }, { type: 'tuning' }] };
    await runPlugin(t.container, { command: 'STATUS', config: config('1.1.0', [bridge, chain]) });
    expect(t.executor.calls.map((c) => [c.command, c.type, c.stdin['cniVersion']])).toEqual([
      ['STATUS', 'vendor', '1.1.0'],
      ['STATUS', 'tuning', '1.1.0'],
    ]);
  });

  test('GC skips recorded plugins that do not speak 1.1.0 and sends it to those that do', async () => {
    const t = testContainer(new FakeExecutor(), new FakePluginVersions({ bridge: DEBIAN }));
    const c = config('1.1.0', [bridge, { type: 'vendor', name: 'v' }]);
    await runPlugin(t.container, { command: 'ADD', config: c, containerId: 'keep' });
    t.executor.calls.length = 0;
    const gc = await runPlugin(t.container, {
      command: 'GC',
      config: { ...c, 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] },
    });
    expect(gc.code).toBe(0);
    expect(t.executor.calls.map((call) => `${call.command} ${call.type} ${String(call.stdin['cniVersion'])}`)).toEqual([
      'GC vendor 1.1.0',
    ]);
  });
});

describe('a DEL without a record is best effort', () => {
  test("a plugin that cannot be asked (gone from the node) does not stop the other delegates' DEL", async () => {
    const versions = new FakePluginVersions({ bridge: DEBIAN, ptp: DEBIAN });
    versions.supported = async (query) => {
      versions.queries.push(query);
      if (query.type === 'ptp') throw new CniError(101, 'failed to find plugin "ptp" in path [/opt/cni/bin]');
      return DEBIAN;
    };
    const t = testContainer(new FakeExecutor(), versions);
    const run = await runPlugin(t.container, { command: 'DEL', config: config('1.1.0', [bridge, ptp]) });
    expect(run.code).toBe(0);
    expect(t.executor.calls.map((c) => [c.command, c.type, c.stdin['cniVersion']])).toEqual([
      ['DEL', 'ptp', '1.1.0'],
      ['DEL', 'bridge', '1.0.0'],
    ]);
  });
});
