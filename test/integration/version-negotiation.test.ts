/**
 * CNI version negotiation through dist/multus with the recording stand-in
 * (test/plugins/recording-plugin.js: not a real plugin, it makes no interface; a `<type>.versions`
 * file beside it makes it claim only those versions, as an old plugin would): a delegate without
 * cniVersion runs at the highest version both the multus config and the plugin allow, an explicit
 * version the plugin does not speak fails before anything runs, and the VERSION answer is asked
 * once per plugin binary (kept in cniDir for the next process) until the binary is replaced.
 */
import { copyFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sharedNetns } from './support/net';
import { RECORDING_PLUGIN, RecordingBinDir } from './support/recording';
import { expectCniError, expectSuccess, runMultus, type MultusCall } from './support/run-multus';
import { cacheFiles, useWorkspace } from './support/workspace';

// 10.248.0.0/16 (but the seed walkthrough's 10.248.246.0/24): stand-in results only, nothing is configured
const NET = 248;

describe('version negotiation with the delegates (recording stand-in)', () => {
  const { ws, perFile } = useWorkspace('vn');
  const podNetns = sharedNetns(() => `${ws.prefix}-pod`, perFile);

  function setUp(
    suffix: string,
    delegates: Array<Record<string, unknown>>,
  ): { bin: RecordingBinDir; call: (containerId: string) => MultusCall } {
    const bin = new RecordingBinDir(join(ws.dir, `bin-${suffix}`), ['oldplug', 'newplug']);
    const cniDir = join(ws.dir, `cni-${suffix}`);
    const config = { name: `vn-${suffix}`, type: 'multus', cniVersion: '1.0.0', binDir: bin.binDir, cniDir, delegates };
    return {
      bin,
      call: (containerId) => ({
        command: 'ADD',
        config,
        containerId: `${ws.prefix}-${containerId}`,
        netns: podNetns(),
      }),
    };
  }

  const old = { name: 'old-net', type: 'oldplug', standIn: { address: `10.${NET}.1.5/24` } };
  const fresh = { name: 'new-net', type: 'newplug', standIn: { address: `10.${NET}.2.5/24` } };

  it(
    'a plugin that claims only 0.3.1 under a 1.0.0 config runs at 0.3.1; the runtime gets 1.0.0; CHECK is skipped ' +
      'for it, DEL sends 0.3.1',
    async () => {
      const { bin, call } = setUp('a', [{ ...old, masterplugin: true }, fresh]);
      bin.claimVersions('oldplug', ['0.1.0', '0.2.0', '0.3.0', '0.3.1']);
      const add = await runMultus(call('a'));
      expectSuccess(add);
      expect(bin.read('oldplug', 'ADD', 'eth0').stdin['cniVersion']).toBe('0.3.1');
      expect(bin.read('newplug', 'ADD', 'net0').stdin['cniVersion']).toBe('1.0.0');
      expect(add.json).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: `10.${NET}.1.5/24` }] });

      expectSuccess(await runMultus({ ...call('a'), command: 'CHECK' }));
      expect(bin.files().filter((f) => f.includes('-CHECK-'))).toEqual(['newplug-CHECK-net0.json']);
      expectSuccess(await runMultus({ ...call('a'), command: 'DEL' }));
      expect(bin.read('oldplug', 'DEL', 'eth0').stdin).toMatchObject({ cniVersion: '0.3.1' });
      expect(bin.read('oldplug', 'DEL', 'eth0').stdin['prevResult']).toBeUndefined();
    },
  );

  it(
    'an explicit cniVersion the plugin does not speak: code 1 naming network, place, type, version and list; no ' +
      'delegate ran, no record',
    async () => {
      const { bin, call } = setUp('b', [fresh, { ...old, cniVersion: '1.0.0' }]);
      bin.claimVersions('oldplug', ['0.3.1']);
      const error = expectCniError(await runMultus(call('b')), 1);
      expect(error.msg).toBe(
        'network "old-net" (delegates[1], type "oldplug"): cniVersion "1.0.0" is not supported by the plugin, ' +
          'which supports [0.3.1]; nothing was run',
      );
      expect(bin.files()).toEqual([]);
      expect(cacheFiles(join(ws.dir, 'cni-b'))).toEqual([]);
    },
  );

  it(
    'VERSION is asked once per plugin binary across two ADDs (separate processes), and again once the binary is ' +
      'replaced',
    async () => {
      const { bin, call } = setUp('c', [{ ...old, masterplugin: true }, fresh]);
      expectSuccess(await runMultus(call('c1')));
      expectSuccess(await runMultus(call('c2')));
      expect(bin.versionCalls().sort()).toEqual(['newplug', 'oldplug']);
      const versionsFile = join(ws.dir, 'cni-c', 'plugin-versions.json');
      expect(statSync(versionsFile).mode & 0o777).toBe(0o600);

      // A new build of oldplug (another inode): asked again, once; newplug is not.
      rmSync(join(bin.binDir, 'oldplug'));
      copyFileSync(RECORDING_PLUGIN, join(bin.binDir, 'oldplug'));
      expectSuccess(await runMultus(call('c3')));
      expectSuccess(await runMultus(call('c4')));
      expect(bin.versionCalls().sort()).toEqual(['newplug', 'oldplug', 'oldplug']);
      for (const id of ['c1', 'c2', 'c3', 'c4']) expectSuccess(await runMultus({ ...call(id), command: 'DEL' }));
      expect(cacheFiles(join(ws.dir, 'cni-c'))).toEqual([]);
    },
  );
});
