import { CniCode, CniError } from '../../../src/core/errors';
import type { ExecRequest } from '../../../src/core/ports/executor';
import { defaultScript, FakeExecutor } from '../../../src/testing/fakes';
import { FakeConfDir, FakeKubeClient } from '../../support/fake-kube';
import { runPlugin } from '../../support/run-plugin';
import { testContainer, type TestContainer } from '../../support/test-container';

const NET = '/etc/cni/net.d';
const CHAIN = `${NET}/vendor-cni-chain`;
const args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1;K8S_POD_UID=uid-pod1';
const config = {
  name: 'multus-net',
  type: 'multus',
  cniVersion: '1.0.0',
  kubeconfig: '/etc/kubernetes/node.kubeconfig',
  clusterNetwork: `${NET}/10-cluster.conf`,
  auxiliaryCNIChainName: 'vendor-cni-chain',
};
const STATUS = 'k8s.v1.cni.cncf.io/network-status';

const files = {
  [`${NET}/10-cluster.conf`]: {
    cniVersion: '0.4.0',
    name: 'cluster',
    type: 'bridge',
    ipam: { type: 'host-local', subnet: '10.244.0.0/24' },
  },
  [`${CHAIN}/20-more.conflist`]: { cniVersion: '1.0.0', name: 'more', plugins: [{ type: 'portmap' }, { type: 'sbr' }] },
  [`${CHAIN}/10-tuning.conf`]: { cniVersion: '1.0.0', name: 'tun', type: 'tuning', sysctl: { 'x.y': '1' } },
};

/** Chained plugins answer with their prevResult, as tuning does; `fail` makes one type fail its ADD. */
function chainedScript(fail?: string) {
  return (req: ExecRequest): unknown => {
    if (req.command === 'ADD' && req.type === fail) throw new CniError(CniCode.InvalidConfig, `${fail} said no`);
    const prev = req.stdin['prevResult'];
    if (req.command === 'ADD' && prev !== undefined) return prev;
    return defaultScript(req);
  };
}

function setup(
  annotations: Record<string, string> = {},
  fail?: string,
  more = {},
): TestContainer & { kube: FakeKubeClient } {
  const kube = new FakeKubeClient().addPod('ns1', 'pod1', annotations).addNad('ns1', 'extra', {
    cniVersion: '1.0.0',
    name: 'extra',
    type: 'ptp',
    ipam: { type: 'host-local', subnet: '10.70.0.0/24' },
  });
  const replace = { KubeClientProvider: kube, ConfDirReader: new FakeConfDir({ ...files, ...more }) };
  return { ...testContainer(new FakeExecutor(chainedScript(fail)), undefined, { replace }), kube };
}

