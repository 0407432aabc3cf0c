/**
 * Integration 7: vendor adapters in the compiled binary. The build-time one (plugins/macvlan,
 * listed in package.json "multusAdapters") is compiled into dist/multus: it refuses a bad
 * macvlan config before anything runs and lets a good one through to Debian's macvlan on a real
 * netns with a veth master. The run-time one (plugins/vendor-bridge compiled to one .cjs file, in
 * a root-owned 0755 `adapterDirs` directory) is loaded by the binary and changes what the bridge
 * plugin receives, shown by the recording stand-in (test/plugins/recording-plugin.js) linked as
 * `bridge` in a temp binDir. Refusals (a writable directory, a module that throws, a duplicate
 * name) fail the call with code 108 naming the file, and run nothing.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, createVethPair, hostLink, inSubnet } from './support/net';
import { ipv4Of, netnsLink, netnsLinkKind, netnsLinkNames } from './support/net';
import { RecordingBinDir } from './support/recording';
import { expectCniError, expectSuccess, runMultus, type MultusCall } from './support/run-multus';
import { PLUGINS_DIR, compileToCjs, safeAdapterDir } from './support/vendor-modules';
import { cacheFiles, leaseFiles, useWorkspace } from './support/workspace';

const NET = 245; // 10.245.0.0/16 belongs to the vendor-adapter tests (this file: .1-.99)
const MACVLAN_SUBNET = `10.${NET}.1.0/24`;

describe('vendor adapters in dist/multus', () => {
  const { ws, cleanup, perFile } = useWorkspace('va');

  /** The ADD of container `<prefix>-ctr-<suffix>`: multus named `va-<suffix>`, plugins from `bin`, `extra` keys. */
  function addCall(suffix: string, bin: RecordingBinDir, netns: string, extra: Record<string, unknown>): MultusCall {
    const config = { name: `va-${suffix}`, type: 'multus', cniVersion: '1.0.0', binDir: bin.binDir, cniDir: ws.cniDir };
    return { command: 'ADD', config: { ...config, ...extra }, containerId: `${ws.prefix}-ctr-${suffix}`, netns };
  }

  describe('build time: the macvlan adapter compiled in (package.json "multusAdapters")', () => {
    /** A pod netns, a veth master, and a stand-in `probe` delegate beside the macvlan one (to see what ran). */
    function setUp(
      suffix: string,
      macvlan: Record<string, unknown>,
      probeFirst = false,
    ): { ns: string; master: string; bin: RecordingBinDir; call: MultusCall } {
      const ns = `${ws.prefix}-${suffix}`;
      const netns = createNetns(ns, cleanup);
      const master = `${ws.prefix}${suffix}m`;
      createVethPair(master, `${ws.prefix}${suffix}p`, cleanup);
      const bin = new RecordingBinDir(join(ws.dir, `bin-${suffix}`), ['probe']);
      const data = {
        name: 'data',
        type: 'macvlan',
        master,
        mode: 'bridge',
        ipam: { type: 'host-local', subnet: MACVLAN_SUBNET, dataDir: ws.ipamDir },
        ...macvlan,
      };
      const probe = { name: 'probe-net', type: 'probe', standIn: { address: `10.${NET}.9.2/24` } };
      const delegates = probeFirst
        ? [{ ...probe, masterplugin: true }, data]
        : [{ ...data, masterplugin: true }, probe];
      return { ns, master, bin, call: addCall(suffix, bin, netns, { delegates }) };
    }

    it("an invalid mode is refused with the adapter's message, code 7, before any delegate runs", async () => {
      const { ns, bin, call } = setUp('bm', { mode: 'bridged' }, true);
      const error = expectCniError(await runMultus(call), 7);
      expect(error.msg).toBe(
        'network "data" (delegates[1], type "macvlan"): delegates[1].mode: must be one of bridge, private, ' +
          'vepa, passthru, got "bridged"',
      );
      expect(bin.files()).toEqual([]); // the probe before it never ran
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    });

    it('a valid config runs the real macvlan plugin on the veth master; DEL removes it', async () => {
      const { ns, master, bin, call } = setUp('ok', { mode: 'vepa', mtu: 1450 });
      const add = await runMultus(call);
      expectSuccess(add);
      expect(netnsLinkNames(ns)).toEqual(['eth0', 'lo']); // the probe is a stand-in: it makes no link
      expect(netnsLinkKind(ns, 'eth0')).toEqual({ kind: 'macvlan', data: expect.objectContaining({ mode: 'vepa' }) });
      expect(netnsLink(ns, 'eth0')?.link_index).toBe(hostLink(master)?.ifindex);
      expect(inSubnet(ipv4Of(ns, 'eth0')[0] ?? '', MACVLAN_SUBNET)).toBe(true);
      expect((add.json?.['ips'] as Array<{ address: string }>).map((i) => i.address)).toEqual(ipv4Of(ns, 'eth0'));
      expect(bin.callOrder('ADD')).toEqual(['probe']);

      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expect(netnsLinkNames(ns)).toEqual(['lo']);
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    });

    it(
      "a master missing on the host is found by the adapter's verify before any delegate runs: code 7, the probe " +
        'before it never ran',
      async () => {
        const { ns, bin, call } = setUp('gm', { master: `${ws.prefix}gx` }, true);
        const error = expectCniError(await runMultus(call), 7);
        expect(error.msg).toBe(
          `network "data" (delegates[1], type "macvlan"): master "${ws.prefix}gx" was not found on this host; ` +
            `nothing was run`,
        );
        expect(bin.callOrder('ADD')).toEqual([]);
        expect(bin.callOrder('DEL')).toEqual([]);
        expect(netnsLinkNames(ns)).toEqual(['lo']);
        expect(leaseFiles(ws.ipamDir)).toEqual([]);
        expect(cacheFiles(ws.cniDir)).toEqual([]);
      },
    );
  });

  describe('run time: a vendor module in adapterDirs (plugins/vendor-bridge as one .cjs file)', () => {
    let netns: string;
    let acmeBridge: string;

    beforeAll(() => {
      netns = createNetns(`${ws.prefix}-rt`, perFile);
      acmeBridge = compileToCjs(join(PLUGINS_DIR, 'vendor-bridge', 'src', 'index.ts'));
    });

    const bridge = {
      name: 'pods',
      type: 'bridge',
      bridge: 'acme0',
      ipam: {},
      standIn: { address: `10.${NET}.2.5/24` },
    };

    function setUp(suffix: string, adapterDirs?: string[]): { bin: RecordingBinDir; call: MultusCall } {
      const bin = new RecordingBinDir(join(ws.dir, `bin-${suffix}`), ['bridge']);
      const extra = adapterDirs === undefined ? {} : { adapterDirs };
      return { bin, call: addCall(suffix, bin, netns, { ...extra, delegates: [bridge] }) };
    }

    it(
      "the binary loads it and it overrides the built-in bridge adapter: the plugin gets ACME's defaults, on ADD " +
        'and DEL',
      async () => {
        const dir = safeAdapterDir(join(ws.dir, 'adapters-ok'), { 'acme-bridge.cjs': acmeBridge });
        const { bin, call } = setUp('rt', [dir]);
        expectSuccess(await runMultus(call));
        expectSuccess(await runMultus({ ...call, command: 'DEL' }));
        const expected = { ...bridge, cniVersion: '1.0.0', hairpinMode: true, mtu: 9000 };
        expect(bin.read('bridge', 'ADD', 'eth0').stdin).toEqual(expected);
        expect(bin.read('bridge', 'DEL', 'eth0').stdin).toEqual({ ...expected, prevResult: expect.any(Object) });
        expect(cacheFiles(ws.cniDir)).toEqual([]);
      },
    );

    it('without adapterDirs the built-in bridge adapter runs: the plugin gets the config as written', async () => {
      const { bin, call } = setUp('bi');
      expectSuccess(await runMultus(call));
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      expect(bin.read('bridge', 'ADD', 'eth0').stdin).toEqual({ ...bridge, cniVersion: '1.0.0' });
    });

    it.each([
      {
        what: 'a group/other-writable directory (0777)',
        suffix: 'xw',
        files: () => ({ 'acme-bridge.cjs': acmeBridge }),
        mode: 0o777,
        message: (dir: string) =>
          `adapter directory ${dir} is writable by group or others (mode 0777): refusing to load code from it`,
      },
      {
        what: 'a module that throws when loaded',
        suffix: 'xt',
        files: () => ({ 'broken.cjs': 'throw new Error("licence server unreachable");\n' }),
        mode: 0o755,
        message: (dir: string) =>
          `adapter module ${join(dir, 'broken.cjs')} failed to load: licence server unreachable`,
      },
      {
        what: 'a module registering an adapter name the binary has (macvlan, compiled in)',
        suffix: 'xd',
        files: () => ({
          'copycat.cjs':
            'module.exports = (api) => ({ name: "copycat", adapters: [(e) => new api.ExecAdapter(e, { name: ' +
            '"macvlan", priority: 99, types: ["macvlan"] })] });\n',
        }),
        mode: 0o755,
        message: (dir: string) =>
          `adapter name "macvlan" is registered twice: by build-time ./plugins/macvlan (multus-adapter-macvlan) ` +
          `and by ${join(dir, 'copycat.cjs')} (copycat)`,
      },
    ])('$what: code 108 naming it, and no plugin runs', async ({ suffix, files, mode, message }) => {
      const dir = safeAdapterDir(join(ws.dir, `adapters-${suffix}`), files());
      chmodSync(dir, mode);
      const { bin, call } = setUp(suffix, [dir]);
      const error = expectCniError(await runMultus(call), 108);
      expect(error.msg).toContain(message(dir));
      expect(bin.files()).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
    });
  });
});
