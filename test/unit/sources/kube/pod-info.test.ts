import { toPodInfo } from '../../../../src/sources/kube/pod-info';

test('what multus reads of a pod; DRA fields only when present', () => {
  const pod = {
    metadata: {
      name: 'p',
      namespace: 'ns1',
      uid: 'u',
      resourceVersion: '7',
      annotations: { a: 'b', n: 3 },
      labels: { x: 'y' },
    },
    spec: { nodeName: 'node-a', containers: [] },
    status: {
      resourceClaimStatuses: [{ name: 'nics', resourceClaimName: 'p-nics' }],
      extendedResourceClaimStatus: { resourceClaimName: 'p-ext', requestMappings: [] },
    },
  };
  expect(toPodInfo(pod, undefined)).toEqual({
    namespace: 'ns1',
    name: 'p',
    uid: 'u',
    resourceVersion: '7',
    annotations: { a: 'b' },
    nodeName: 'node-a',
    resourceClaimStatuses: [{ name: 'nics', resourceClaimName: 'p-nics' }],
    extendedResourceClaimStatus: { resourceClaimName: 'p-ext', requestMappings: [] },
  });
});

test.each([
  ['nothing', undefined],
  ['not an object', 'pod'],
  ['empty metadata', { metadata: {}, spec: { nodeName: '' } }],
])('%s: the names asked for, empty fields, no DRA fields', (_name, object) => {
  expect(toPodInfo(object, { namespace: 'ns1', name: 'p' })).toEqual({
    namespace: 'ns1',
    name: 'p',
    uid: '',
    resourceVersion: '',
    annotations: {},
  });
});
