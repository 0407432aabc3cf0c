import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli-main';
import { bufferIo, kubeconfigText, seedConfig, useCliRoot } from './cli-test-support';
import { RefusingExecutor } from '../../../src/cli/validate/refusing-executor';
import { offlineContainer } from '../../../src/cli/validate/offline';
import { validateFile } from '../../../src/cli/validate/validate-file';

const { root, pluginDir, write } = useCliRoot('multus-validate-');
let bin: string;

async function validate(...args: string[]): Promise<{ code: number; out: string; err: string; lines: string[] }> {
  const io = bufferIo();
  const code = await runCli(['validate', ...args], io);
  const out = io.stdout();
  return { code, out, err: io.stderr(), lines: out.split('\n').filter((l) => l !== '') };
}

/** A usable kubeconfig (an ADD reads it before its first API call; validate checks it the same way). */
function kubeconfig(name: string, server: string, insecure = false): string {
  return write(name, kubeconfigText(server, insecure));
}

let kc: string;

beforeEach(() => {
  bin = pluginDir('bin', ['bridge', 'ptp', 'host-local', 'macvlan', 'firewall']);
  kc = kubeconfig('multus.kubeconfig', 'https://10.96.0.1:443');
});

describe('multus validate: a good config', () => {
  test('exit 0 and one ok line naming the delegates, the master and the interface names', async () => {
    const file = write('seed.conf', seedConfig());
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `${file}: ok (3 delegates, master delegates[0] → eth0, delegates[1] → net0, delegates[2] → net1)\n`,
    );
    expect(r.err).toBe('');
  });

  test('--ifname and ifnameIndexFrom shape the names it reports', async () => {
    const file = write('seed.conf', { ...seedConfig(), ifnameIndexFrom: 1 });
    const r = await validate(file, '--cni-path', bin, '--ifname', 'net1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('master delegates[0] → net1, delegates[1] → net2, delegates[2] → net3');
  });

  test("the config's binDir is searched before --cni-path, as in an ADD", async () => {
    const empty = pluginDir('empty', []);
    const file = write('seed.conf', { ...seedConfig(), binDir: bin });
    const r = await validate(file, '--cni-path', empty);
    expect(r.code).toBe(0);
  });

  test('--json: {file, ok, problems, warnings} and nothing else', async () => {
    const file = write('seed.conf', seedConfig());
    const r = await validate(file, '--cni-path', bin, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ file, ok: true, problems: [], warnings: [] });
  });

  test('nothing is run: the executor bound in place of the real one is never asked', async () => {
    const executor = new RefusingExecutor();
    const file = write('seed.conf', seedConfig());
    const report = await validateFile(file, { cniPath: [bin], ifname: 'eth0', container: offlineContainer(executor) });
    expect(report.ok).toBe(true);
    expect(executor.attempts).toEqual([]);
  });
});