describe('the auxiliary CNI chain', () => {
  test("ADD: the chain on eth0 after the master, from its result; result and status: the master's", async () => {
    const t = setup({ 'k8s.v1.cni.cncf.io/networks': 'extra' });
    const run = await runPlugin(t.container, { command: 'ADD', config, args });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual([
      'ADD bridge eth0',
      'ADD tuning eth0',
      'ADD portmap eth0',
      'ADD sbr eth0',
      'ADD ptp net0',
    ]);
    // One record for the pod (keyed by the runtime's CNI_IFNAME): the chain and the master share it, by index.
    expect(t.cache.entries.size).toBe(1);
    const [bridge, tuning, portmap] = t.executor.calls;
    // The chain speaks the master's cniVersion and its own name; the master's result is its first prevResult.
    expect(tuning?.stdin).toMatchObject({ name: 'vendor-cni-chain', cniVersion: '0.4.0', type: 'tuning' });
    expect(portmap?.stdin).toMatchObject({ name: 'vendor-cni-chain', cniVersion: '0.4.0' });
    const masterResult = defaultScript({ ...(bridge as unknown as ExecRequest), command: 'ADD' });
    expect(tuning?.stdin['prevResult']).toEqual(masterResult);
    expect(tuning?.env.CNI_IFNAME).toBe('eth0');
    const status = JSON.parse(t.kube.pods.get('ns1/pod1')?.annotations[STATUS] ?? '[]') as Array<
      Record<string, unknown>
    >;
    expect(status.map((s) => [s['name'], s['interface'], s['default']])).toEqual([
      ['cluster', 'eth0', true],
      ['ns1/extra', 'net0', false],
    ]);
    expect((run.json?.['ips'] as unknown[]).length).toBe(1);
    const entry = [...t.cache.entries.values()][0];
    expect(entry?.attachments.map((a) => [a.index, a.network, a.ifname, a.auxiliary ?? false, a.state])).toEqual([
      [0, 'cluster', 'eth0', false, 'added'],
      [1, 'vendor-cni-chain', 'eth0', true, 'added'],
      [2, 'extra', 'net0', false, 'added'],
    ]);
    expect(entry?.attachments[1]?.origins).toEqual([
      `auxiliaryCNIChainName (${CHAIN}/10-tuning.conf)`,
      `auxiliaryCNIChainName (${CHAIN}/20-more.conflist).plugins[0]`,
      `auxiliaryCNIChainName (${CHAIN}/20-more.conflist).plugins[1]`,
    ]);
  });

  test('DEL: from the record in reverse, the chain before the master, with its recorded result', async () => {
    const t = setup({ 'k8s.v1.cni.cncf.io/networks': 'extra' });
    await runPlugin(t.container, { command: 'ADD', config, args });
    const recorded = [...t.cache.entries.values()][0]?.attachments[1]?.result;
    t.executor.calls.length = 0;
    expect((await runPlugin(t.container, { command: 'DEL', config, args })).code).toBe(0);
    expect(t.executor.sequence()).toEqual([
      'DEL ptp net0',
      'DEL sbr eth0',
      'DEL portmap eth0',
      'DEL tuning eth0',
      'DEL bridge eth0',
    ]);
    expect(t.executor.calls[1]?.stdin['prevResult']).toEqual(recorded);
    expect(t.cache.entries.size).toBe(0);
  });

  test("a failing chain fails the ADD naming it; all rolled back (its DEL gets the master's result)", async () => {
    const t = setup({}, 'portmap');
    const run = await runPlugin(t.container, { command: 'ADD', config, args });
    expect(run.code).toBe(1);
    expect(run.json?.['code']).toBe(7);
    expect(run.json?.['msg']).toBe(
      `network "vendor-cni-chain" (auxiliaryCNIChainName "vendor-cni-chain" (${CHAIN}), type "tuning,portmap,sbr", ` +
        `interface eth0): ADD failed: auxiliaryCNIChainName (${CHAIN}/20-more.conflist).plugins[0] (type portmap): ` +
        'portmap said no',
    );
    expect(t.executor.sequence()).toEqual([
      'ADD bridge eth0',
      'ADD tuning eth0',
      'ADD portmap eth0',
      'DEL sbr eth0',
      'DEL portmap eth0',
      'DEL tuning eth0',
      'DEL bridge eth0',
    ]);
    expect(t.executor.calls[3]?.stdin['prevResult']).toEqual(t.executor.calls[1]?.stdin['prevResult']);
    expect(t.cache.entries.size).toBe(0);
    expect(t.kube.pods.get('ns1/pod1')?.annotations[STATUS]).toBeUndefined();
  });

  test('GC deletes the chain with its record: before the master, its result as prevResult', async () => {
    const t = setup();
    const gcConfig = { ...config, cniVersion: '1.1.0' };
    expect((await runPlugin(t.container, { command: 'ADD', config: gcConfig, args })).code).toBe(0);
    const recorded = [...t.cache.entries.values()][0]?.attachments[1]?.result;
    t.executor.calls.length = 0;
    const gc = await runPlugin(t.container, {
      command: 'GC',
      config: { ...gcConfig, 'cni.dev/valid-attachments': [] },
    });
    expect(gc).toMatchObject({ code: 0, stdout: '' });
    expect(t.executor.sequence()).toEqual(['DEL sbr eth0', 'DEL portmap eth0', 'DEL tuning eth0', 'DEL bridge eth0']);
    expect(t.executor.calls[0]?.stdin['prevResult']).toEqual(recorded);
    expect(t.cache.entries.size).toBe(0);
  });

  test('in parallel mode the chain still waits for the master, and the next attachment for the chain', async () => {
    const t = setup({ 'k8s.v1.cni.cncf.io/networks': 'extra' });
    const run = await runPlugin(t.container, { command: 'ADD', config: { ...config, parallelDelegates: true }, args });
    expect(run.code).toBe(0);
    expect(t.executor.sequence().slice(0, 4)).toEqual([
      'ADD bridge eth0',
      'ADD tuning eth0',
      'ADD portmap eth0',
      'ADD sbr eth0',
    ]);
    expect(t.executor.calls[1]?.stdin['prevResult']).toBeDefined();
  });

  test('no chain directory: no chain, said at debug', async () => {
    const t = setup();
    const run = await runPlugin(t.container, {
      command: 'ADD',
      config: { ...config, auxiliaryCNIChainName: 'none' },
      args,
    });
    expect(run.code).toBe(0);
    expect(t.executor.sequence()).toEqual(['ADD bridge eth0']);
    expect(t.logger.lines.some((l) => l.level === 'debug' && (l.msg ?? '').startsWith('auxiliary CNI chain'))).toBe(
      true,
    );
  });

  test('a passthru plugin in the directory: code 7 naming the file, nothing run', async () => {
    const t = setup({}, undefined, { [`${CHAIN}/00-passthru.conf`]: { type: 'passthru' } });
    const run = await runPlugin(t.container, { command: 'ADD', config, args });
    expect(run.json?.['code']).toBe(7);
    expect(run.json?.['msg']).toContain(
      `auxiliaryCNIChainName (${CHAIN}/00-passthru.conf).type: "passthru" is not needed`,
    );
    expect(t.executor.calls).toEqual([]);
  });

  test.each([
    [
      { clusterNetwork: 'cluster' },
      'auxiliaryCNIChainName "vendor-cni-chain" needs clusterNetwork to be the absolute path',
    ],
    [{ clusterNetwork: undefined }, 'clusterNetwork is not set'],
    [
      { auxiliaryCNIChainName: '../etc' },
      'auxiliaryCNIChainName: must be a directory name beside the clusterNetwork file',
    ],
    [{ auxiliaryCNIChainName: 'a/b' }, 'auxiliaryCNIChainName: must be a directory name'],
  ])('config %j: code 7 naming the keys', async (change, message) => {
    const t = setup();
    const run = await runPlugin(t.container, { command: 'ADD', config: { ...config, ...change }, args });
    expect(run.json?.['code']).toBe(7);
    expect(run.json?.['msg']).toContain(message);
  });
});
