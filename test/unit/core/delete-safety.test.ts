import { HOST_NETNS_PATHS } from '../../../src/core/host-netns';
import { defaultScript, FakeExecutor } from '../../support/fakes';
import { hostLocal, multusConf } from '../../support/multus-conf';
import { runPlugin } from '../../support/run-plugin';
import { testContainer, type TestContainer } from '../../support/test-container';

const config = multusConf([
  { type: 'bridge', name: 'br', ipam: hostLocal('10.10.0.0/24') },
  { type: 'ptp', name: 'p2p', ipam: hostLocal('10.20.0.0/24') },
]);

/** A container where /var/run/netns/host-alias names the host's namespace (as multus's own, or init's). */
function hostNetnsContainer(host: string = HOST_NETNS_PATHS[0]): TestContainer {
  const t = testContainer();
  t.probe.same.push(['/var/run/netns/host-alias', host]);
  return t;
}

describe("CNI_NETNS that is the host's own network namespace", () => {
  test.each([
    ['ADD', HOST_NETNS_PATHS[0]],
    ['CHECK', HOST_NETNS_PATHS[0]],
    ['ADD', HOST_NETNS_PATHS[1]],
  ])('%s is refused with code 4 before any delegate runs (same file as %s)', async (command, host) => {
    const t = hostNetnsContainer(host);
    const run = await runPlugin(t.container, { command, config, netns: '/var/run/netns/host-alias' });
    expect(run.json).toMatchObject({
      code: 4,
      msg:
        `CNI_NETNS: /var/run/netns/host-alias is the host's own network namespace (the one multus runs in); ` +
        `refusing to ${command} pod interfaces there`,
    });
    expect(t.executor.calls).toEqual([]);
    expect(t.cache.history).toEqual([]);
  });

  test('DEL from a record runs the delegates with an empty CNI_NETNS, never the host namespace', async () => {
    const t = hostNetnsContainer();
    await runPlugin(t.container, { command: 'ADD', config });
    t.executor.calls.length = 0;
    const run = await runPlugin(t.container, { command: 'DEL', config, netns: '/var/run/netns/host-alias' });
    expect(run.code).toBe(0);
    expect(t.executor.calls.map((c) => [c.command, c.type, c.env.CNI_NETNS])).toEqual([
      ['DEL', 'ptp', ''],
      ['DEL', 'bridge', ''],
    ]);
    expect(t.cache.entries.size).toBe(0);
  });

  test('DEL without a record does the same', async () => {
    const t = hostNetnsContainer();
    await runPlugin(t.container, { command: 'DEL', config, netns: '/var/run/netns/host-alias' });
    expect(t.executor.calls.map((c) => c.env.CNI_NETNS)).toEqual(['', '']);
  });
});

describe('a DEL with no record of its own deletes only what is not recorded under another CNI_IFNAME', () => {
  test('ADD eth0, DEL eth1: the eth0 record’s net0 and lease are untouched; eth1 is deleted', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config, ifname: 'eth0' });
    t.executor.calls.length = 0;
    const run = await runPlugin(t.container, { command: 'DEL', config, ifname: 'eth1' });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual(['DEL bridge eth1']);
    expect(t.cache.entries.size).toBe(1);
    const skipped = t.logger.lines.find((l) => /DEL without a record of its own/u.test(l.msg ?? ''));
    expect(skipped?.obj).toMatchObject({ skipped: ['net0 (delegates[1])'], records: 'eth0' });
  });

  test('then the DEL of eth0 deletes the eth0 record as usual', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config, ifname: 'eth0' });
    await runPlugin(t.container, { command: 'DEL', config, ifname: 'eth1' });
    t.executor.calls.length = 0;
    expect((await runPlugin(t.container, { command: 'DEL', config, ifname: 'eth0' })).code).toBe(0);
    expect(t.executor.sequence()).toEqual(['DEL ptp net0', 'DEL bridge eth0']);
    expect(t.cache.entries.size).toBe(0);
  });

  test('another container’s records do not count', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config, containerId: 'other' });
    t.executor.calls.length = 0;
    await runPlugin(t.container, { command: 'DEL', config, containerId: 'ctr1' });
    expect(t.executor.sequence()).toEqual(['DEL ptp net0', 'DEL bridge eth0']);
  });
});

describe('a DEL is not stopped by a config problem that does not keep it from deleting', () => {
  test('"readinessindicatorfile": "" (Go’s default configs) means no readiness file, on every command', async () => {
    const t = testContainer(new FakeExecutor(defaultScript));
    const c = { ...config, readinessindicatorfile: '' };
    expect((await runPlugin(t.container, { command: 'ADD', config: c })).code).toBe(0);
    expect((await runPlugin(t.container, { command: 'DEL', config: c })).code).toBe(0);
  });

  test('a broken key: DEL works from the record with the usable keys (cniDir) and logs the problem', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config });
    t.executor.calls.length = 0;
    const broken = { ...config, delegateTimeoutSeconds: 'soon', delegates: 'gone' };
    const run = await runPlugin(t.container, { command: 'DEL', config: broken });
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(t.executor.sequence()).toEqual(['DEL ptp net0', 'DEL bridge eth0']);
    expect(t.cache.entries.size).toBe(0);
    const warned = t.logger.lines.find((l) => l.level === 'warn' && /despite a config problem/u.test(l.msg ?? ''));
    expect(warned?.msg).toContain('delegateTimeoutSeconds: must be a number of seconds');
  });

  test('log levels that disagree are a config problem too: DEL from the record goes on', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config });
    t.executor.calls.length = 0;
    const run = await runPlugin(t.container, {
      command: 'DEL',
      config: { ...config, log_level: 'debug', logLevel: 'error' },
    });
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect(t.executor.sequence()).toEqual(['DEL ptp net0', 'DEL bridge eth0']);
  });

  test('the same broken config and no record: the config problem is the answer (code 7), nothing runs', async () => {
    const t = testContainer();
    const run = await runPlugin(t.container, { command: 'DEL', config: { ...config, delegates: 'gone' } });
    expect(run.json).toMatchObject({ code: 7 });
    expect(run.json?.['msg']).toBe('invalid multus config: delegates: must be a JSON object');
    expect(t.executor.calls).toEqual([]);
  });

  test('ADD with the same problem still fails with it', async () => {
    const t = testContainer();
    const run = await runPlugin(t.container, { command: 'ADD', config: { ...config, delegateTimeoutSeconds: 'soon' } });
    expect(run.json).toMatchObject({ code: 7 });
  });
});