describe('multus validate: every problem, one per line, with its JSON path', () => {
  function badConfig(): Record<string, unknown> {
    const conf = seedConfig();
    const delegates = conf['delegates'] as Array<Record<string, unknown>>;
    delegates[0] = { ...delegates[0], ipam: { type: 'host-local', subnet: 'x' } };
    delegates[1] = { ...delegates[1], type: 'ptpx' };
    delegates[2] = { ...delegates[2], vlan: 5000 };
    return { ...conf, logFile: 'var/log/multus.log' };
  }

  test("a config key, two adapters' checks and a missing binary: all reported, exit 1", async () => {
    const file = write('bad.conf', badConfig());
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(1);
    expect(r.lines.every((l) => l.startsWith(`${file}: `))).toBe(true);
    expect(r.lines).toEqual([
      `${file}: logFile: must be an absolute path, got "var/log/multus.log"`,
      `${file}: delegates[0].ipam.subnet: must be a CIDR such as 10.1.0.0/24, got "x"`,
      `${file}: delegates[1].type: failed to find plugin "ptpx" in path [${bin}]`,
      `${file}: delegates[2].vlan: must be an integer from 0 to 4094, got 5000`,
    ]);
  });

  test('--json: each problem with path, message and code (7 config, 101 binary)', async () => {
    const file = write('bad.conf', badConfig());
    const r = await validate(file, '--cni-path', bin, '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { file: string; ok: boolean; problems: Array<Record<string, unknown>> };
    expect(Object.keys(json)).toEqual(['file', 'ok', 'problems', 'warnings']);
    expect(json.file).toBe(file);
    expect(json.ok).toBe(false);
    for (const p of json.problems) {
      expect(Object.keys(p)).toEqual(['path', 'message', 'code']);
      expect(typeof p['path']).toBe('string');
      expect(typeof p['message']).toBe('string');
    }
    expect(json.problems).toContainEqual({
      path: 'delegates[1].type',
      message: `failed to find plugin "ptpx" in path [${bin}]`,
      code: 101,
    });
    expect(json.problems.filter((p) => p['code'] === 7).length).toBeGreaterThanOrEqual(3);
  });

  test("missing binaries: the delegate's and its IPAM plugin's, each with code 101", async () => {
    const some = pluginDir('some', ['bridge']);
    const file = write('seed.conf', seedConfig());
    const r = await validate(file, '--cni-path', some, '--json');
    expect(r.code).toBe(1);
    const { problems } = JSON.parse(r.out) as { problems: Array<{ path: string; code: number }> };
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['delegates[0].ipam.type', 101],
      ['delegates[1].type', 101],
      ['delegates[1].ipam.type', 101],
      ['delegates[2].ipam.type', 101],
    ]);
  });

  test('a plugin dir others may write is refused, as the executor would (code 107)', async () => {
    chmodSync(bin, 0o777);
    try {
      const file = write('seed.conf', seedConfig());
      const r = await validate(file, '--cni-path', bin, '--json');
      const { problems } = JSON.parse(r.out) as { problems: Array<{ path: string; message: string; code: number }> };
      expect(r.code).toBe(1);
      expect(problems[0]).toMatchObject({ path: 'delegates[0].type', code: 107 });
      expect(problems[0]?.message).toContain('writable by group or others');
    } finally {
      chmodSync(bin, 0o755);
    }
  });

  test("two master marks: the planner's rule, reported", async () => {
    const conf = seedConfig();
    (conf['delegates'] as Array<Record<string, unknown>>)[2]!['masterplugin'] = true;
    const r = await validate(write('two.conf', conf), '--cni-path', bin);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'delegates[0], delegates[2] each set "masterplugin": true; only one delegate may be the master',
    );
  });

  test('a delegate type that is a path is refused before any lookup', async () => {
    const conf = seedConfig();
    (conf['delegates'] as Array<Record<string, unknown>>)[1]!['type'] = '../ptp';
    const r = await validate(write('path.conf', conf), '--cni-path', bin, '--json');
    const { problems } = JSON.parse(r.out) as { problems: Array<{ path: string; code: number }> };
    expect(problems).toEqual([expect.objectContaining({ path: 'delegates[1].type', code: 7 })]);
  });

  test('an unreadable file and a file that is not JSON', async () => {
    const missing = join(root(), 'nope.conf');
    const r1 = await validate(missing, '--json');
    expect(r1.code).toBe(1);
    expect(JSON.parse(r1.out)).toEqual({
      file: missing,
      ok: false,
      problems: [expect.objectContaining({ path: '(file)', code: 5 })],
      warnings: [],
    });
    const r2 = await validate(write('junk.conf', '{"type": "multus",'));
    expect(r2.code).toBe(1);
    expect(r2.out).toMatch(/: \(file\): not valid JSON: /u);
  });
});

describe('multus validate: a .conflist holding the multus config', () => {
  function conflist(
    multus: Record<string, unknown>,
    after: Record<string, unknown> = { type: 'firewall' },
  ): Record<string, unknown> {
    const { name: _n, cniVersion: _v, ...plugin } = multus;
    return { cniVersion: '1.0.0', name: 'multus-pod', plugins: [plugin, after] };
  }

  test('ok names the plugin that is the multus config, and paths point into it', async () => {
    const file = write('pod.conflist', conflist(seedConfig()));
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `${file}: ok (plugins[0] is the multus config; 3 delegates, master plugins[0].delegates[0] → eth0, ` +
        `plugins[0].delegates[1] → net0, plugins[0].delegates[2] → net1)\n`,
    );
  });

  test('problems inside the multus plugin and in the chain after it', async () => {
    const conf = seedConfig();
    (conf['delegates'] as Array<Record<string, unknown>>)[1]!['type'] = 'ptpx';
    const file = write('pod.conflist', conflist(conf, { type: 'nosuch' }));
    const r = await validate(file, '--cni-path', bin, '--json');
    const { problems } = JSON.parse(r.out) as { problems: Array<{ path: string; code: number }> };
    expect(problems.map((p) => p.path)).toEqual(['plugins[0].delegates[1].type', 'plugins[1].type']);
  });

  test("the list's cniVersion is the one checked (libcni puts it into the plugin)", async () => {
    const file = write('pod.conflist', { ...conflist(seedConfig()), cniVersion: '0.9.0' });
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(1);
    const escaped = file.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
    // The problem is the list's cniVersion: at `cniVersion`, or inside the plugins[0] line until problems carry their
    // paths.
    expect(r.out).toMatch(
      new RegExp(
        `^${escaped}: (plugins\\[0\\]: invalid multus config: )?cniVersion: must be one of .*, got "0\\.9\\.0"$`,
        'mu',
      ),
    );
  });

  test('a conflist without a multus plugin is one problem at plugins', async () => {
    const file = write('other.conflist', { cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'bridge' }] });
    const r = await validate(file, '--json');
    expect(JSON.parse(r.out)).toEqual({
      file,
      ok: false,
      problems: [
        {
          path: 'plugins',
          message: 'no plugin of type "multus" in this conflist (types: "bridge"): nothing for multus to check',
          code: 7,
        },
      ],
      warnings: [],
    });
  });
});

