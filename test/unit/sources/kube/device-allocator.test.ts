import { CniCode, CniError } from '../../../../src/core/errors';
import type { PodDevices } from '../../../../src/core/ports/pod-resources';
import { FakePodResources } from '../../../support/fake-pod-resources';
import { DeviceAllocator, settleDevices, type SourcedAttachment } from '../../../../src/sources/kube/device-allocator';

const POD = { namespace: 'ns1', name: 'pod1' };
const SRIOV = 'intel.com/sriov_netdevice';

const allocator = (fake: FakePodResources): DeviceAllocator => new DeviceAllocator(fake, '/run/kubelet.sock', POD);

describe('DeviceAllocator', () => {
  test("hands out a resource's devices in the kubelet's order, asking the kubelet once", async () => {
    const fake = new FakePodResources({ [SRIOV]: ['0000:af:06.2', '0000:af:06.3'], 'example.com/fpga': ['f0'] });
    const a = allocator(fake);
    expect(await a.take(SRIOV)).toBe('0000:af:06.2');
    expect(await a.take('example.com/fpga')).toBe('f0');
    expect(await a.take(SRIOV)).toBe('0000:af:06.3');
    expect(fake.calls).toEqual(['/run/kubelet.sock ns1/pod1']);
  });

  test.each([
    [
      'all taken',
      { [SRIOV]: ['0000:af:06.2'] },
      1,
      'the kubelet allocated it 1 (0000:af:06.2), all given to earlier attachments',
    ],
    ['none allocated', {}, 0, 'the kubelet allocated it none'],
  ])('no device left (%s): code 7 naming the pod and the resource', async (_name, devices, before, why) => {
    const a = allocator(new FakePodResources(devices));
    for (let i = 0; i < before; i += 1) await a.take(SRIOV);
    await expect(a.take(SRIOV)).rejects.toMatchObject({
      code: CniCode.InvalidConfig,
      msg:
        `pod ns1/pod1 has no device of resource "${SRIOV}" left for this attachment: ${why} (does the pod request ` +
        `${SRIOV} in its resources for every network that names it?)`,
    });
  });

  describe('with devices from DRA claims', () => {
    const dra = (answer: Record<string, string[]> | CniError): { calls: number; get: () => Promise<PodDevices> } => {
      const counter = { calls: 0, get: (): Promise<PodDevices> => Promise.resolve(new Map()) };
      counter.get = () => {
        counter.calls += 1;
        return answer instanceof CniError ? Promise.reject(answer) : Promise.resolve(new Map(Object.entries(answer)));
      };
      return counter;
    };

    test('a resource the claims serve never asks the kubelet (a node without its socket works)', async () => {
      const kubelet = new FakePodResources(new CniError(CniCode.TryAgainLater, 'no kubelet socket'));
      const claims = dra({ [SRIOV]: ['dra-1', 'dra-2'] });
      const a = new DeviceAllocator(kubelet, '/run/kubelet.sock', POD, claims.get);
      expect([await a.take(SRIOV), await a.take(SRIOV)]).toEqual(['dra-1', 'dra-2']);
      expect(kubelet.calls).toEqual([]);
      expect(claims.calls).toBe(1);
    });

    test('the claims first; the kubelet only for a resource they do not serve, asked once', async () => {
      const kubelet = new FakePodResources({ [SRIOV]: ['kubelet-vf'], 'example.com/fpga': ['f0'] });
      const a = new DeviceAllocator(kubelet, '/run/kubelet.sock', POD, dra({ [SRIOV]: ['dra-vf'] }).get);
      expect(await a.take(SRIOV)).toBe('dra-vf');
      expect(kubelet.calls).toEqual([]);
      expect(await a.take('example.com/fpga')).toBe('f0');
      expect(kubelet.calls).toEqual(['/run/kubelet.sock ns1/pod1']);
    });

    test('all of a resource given: code 7 saying the claims gave them (the kubelet is not asked instead)', async () => {
      const kubelet = new FakePodResources({ [SRIOV]: ['kubelet-vf'] });
      const a = new DeviceAllocator(kubelet, '/run/kubelet.sock', POD, dra({ [SRIOV]: ['dra-vf'] }).get);
      await a.take(SRIOV);
      await expect(a.take(SRIOV)).rejects.toMatchObject({
        code: CniCode.InvalidConfig,
        msg: expect.stringContaining(
          'its resource claims (DRA) gave it 1 (dra-vf), all given to earlier attachments',
        ) as unknown,
      });
      expect(kubelet.calls).toEqual([]);
    });

    test("the claims' error is passed on", async () => {
      const bad = new CniError(CniCode.InvalidConfig, 'claim has no allocation');
      const a = new DeviceAllocator(new FakePodResources({}), '/run/kubelet.sock', POD, dra(bad).get);
      await expect(a.take(SRIOV)).rejects.toBe(bad);
    });
  });

  test("the kubelet's error is passed on", async () => {
    const down = new CniError(CniCode.TryAgainLater, 'kubelet down');
    await expect(allocator(new FakePodResources(down)).take(SRIOV)).rejects.toBe(down);
  });
});

