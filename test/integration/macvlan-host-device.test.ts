/**
 * Integration 3: macvlan on a veth master, and host-device moving a veth end into the pod (the
 * stand-in for an SR-IOV VF: no dummy/vlan link types and no VFs on this machine). After DEL
 * the device is back on the host under its own name and the pod holds nothing.
 */
import { createNetns, createVethPair, hostLink, hostLinksInto, inSubnet } from './support/net';
import { ipv4Of, netnsLink, netnsLinkKind, netnsLinkNames } from './support/net';
import { expectSuccess, runMultus } from './support/run-multus';
import { cacheFiles, leaseFiles, useWorkspace } from './support/workspace';

const NET = 233; // 10.233.0.0/16 belongs to this file
const MACVLAN_SUBNET = `10.${NET}.1.0/24`;
const DEVICE_SUBNET = `10.${NET}.2.0/24`;

describe('macvlan on a veth master and host-device with a veth end', () => {
  const { ws, cleanup } = useWorkspace('mh');

  function setUp(suffix: string): {
    ns: string;
    netns: string;
    master: string;
    device: string;
    config: (v: string) => Record<string, unknown>;
  } {
    const ns = `${ws.prefix}-${suffix}`;
    const netns = createNetns(ns, cleanup);
    const master = `${ws.prefix}${suffix}m`;
    const device = `${ws.prefix}${suffix}d`;
    createVethPair(master, `${ws.prefix}${suffix}n`, cleanup);
    createVethPair(device, `${ws.prefix}${suffix}e`, cleanup);
    const config = (cniVersion: string): Record<string, unknown> => ({
      name: `mh-${suffix}`,
      type: 'multus',
      cniVersion,
      cniDir: ws.cniDir,
      delegates: [
        {
          name: 'macvlan-net',
          type: 'macvlan',
          master,
          mode: 'bridge',
          ipam: { type: 'host-local', subnet: MACVLAN_SUBNET, dataDir: ws.ipamDir },
          masterplugin: true,
        },
        {
          name: 'vf-net',
          type: 'host-device',
          device,
          ipam: { type: 'host-local', subnet: DEVICE_SUBNET, dataDir: ws.ipamDir },
        },
      ],
    });
    return { ns, netns, master, device, config };
  }

  it.each(['0.3.1', '1.0.0'])(
    'cniVersion %s: ADD puts a macvlan (eth0) and the moved device (net0) in the pod; DEL gives the device back',
    async (version) => {
      const suffix = version === '1.0.0' ? 'b' : 'a';
      const { ns, netns, master, device, config } = setUp(suffix);
      const call = { config: config(version), containerId: `${ws.prefix}-ctr-${suffix}`, netns };
      const deviceMac = hostLink(device)?.address;

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
      // eth0 is a macvlan whose lower link is the host veth `master`.
      expect(netnsLinkKind(ns, 'eth0')).toEqual({ kind: 'macvlan', data: expect.objectContaining({ mode: 'bridge' }) });
      expect(netnsLink(ns, 'eth0')?.link_index).toBe(hostLink(master)?.ifindex);
      expect(netnsLinkKind(ns, 'net0').kind).toBe('veth');
      expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', MACVLAN_SUBNET)).toBe(true);
      // net0 is the host's device itself: same MAC, gone from the host.
      expect(netnsLink(ns, 'net0')?.address).toBe(deviceMac);
      expect(hostLink(device)).toBeUndefined();
      expect(inSubnet(ipv4Of(ns, 'net0')[0] ?? '', DEVICE_SUBNET)).toBe(true);
      // The printed result is the macvlan master's.
      const ips = add.json?.['ips'] as Array<{ address: string }>;
      expect(add.json?.['cniVersion']).toBe(version);
      expect(ips.map((i) => i.address)).toEqual(ipv4Of(ns, 'eth0'));
      expect(add.json?.['interfaces']).toEqual([
        expect.objectContaining({ name: 'eth0', sandbox: netns, mac: netnsLink(ns, 'eth0')?.address }),
      ]);
      expect(leaseFiles(ws.ipamDir)).toHaveLength(2);

      if (version !== '0.3.1') expectSuccess(await runMultus({ ...call, command: 'CHECK' }));

      const del = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(del);
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      expect(hostLinksInto(ns)).toEqual([]);
      expect(hostLink(device)?.address).toBe(deviceMac);
      expect(hostLink(master)).toBeDefined();
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
  );

  it('a second DEL succeeds although host-device cannot find its device twice (no stuck pod)', async () => {
    const { ns, netns, device, config } = setUp('c');
    const call = { config: config('1.0.0'), containerId: `${ws.prefix}-ctr-c`, netns };
    expectSuccess(await runMultus({ ...call, command: 'ADD' }));
    expectSuccess(await runMultus({ ...call, command: 'DEL' }));

    const again = await runMultus({ ...call, command: 'DEL' });
    expectSuccess(again);
    expect(again.stdout).toBe('');
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(hostLink(device)).toBeDefined();
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });

  it('ADD when the device to move does not exist: error naming host-device, the macvlan rolled back', async () => {
    const { ns, netns, config } = setUp('d');
    const conf = config('1.0.0');
    const delegates = conf['delegates'] as Array<Record<string, unknown>>;
    delegates[1] = { ...delegates[1], device: `${ws.prefix}dx` };
    const add = await runMultus({ config: conf, containerId: `${ws.prefix}-ctr-d`, netns, command: 'ADD' });

    expect(add.exitCode).toBe(1);
    expect(add.json?.['msg']).toEqual(expect.stringContaining('"vf-net"'));
    expect(add.json?.['msg']).toEqual(expect.stringContaining('host-device'));
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });
});
