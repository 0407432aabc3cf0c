import {
  podClaimStatuses,
  podExtendedClaimStatus,
  toResourceClaim,
  toResourceSlices,
} from '../../../../src/sources/kube/dra-objects';

describe('podClaimStatuses', () => {
  test.each([
    ['no status', {}, undefined],
    ['an empty list', { status: { resourceClaimStatuses: [] } }, undefined],
    ['not a list', { status: { resourceClaimStatuses: { name: 'x' } } }, undefined],
    [
      'entries; non-objects dropped; a missing or empty resourceClaimName is undefined',
      {
        status: {
          resourceClaimStatuses: [
            { name: 'a', resourceClaimName: 'pod-a' },
            { name: 'b' },
            { name: 'c', resourceClaimName: '' },
            7,
          ],
        },
      },
      [
        { name: 'a', resourceClaimName: 'pod-a' },
        { name: 'b', resourceClaimName: undefined },
        { name: 'c', resourceClaimName: undefined },
      ],
    ],
  ])('%s', (_name, pod, expected) => {
    expect(podClaimStatuses(pod)).toEqual(expected);
  });
});

describe('podExtendedClaimStatus', () => {
  test.each([
    ['absent', {}, undefined],
    ['without a claim name', { status: { extendedResourceClaimStatus: { requestMappings: [] } } }, undefined],
    [
      'its mappings; missing fields are empty strings',
      {
        status: {
          extendedResourceClaimStatus: {
            resourceClaimName: 'pod-ext',
            requestMappings: [{ containerName: 'c', resourceName: 'r', requestName: 'q' }, { containerName: 'd' }],
          },
        },
      },
      {
        resourceClaimName: 'pod-ext',
        requestMappings: [
          { containerName: 'c', resourceName: 'r', requestName: 'q' },
          { containerName: 'd', resourceName: '', requestName: '' },
        ],
      },
    ],
  ])('%s', (_name, pod, expected) => {
    expect(podExtendedClaimStatus(pod)).toEqual(expected);
  });
});

describe('toResourceClaim', () => {
  test.each([
    ['no status', {}, undefined],
    ['an allocation without results', { status: { allocation: { devices: {} } } }, undefined],
    ['results not a list', { status: { allocation: { devices: { results: 'x' } } } }, undefined],
    [
      'results in order, only the fields multus reads',
      {
        status: {
          allocation: {
            devices: {
              results: [
                { request: 'r', driver: 'd', pool: 'p', device: 'dev-2', adminAccess: true },
                { request: 'r', driver: 'd', pool: 'p', device: 'dev-1' },
              ],
            },
          },
        },
      },
      [
        { request: 'r', driver: 'd', pool: 'p', device: 'dev-2' },
        { request: 'r', driver: 'd', pool: 'p', device: 'dev-1' },
      ],
    ],
  ])('%s', (_name, claim, results) => {
    expect(toResourceClaim(claim, 'ns1', 'c1')).toEqual({ namespace: 'ns1', name: 'c1', results });
  });
});

describe('toResourceSlices', () => {
  test('pool, device names and the string attributes of the k8s.cni.cncf.io domain only', () => {
    const list = {
      items: [
        {
          metadata: { name: 's1' },
          spec: {
            pool: { name: 'p1' },
            devices: [
              {
                name: 'vf-1',
                attributes: {
                  'k8s.cni.cncf.io/deviceID': { string: '0000:af:06.2' },
                  'k8s.cni.cncf.io/resourceName': { int: 3 },
                  'example.com/model': { string: 'x' },
                  model: { string: 'y' },
                },
              },
              { name: 'vf-2', attributes: 'not an object' },
            ],
          },
        },
        { spec: {} },
      ],
    };
    expect(toResourceSlices(list)).toEqual([
      {
        name: 's1',
        pool: 'p1',
        devices: [
          { name: 'vf-1', attributes: { 'k8s.cni.cncf.io/deviceID': '0000:af:06.2' } },
          { name: 'vf-2', attributes: {} },
        ],
      },
      { name: '', pool: '', devices: [] },
    ]);
  });

  test('a list without items has no slices', () => {
    expect(toResourceSlices({ kind: 'ResourceSliceList' })).toEqual([]);
  });
});