describe('multus validate: the kubeconfig is checked as an ADD checks it', () => {
  test.each([
    ['missing', (): string => join(root(), 'missing.kubeconfig'), 'cannot load kubeconfig'],
    ['unparsable', (): string => write('broken.kubeconfig', '{{'), 'cannot load kubeconfig'],
    [
      'a plain http:// server without insecure-skip-tls-verify',
      (): string => kubeconfig('http.kubeconfig', 'http://10.96.0.1:8080'),
      'must be an https:// URL',
    ],
  ])('a %s kubeconfig is a problem at kubeconfig, code 7', async (_what, make, message) => {
    const file = write('k8s.conf', { name: 'm', type: 'multus', kubeconfig: make(), clusterNetwork: 'cluster-net' });
    const r = await validate(file, '--cni-path', bin, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: false,
      problems: [{ path: 'kubeconfig', code: 7, message: expect.stringContaining(message) }],
    });
  });

  test('http:// with insecure-skip-tls-verify is what an ADD accepts: ok', async () => {
    const insecure = kubeconfig('insecure.kubeconfig', 'http://10.96.0.1:8080', true);
    const file = write('k8s.conf', { name: 'm', type: 'multus', kubeconfig: insecure, clusterNetwork: 'cluster-net' });
    expect((await validate(file, '--cni-path', bin)).code).toBe(0);
  });
});

