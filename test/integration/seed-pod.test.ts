/**
 * Integration 1: the seed README's three-delegate pod, its config as the seed writes it (no
 * cniVersion: a 0.1.0 result with ip4), run through the compiled dist/multus against Debian's
 * reference plugins in a real network namespace.
 */
import { execFileSync } from 'node:child_process';
import { bridgePorts, createNetns, hostAddrsWithPrefix } from './support/net';
import { expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { SeedPod, resultShape, runBridgeDirectly, withoutEmptyDns } from './support/seed-pod';
import { cacheFiles, leaseFiles, useWorkspace } from './support/workspace';

const NET = 231; // 10.231.0.0/16 belongs to this file

describe('seed three-delegate pod, seed config (no cniVersion)', () => {
  const { ws, cleanup } = useWorkspace('sp');

  it('ADD makes eth0, net0, net1 and prints the bridge master result as 0.1.0; DEL leaves nothing', async () => {
    const ns = `${ws.prefix}-a`;
    const netns = createNetns(ns, cleanup);
    const pod = new SeedPod(ws, 'a', NET, 1, cleanup);
    const call = { config: pod.config(undefined), containerId: `${ws.prefix}-ctr-a`, netns };

    const add = await runMultus({ ...call, command: 'ADD' });
    expectSuccess(add);
    pod.expectUp(ns, call.containerId);
    const ip4 = (add.json?.['ip4'] ?? {}) as { ip?: string };
    expect(add.json?.['cniVersion']).toBe('0.1.0');
    expect(withoutEmptyDns(add.json)).toEqual(pod.expectedMasterResult(ns, netns, '0.1.0'));
    expect(ip4.ip?.startsWith('10.231.1.')).toBe(true);

    const del = await runMultus({ ...call, command: 'DEL' });
    expectSuccess(del);
    expect(del.stdout).toBe('');
    pod.expectGone(ns);
  });

  it(
    'prints the result the bridge plugin prints for the master, called directly, with the default route the ' +
      "seed's rule set",
    async () => {
      const ns = `${ws.prefix}-b`;
      const netns = createNetns(ns, cleanup);
      const pod = new SeedPod(ws, 'b', NET, 11, cleanup);
      const call = { config: pod.config(undefined), containerId: `${ws.prefix}-ctr-b`, netns };

      const add = await runMultus({ ...call, command: 'ADD' });
      expectSuccess(add);
      expectSuccess(await runMultus({ ...call, command: 'DEL' }));
      pod.expectGone(ns);

      const direct = { ...pod.masterDelegate(), cniVersion: '0.1.0' };
      const bridgeResult = runBridgeDirectly('ADD', direct, netns, call.containerId);
      runBridgeDirectly('DEL', direct, netns, call.containerId);
      expect(resultShape(withoutEmptyDns(add.json))).toEqual(
        resultShape(pod.withMasterDefaultRoute(withoutEmptyDns(bridgeResult), '0.1.0')),
      );
      expect(add.json).toEqual({ cniVersion: '0.1.0', ip4: expect.objectContaining({ gateway: '10.231.11.1' }) });
    },
  );

  it('CHECK on a config below 0.4.0 is code 1 and touches nothing', async () => {
    const ns = `${ws.prefix}-c`;
    const netns = createNetns(ns, cleanup);
    const pod = new SeedPod(ws, 'c', NET, 21, cleanup);
    const call = { config: pod.config(undefined), containerId: `${ws.prefix}-ctr-c`, netns };
    expectSuccess(await runMultus({ ...call, command: 'ADD' }));

    const check = await runMultus({ ...call, command: 'CHECK' });
    expect(expectCniError(check, 1).msg).toMatch(/0\.4\.0/u);
    pod.expectUp(ns, call.containerId);

    expectSuccess(await runMultus({ ...call, command: 'DEL' }));
    pod.expectGone(ns);
  });

  it('DEL twice and DEL without ADD succeed (the second finds no cache and nothing to delete)', async () => {
    const ns = `${ws.prefix}-d`;
    const netns = createNetns(ns, cleanup);
    const pod = new SeedPod(ws, 'd', NET, 31, cleanup);
    const call = { config: pod.config(undefined), containerId: `${ws.prefix}-ctr-d`, netns };

    const first = await runMultus({ ...call, command: 'DEL' });
    expectSuccess(first);
    expect(first.stdout).toBe('');
    expectSuccess(await runMultus({ ...call, command: 'ADD' }));
    expectSuccess(await runMultus({ ...call, command: 'DEL' }));
    const again = await runMultus({ ...call, command: 'DEL' });
    expectSuccess(again);
    expect(again.stdout).toBe('');
    pod.expectGone(ns);
  });

  it(
    'DEL after the runtime removed the netns succeeds ' + 'and still releases every lease and the cache entry',
    async () => {
      const ns = `${ws.prefix}-e`;
      const netns = createNetns(ns, cleanup);
      const pod = new SeedPod(ws, 'e', NET, 41, cleanup);
      const call = { config: pod.config('1.0.0'), containerId: `${ws.prefix}-ctr-e`, netns };
      expectSuccess(await runMultus({ ...call, command: 'ADD' }));
      expect(leaseFiles(ws.ipamDir)).toHaveLength(3);

      execFileSync('ip', ['netns', 'del', ns]);
      const del = await runMultus({ ...call, command: 'DEL' });
      expectSuccess(del);
      expect(del.stdout).toBe('');
      expect(leaseFiles(ws.ipamDir)).toEqual([]);
      expect(cacheFiles(ws.cniDir)).toEqual([]);
      expect(pod.bridges.flatMap((b) => bridgePorts(b))).toEqual([]);
      expect(hostAddrsWithPrefix(pod.subnets.ptp.replace(/0\/24$/u, ''))).toEqual([]);
    },
  );
});
