import { parseMultusConfig } from '../../../src/core/config/multus-config';
import type { LiveNetworks } from '../../../src/core/live-networks';
import type { PodInfo } from '../../../src/core/ports/kube-client';
import type { CacheEntry } from '../../../src/core/ports/result-cache';
import { TOKENS } from '../../../src/core/tokens';
import { FakeConfDir, FakeKubeClient, nadRef } from '../../support/fake-kube';
import { runPlugin } from '../../support/run-plugin';
import { testContainer } from '../../support/test-container';

/** Live networks never attach or detach the auxiliary chain (no selection), and keep it out of network-status. */
const NETWORKS = 'k8s.v1.cni.cncf.io/networks';
const STATUS = 'k8s.v1.cni.cncf.io/network-status';
const raw = {
  name: 'multus-net',
  type: 'multus',
  cniVersion: '1.0.0',
  kubeconfig: '/etc/kubernetes/node.kubeconfig',
  clusterNetwork: '/etc/cni/net.d/10-cluster.conf',
  auxiliaryCNIChainName: 'chain',
};
const args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1;K8S_POD_UID=uid-pod1';

test('a pass attaches and detaches annotated networks only: the chain stays, and stays out of the status', async () => {
  const kube = new FakeKubeClient();
  for (const name of ['a', 'b']) {
    const config = { cniVersion: '1.0.0', name, type: 'bridge', bridge: `br-${name}` };
    kube.addObject(nadRef('ns1', name), {
      metadata: { name, namespace: 'ns1' },
      spec: { config: JSON.stringify(config) },
    });
  }
  const confDir = new FakeConfDir({
    '/etc/cni/net.d/10-cluster.conf': { cniVersion: '1.0.0', name: 'cluster', type: 'bridge' },
    '/etc/cni/net.d/chain/10-tuning.conf': { type: 'tuning' },
  });
  const t = testContainer(undefined, undefined, { replace: { KubeClientProvider: kube, ConfDirReader: confDir } });
  const annotate = (value: string): PodInfo => {
    kube.addPod('ns1', 'pod1', { ...(kube.pods.get('ns1/pod1')?.annotations ?? {}), [NETWORKS]: value });
    return kube.pods.get('ns1/pod1') as PodInfo;
  };
  annotate('a');
  expect((await runPlugin(t.container, { command: 'ADD', config: raw, args })).code).toBe(0);
  const live = t.container.get<LiveNetworks>(TOKENS.LiveNetworks);
  const config = parseMultusConfig(raw);
  const record = (): CacheEntry => [...t.cache.entries.values()][0] as CacheEntry;
  const status = (): string[] =>
    (JSON.parse(kube.pods.get('ns1/pod1')?.annotations[STATUS] ?? '[]') as Array<{ interface: string }>).map(
      (s) => s.interface,
    );
  t.executor.calls.length = 0;

  await live.apply(annotate('a,b'), config, t.logger);
  expect(t.executor.sequence()).toEqual(['ADD bridge net1']);
  expect(status()).toEqual(['eth0', 'net0', 'net1']);

  t.executor.calls.length = 0;
  await live.apply(annotate(''), config, t.logger);
  expect(t.executor.sequence()).toEqual(['DEL bridge net1', 'DEL bridge net0']);
  expect(record().attachments.map((a) => [a.network, a.ifname, a.auxiliary ?? false])).toEqual([
    ['cluster', 'eth0', false],
    ['chain', 'eth0', true],
  ]);
  expect(status()).toEqual(['eth0']);
});