describe('multus validate: a config with a kubeconfig', () => {
  test('checks the config only and says the networks come from Kubernetes', async () => {
    const file = write('k8s.conf', {
      name: 'multus-cni-network',
      type: 'multus',
      cniVersion: '1.0.0',
      kubeconfig: kc,
      clusterNetwork: 'cluster-net',
      defaultNetworks: ['monitoring-net'],
    });
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `${file}: ok (networks come from Kubernetes (kubeconfig ${kc}; ` +
        `clusterNetwork cluster-net; defaultNetworks monitoring-net); the networks are looked up in the API, not ` +
        `checked)\n`,
    );
  });

  test('no delegates, clusterNetwork or defaultNetworks (the seed): ok, each pod must pick its networks', async () => {
    const file = write('seed-k8s.conf', { name: 'node-cni-network', type: 'multus', kubeconfig: kc });
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `${file}: ok (networks come from Kubernetes (kubeconfig ${kc}); every pod must select its networks in its ` +
        `annotations (one that selects none fails, code 7); the networks are looked up in the API, not checked)\n`,
    );
  });

  test('its delegates (for pods that select no network) are checked too', async () => {
    const file = write('k8s.conf', {
      name: 'minion',
      type: 'multus',
      kubeconfig: kc,
      delegates: [{ type: 'weave-net', masterplugin: true }],
    });
    const r = await validate(file, '--cni-path', bin, '--json');
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, problems: [{ path: 'delegates[0].type', code: 101 }] });
    const ok = await validate(
      write('k8s2.conf', {
        name: 'minion',
        type: 'multus',
        kubeconfig: kc,
        delegates: [{ type: 'macvlan', master: 'eth0' }],
      }),
      '--cni-path',
      bin,
    );
    expect(ok.out).toContain(
      `ok (networks come from Kubernetes (kubeconfig ${kc}); a pod that selects no network gets master ` +
        'delegates[0] → eth0)',
    );
  });

  test(
    'with defaultNetworks (looked up in the API) its delegates are still checked, and the rest said to be ' +
      'unchecked',
    async () => {
      const file = write('k8s.conf', {
        name: 'm',
        type: 'multus',
        kubeconfig: kc,
        defaultNetworks: ['mon'],
        delegates: [{ type: 'macvlan', master: 'eth0' }],
      });
      const r = await validate(file, '--cni-path', bin);
      expect(r.out).toBe(
        `${file}: ok (networks come from Kubernetes (kubeconfig ${kc}; defaultNetworks mon); a pod that ` +
          `selects no network gets master delegates[0] → eth0; defaultNetworks are looked up in the API, not ` +
          `checked)\n`,
      );
    },
  );

  test(
    'a clusterNetwork given as a file (what multus ' + 'install writes) is read and checked plugin by plugin',
    async () => {
      const primary = write('10-cluster.conflist', {
        cniVersion: '1.0.0',
        name: 'cluster-net',
        plugins: [
          { type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.244.1.0/24' } },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      });
      const installed = {
        cniVersion: '1.0.0',
        name: 'multus-cni-network',
        plugins: [{ type: 'multus', kubeconfig: kc, clusterNetwork: primary }],
      };
      const file = write('00-multus.conflist', installed);
      const r = await validate(file, '--cni-path', bin, '--json');
      expect(JSON.parse(r.out)).toEqual({
        file,
        ok: false,
        problems: [
          {
            path: `clusterNetwork (${primary}).plugins[1].type`,
            message: `failed to find plugin "portmap" in path [${bin}]`,
            code: 101,
          },
        ],
        warnings: [],
      });
      const withPortmap = pluginDir('bin2', ['bridge', 'host-local', 'portmap']);
      const ok = await validate(file, '--cni-path', withPortmap);
      expect(ok.out).toBe(
        `${file}: ok (plugins[0] is the multus config; networks come from Kubernetes (kubeconfig ${kc}; ` +
          `clusterNetwork ${primary}); a pod that selects no network gets master clusterNetwork (${primary}) → ` +
          `eth0)\n`,
      );
      rmSync(primary);
      const gone = await validate(file, '--cni-path', withPortmap, '--json');
      expect(JSON.parse(gone.out)).toMatchObject({ ok: false, problems: [{ path: '(networks)', code: 7 }] });
      expect(gone.out).toContain(`cannot read CNI config file ${primary}`);
    },
  );

  test('a key it must not have is still found (clusterNetwork with delegates)', async () => {
    const file = write('k8s.conf', {
      name: 'm',
      type: 'multus',
      kubeconfig: kc,
      clusterNetwork: 'x',
      delegates: [{ type: 'macvlan' }],
    });
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(1);
    expect(r.out).toContain("clusterNetwork and delegates both name the pod's first network");
  });
});

describe('multus validate: unknown keys', () => {
  const misspelt = { paralleldelegates: true, delegateTimeoutSecond: 30, readinessIndicatorFile: '/run/ready' };
  const warning = (path: string, nearest: string): string =>
    `${path}: warning: unknown key, ignored by ADD; did you mean "${nearest}"?`;

  test('a warning line for each, naming the nearest key; still ok, exit 0', async () => {
    const file = write('seed.conf', { ...seedConfig(), ...misspelt, fooBar: 1 });
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      `${file}: ${warning('paralleldelegates', 'parallelDelegates')}`,
      `${file}: ${warning('delegateTimeoutSecond', 'delegateTimeoutSeconds')}`,
      `${file}: ${warning('readinessIndicatorFile', 'readinessindicatorfile')}`,
      `${file}: fooBar: warning: unknown key, ignored by ADD`,
      `${file}: ok (3 delegates, master delegates[0] → eth0, delegates[1] → net0, delegates[2] → net1)`,
    ]);
  });

  test('--strict: each is a problem (code 7), exit 1, no ok line', async () => {
    const file = write('seed.conf', { ...seedConfig(), paralleldelegates: true });
    const r = await validate(file, '--cni-path', bin, '--strict');
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      `${file}: paralleldelegates: unknown key, ignored by ADD; did you mean "parallelDelegates"?`,
    ]);
    const json = JSON.parse((await validate(file, '--cni-path', bin, '--strict', '--json')).out) as unknown;
    expect(json).toEqual({
      file,
      ok: false,
      problems: [
        {
          path: 'paralleldelegates',
          message: 'unknown key, ignored by ADD; did you mean "parallelDelegates"?',
          code: 7,
        },
      ],
      warnings: [],
    });
  });

  test('--strict with no unknown key: ok, exit 0', async () => {
    const r = await validate(write('seed.conf', seedConfig()), '--cni-path', bin, '--strict');
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(1);
  });

  test('--json lists the warnings with their paths', async () => {
    const file = write('seed.conf', { ...seedConfig(), delegateTimeoutSecond: 30 });
    const r = await validate(file, '--cni-path', bin, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      file,
      ok: true,
      problems: [],
      warnings: [
        {
          path: 'delegateTimeoutSecond',
          message: 'unknown key, ignored by ADD; did you mean "delegateTimeoutSeconds"?',
        },
      ],
    });
  });

  test('problems first, then warnings; keys inside delegates, runtimeConfig and args are not looked at', async () => {
    const conf = seedConfig();
    (conf['delegates'] as Array<Record<string, unknown>>)[1]!['type'] = 'ptpx';
    const extra = { runtimeConfig: { fooBar: 1 }, args: { cni: { fooBar: 1 } }, logLevell: 'debug' };
    const file = write('bad.conf', { ...conf, ...extra });
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      `${file}: delegates[1].type: failed to find plugin "ptpx" in path [${bin}]`,
      `${file}: ${warning('logLevell', 'logLevel')}`,
    ]);
  });

  test("in a conflist: the multus plugin's keys, at their path in the file; the list's own are libcni's", async () => {
    const { name: _n, cniVersion: _v, ...plugin } = seedConfig();
    const plugins = [
      { type: 'firewall', fooBar: 1 },
      { ...plugin, ...misspelt },
    ];
    const file = write('pod.conflist', { cniVersion: '1.0.0', name: 'pod', disableCheck: true, plugins });
    const r = await validate(file, '--cni-path', bin);
    expect(r.code).toBe(0);
    expect(r.lines.slice(0, 3)).toEqual([
      `${file}: ${warning('plugins[1].paralleldelegates', 'parallelDelegates')}`,
      `${file}: ${warning('plugins[1].delegateTimeoutSecond', 'delegateTimeoutSeconds')}`,
      `${file}: ${warning('plugins[1].readinessIndicatorFile', 'readinessindicatorfile')}`,
    ]);
    expect(r.lines[3]).toMatch(/: ok \(plugins\[1\] is the multus config; /u);
  });
});

