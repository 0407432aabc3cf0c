/**
 * Device IDs through dist/multus (the seed's NFV use): a NetworkAttachmentDefinition annotated
 * `k8s.v1.cni.cncf.io/resourceName` gets the pod's device from the kubelet's pod-resources API
 * (here the pod-resources test server: a gRPC server speaking the v1 API on a temp unix socket,
 * not the kubelet), and the selection's `deviceID` works without one. The recording stand-in,
 * linked as sriov and host-device, shows exactly what each receives; network-status carries the
 * PCI address. The last test runs the real host-device plugin on a real netns: it finds the veth
 * end by the `pciBusID` multus wrote, through a fake PCI entry in a private mount namespace.
 */
import { chmodSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodResourcesTestServer } from '../support/pod-resources-test-server';
import { type KubeCluster, NETWORKS_ANNOTATION, setUpKubePod, useKubeCluster } from './support/kube-cluster';
import { createVethPair, hostLink, inSubnet, ipv4Of, netnsLink, netnsLinkNames } from './support/net';
import { pciDeviceInfo } from '../support/fake-pod-resources';
import { RecordingBinDir } from './support/recording';
import { expectCniError, expectSuccess, REFERENCE_PLUGINS, runMultus } from './support/run-multus';
import { cacheFiles, leaseFiles } from './support/workspace';

const NET = 249; // 10.249.0.0/16 belongs to this file
const NAMESPACE = 'dev-ns';
const SRIOV = 'intel.com/sriov_netdevice';
const [VF1, VF2, VF3] = ['0000:af:06.2', '0000:af:06.3', '0000:af:06.4'];
/** The stand-in's type for the cluster network (eth0): the recording plugin under another name. */
const CLUSTER_TYPE = 'stand-in-cluster';
const stand = (third: number): Record<string, unknown> => ({ address: `10.${NET}.${third}.5/24` });

