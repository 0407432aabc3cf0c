/**
 * Human mode end to end: the compiled dist/multus (build it first: `node scripts/build.mjs`),
 * run without CNI_COMMAND, with `validate` and `explain`. Proves the lazily loaded commands,
 * the adapters and the decorators all survive the Bun build.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { seedConfig, useCliRoot } from './cli-test-support';

const BINARY = join(__dirname, '..', '..', '..', 'dist', 'multus');

const { pluginDir, write } = useCliRoot('multus-cli-bin-');
const SEED = seedConfig();
const SEED_DELEGATES = SEED['delegates'] as ReadonlyArray<Record<string, unknown>>;
let bin: string;

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  // A clean env: no CNI_COMMAND, so the binary is in human mode (arguments given).
  const r = spawnSync(BINARY, args, { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  try {
    accessSync(BINARY, constants.X_OK);
  } catch {
    throw new Error(`${BINARY} is missing or not executable: run "node scripts/build.mjs" first`);
  }
});

beforeEach(() => {
  bin = pluginDir('bin', ['bridge', 'ptp', 'host-local']);
});

test('dist/multus validate: ok, problems with paths (exit 1), usage (exit 2)', () => {
  const good = write('seed.conf', SEED);
  expect(run(['validate', good, '--cni-path', bin])).toEqual({
    status: 0,
    stdout: `${good}: ok (3 delegates, master delegates[0] → eth0, delegates[1] → net0, delegates[2] → net1)\n`,
    stderr: '',
  });
  const bad = write('bad.conf', {
    ...SEED,
    delegates: [SEED_DELEGATES[0], { ...SEED_DELEGATES[1], type: 'ptpx' }, { ...SEED_DELEGATES[2], vlan: 5000 }],
  });
  const r = run(['validate', bad, '--cni-path', bin, '--json']);
  expect(r.status).toBe(1);
  const json = JSON.parse(r.stdout) as { ok: boolean; problems: Array<{ path: string; code: number }> };
  expect(json.ok).toBe(false);
  expect(json.problems).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ path: 'delegates[1].type', code: 101 }),
      expect.objectContaining({ code: 7 }),
    ]),
  );
  const usage = run(['validate']);
  expect(usage.status).toBe(2);
  expect(usage.stderr).toContain('usage: multus validate FILE');
});

test('dist/multus explain: the plan with adapters, binaries and stdin; --json', () => {
  const file = write('seed.conf', SEED);
  const r = run(['explain', file, '--cni-path', bin]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('attachment 0: network "seed-master" → eth0 (master)');
  expect(r.stdout).toContain('  plugin: type ptp (delegates[1]), adapter ptp\n');
  expect(r.stdout).toContain(`    binary: ${join(bin, 'ptp')}\n`);
  expect(r.stdout).toContain('attachment 2: network "seed-a" → net1');
  const j = run(['explain', file, '--cni-path', bin, '--json']);
  expect(j.status).toBe(0);
  const e = JSON.parse(j.stdout) as {
    attachments: Array<{ ifname: string; plugins: Array<{ adapter: string; stdin: Record<string, unknown> }> }>;
  };
  expect(e.attachments.map((a) => [a.ifname, a.plugins[0]?.adapter])).toEqual([
    ['eth0', 'bridge'],
    ['net0', 'ptp'],
    ['net1', 'bridge'],
  ]);
  expect(e.attachments[1]?.plugins[0]?.stdin).toMatchObject({ name: 'seed-a', cniVersion: '0.4.0' });
});