describe('settleDevices', () => {
  const att = (origin: string, extra: Partial<SourcedAttachment> = {}): SourcedAttachment => ({
    network: origin,
    conf: { cniVersion: '1.0.0', type: 'sriov' },
    master: false,
    origin,
    ...extra,
  });

  test(
    'a resourceName takes the next device: into the config, runtimeConfig.deviceID and deviceId; resourceName is ' +
      'dropped',
    async () => {
      const fake = new FakePodResources({ [SRIOV]: ['0000:af:06.2', '0000:af:06.3'] });
      const out = await settleDevices(
        [att('a', { resourceName: SRIOV }), att('b'), att('c', { resourceName: SRIOV, conf: { type: 'host-device' } })],
        allocator(fake),
        false,
      );
      expect(out).toEqual([
        {
          network: 'a',
          conf: { cniVersion: '1.0.0', type: 'sriov', deviceID: '0000:af:06.2' },
          master: false,
          origin: 'a',
          runtimeConfig: { deviceID: '0000:af:06.2' },
          deviceId: '0000:af:06.2',
        },
        { network: 'b', conf: { cniVersion: '1.0.0', type: 'sriov' }, master: false, origin: 'b' },
        {
          network: 'c',
          conf: { type: 'host-device', pciBusID: '0000:af:06.3' },
          master: false,
          origin: 'c',
          runtimeConfig: { deviceID: '0000:af:06.3' },
          deviceId: '0000:af:06.3',
        },
      ]);
    },
  );

  test("the selection's deviceID alone is written into the config; no kubelet call", async () => {
    const fake = new FakePodResources({});
    const [out] = await settleDevices(
      [att('a', { deviceId: '0000:05:00.1', runtimeConfig: { deviceID: '0000:05:00.1', mac: 'm' } })],
      allocator(fake),
      false,
    );
    expect(out).toMatchObject({
      conf: { type: 'sriov', deviceID: '0000:05:00.1' },
      runtimeConfig: { deviceID: '0000:05:00.1', mac: 'm' },
      deviceId: '0000:05:00.1',
    });
    expect(fake.calls).toEqual([]);
  });

  test("the kubelet's device wins over the selection's deviceID (Go Multus)", async () => {
    const fake = new FakePodResources({ [SRIOV]: ['0000:af:06.2'] });
    const [out] = await settleDevices(
      [att('a', { resourceName: SRIOV, deviceId: '0000:05:00.1', runtimeConfig: { deviceID: '0000:05:00.1' } })],
      allocator(fake),
      false,
    );
    expect(out).toMatchObject({
      conf: { deviceID: '0000:af:06.2' },
      runtimeConfig: { deviceID: '0000:af:06.2' },
      deviceId: '0000:af:06.2',
    });
  });

  test('a failure names the attachment and its resource', async () => {
    const err = (await settleDevices(
      [att('entry 1 (NetworkAttachmentDefinition ns1/vf)', { resourceName: SRIOV })],
      allocator(new FakePodResources({})),
      false,
    ).catch((e: unknown) => e)) as CniError;
    expect(err.code).toBe(7);
    expect(err.msg).toMatch(
      new RegExp(
        /^entry 1 \(NetworkAttachmentDefinition ns1\/vf\): /u.source +
          /resourceName "intel\.com\/sriov_netdevice": pod ns1\/pod1 has no device/u.source,
        'u',
      ),
    );
  });

  test('best effort (DEL without a record): an attachment whose device cannot be had is kept as it is', async () => {
    const down = new FakePodResources(new CniError(CniCode.TryAgainLater, 'kubelet down'));
    const out = await settleDevices(
      [att('a', { resourceName: SRIOV }), att('b', { resourceName: SRIOV, deviceId: '0000:05:00.1' })],
      allocator(down),
      true,
    );
    expect(out[0]).toEqual({ network: 'a', conf: { cniVersion: '1.0.0', type: 'sriov' }, master: false, origin: 'a' });
    expect(out[1]).toMatchObject({ conf: { deviceID: '0000:05:00.1' }, deviceId: '0000:05:00.1' });
  });
});