function addNad(
  cluster: KubeCluster,
  name: string,
  config: Record<string, unknown>,
  resourceName?: string,
  namespace = NAMESPACE,
): void {
  const annotations =
    resourceName === undefined ? {} : { annotations: { 'k8s.v1.cni.cncf.io/resourceName': resourceName } };
  cluster.server.addObject(
    { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions', namespace, name },
    { metadata: { name, namespace, ...annotations }, spec: { config: JSON.stringify(config) } },
  );
}

describe('device IDs for sriov and host-device', () => {
  const fx = useKubeCluster('dv');
  const { ws, cleanup, perFile, cluster } = fx;
  let kubelet: PodResourcesTestServer;

  beforeAll(async () => {
    kubelet = await PodResourcesTestServer.start();
    perFile.add('pod-resources test server', () => kubelet.close());
    addNad(
      cluster,
      'cluster-net',
      { cniVersion: '1.0.0', name: 'cluster-net', type: CLUSTER_TYPE, standIn: stand(1) },
      undefined,
      'kube-system',
    );
    addNad(
      cluster,
      'sriov-net',
      { cniVersion: '1.0.0', name: 'sriov-net', type: 'sriov', vlan: 100, standIn: stand(2) },
      SRIOV,
    );
    addNad(
      cluster,
      'hostdev-net',
      { cniVersion: '1.0.0', name: 'hostdev-net', type: 'host-device', standIn: stand(3) },
      SRIOV,
    );
    addNad(
      cluster,
      'sriov-chain',
      {
        cniVersion: '1.0.0',
        name: 'sriov-chain',
        plugins: [
          { type: 'sriov', standIn: stand(4) },
          { type: 'host-device', capabilities: { deviceID: true }, standIn: stand(4) },
        ],
      },
      SRIOV,
    );
    addNad(cluster, 'sriov-plain', {
      cniVersion: '1.0.0',
      name: 'sriov-plain',
      type: 'sriov',
      if0: 'ens1f0',
      standIn: stand(5),
    });
    addNad(cluster, 'hostdev-plain', {
      cniVersion: '1.0.0',
      name: 'hostdev-plain',
      type: 'host-device',
      standIn: stand(6),
    });
  });

  /** A netns, a pod in the API server with its networks annotation, a bin dir of stand-ins; the call for runMultus. */
  function setUp(
    suffix: string,
    annotation: string,
    extra: Record<string, unknown> = {},
  ): ReturnType<typeof setUpKubePod> & { bin: RecordingBinDir } {
    const bin = new RecordingBinDir(join(ws.dir, `bin-${suffix}`), ['sriov', 'host-device', CLUSTER_TYPE]);
    const config = {
      clusterNetwork: 'cluster-net',
      ifnameIndexFrom: 1,
      podResourcesSocket: kubelet.socketPath,
      binDir: bin.binDir,
      ...extra,
    };
    const annotations = { [NETWORKS_ANNOTATION]: annotation };
    return { ...setUpKubePod(fx, { suffix, namespace: NAMESPACE, annotations, config }), bin };
  }

  function deviceInfos(namespace: string, name: string): unknown[] {
    const text =
      cluster.server.pod(namespace, name)?.metadata.annotations?.['k8s.v1.cni.cncf.io/network-status'] ?? '[]';
    return (JSON.parse(text) as Array<Record<string, unknown>>).map((s) => [s['interface'], s['device-info']]);
  }
  const pci = pciDeviceInfo;

  it(
    "resourceName: the kubelet's devices, one per attachment in order: deviceID for sriov (every one of a " +
      'conflist), pciBusID for host-device; DEL reuses them',
    async () => {
      const { pod, bin, call } = setUp('a', 'sriov-net, hostdev-net, sriov-chain');
      kubelet.addPod(NAMESPACE, pod.name, {
        app: { [SRIOV]: [VF1, VF2] },
        sidecar: { [SRIOV]: [VF3], 'example.com/fpga': ['fpga0'] },
      });
      kubelet.addPod(NAMESPACE, 'another-pod', { app: { [SRIOV]: ['0000:af:06.7'] } });
      const callsBefore = kubelet.calls;

      expectSuccess(await runMultus({ ...call, command: 'ADD' }));
      expect(kubelet.calls - callsBefore).toBe(1);
      expect(bin.read('sriov', 'ADD', 'net1').stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'sriov-net',
        type: 'sriov',
        vlan: 100,
        standIn: stand(2),
        deviceID: VF1,
      });
      expect(bin.read('host-device', 'ADD', 'net2').stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'hostdev-net',
        type: 'host-device',
        standIn: stand(3),
        pciBusID: VF2,
      });
      expect(bin.read('sriov', 'ADD', 'net3').stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'sriov-chain',
        type: 'sriov',
        standIn: stand(4),
        deviceID: VF3,
      });
      // The chain's second plugin: pciBusID as host-device, and runtimeConfig.deviceID for its declared capability.
      expect(bin.read('host-device', 'ADD', 'net3').stdin).toEqual(
        expect.objectContaining({
          type: 'host-device',
          capabilities: { deviceID: true },
          pciBusID: VF3,
          runtimeConfig: { deviceID: VF3 },
          prevResult: expect.any(Object),
        }),
      );
      expect(bin.read(CLUSTER_TYPE, 'ADD', 'eth0').stdin).not.toHaveProperty('deviceID');
      expect(deviceInfos(NAMESPACE, pod.name)).toEqual([
        ['eth0', undefined],
        ['net1', pci(VF1)],
        ['net2', pci(VF2)],
        ['net3', pci(VF3)],
      ]);

      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expect(kubelet.calls - callsBefore).toBe(1);
      expect(bin.read('sriov', 'DEL', 'net1').stdin).toMatchObject({ deviceID: VF1 });
      expect(bin.read('host-device', 'DEL', 'net2').stdin).toMatchObject({ pciBusID: VF2 });
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
  );

  it(
    "the selection's deviceID (JSON form) without a resourceName: deviceID for sriov, pciBusID for host-device; " +
      'the kubelet is not asked',
    async () => {
      const annotation = JSON.stringify([
        { name: 'sriov-plain', deviceID: '0000:05:00.1' },
        { name: 'hostdev-plain', deviceID: '0000:05:00.2' },
      ]);
      const { pod, bin, call } = setUp('b', annotation);
      const callsBefore = kubelet.calls;

      expectSuccess(await runMultus({ ...call, command: 'ADD' }));
      expect(bin.read('sriov', 'ADD', 'net1').stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'sriov-plain',
        type: 'sriov',
        if0: 'ens1f0',
        standIn: stand(5),
        deviceID: '0000:05:00.1',
      });
      expect(bin.read('host-device', 'ADD', 'net2').stdin).toEqual({
        cniVersion: '1.0.0',
        name: 'hostdev-plain',
        type: 'host-device',
        standIn: stand(6),
        pciBusID: '0000:05:00.2',
      });
      expect(deviceInfos(NAMESPACE, pod.name)).toEqual([
        ['eth0', undefined],
        ['net1', pci('0000:05:00.1')],
        ['net2', pci('0000:05:00.2')],
      ]);
      expect(kubelet.calls).toBe(callsBefore);
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
    },
  );

  it('more attachments than the pod has devices: code 7 naming the pod and the resource; nothing runs', async () => {
    const { pod, bin, call } = setUp('c', 'sriov-net, sriov-net');
    kubelet.addPod(NAMESPACE, pod.name, { app: { [SRIOV]: [VF1] } });

    const error = expectCniError(await runMultus({ ...call, command: 'ADD' }), 7);
    expect(error.msg).toBe(
      `annotation "k8s.v1.cni.cncf.io/networks" entry 2 (NetworkAttachmentDefinition ${NAMESPACE}/sriov-net): ` +
        `resourceName "${SRIOV}": ` +
        `pod ${NAMESPACE}/${pod.name} has no device of resource "${SRIOV}" left for this attachment: the ` +
        `kubelet allocated it 1 (${VF1}), all given to earlier attachments ` +
        `(does the pod request ${SRIOV} in its resources for every network that names it?)`,
    );
    expect(bin.files()).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });

  it('the kubelet socket unreachable: code 11 naming it; nothing runs', async () => {
    const socket = join(ws.dir, 'no-kubelet', 'kubelet.sock');
    const { pod, bin, call } = setUp('d', 'sriov-net', { podResourcesSocket: socket });

    const error = expectCniError(await runMultus({ ...call, command: 'ADD' }), 11);
    expect(error.msg).toMatch(
      new RegExp(
        `resourceName "${SRIOV}": kubelet pod-resources API unix://${socket} unreachable: UNAVAILABLE: ` +
          `.*ENOENT.*\\(v1\\.PodResourcesLister/List, for pod ${NAMESPACE}/${pod.name}\\)$`,
        'u',
      ),
    );
    expect(bin.files()).toEqual([]);
  });

  it(
    'the real host-device on a real netns finds the veth end by the pciBusID from the kubelet, moves it in, and ' +
      'gives it back on DEL',
    async () => {
      const fakePci = '0000:00:1f.6';
      const { ns, pod, bin, call } = setUp('e', 'hostdev-pci@vf0');
      const device = `${ws.prefix}ed`;
      createVethPair(device, `${ws.prefix}ep`, cleanup);
      const deviceMac = hostLink(device)?.address;
      kubelet.addPod(NAMESPACE, pod.name, { app: { [SRIOV]: [fakePci] } });
      // No `device`, `hwaddr` or `kernelpath`: only the pciBusID multus writes can tell host-device which link to take.
      addNad(
        cluster,
        'hostdev-pci',
        {
          cniVersion: '1.0.0',
          name: 'hostdev-pci',
          type: 'host-device',
          ipam: { type: 'host-local', subnet: `10.${NET}.7.0/24`, dataDir: ws.ipamDir },
        },
        SRIOV,
      );
      writeFakePciHostDevice(bin.binDir, fakePci, device);

      expectSuccess(await runMultus({ ...call, command: 'ADD' }));
      expect(JSON.parse(readFileSync(join(bin.binDir, 'host-device-ADD.stdin'), 'utf8'))).toMatchObject({
        type: 'host-device',
        pciBusID: fakePci,
      });
      expect(netnsLinkNames(ns)).toEqual(['lo', 'vf0']); // eth0 is the recording stand-in's: it makes no link
      expect(netnsLink(ns, 'vf0')?.address).toBe(deviceMac);
      expect(hostLink(device)).toBeUndefined();
      expect(inSubnet(ipv4Of(ns, 'vf0')[0] ?? '', `10.${NET}.7.0/24`)).toBe(true);
      expect(deviceInfos(NAMESPACE, pod.name)).toEqual([
        ['eth0', undefined],
        ['vf0', pci(fakePci)],
      ]);

      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expect(JSON.parse(readFileSync(join(bin.binDir, 'host-device-DEL.stdin'), 'utf8'))).toMatchObject({
        pciBusID: fakePci,
      });
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      expect(hostLink(device)?.address).toBe(deviceMac);
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
  );
});

