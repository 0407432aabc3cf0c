/**
 * A DEL deletes only what is its own, and nothing ever runs in the host's network namespace:
 * dist/multus with Debian's bridge and ptp in a real netns. (1) ADD with CNI_IFNAME=eth0, then a
 * DEL of the same container with CNI_IFNAME=eth1 (no record of its own) leaves the eth0 record's
 * interfaces and leases alone; (2) CNI_NETNS naming the host's own namespace is refused on ADD
 * and CHECK (code 4) before anything runs, and a DEL then sends the delegates an empty
 * CNI_NETNS (they release their leases and touch no link); (3) Go's `"readinessindicatorfile": ""`;
 * (4) a CHECK with nothing recorded is read-only: it makes no cache dir.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  bridgePorts,
  createNetns,
  hostLink,
  hostLinks,
  hostLinksInto,
  inSubnet,
  ipv4Of,
  netnsLinkNames,
} from './support/net';
import { expectCniError, expectSuccess, runMultus, type MultusCall } from './support/run-multus';
import { cacheFiles, leaseFiles, useWorkspace } from './support/workspace';

const NET = 246; // 10.246.0.0/16 belongs to this file
/** A path naming the host's network namespace: this jest worker's (it runs in the host's, as multus does). */
const HOST_NETNS = `/proc/${process.pid}/ns/net`;

describe('a DEL that deletes only what is its own', () => {
  const { ws, cleanup } = useWorkspace('ds');

  function setUp(suffix: string, third: number): { ns: string; bridge: string; call: MultusCall } {
    const ns = `${ws.prefix}-${suffix}`;
    const netns = createNetns(ns, cleanup);
    const bridge = `${ws.prefix}${suffix}b`;
    cleanup.link(bridge);
    const config = {
      name: `ds-${suffix}`,
      type: 'multus',
      cniVersion: '1.0.0',
      cniDir: ws.cniDir,
      readinessindicatorfile: '',
      delegates: [
        {
          name: `pods-${suffix}`,
          type: 'bridge',
          bridge,
          ipam: { type: 'host-local', subnet: `10.${NET}.${third}.0/24`, dataDir: ws.ipamDir },
        },
        {
          name: `p2p-${suffix}`,
          type: 'ptp',
          ipam: { type: 'host-local', subnet: `10.${NET}.${third + 1}.0/24`, dataDir: ws.ipamDir },
        },
      ],
    };
    return { ns, bridge, call: { command: 'ADD', config, containerId: `${ws.prefix}-ctr-${suffix}`, netns } };
  }

  it('ADD as eth0, DEL as eth1: eth0, net0 and their leases stay; the DEL of eth0 then removes them', async () => {
    const { ns, call } = setUp('a', 1);
    expectSuccess(await runMultus(call));
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
    const leases = leaseFiles(ws.ipamDir);
    expect(leases).toHaveLength(2);

    const other = await runMultus({ ...call, command: 'DEL', ifname: 'eth1' });
    expectSuccess(other);
    expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
    expect(inSubnet(ipv4Of(ns, 'net0')[0] ?? '', `10.${NET}.2.0/24`)).toBe(true);
    expect(leaseFiles(ws.ipamDir)).toEqual(leases);
    expect(cacheFiles(ws.cniDir)).toEqual([`${call.containerId}-eth0.json`]);

    expectSuccess(await runMultus({ ...call, command: 'DEL' }));
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });

  it.each(['ADD', 'CHECK'] as const)(
    "%s with a CNI_NETNS naming the host's namespace: code 4 before anything runs",
    async (command) => {
      const suffix = command === 'ADD' ? 'b' : 'c';
      const { bridge, call } = setUp(suffix, command === 'ADD' ? 11 : 21);
      const error = expectCniError(await runMultus({ ...call, command, netns: HOST_NETNS }), 4);
      expect(error.msg).toBe(
        `CNI_NETNS: ${HOST_NETNS} is the host's own network namespace (the one multus runs in); refusing to ` +
          `${command} pod interfaces there`,
      );
      // No delegate ran: the bridge plugin would have made its bridge, host-local its networks' lease dirs.
      expect(hostLink(bridge)).toBeUndefined();
      expect([`pods-${suffix}`, `p2p-${suffix}`].filter((n) => existsSync(join(ws.ipamDir, n)))).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    },
  );

  it('a CHECK without a record is code 3 and leaves no trace: no cache dir, no lock file', async () => {
    const { call } = setUp('e', 41);
    const cniDir = join(ws.dir, 'never-made');
    const check = await runMultus({ ...call, command: 'CHECK', config: { ...(call.config as object), cniDir } });
    expect(expectCniError(check, 3).msg).toBe(
      `no attachments recorded for container ${call.containerId} interface eth0 in ${cniDir}`,
    );
    expect(existsSync(cniDir)).toBe(false);
  });

  it(
    "a DEL naming the host's namespace runs the delegates with an empty CNI_NETNS: leases released, no host link " +
      'touched',
    async () => {
      const { ns, bridge, call } = setUp('d', 31);
      expectSuccess(await runMultus(call));
      const peers = hostLinksInto(ns);
      expect(peers).toHaveLength(2);
      const host = hostLinks().filter((l) => l.ifname === 'lo' || l.ifname === 'eth0');
      expectSuccess(await runMultus({ ...call, command: 'DEL', netns: HOST_NETNS }));
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
      // No link was looked for in the host namespace (nor anywhere): the pod's are still there, and
      // so are their host ends and the host's own lo and eth0.
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo', 'net0']);
      expect(hostLinksInto(ns)).toEqual(peers);
      expect(bridgePorts(bridge)).toHaveLength(1);
      expect(hostLinks().filter((l) => l.ifname === 'lo' || l.ifname === 'eth0')).toEqual(host);
    },
  );
});
