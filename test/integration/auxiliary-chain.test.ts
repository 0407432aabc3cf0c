/**
 * Go Multus's auxiliary CNI chain (`auxiliaryCNIChainName`, issue 14 §2) on real network
 * namespaces with the compiled binary: `clusterNetwork` is a ptp config file, and the directory of
 * the chain's name beside it holds Debian's `tuning` plugin (a .conf setting a sysctl on the pod's
 * eth0, and a .conflist setting its MTU). The chain runs on eth0 right after the master, with the
 * master's result as prevResult; it adds no interface and no network-status entry. A failing chain
 * fails the ADD naming it and leaves nothing; DEL removes everything. Thin, and through
 * multus-shim + multus daemon (thick).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './support/fault-run';
import { addNad, expectDelLeavesNothing, expectPodGone, networkStatus } from './support/kube-cluster';
import { NETWORKS_ANNOTATION, setUpKubePod, useKubeCluster } from './support/kube-cluster';
import { inSubnet, ipv4Of, netnsLinkNames } from './support/net';
import { expectCniFailure, expectSuccess, runMultus, type MultusCall, type MultusRun } from './support/run-multus';
import { assertThickPrerequisites, runShim, shimConfig, ThickDaemon } from './support/thick';
import { cacheFile } from './support/workspace';

const NET = 216; // 10.216.0.0/16 belongs to this file
const sub = (third: number): string => `10.${NET}.${third}.0/24`;
const NAMESPACE = 'aux-ns';
const NODE = 'aux-node';
const CHAIN = 'aux-chain';
const BAD_CHAIN = 'aux-bad-chain';

function sysctl(ns: string, key: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', key], { encoding: 'utf8' }).trim();
}

function mtu(ns: string, ifname: string): number {
  return Number(execFileSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${ifname}/mtu`], { encoding: 'utf8' }));
}

describe('the auxiliary CNI chain: tuning on the pod eth0 after the cluster network, thin and thick', () => {
  const fx = useKubeCluster('ax', { plugins: ['tuning', 'ptp', 'host-local'] });
  const { ws, perFile, cluster } = fx;
  let netDir: string;
  let clusterFile: string;

  beforeAll(() => {
    netDir = join(ws.dir, 'net.d');
    clusterFile = join(netDir, '10-aux-cluster.conf');
    const hostLocal = (third: number): Record<string, unknown> => ({
      type: 'host-local',
      subnet: sub(third),
      dataDir: ws.ipamDir,
    });
    mkdirSync(join(netDir, CHAIN), { recursive: true });
    mkdirSync(join(netDir, BAD_CHAIN), { recursive: true });
    writeFileSync(
      clusterFile,
      JSON.stringify({ cniVersion: '1.0.0', name: 'aux-cluster', type: 'ptp', ipam: hostLocal(1) }),
    );
    // Name order: the .conf first, then the .conflist's plugins; a README is not a config.
    writeFileSync(
      join(netDir, CHAIN, '10-sysctl.conf'),
      JSON.stringify({ type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_ignore': '1' } }),
    );
    writeFileSync(join(netDir, CHAIN, '20-mtu.conflist'), JSON.stringify({ plugins: [{ type: 'tuning', mtu: 1400 }] }));
    writeFileSync(join(netDir, CHAIN, 'README'), 'not a config');
    writeFileSync(
      join(netDir, BAD_CHAIN, '10-bad.conf'),
      JSON.stringify({ type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.aux_no_such_key': '1' } }),
    );
    addNad(cluster.server, NAMESPACE, 'aux-extra', {
      cniVersion: '1.0.0',
      name: 'aux-extra',
      type: 'ptp',
      ipam: hostLocal(2),
    });
  });

  const chainConfig = (chain: string): Record<string, unknown> => ({
    clusterNetwork: clusterFile,
    auxiliaryCNIChainName: chain,
  });

  function setUp(suffix: string, chain = CHAIN): ReturnType<typeof setUpKubePod> {
    return setUpKubePod(fx, {
      suffix,
      namespace: NAMESPACE,
      annotations: { [NETWORKS_ANNOTATION]: 'aux-extra' },
      config: chainConfig(chain),
    });
  }

  /** eth0 from the cluster network with the chain's sysctl and MTU, net0 untouched; status without the chain. */
  function expectChained(add: MultusRun, ns: string, pod: { namespace: string; name: string }): void {
    expectSuccess(add);
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
    expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', sub(1))).toBe(true);
    expect(sysctl(ns, 'net.ipv4.conf.eth0.arp_ignore')).toBe('1');
    expect(sysctl(ns, 'net.ipv4.conf.net0.arp_ignore')).toBe('0');
    expect(mtu(ns, 'eth0')).toBe(1400);
    expect(mtu(ns, 'net0')).not.toBe(1400);
    // The runtime gets the master's result: its one address, on eth0.
    const ips = (add.json?.['ips'] as Array<{ address: string }>).map((i) => i.address);
    expect(ips.length).toBe(1);
    expect(inSubnet(ips[0] ?? '', sub(1))).toBe(true);
    const status = networkStatus(cluster.server, pod.namespace, pod.name) ?? [];
    expect(status.map((s) => [s.name, s.interface, s.default])).toEqual([
      ['aux-cluster', 'eth0', true],
      [`${NAMESPACE}/aux-extra`, 'net0', false],
    ]);
  }

  function recordOf(containerId: string): { attachments: Array<Record<string, unknown>> } {
    return JSON.parse(readFileSync(cacheFile(ws.cniDir, containerId), 'utf8')) as {
      attachments: Array<Record<string, unknown>>;
    };
  }

  it('thin: ADD runs the chain on eth0 (sysctl and MTU in the netns), recorded apart; DEL cleans up', async () => {
    const { ns, pod, call } = setUp('t');
    const add = await runMultus({ ...call, command: 'ADD' });
    expectChained(add, ns, pod);
    const record = recordOf(call.containerId);
    expect(record.attachments.map((a) => [a['network'], a['ifname'], a['auxiliary'] ?? false, a['state']])).toEqual([
      ['aux-cluster', 'eth0', false, 'added'],
      [CHAIN, 'eth0', true, 'added'],
      ['aux-extra', 'net0', false, 'added'],
    ]);
    expect(record.attachments[1]?.['origins']).toEqual([
      `auxiliaryCNIChainName (${join(netDir, CHAIN, '10-sysctl.conf')})`,
      `auxiliaryCNIChainName (${join(netDir, CHAIN, '20-mtu.conflist')}).plugins[0]`,
    ]);
    // tuning returns its prevResult: the chain's recorded result shows it started from the master's.
    const master = record.attachments[0]?.['result'] as Record<string, unknown>;
    expect((record.attachments[1]?.['result'] as Record<string, unknown>)['ips']).toEqual(master['ips']);
    expectSuccess(await runMultus({ ...call, command: 'CHECK' }));
    await expectDelLeavesNothing(call, ns, ws);
  });

  it('thin: a failing chain fails the ADD naming it, and nothing is left (interface, lease, record)', async () => {
    const { ns, pod, call } = setUp('f', BAD_CHAIN);
    const add = await runMultus({ ...call, command: 'ADD' });
    expectCniFailure(add, 999, [
      `network "${BAD_CHAIN}" (auxiliaryCNIChainName "${BAD_CHAIN}" (${join(netDir, BAD_CHAIN)}), type "tuning", ` +
        'interface eth0): ADD failed: ',
      `auxiliaryCNIChainName (${join(netDir, BAD_CHAIN, '10-bad.conf')}) (type tuning): open /proc/sys/`,
      'aux_no_such_key: no such file or directory',
    ]);
    expectPodGone(ns, ws);
    expect(networkStatus(cluster.server, pod.namespace, pod.name)).toBeUndefined();
    // The runtime's DEL after a failed ADD finds nothing and succeeds.
    expectSuccess(await runMultus({ ...call, command: 'DEL' }));
    expectPodGone(ns, ws);
  });

  describe('thick: through multus-shim and multus daemon', () => {
    let daemon: ThickDaemon;

    beforeAll(async () => {
      assertThickPrerequisites();
      daemon = await ThickDaemon.start(ws.dir, perFile, {
        config: { cniDir: ws.cniDir, kubeconfig: cluster.kubeconfig, nodeName: NODE, ...chainConfig(CHAIN) },
      });
      await waitFor('the pod informer watch', 60_000, () =>
        cluster.server.requests.find(
          (r) => r.path === '/api/v1/pods' && r.query.includes('watch=true') && r.status === 200,
        ),
      );
    }, 120_000);

    function thickCall(suffix: string, extra: Record<string, unknown> = {}): ReturnType<typeof setUp> {
      const set = setUp(suffix);
      cluster.server.updatePod(set.pod.namespace, set.pod.name, (p) => {
        (p.spec as Record<string, unknown>)['nodeName'] = NODE;
      });
      const config = shimConfig({ cniVersion: '1.0.0', name: 'aux-net' }, daemon, extra);
      return { ...set, call: { ...set.call, config } };
    }

    const shim = (call: Omit<MultusCall, 'command'>, command: MultusCall['command']): Promise<MultusRun> =>
      runShim({ ...call, command });

    it('the daemon config key runs the chain for the shim pod; DEL through the shim leaves nothing', async () => {
      const { ns, pod, call } = thickCall('k');
      expectChained(await shim(call, 'ADD'), ns, pod);
      expect(recordOf(call.containerId).attachments[1]?.['auxiliary']).toBe(true);
      const del = await shim(call, 'DEL');
      expectSuccess(del);
      expectPodGone(ns, ws);
    });

    it('a failing chain (the shim entry names it) fails the ADD through the daemon and leaves nothing', async () => {
      const { ns, call } = thickCall('b', { auxiliaryCNIChainName: BAD_CHAIN });
      const add = await shim(call, 'ADD');
      expectCniFailure(add, 999, [`network "${BAD_CHAIN}"`, 'type "tuning", interface eth0): ADD failed: ']);
      expectPodGone(ns, ws);
      expectSuccess(await shim(call, 'DEL'));
    });
  });
});
