import 'reflect-metadata';
import type { PodInfo } from '../../../src/core/ports/kube-client';
import {
  isRecordPod,
  judgeRecord,
  reconcileConfig,
  recordPod,
  type RecordFacts,
  type RecordPod,
} from '../../../src/core/reconcile';

const POD: RecordPod = { namespace: 'ns1', name: 'web-0', uid: 'uid-1' };
const info = (uid: string): PodInfo => ({
  namespace: 'ns1',
  name: 'web-0',
  uid,
  resourceVersion: '1',
  annotations: {},
});
const GRACE = 600_000;

function facts(over: Partial<RecordFacts>): RecordFacts {
  return {
    synced: true,
    pod: POD,
    found: undefined,
    goneForMs: GRACE,
    netnsExists: false,
    netns: '/var/run/netns/x',
    ...over,
  };
}

describe('recordPod', () => {
  test.each([
    ['IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0;K8S_POD_UID=uid-1', POD],
    ['IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0', { namespace: 'ns1', name: 'web-0' }],
    ['IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0;K8S_POD_UID=', { namespace: 'ns1', name: 'web-0' }],
    ['IgnoreUnknown=1;K8S_POD_NAME=web-0', undefined],
    ['IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=', undefined],
    ['', undefined],
    ['not-a-pair', undefined],
  ])('%p → %p', (cniArgs, expected) => {
    expect(recordPod({ cniArgs })).toEqual(expected);
  });
});

describe('isRecordPod', () => {
  test.each([
    [POD, undefined, false],
    [POD, info('uid-1'), true],
    [POD, info('uid-2'), false],
    [{ namespace: 'ns1', name: 'web-0' }, info('uid-2'), true],
    [POD, info(''), true],
  ])('%p and %p: %p', (pod, found, expected) => {
    expect(isRecordPod(pod, found)).toBe(expected);
  });
});

describe('judgeRecord', () => {
  test.each<[string, string, string, Partial<RecordFacts>]>([
    ['not synced', 'keep', 'not_synced', { synced: false }],
    ['not synced, even with everything gone', 'keep', 'not_synced', { synced: false, pod: undefined }],
    ['no pod named', 'keep', 'no_pod', { pod: undefined }],
    ['pod present', 'keep', 'pod_present', { found: info('uid-1'), netnsExists: false }],
    ['gone less than the grace', 'keep', 'waiting_grace', { goneForMs: GRACE - 1 }],
    ['gone less than the grace, netns there too', 'keep', 'waiting_grace', { goneForMs: 0, netnsExists: true }],
    ['gone past the grace, netns there', 'keep', 'kept_netns', { netnsExists: true }],
    ['gone past the grace, netns gone', 'delete', 'pod_gone', {}],
    ['recreated (another UID) past the grace, netns gone', 'delete', 'pod_gone', { found: info('uid-2') }],
    ['recreated, in the grace', 'keep', 'waiting_grace', { found: info('uid-2'), goneForMs: 1000 }],
    ['no netns recorded', 'delete', 'pod_gone', { netns: '' }],
  ])('%s: %s (%s)', (_name, action, reason, over) => {
    expect(judgeRecord(facts(over), GRACE)).toMatchObject({ action, reason });
  });

  test('a grace of 0 deletes at the first pass that sees the pod gone', () => {
    expect(judgeRecord(facts({ goneForMs: 0 }), 0)).toMatchObject({ action: 'delete' });
  });

  test('the reason names the pod, how long it has been gone, and the netns', () => {
    expect(judgeRecord(facts({ goneForMs: 5_000 }), GRACE).why).toBe(
      'pod ns1/web-0 is gone since 5 s; the grace is 600 s',
    );
    expect(judgeRecord(facts({ netnsExists: true }), GRACE).why).toBe(
      'pod ns1/web-0 is gone, but its netns /var/run/netns/x still exists',
    );
    expect(judgeRecord(facts({ found: info('uid-2') }), GRACE).why).toBe(
      'pod ns1/web-0 is gone (the one there now has UID uid-2, not uid-1) since 600 s and its netns ' +
        '/var/run/netns/x is gone',
    );
  });
});

describe('reconcileConfig', () => {
  test("the daemon's defaults: cache dir and binDir", () => {
    const config = reconcileConfig({ cniDir: '/var/lib/m', binDir: '/opt/bin', kubeconfig: '/k', clusterNetwork: 'x' });
    expect(config).toMatchObject({ cacheDir: '/var/lib/m', binDir: '/opt/bin' });
  });

  test('defaults that are no whole multus config still give the cache dir', () => {
    expect(reconcileConfig({ cniDir: '/var/lib/m', clusterNetwork: 'x' }).cacheDir).toBe('/var/lib/m');
    expect(reconcileConfig({}).cacheDir).toBe('/var/lib/cni/multus');
  });
});
