import { CniCode, CniError } from '../../../src/core/errors';
import type { NetworkPlan, NetworkRequest, PodRef } from '../../../src/core/plan';
import type { ExecRequest } from '../../../src/core/ports/executor';
import type { NetworkSource } from '../../../src/core/ports/network-source';
import type { NetworkStatus, StatusReporter } from '../../../src/core/ports/status-reporter';
import { defaultScript, FakeExecutor } from '../../support/fakes';
import { runPlugin } from '../../support/run-plugin';
import { testContainer, type TestContainer } from '../../support/test-container';

/** A source that returns a fixed plan: tests swap sources through the container. */
class FixedSource implements NetworkSource {
  readonly name = 'fixed';
  constructor(private readonly plan: NetworkPlan) {}
  supports(): boolean {
    return true;
  }
  resolve(): Promise<NetworkPlan> {
    return Promise.resolve(this.plan);
  }
}

class RecordingReporter implements StatusReporter {
  readonly reports: Array<{ pod: PodRef; statuses: readonly NetworkStatus[] }> = [];
  report(_r: NetworkRequest, pod: PodRef, statuses: readonly NetworkStatus[]): Promise<void> {
    this.reports.push({ pod, statuses });
    return Promise.resolve();
  }
}

const chain = {
  cniVersion: '1.0.0',
  name: 'cluster',
  plugins: [
    { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.244.0.0/24' } },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
};

const plan: NetworkPlan = {
  pod: { namespace: 'ns1', name: 'pod1' },
  attachments: [
    { network: 'cluster', conf: chain, master: true, origin: 'clusterNetwork', statusName: 'cluster' },
    {
      network: 'macvlan-net',
      conf: { cniVersion: '1.0.0', name: 'macvlan-net', type: 'macvlan', capabilities: { ips: true } },
      master: false,
      origin: 'annotation entry 0',
      ifname: 'data0',
      runtimeConfig: { ips: ['10.50.0.5/24'], mac: '02:00:00:00:00:01' },
      cniArgs: { foo: 'bar' },
      defaultRoute: ['10.50.0.1'],
      statusName: 'ns1/macvlan-net',
    },
  ],
};

const config = {
  name: 'multus',
  type: 'multus',
  cniVersion: '1.0.0',
  kubeconfig: '/k',
  runtimeConfig: {
    portMappings: [{ hostPort: 80, containerPort: 8080, protocol: 'tcp' }],
    'io.kubernetes.cri.pod-annotations': { a: 'b' },
  },
};

function setup(
  executor = new FakeExecutor(),
  sourcePlan: NetworkPlan = plan,
  reporter: StatusReporter = new RecordingReporter(),
): TestContainer & { reporter: RecordingReporter } {
  const t = testContainer(executor, undefined, {
    replace: { NetworkSource: new FixedSource(sourcePlan), StatusReporter: reporter },
  });
  return { ...t, reporter: reporter as RecordingReporter };
}

test('a conflist runs as a chain with prevResult; the master gets the runtime portMappings by capability', async () => {
  const t = setup();
  const run = await runPlugin(t.container, { command: 'ADD', config });
  expect(run.code).toBe(0);
  expect(t.executor.sequence()).toEqual(['ADD bridge eth0', 'ADD portmap eth0', 'ADD macvlan data0']);
  const [bridge, portmap, macvlan] = t.executor.calls;
  expect(bridge?.stdin).toEqual({ ...chain.plugins[0], cniVersion: '1.0.0', name: 'cluster' });
  expect(portmap?.stdin['prevResult']).toMatchObject({ cniVersion: '1.0.0', ips: [expect.anything()] });
  expect(portmap?.stdin['runtimeConfig']).toEqual({ portMappings: config.runtimeConfig.portMappings });
  expect(macvlan?.stdin['runtimeConfig']).toEqual({ ips: ['10.50.0.5/24'] });
  expect(macvlan?.stdin['args']).toEqual({ cni: { foo: 'bar' } });
});

test('default-route: the pod default route moves to the selected attachment and leaves the master result', async () => {
  const withRoutes = (req: ExecRequest): unknown => {
    if (req.type === 'portmap') return req.command === 'ADD' ? req.stdin['prevResult'] : undefined;
    const result = defaultScript(req) as Record<string, unknown> | undefined;
    if (req.type !== 'bridge' || result === undefined) return result;
    return { ...result, routes: [{ dst: '0.0.0.0/0', gw: '10.244.0.1' }, { dst: '10.96.0.0/12' }] };
  };
  const t = setup(new FakeExecutor(withRoutes));
  const run = await runPlugin(t.container, { command: 'ADD', config });
  expect(t.executor.tools).toEqual([
    'nsenter --net=/var/run/netns/test -- ip -4 -j route show exact 0.0.0.0/0',
    'nsenter --net=/var/run/netns/test -- ip -4 route add default via 10.50.0.1 dev data0',
  ]);
  expect(run.json?.['routes']).toEqual([{ dst: '10.96.0.0/12' }]);
});

test('network-status is reported for the pod, one entry per attachment, the master as default', async () => {
  const t = setup();
  await runPlugin(t.container, { command: 'ADD', config });
  expect(t.reporter.reports).toHaveLength(1);
  const { pod, statuses } = t.reporter.reports[0] as { pod: PodRef; statuses: NetworkStatus[] };
  expect(pod).toEqual({ namespace: 'ns1', name: 'pod1' });
  expect(statuses.map((s) => [s.name, s.interface, s.default])).toEqual([
    ['cluster', 'eth0', true],
    ['ns1/macvlan-net', 'data0', false],
  ]);
  expect(statuses[1]?.ips).toHaveLength(1);
});

test('DEL runs the chain in reverse with the cached result as prevResult', async () => {
  const t = setup();
  await runPlugin(t.container, { command: 'ADD', config });
  t.executor.calls.length = 0;
  expect((await runPlugin(t.container, { command: 'DEL', config })).code).toBe(0);
  expect(t.executor.sequence()).toEqual(['DEL macvlan data0', 'DEL portmap eth0', 'DEL bridge eth0']);
  expect(t.executor.calls[1]?.stdin['prevResult']).toMatchObject({ cniVersion: '1.0.0' });
  expect(t.cache.entries.size).toBe(0);
});

describe('a network-status write that fails', () => {
  const failing = (code: number, msg: string): StatusReporter => ({
    report: () => Promise.reject(new CniError(code, msg)),
  });

  it.each([
    [CniCode.TryAgainLater, 'Kubernetes API https://k:6443 unavailable: 500 Internal error'],
    [CniCode.KubernetesAccessDenied, 'user multus may not patch pods in ns1'],
    [CniCode.InvalidConfig, 'not JSON'],
  ])('by default (code %i): the ADD succeeds, nothing is rolled back, the failure is logged', async (code, msg) => {
    const t = setup(undefined, plan, failing(code, msg));
    const run = await runPlugin(t.container, { command: 'ADD', config });
    expect(run.code).toBe(0);
    expect(run.json?.['interfaces']).toBeDefined();
    expect(t.executor.sequence().filter((s) => s.startsWith('DEL'))).toEqual([]);
    expect(t.cache.entries.size).toBe(1);
    const warning = t.logger.lines.find((l) => l.msg?.startsWith('network-status not written') === true);
    expect(warning).toMatchObject({ level: 'warn', obj: { code, reason: msg, namespace: 'ns1', pod: 'pod1' } });
  });

  it('with strictNetworkStatus: the ADD fails with the API error naming the pod, rolled back', async () => {
    const t = setup(undefined, plan, failing(CniCode.KubernetesAccessDenied, 'user multus may not patch pods in ns1'));
    const run = await runPlugin(t.container, { command: 'ADD', config: { ...config, strictNetworkStatus: true } });
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({
      code: CniCode.KubernetesAccessDenied,
      msg: 'writing the network-status of pod ns1/pod1 (strictNetworkStatus): user multus may not patch pods in ns1',
    });
    expect(t.executor.sequence().slice(-3)).toEqual(['DEL macvlan data0', 'DEL portmap eth0', 'DEL bridge eth0']);
    expect(t.cache.entries.size).toBe(0);
  });

  it.each([false, true])('pod gone from the API (105), strict %s: the ADD succeeds, logged', async (strict) => {
    const t = setup(undefined, plan, failing(CniCode.KubernetesNotFound, 'pod ns1/pod1 not found'));
    const run = await runPlugin(t.container, { command: 'ADD', config: { ...config, strictNetworkStatus: strict } });
    expect(run.code).toBe(0);
    expect(t.cache.entries.size).toBe(1);
    expect(t.logger.lines.map((l) => l.msg)).toContain('network-status not written: pod ns1/pod1 is gone from the API');
  });
});

test('one selection with two IPv4 gateways in default-route is code 7 before anything runs (no ECMP)', async () => {
  const [cluster, macvlan] = plan.attachments as [NetworkPlan['attachments'][0], NetworkPlan['attachments'][0]];
  const ecmp = { ...plan, attachments: [cluster, { ...macvlan, defaultRoute: ['10.50.0.1', '10.50.0.2'] }] };
  const t = setup(undefined, ecmp);
  const run = await runPlugin(t.container, { command: 'ADD', config });
  expect(run.json).toMatchObject({
    code: 7,
    msg:
      'annotation entry 0: default-route lists two IPv4 gateways (10.50.0.1, 10.50.0.2); multus does not support ' +
      'ECMP for default-route: give one gateway per IP family',
  });
  expect(t.executor.calls).toHaveLength(0);
});

test('two attachments asking for the IPv4 default route is code 7 before anything runs', async () => {
  const twice = {
    ...plan,
    attachments: [{ ...plan.attachments[0], defaultRoute: ['10.244.0.1'] }, plan.attachments[1]],
  } as NetworkPlan;
  const t = setup(undefined, twice);
  const run = await runPlugin(t.container, { command: 'ADD', config });
  expect(run.json).toMatchObject({
    code: 7,
    msg: 'clusterNetwork and annotation entry 0 both ask for the IPv4 default route; only one attachment may',
  });
  expect(t.executor.calls).toHaveLength(0);
});
