/**
 * Integration 2: the seed's three-delegate pod with a multus config of cniVersion 0.3.1, 0.4.0
 * and 1.0.0. The printed result is the bridge master's in that version (checked against the
 * links really made and against the bridge plugin called directly); CHECK passes after ADD from
 * 0.4.0 on and is code 1 below; DEL leaves nothing.
 */
import { Cleanup, expectClean } from './support/cleanup';
import { createNetns } from './support/net';
import { assertIntegrationPrerequisites, expectCniError, expectSuccess, runMultus } from './support/run-multus';
import { SeedPod, resultShape, runBridgeDirectly, withoutEmptyDns } from './support/seed-pod';
import { createWorkspace, type Workspace } from './support/workspace';

const NET = 232; // 10.232.0.0/16 belongs to this file

const VERSIONS = [
  { version: '0.3.1', suffix: 'a', third: 1, checkSupported: false },
  { version: '0.4.0', suffix: 'b', third: 11, checkSupported: true },
  { version: '1.0.0', suffix: 'c', third: 21, checkSupported: true },
] as const;

describe('seed three-delegate pod per cniVersion', () => {
  const perFile = new Cleanup();
  const cleanup = new Cleanup(); // per test
  let ws: Workspace;

  beforeAll(() => {
    assertIntegrationPrerequisites();
    ws = createWorkspace('sv', perFile);
  });

  afterEach(() => expectClean(cleanup.runAll()));
  afterAll(() => expectClean(perFile.runAll()));

  it.each(VERSIONS)('cniVersion $version: ADD, CHECK, DEL', async ({ version, suffix, third, checkSupported }) => {
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

    const check = await runMultus({ ...call, command: 'CHECK' });
    if (checkSupported) {
      expectSuccess(check);
      expect(check.stdout).toBe('');
    } else {
      expect(expectCniError(check, 1).cniVersion).toBe(version);
    }
    pod.expectUp(ns, call.containerId);

    const del = await runMultus({ ...call, command: 'DEL' });
    expectSuccess(del);
    expect(del.stdout).toBe('');
    pod.expectGone(ns);

    // What the bridge plugin itself prints for the master conf in this version: same shape.
    const direct = { ...pod.masterDelegate(), cniVersion: version };
    const bridgeResult = runBridgeDirectly('ADD', direct, netns, call.containerId);
    runBridgeDirectly('DEL', direct, netns, call.containerId);
    expect(resultShape(withoutEmptyDns(add.json))).toEqual(resultShape(withoutEmptyDns(bridgeResult)));
  });

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