/**
 * A FAKE-PCI WRAPPER around the real host-device (/usr/lib/cni/host-device): in a private mount
 * namespace it mounts a tmpfs over /sys/bus/pci/devices holding one fake PCI device, `pciAddress`,
 * whose `net/` names `linkName` and whose driver is not a DPDK one, then execs the real plugin.
 * A veth has no PCI address, and this machine has no spare NIC; everything host-device does with
 * the link is real. The host's sysfs is untouched (the mount exists only in that namespace). It
 * keeps the stdin it passes on in `host-device-<command>.stdin`.
 */
function writeFakePciHostDevice(binDir: string, pciAddress: string, linkName: string): void {
  const path = join(binDir, 'host-device');
  const pci = `/sys/bus/pci/devices/${pciAddress}`;
  const script = [
    '#!/bin/sh',
    `tee "${binDir}/host-device-$CNI_COMMAND.stdin" | exec unshare --mount --propagation private /bin/sh -c '`,
    '  set -e',
    '  mount -t tmpfs fake-pci /sys/bus/pci/devices',
    `  mkdir -p ${pci}/net/${linkName} /sys/bus/pci/devices/fake-nic-driver`,
    `  ln -s ../fake-nic-driver ${pci}/driver`,
    `  exec ${REFERENCE_PLUGINS}/host-device'`,
    '',
  ].join('\n');
  // The bin dir has the recording stand-in linked as host-device: remove the link (writing through
  // it would overwrite the stand-in itself), then put the wrapper in its place.
  unlinkSync(path);
  writeFileSync(path, script, { mode: 0o755 });
  chmodSync(path, 0o755);
}