describe('multus validate: usage errors exit 2 with the usage', () => {
  test.each([
    [[], 'missing FILE'],
    [['a.conf', 'b.conf'], 'one FILE only'],
    [['a.conf', '--frobnicate'], 'unknown option --frobnicate'],
    [['a.conf', '--cni-path'], '--cni-path needs a value'],
    [['a.conf', '--json=yes'], '--json takes no value'],
    [['a.conf', '--ifname', 'a/b'], '--ifname: "a/b" must not contain'],
  ])('%j', async (args, message) => {
    const r = await validate(...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(message);
    expect(r.err).toContain('usage: multus validate FILE');
  });

  test('--help prints the usage, exit 0', async () => {
    const r = await validate('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Exit status: 0 no problem (warnings allowed), 1 at least one problem');
    expect(r.out).toContain('--strict         an unknown key is a problem, not a warning');
  });
});

describe("multus validate: vendor adapters from the config's adapterDirs", () => {
  /** A run-time adapter module (root-owned, as the loader insists; tests run as root). */
  function adapterDir(source: string): string {
    const dir = join(root(), 'adapters');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'acme.cjs'), source);
    chmodSync(join(dir, 'acme.cjs'), 0o644);
    return dir;
  }

  const ACME = `module.exports = (api) => ({
  name: 'acme',
  adapters: [(executor) => new (class extends api.ExecAdapter {
    constructor() { super(executor, { name: 'acme-vlan', priority: 20, types: ['acme-vlan'] }); }
    validate(conf, context) {
      return Number.isInteger(conf.vlanId) ? [] : [{ path: context.origin + '.vlanId', message: 'must be an integer' }];
    }
  })()],
});
`;

  const onlyAsRoot = process.getuid?.() === 0 ? test : test.skip;

  onlyAsRoot('the vendor adapter checks its delegates, as in an ADD', async () => {
    const acme = pluginDir('acme-bin', ['acme-vlan']);
    const conf = {
      name: 'n',
      type: 'multus',
      cniVersion: '1.0.0',
      adapterDirs: [adapterDir(ACME)],
      delegates: [{ type: 'acme-vlan', vlanId: 'ten' }],
    };
    const r = await validate(write('acme.conf', conf), '--cni-path', acme);
    expect(r.code).toBe(1);
    expect(r.out).toContain('delegates[0].vlanId: must be an integer');
  });

  onlyAsRoot('a module that does not load is a problem at adapterDirs (code 108)', async () => {
    const conf = {
      name: 'n',
      type: 'multus',
      adapterDirs: [adapterDir('module.exports = { name: "" };\n')],
      delegates: [{ type: 'bridge' }],
    };
    const r = await validate(write('acme.conf', conf), '--cni-path', bin, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ problems: [{ path: 'adapterDirs', code: 108 }] });
  });
});
