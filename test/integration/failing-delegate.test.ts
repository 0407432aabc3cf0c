/**
 * Integration 4: a pod whose third delegate fails. (a) the plugin rejects its IPAM config at run
 * time (host-local: rangeStart outside the subnet, valid syntax, so it passes our validation);
 * (b) the plugin binary does not exist, and (c) a syntactically invalid subnet, both caught before
 * anything runs. Each: exit 1, one CNI error naming the network and type, no stack trace anywhere, and
 * nothing left behind (interfaces, host veths, leases, cache file).
 */
import { existsSync } from 'node:fs';
import { Cleanup, expectClean } from './support/cleanup';
import { bridgePorts, createNetns, hostAddrsWithPrefix, hostLink, hostLinksInto, netnsLinkNames } from './support/net';
import {
  assertIntegrationPrerequisites,
  expectCniError,
  runMultus,
  stackTraceLines,
  type MultusRun,
} from './support/run-multus';
import { cacheFiles, createWorkspace, leaseFiles, type Workspace } from './support/workspace';

const NET = 234; // 10.234.0.0/16 belongs to this file

interface Scenario {
  readonly title: string;
  readonly suffix: string;
  readonly third: (bridge: string, net: string) => Record<string, unknown>;
  readonly code: number;
  /** Texts the error's msg must contain besides the network and type. */
  readonly mentions: (net: string) => string[];
  /** Whether delegates 0 and 1 ran (and were rolled back) before the failure. */
  readonly earlierRan: boolean;
}

const hostLocal = (net: string, extra: Record<string, unknown>, dataDir: string): Record<string, unknown> => ({
  type: 'host-local',
  subnet: `${net}.0/24`,
  dataDir,
  ...extra,
});

const SCENARIOS: readonly Scenario[] = [
  {
    title: '(a) the bridge plugin rejects the IPAM range at run time',
    suffix: 'a',
    third: (bridge, net) => ({ type: 'bridge', bridge, ipam: { rangeStart: `${net.replace(/\.\d+$/u, '.99')}.10` } }),
    code: 999, // the plugin's own code
    mentions: (net) => [`RangeStart ${net.replace(/\.\d+$/u, '.99')}.10 not in network ${net}.0/24`],
    earlierRan: true,
  },
  {
    title: '(b) the plugin binary does not exist: found when its VERSION is asked, before anything runs',
    suffix: 'b',
    third: () => ({ type: 'no-such-plugin' }),
    code: 101,
    mentions: () => [
      'network "third-net" (delegates[2], type "no-such-plugin"): failed to find plugin',
      '/usr/lib/cni',
    ],
    earlierRan: false,
  },
  {
    title: '(c) a syntactically invalid subnet is rejected before anything runs',
    suffix: 'c',
    third: (bridge, net) => ({ type: 'bridge', bridge, ipam: { subnet: `${net}.0/33` } }),
    code: 7,
    mentions: () => ['delegates[2].ipam.subnet'],
    earlierRan: false,
  },
];

describe.each(SCENARIOS)('third delegate fails: $title', (scenario) => {
  const cleanup = new Cleanup();
  let ws: Workspace;
  let ns: string;
  let bridges: [string, string];
  let ptpPrefix: string;
  let add: MultusRun;
  let thirdType: string;

  beforeAll(async () => {
    assertIntegrationPrerequisites();
    ws = createWorkspace('fd', cleanup);
    ns = `${ws.prefix}-${scenario.suffix}`;
    const netns = createNetns(ns, cleanup);
    bridges = [`${ws.prefix}${scenario.suffix}0`, `${ws.prefix}${scenario.suffix}1`];
    bridges.forEach((b) => cleanup.link(b));
    const base = SCENARIOS.indexOf(scenario) * 10;
    const nets = [1, 2, 3].map((i) => `10.${NET}.${base + i}`) as [string, string, string];
    ptpPrefix = `${nets[1]}.`;
    const third = scenario.third(bridges[1], nets[2]);
    thirdType = String(third['type']);
    const thirdIpam = third['ipam'] as Record<string, unknown> | undefined;
    const config = {
      name: `fd-${scenario.suffix}`,
      type: 'multus',
      cniVersion: '1.0.0',
      cniDir: ws.cniDir,
      delegates: [
        {
          name: 'first-net',
          type: 'bridge',
          bridge: bridges[0],
          isGateway: true,
          ipam: hostLocal(nets[0], {}, ws.ipamDir),
          masterplugin: true,
        },
        {
          name: 'second-net',
          type: 'ptp',
          ipam: hostLocal(nets[1], { routes: [{ dst: '0.0.0.0/0' }], gateway: `${nets[1]}.1` }, ws.ipamDir),
        },
        {
          name: 'third-net',
          ...third,
          ...(thirdIpam === undefined ? {} : { ipam: hostLocal(nets[2], thirdIpam, ws.ipamDir) }),
        },
      ],
    };
    add = await runMultus({ command: 'ADD', config, containerId: `${ws.prefix}-ctr-${scenario.suffix}`, netns });
  });

  afterAll(() => expectClean(cleanup.runAll()));

  it(`exits 1 with one CNI error, code ${scenario.code}, naming the network and type`, () => {
    const error = expectCniError(add, scenario.code);
    expect(error.cniVersion).toBe('1.0.0');
    expect(error.msg).toContain('"third-net"');
    expect(error.msg).toContain(`"${thirdType}"`);
    for (const text of scenario.mentions(`10.${NET}.${SCENARIOS.indexOf(scenario) * 10 + 3}`))
      expect(error.msg).toContain(text);
  });

  it('prints no stack trace on stdout', () => {
    expect(stackTraceLines(add.stdout)).toEqual([]);
  });

  it('prints no stack trace on stderr (logs)', () => {
    expect(stackTraceLines(add.stderr)).toEqual([]);
  });

  it('leaves nothing behind: only lo in the pod, no host veths or ptp address, no leases, no cache file', () => {
    expect(netnsLinkNames(ns)).toEqual(['lo']);
    expect(hostLinksInto(ns)).toEqual([]);
    expect(bridges.flatMap((b) => bridgePorts(b))).toEqual([]);
    expect(hostAddrsWithPrefix(ptpPrefix)).toEqual([]);
    expect(leaseFiles(ws.ipamDir)).toEqual([]);
    expect(cacheFiles(ws.cniDir)).toEqual([]);
  });

  it(
    scenario.earlierRan
      ? 'ran the earlier delegates (the master bridge exists)'
      : 'ran nothing: no bridge created, host-local never ran (no IPAM dir), no cache file',
    () => {
      if (scenario.earlierRan) {
        expect(hostLink(bridges[0])).toBeDefined();
      } else {
        expect(hostLink(bridges[0])).toBeUndefined();
        expect(hostLink(bridges[1])).toBeUndefined();
        expect(existsSync(ws.ipamDir)).toBe(false);
        expect(cacheFiles(ws.cniDir)).toEqual([]);
      }
    },
  );
});
