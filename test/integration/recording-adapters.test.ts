/**
 * Integration 5: the flannel, sriov and vhostuser adapters, run through dist/multus against the
 * recording stand-in (test/plugins/recording-plugin.js, linked under those names in a temp
 * binDir): proves what each adapter sends — stdin, env, a clean env, prevResult on DEL/CHECK —
 * and that an invalid config runs nothing.
 */
import { join } from 'node:path';
import { sharedNetns } from './support/net';
import { RecordingBinDir, standInResult } from './support/recording';
import { CALLER_PATH, REFERENCE_PLUGINS, expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { cacheFiles, useWorkspace } from './support/workspace';

const NET = 235; // 10.235.0.0/16 belongs to this file (stand-in results only; nothing is configured)
const TYPES = ['flannel', 'sriov', 'vhostuser'] as const;
/** The caller's CNI_ARGS, pod keys out of order and an extra pair whose value holds '='. */
const CALLER_ARGS = 'K8S_POD_NAME=rec-pod;IgnoreUnknown=1;EXTRA=a=b;K8S_POD_UID=uid-5;K8S_POD_NAMESPACE=rec-ns';
const DELEGATE_ARGS = 'IgnoreUnknown=true;K8S_POD_NAMESPACE=rec-ns;K8S_POD_NAME=rec-pod;K8S_POD_UID=uid-5;EXTRA=a=b';
const CNI_KEYS = ['CNI_ARGS', 'CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH', 'PATH'];

/** The three delegates as written in the multus config (flannel is the seed's master). */
function delegates(): Array<Record<string, unknown>> {
  return [
    {
      type: 'flannel',
      masterplugin: true,
      subnetFile: '/run/flannel/subnet.env',
      dataDir: '/var/lib/cni/flannel',
      delegate: { isDefaultGateway: true, hairpinMode: true },
      'x-vendor': { nested: [1, null, 'z'], flag: false },
      standIn: { address: `10.${NET}.1.5/24` },
    },
    {
      name: 'sriov-net',
      type: 'sriov',
      if0: 'enp1s0f1',
      if0name: 'net0',
      vf: 3,
      vlan: 100,
      l2enable: false,
      dpdk: { kernel_driver: 'ixgbevf', dpdk_driver: 'igb_uio', dpdk_tool: '/opt/dpdk/usertools/dpdk-devbind.py' },
      ipam: { type: 'host-local', subnet: `10.${NET}.2.0/24` },
      standIn: { address: `10.${NET}.2.7/24` },
    },
    {
      name: 'vhost-net',
      cniVersion: '0.3.1',
      type: 'vhostuser',
      vhost: { vhost_tool: '/usr/local/bin/vpp-config.py' },
      ipam: { type: 'host-local', subnet: `10.${NET}.3.0/24`, rangeStart: `10.${NET}.3.9`, rangeEnd: `10.${NET}.3.19` },
      standIn: { address: `10.${NET}.3.9/24` },
    },
  ];
}

describe('flannel, sriov and vhostuser adapters through the recording stand-in', () => {
  const { ws, perFile } = useWorkspace('ra');
  const podNetns = sharedNetns(() => `${ws.prefix}-pod`, perFile);

  function setUp(
    suffix: string,
    cniVersion: string,
    list = delegates(),
  ): { bin: RecordingBinDir; call: Parameters<typeof runMultus>[0] } {
    const bin = new RecordingBinDir(join(ws.dir, `bin-${suffix}`), TYPES);
    const config = {
      name: `rec-${suffix}`,
      type: 'multus',
      cniVersion,
      binDir: bin.binDir,
      cniDir: ws.cniDir,
      delegates: list,
    };
    const call = {
      command: 'ADD' as const,
      config,
      containerId: `${ws.prefix}-ctr-${suffix}`,
      netns: podNetns(),
      cniArgs: CALLER_ARGS,
      extraEnv: { HOME: '/root', LANG: 'C.UTF-8', MULTUS_IT_MUST_NOT_LEAK: 'x' },
    };
    return { bin, call };
  }

  describe.each(['0.4.0', '1.0.0'])('multus cniVersion %s', (version) => {
    const suffix = version.replace(/\./gu, '');
    const ifnames = ['eth0', 'net0', 'net1'];
    let bin: RecordingBinDir;
    let call: Parameters<typeof runMultus>[0];
    let addStdout: Record<string, unknown> | undefined;

    beforeAll(async () => {
      ({ bin, call } = setUp(suffix, version));
      const add = await runMultus(call);
      expectSuccess(add);
      addStdout = add.json;
      expectSuccess(await runMultus({ ...call, command: 'CHECK' }));
      const del = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(del);
      expect(del.stdout).toBe('');
    });

    /**
     * The config each delegate must receive: masterplugin gone, cniVersion/name inherited when missing, the rest
     * untouched.
     */
    function expectedConf(i: number): Record<string, unknown> {
      const { masterplugin: _, ...conf } = delegates()[i] ?? {};
      return { ...conf, cniVersion: conf['cniVersion'] ?? version, name: conf['name'] ?? `rec-${suffix}` };
    }

    function prevResultOf(i: number): Record<string, unknown> {
      const conf = expectedConf(i);
      return standInResult(
        String(conf['cniVersion']),
        String((conf['standIn'] as { address: string }).address),
        ifnames[i] ?? '',
        podNetns(),
      );
    }

    it.each([0, 1, 2])('delegate %i ADD: stdin is the delegate config, untouched but for the inherited fields', (i) => {
      expect(bin.read(TYPES[i] ?? '', 'ADD', ifnames[i] ?? '').stdin).toEqual(expectedConf(i));
    });

    it.each([0, 1, 2])(
      'delegate %i ADD: CNI_* env per attachment, CNI_PATH starts with binDir, nothing else but PATH',
      (i) => {
        const rec = bin.read(TYPES[i] ?? '', 'ADD', ifnames[i] ?? '');
        expect(rec.envKeys).toEqual(CNI_KEYS);
        expect(rec.env).toEqual({
          CNI_COMMAND: 'ADD',
          CNI_IFNAME: ifnames[i],
          CNI_CONTAINERID: call.containerId,
          CNI_NETNS: podNetns(),
          CNI_ARGS: DELEGATE_ARGS,
          CNI_PATH: `${bin.binDir}:${REFERENCE_PLUGINS}`,
          PATH: expect.any(String),
        });
        expect(rec.env['PATH']).not.toBe('');
      },
    );

    it('ADD calls the delegates in config order, DEL in reverse', () => {
      expect(bin.callOrder('ADD')).toEqual(['flannel', 'sriov', 'vhostuser']);
      expect(bin.callOrder('DEL')).toEqual(['vhostuser', 'sriov', 'flannel']);
    });

    it('stdout is the master (flannel) result in the multus version', () => {
      expect(addStdout).toEqual(prevResultOf(0));
    });

    it('DEL sends the same env, and sends prevResult only to delegates of 0.4.0 or later', () => {
      for (const i of [0, 1, 2]) {
        const rec = bin.read(TYPES[i] ?? '', 'DEL', ifnames[i] ?? '');
        expect(rec.envKeys).toEqual(CNI_KEYS);
        expect(rec.env['CNI_IFNAME']).toBe(ifnames[i]);
        expect(rec.env['CNI_ARGS']).toBe(DELEGATE_ARGS);
        const prev = i === 2 ? {} : { prevResult: prevResultOf(i) }; // vhostuser's own cniVersion is 0.3.1
        expect(rec.stdin).toEqual({ ...expectedConf(i), ...prev });
      }
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    });

    it('CHECK sends each delegate of 0.4.0 or later its prevResult and skips the 0.3.1 one', () => {
      for (const i of [0, 1]) {
        expect(bin.read(TYPES[i] ?? '', 'CHECK', ifnames[i] ?? '').stdin).toEqual({
          ...expectedConf(i),
          prevResult: prevResultOf(i),
        });
      }
      expect(bin.files()).not.toContain('vhostuser-CHECK-net1.json');
      expect(bin.files()).toHaveLength(8);
    });

    // The runtime's PATH reaches the delegates (plugins run tools such as iptables or vhost_tool).
    it('delegates get the PATH multus was called with', () => {
      expect(bin.read('flannel', 'ADD', 'eth0').env['PATH']).toBe(CALLER_PATH);
    });
  });

  it.each([
    { what: 'sriov vlan 5000', index: 1, patch: { vlan: 5000 }, path: 'delegates[1].vlan' },
    { what: 'vhostuser without vhost', index: 2, patch: { vhost: undefined }, path: 'delegates[2].vhost' },
    {
      what: 'flannel relative subnetFile',
      index: 0,
      patch: { subnetFile: 'run/subnet.env' },
      path: 'delegates[0].subnetFile',
    },
  ])('invalid config ($what): code 7 naming $path, no plugin called', async ({ index, patch, path }) => {
    const list = delegates();
    list[index] = JSON.parse(JSON.stringify({ ...list[index], ...patch })) as Record<string, unknown>;
    const { bin, call } = setUp(`bad${index}`, '1.0.0', list);
    const add = await runMultus(call);
    expect(expectCniError(add, 7).msg).toContain(path);
    expect(bin.files()).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });
});
