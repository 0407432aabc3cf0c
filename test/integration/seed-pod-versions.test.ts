/**
 * Integration 2: the seed's three-delegate pod with a multus config of cniVersion 0.3.1, 0.4.0,
 * 1.0.0 and 1.1.0 over Debian's reference plugins (which speak up to 1.0.0). The printed result
 * is the bridge master's in the config's version (checked against the links really made and
 * against the bridge plugin called directly); delegates without cniVersion run at the highest
 * version both allow (1.0.0 under a 1.1.0 config); CHECK passes after ADD from 0.4.0 on and is
 * code 1 below; GC and STATUS are code 1 below 1.1.0 and succeed at 1.1.0 (no reference plugin
 * is sent them); DEL leaves nothing.
 */
import { readFileSync } from 'node:fs';
import { createNetns } from './support/net';
import { expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { SeedPod, resultShape, runBridgeDirectly, withoutEmptyDns } from './support/seed-pod';
import { cacheFile, useWorkspace } from './support/workspace';

const NET = 232; // 10.232.0.0/16 belongs to this file

const VERSIONS = [
  { version: '0.3.1', suffix: 'a', third: 1, checkSupported: false },
  { version: '0.4.0', suffix: 'b', third: 11, checkSupported: true },
  { version: '1.0.0', suffix: 'c', third: 21, checkSupported: true },
  { version: '1.1.0', suffix: 'e', third: 41, checkSupported: true },
] as const;

/** What the delegates run at: the config's version, but at most 1.0.0 (the plugins' highest). */
function delegateVersion(version: string): string {
  return version === '1.1.0' ? '1.0.0' : version;
}

describe('seed three-delegate pod per cniVersion', () => {
  const { ws, cleanup } = useWorkspace('sv');

  it.each(VERSIONS)(
    'cniVersion $version: ADD, CHECK, STATUS, GC, DEL',
    async ({ version, suffix, third, checkSupported }) => {
      const ns = `${ws.prefix}-${suffix}`;
      const netns = createNetns(ns, cleanup);
      const pod = new SeedPod(ws, suffix, NET, third, cleanup);
      const call = { config: pod.config(version), containerId: `${ws.prefix}-ctr-${suffix}`, netns };

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      pod.expectUp(ns, call.containerId);
      expect(withoutEmptyDns(add.json)).toEqual(pod.expectedMasterResult(ns, netns, version));
      const interfaces = add.json?.['interfaces'] as Array<{ name: string; sandbox?: string }>;
      expect(interfaces).toContainEqual(expect.objectContaining({ name: 'eth0', sandbox: netns }));
      const ips = add.json?.['ips'] as Array<{ address: string }>;
      expect(ips.map((i) => i.address.split('.').slice(0, 3).join('.'))).toEqual([`10.${NET}.${third}`]);
      const record = JSON.parse(readFileSync(cacheFile(ws.cniDir, call.containerId), 'utf8')) as {
        attachments: Array<{ cniVersion: string; confs: Array<{ cniVersion: string }> }>;
      };
      expect(record.attachments.flatMap((a) => [a.cniVersion, ...a.confs.map((c) => c.cniVersion)])).toEqual(
        Array(6).fill(delegateVersion(version)),
      );

      const check = await runMultus({ ...call, command: 'CHECK' });
      if (checkSupported) {
        expectSuccess(check);
        expect(check.stdout).toBe('');
      } else {
        expect(expectCniError(check, 1).cniVersion).toBe(version);
      }
      pod.expectUp(ns, call.containerId);

      const status = await runMultus({ ...call, command: 'STATUS' });
      const gc = await runMultus({
        ...call,
        command: 'GC',
        config: { ...call.config, 'cni.dev/valid-attachments': [{ containerID: call.containerId, ifname: 'eth0' }] },
      });
      if (version === '1.1.0') {
        expectSuccess(status);
        expectSuccess(gc);
        expect(status.stdout + gc.stdout).toBe('');
      } else {
        expect([expectCniError(status, 1).msg, expectCniError(gc, 1).msg]).toEqual([
          `STATUS needs cniVersion 1.1.0 or later; the config is ${version}`,
          `GC needs cniVersion 1.1.0 or later; the config is ${version}`,
        ]);
      }
      pod.expectUp(ns, call.containerId);

      const del = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(del);
      expect(del.stdout).toBe('');
      pod.expectGone(ns);

      // What the bridge plugin itself prints for the master conf in the version it ran at: same shape.
      const direct = { ...pod.masterDelegate(), cniVersion: delegateVersion(version) };
      const bridgeResult = runBridgeDirectly('ADD', direct, netns, call.containerId);
      runBridgeDirectly('DEL', direct, netns, call.containerId);
      expect(resultShape(withoutEmptyDns(add.json))).toEqual(
        resultShape({ ...pod.withMasterDefaultRoute(withoutEmptyDns(bridgeResult), version), cniVersion: version }),
      );
    },
  );

  it('CHECK after DEL fails: nothing is recorded for the container any more', async () => {
    const ns = `${ws.prefix}-d`;
    const netns = createNetns(ns, cleanup);
    const pod = new SeedPod(ws, 'd', NET, 31, cleanup);
    const call = { config: pod.config('1.0.0'), containerId: `${ws.prefix}-ctr-d`, netns };
    expectSuccess(await runMultus({ ...call, command: 'ADD' }));
    expectSuccess(await runMultus({ ...call, command: 'DEL' }));

    const check = await runMultus({ ...call, command: 'CHECK' });
    expect(expectCniError(check, 3).msg).toContain(call.containerId);
    pod.expectGone(ns);
  });
});
