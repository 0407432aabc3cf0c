import { requestKubeClient } from '../../../../src/sources/kube/request-kube-client';
import { FakeConfDir, FakeKubeClient, nadRef } from '../../../support/fake-kube';
import { runPlugin } from '../../../support/run-plugin';
import { testContainer } from '../../../support/test-container';

const NAD = nadRef('ns1', 'data');

describe('requestKubeClient', () => {
  test(
    'identical GETs are made once, concurrent ones share ' + 'the request in flight; other objects are their own GET',
    async () => {
      const api = new FakeKubeClient().addPod('ns1', 'pod1').addNad('ns1', 'data', { type: 'bridge' });
      let made = 0;
      const client = requestKubeClient(() => {
        made += 1;
        return Promise.resolve(api);
      });
      const c = await client();
      await Promise.all([
        c.getObject(NAD),
        c.getObject(NAD),
        c.getObject({ ...NAD }),
        c.getPod('ns1', 'pod1'),
        c.getPod('ns1', 'pod1'),
      ]);
      await c.getObject({ ...NAD, name: 'other' });
      await (await client()).getObject(NAD);
      expect(made).toBe(1);
      expect(api.calls).toEqual([
        'getObject k8s.cni.cncf.io/network-attachment-definitions ns1/data',
        'getPod ns1/pod1',
        'getObject k8s.cni.cncf.io/network-attachment-definitions ns1/other',
      ]);
      expect(c.server).toBe(api.server);
    },
  );

  test('claims and slice lists are read once; a refreshed list once more', async () => {
    const api = new FakeKubeClient().addResourceClaim('ns1', 'c1', []);
    const c = await requestKubeClient(() => Promise.resolve(api))();
    await Promise.all([c.getResourceClaim('ns1', 'c1', 'u1'), c.getResourceClaim('ns1', 'c1', 'u1')]);
    await Promise.all([c.listResourceSlices('n1', 'd'), c.listResourceSlices('n1', 'd', false)]);
    await Promise.all([c.listResourceSlices('n1', 'd', true), c.listResourceSlices('n1', 'd', true)]);
    await c.listResourceSlices('n1', 'other');
    expect(api.calls).toEqual([
      'getResourceClaim ns1/c1 u1',
      'listResourceSlices n1 d',
      'listResourceSlices n1 d refresh',
      'listResourceSlices n1 other',
    ]);
  });

  test('writes go through every time', async () => {
    const api = new FakeKubeClient().addPod('ns1', 'pod1');
    const c = await requestKubeClient(() => Promise.resolve(api))();
    await c.setPodAnnotation('ns1', 'pod1', 'k', 'v1');
    await c.setPodAnnotation('ns1', 'pod1', 'k', 'v2');
    expect(api.calls).toEqual(['setPodAnnotation ns1/pod1 k', 'setPodAnnotation ns1/pod1 k']);
  });
});

test(
  'a pod annotated with the same network 100 times makes one NAD GET (and one pod GET) in its ADD; the next ADD ' +
    'asks again',
  async () => {
    const kube = new FakeKubeClient()
      .addPod('ns1', 'pod1', { 'k8s.v1.cni.cncf.io/networks': Array(100).fill('data').join(',') })
      .addNad('ns1', 'data', {
        cniVersion: '1.0.0',
        name: 'data',
        type: 'bridge',
        ipam: { type: 'host-local', subnet: '10.30.0.0/16' },
      });
    const t = testContainer(undefined, undefined, {
      replace: { KubeClientProvider: kube, ConfDirReader: new FakeConfDir() },
    });
    const config = { name: 'multus-net', type: 'multus', cniVersion: '1.0.0', kubeconfig: '/k' };
    const args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1';
    expect((await runPlugin(t.container, { command: 'ADD', config, args })).code).toBe(0);
    expect(t.executor.calls).toHaveLength(100);
    const gets = (): string[] => kube.calls.filter((c) => c.startsWith('get'));
    expect(gets()).toEqual(['getPod ns1/pod1', 'getObject k8s.cni.cncf.io/network-attachment-definitions ns1/data']);
    expect((await runPlugin(t.container, { command: 'ADD', config, args, containerId: 'ctr2' })).code).toBe(0);
    expect(gets()).toHaveLength(4);
  },
);
