/**
 * The bad-input corpus (issue 4): every case in test/fixtures/bad-input/*.json is one call of the
 * compiled dist/multus that must fail. For each: exit status 1; stdout exactly one CNI error JSON
 * `{cniVersion, code, msg, details?}` with the expected code and message fragments; no stack
 * trace on stdout or stderr; and nothing left behind — no cache file, no link but lo in the
 * case's fresh netns, no host veth into it, no host-local lease, no port on the case's bridges,
 * no host address in this file's 10.219.0.0/16, no process still running from the case dir.
 * Cases marked `bug` expect what SHOULD happen and fail until src/ is fixed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeTestServer } from '../support/kube-test-server';
import { type BadInputCase, categoryOf, loadBadInputCases } from './support/bad-input-cases';
import {
  caseEnv,
  type CorpusContext,
  leftovers,
  outputPluginCalls,
  parseErrorJson,
  prepareCase,
  runCase,
  stackFrames,
  stdinText,
} from './support/bad-input-run';
import { Cleanup, expectClean } from './support/cleanup';
import { startKubeCluster } from './support/kube-cluster';
import { assertIntegrationPrerequisites } from './support/run-multus';
import { createWorkspace } from './support/workspace';

const NET = '10.219'; // 10.219.0.0/16 belongs to this file
const MIN_CASES = 60;

const CASES = loadBadInputCases();
/** `[known bug B2]`: the id the data file gives before the bug's description. */
function bugMark(c: BadInputCase): string {
  return c.bug === undefined ? '' : ` [known bug ${/^(B\d+):/u.exec(c.bug)?.[1] ?? ''}]`.replace(' ]', ']');
}
const TABLE = CASES.map((c, index) => ({ ...c, index, label: `${categoryOf(c)}: ${c.name}${bugMark(c)}` }));

/** A kubeconfig whose server never answers (nothing listens on port 1). */
function writeDeadKubeconfig(path: string): string {
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: nobody-listens',
    '  cluster:',
    '    server: https://127.0.0.1:1',
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: corpus',
    '  user:',
    '    token: bad-input-corpus-token',
    'contexts:',
    '- name: corpus',
    '  context:',
    '    cluster: nobody-listens',
    '    user: corpus',
    'current-context: corpus',
  ];
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return path;
}

function nadRef(
  namespace: string,
  name: string,
): { group: string; version: string; plural: string; namespace: string; name: string } {
  return { group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions', namespace, name };
}

describe('bad-input corpus (test/fixtures/bad-input)', () => {
  const perFile = new Cleanup();
  let perCase = new Cleanup();
  let corpus: CorpusContext;
  let server: KubeTestServer | undefined;

  beforeAll(async () => {
    assertIntegrationPrerequisites();
    const ws = createWorkspace('bi', perFile);
    const deadKubeconfig = writeDeadKubeconfig(join(ws.dir, 'dead-kubeconfig'));
    let liveKubeconfig: string | undefined;
    if (CASES.some((c) => c.nads.length > 0 || JSON.stringify(c).includes('${liveKubeconfig}'))) {
      const cluster = await startKubeCluster(ws, 'live-kubeconfig');
      server = cluster.server;
      liveKubeconfig = cluster.kubeconfig;
    }
    corpus = { ws, net: NET, deadKubeconfig, liveKubeconfig };
  });

  afterEach(() => {
    const problems = perCase.runAll();
    perCase = new Cleanup();
    expectClean(problems);
  });

  afterAll(async () => {
    await server?.close();
    expectClean(perFile.runAll());
  });

  it(`holds at least ${MIN_CASES} cases, in every category the issue names`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(MIN_CASES);
    expect([...new Set(CASES.map(categoryOf))].sort()).toEqual(
      expect.arrayContaining(['annotations', 'delegate-config', 'delegate-output', 'env', 'multus-config', 'stdin']),
    );
  });

  test.each(TABLE)('$label', async (c: BadInputCase & { index: number }) => {
    const ctx = prepareCase(c, c.index, corpus, perCase);
    for (const nad of c.nads) {
      if (server === undefined) throw new Error('no test API server');
      const config = typeof nad.config === 'string' ? nad.config : JSON.stringify(nad.config);
      server.addObject(nadRef(nad.namespace, nad.name), { spec: { config } });
      const live = server;
      perCase.add(`NAD ${nad.namespace}/${nad.name}`, () => live.removeObject(nadRef(nad.namespace, nad.name)));
    }
    const run = await runCase(caseEnv(c, ctx), stdinText(c, ctx));
    const shown = `stdin: ${run.stdinText}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;

    // exit 1, and stdout is one CNI error JSON
    if (run.exitCode !== 1)
      throw new Error(`expected exit 1, got ${String(run.exitCode)} (signal ${String(run.signal)})\n${shown}`);
    const error = parseErrorJson(run.stdout);

    // the expected code and message
    expect({ code: error.code, msg: error.msg }).toEqual({ code: c.code, msg: expect.any(String) });
    for (const fragment of c.msg) expect(error.msg).toContain(substituteFragment(fragment, ctx.vars));
    for (const fragment of c.notInMsg) expect(error.msg).not.toContain(substituteFragment(fragment, ctx.vars));
    if (c.problems === 1) expect(error.details ?? '').not.toMatch(/^\d+ problems$/u);
    if (c.problems !== undefined && c.problems > 1) expect(error.details).toBe(`${c.problems} problems`);
    if (c.cniVersion !== undefined) expect(error.cniVersion).toBe(c.cniVersion);

    // no stack trace anywhere
    expect(stackFrames(run)).toEqual([]);

    // the output plugin's calls (ADD, then the rollback's DEL)
    if (c.calls !== undefined) expect(outputPluginCalls(ctx)).toEqual(c.calls);

    // nothing left behind
    expect(leftovers(ctx, NET)).toEqual({});
  });
});

function substituteFragment(fragment: string, vars: Readonly<Record<string, string>>): string {
  return fragment.replace(/\$\{([A-Za-z0-9]+)\}/gu, (m, name: string) => vars[name] ?? m);
}
