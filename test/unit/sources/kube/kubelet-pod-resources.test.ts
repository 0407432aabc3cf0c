import * as grpc from '@grpc/grpc-js';
import { CniError } from '../../../../src/core/errors';
import { devicesOf, KubeletPodResources } from '../../../../src/sources/kube/kubelet-pod-resources';
import { podResourcesLister } from '../../../../src/sources/kube/pod-resources-grpc';
import { PodResourcesTestServer } from '../../../support/pod-resources-test-server';

const POD = { namespace: 'ns1', name: 'pod1' };
const SRIOV = 'intel.com/sriov_netdevice';
const OTHER = 'example.com/fpga';

/** What the client must decode: upstream's wire format, written out by field number, not by our .proto. */
describe('the embedded v1 .proto against the upstream wire format', () => {
  const bytes = (s: string): number[] => [...Buffer.from(s)];
  const field = (n: number, value: number[]): number[] => [(n << 3) | 2, value.length, ...value];

  test('the method path is /v1.PodResourcesLister/List and the request is the empty message', () => {
    const list = podResourcesLister().service['List'] as grpc.MethodDefinition<object, unknown>;
    expect(list.path).toBe('/v1.PodResourcesLister/List');
    expect(list.requestSerialize({})).toEqual(Buffer.alloc(0));
  });

  test(
    'ListPodResourcesResponse{pod_resources=1{name=1, namespace=2, containers=3{name=1, ' +
      'devices=2{resource_name=1, device_ids=2}, cpu_ids=3}}} decodes; unknown fields are skipped',
    () => {
      const devices = [
        ...field(1, bytes(SRIOV)),
        ...field(2, bytes('0000:af:06.2')),
        ...field(2, bytes('0000:af:06.3')),
      ];
      // cpu_ids packed 4,5; field 15 varint 1: unknown
      const container = [...field(1, bytes('app')), ...field(2, devices), ...field(3, [4, 5]), 0x78, 0x01];
      const pod = [...field(1, bytes('pod1')), ...field(2, bytes('ns1')), ...field(3, container)];
      const list = podResourcesLister().service['List'] as grpc.MethodDefinition<object, unknown>;
      expect(list.responseDeserialize(Buffer.from(field(1, pod)))).toMatchObject({
        pod_resources: [
          {
            name: 'pod1',
            namespace: 'ns1',
            containers: [
              {
                name: 'app',
                devices: [{ resource_name: SRIOV, device_ids: ['0000:af:06.2', '0000:af:06.3'] }],
                cpu_ids: ['4', '5'],
              },
            ],
          },
        ],
      });
    },
  );
});

describe('devicesOf', () => {
  const listed = (name: string, namespace: string, containers: Array<Record<string, string[]>>) => ({
    name,
    namespace,
    containers: containers.map((c, i) => ({
      name: `c${i}`,
      devices: Object.entries(c).map(([r, ids]) => ({ resource_name: r, device_ids: ids })),
    })),
  });

  test.each([
    ['one container', [listed('pod1', 'ns1', [{ [SRIOV]: ['a', 'b'] }])], [[SRIOV, ['a', 'b']]]],
    [
      'every container, in listing order',
      [listed('pod1', 'ns1', [{ [SRIOV]: ['a'] }, { [SRIOV]: ['b'], [OTHER]: ['f'] }])],
      [
        [SRIOV, ['a', 'b']],
        [OTHER, ['f']],
      ],
    ],
    [
      'other pods and same-named pods of other namespaces are ignored',
      [listed('pod1', 'ns2', [{ [SRIOV]: ['x'] }]), listed('pod2', 'ns1', [{ [SRIOV]: ['y'] }])],
      [],
    ],
    ['a pod the kubelet does not list has no devices', [], []],
  ])('%s', (_name, pods, expected) => {
    expect([...devicesOf({ pod_resources: pods }, POD)]).toEqual(expected);
  });
});

describe('KubeletPodResources against the pod-resources test server (a real unix socket)', () => {
  let server: PodResourcesTestServer;

  beforeEach(async () => {
    server = await PodResourcesTestServer.start();
  });
  afterEach(() => server.close());

  test("List: the pod's devices per resource, from every container", async () => {
    server.addPod('ns1', 'pod1', {
      app: { [SRIOV]: ['0000:af:06.2'] },
      sidecar: { [SRIOV]: ['0000:af:06.3'], [OTHER]: ['fpga0'] },
    });
    server.addPod('ns1', 'pod2', { app: { [SRIOV]: ['0000:af:06.4'] } });
    const devices = await new KubeletPodResources().devices(server.socketPath, POD);
    expect([...devices]).toEqual([
      [SRIOV, ['0000:af:06.2', '0000:af:06.3']],
      [OTHER, ['fpga0']],
    ]);
    expect(server.calls).toBe(1);
  });

  test('no socket: code 11 naming the socket and the pod', async () => {
    const missing = `${server.socketPath}.missing`;
    const err = (await new KubeletPodResources().devices(missing, POD).catch((e: unknown) => e)) as CniError;
    expect(err).toBeInstanceOf(CniError);
    expect(err.code).toBe(11);
    expect(err.msg).toMatch(
      new RegExp(
        `^kubelet pod-resources API unix://${missing} unreachable: UNAVAILABLE: .*ENOENT.* ` +
          `\\(v1\\.PodResourcesLister/List, for pod ns1/pod1\\)$`,
        'u',
      ),
    );
  });

  // The deadline is gRPC's own (wall clock): seconds, so that on a loaded machine the call still
  // reaches the server long before it; only the hang can end the call, and nothing asserts an upper bound.
  test('a kubelet that never answers: code 11 once the deadline passes', async () => {
    server.mode = { kind: 'hang' };
    const started = Date.now();
    const err = (await new KubeletPodResources({ deadlineMs: 5000 })
      .devices(server.socketPath, POD)
      .catch((e: unknown) => e)) as CniError;
    expect(err.code).toBe(11);
    expect(err.msg).toBe(
      `kubelet pod-resources API unix://${server.socketPath} unreachable: no answer within 5000 ms ` +
        `(v1.PodResourcesLister/List, for pod ns1/pod1)`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    expect(server.calls).toBe(1);
  });

  test.each([
    ['UNAVAILABLE', 11, grpc.status.UNAVAILABLE, 'shutting down', 'unreachable: UNAVAILABLE: shutting down'],
    ['PERMISSION_DENIED', 999, grpc.status.PERMISSION_DENIED, 'no', 'failed: PERMISSION_DENIED: no'],
    [
      'UNIMPLEMENTED (a kubelet without v1)',
      999,
      grpc.status.UNIMPLEMENTED,
      'unknown service v1.PodResourcesLister',
      'failed: UNIMPLEMENTED: unknown service v1.PodResourcesLister',
    ],
  ])('the kubelet answers %s: code %s', async (_name, code, status, details, fragment) => {
    server.mode = { kind: 'fail', code: status, details };
    const err = (await new KubeletPodResources().devices(server.socketPath, POD).catch((e: unknown) => e)) as CniError;
    expect(err.code).toBe(code);
    expect(err.msg).toBe(
      `kubelet pod-resources API unix://${server.socketPath} ${fragment} (v1.PodResourcesLister/List, for pod ` +
        `ns1/pod1)`,
    );
  });
});
