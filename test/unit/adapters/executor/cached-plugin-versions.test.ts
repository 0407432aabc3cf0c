import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachedPluginVersions, VERSIONS_FILE } from '../../../../src/adapters/executor/cached-plugin-versions';
import { CniError } from '../../../../src/core/errors';
import type { ExecRequest } from '../../../../src/core/ports/executor';
import { FakeExecutor } from '../../../support/fakes';

const DEBIAN = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0'];

let root = '';
let bin = '';
let cache = '';

async function plugin(name: string, body = '#!/bin/sh\n'): Promise<void> {
  await writeFile(join(bin, name), body);
  await chmod(join(bin, name), 0o755);
}

/** Answers VERSION as Debian's reference plugins do; counts nothing itself (FakeExecutor records calls). */
function versionScript(
  answer: unknown = { cniVersion: '1.0.0', supportedVersions: DEBIAN },
): (req: ExecRequest) => unknown {
  return (req) => {
    if (req.command !== 'VERSION') throw new Error(`unexpected ${req.command}`);
    if (answer instanceof Error) throw answer;
    return answer;
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'multus-versions-'));
  bin = join(root, 'bin');
  cache = join(root, 'cni');
  await mkdir(bin, { mode: 0o755 });
  await chmod(bin, 0o755);
  await plugin('bridge');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const query = (type = 'bridge'): { type: string; binDirs: string[]; cacheDir: string } => ({
  type,
  binDirs: [bin],
  cacheDir: cache,
});

describe('CachedPluginVersions', () => {
  test('asks VERSION once with an empty env but CNI_PATH, then answers from memory', async () => {
    const executor = new FakeExecutor(versionScript());
    const versions = new CachedPluginVersions(executor);
    await expect(versions.supported(query())).resolves.toEqual(DEBIAN);
    await expect(versions.supported(query())).resolves.toEqual(DEBIAN);
    expect(executor.calls.map((c) => [c.command, c.type, c.env, c.stdin])).toEqual([
      [
        'VERSION',
        'bridge',
        { CNI_CONTAINERID: '', CNI_NETNS: '', CNI_IFNAME: '', CNI_ARGS: '', CNI_PATH: bin },
        { cniVersion: '1.1.0' },
      ],
    ]);
  });

  test('a new process reads the answer from the 0600 file in cniDir instead of asking', async () => {
    await new CachedPluginVersions(new FakeExecutor(versionScript())).supported(query());
    const file = join(cache, VERSIONS_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      kind: 'multus-ts/plugin-versions',
      version: 1,
      plugins: { [join(bin, 'bridge')]: { supportedVersions: DEBIAN } },
    });
    const executor = new FakeExecutor(versionScript());
    await expect(new CachedPluginVersions(executor).supported(query())).resolves.toEqual(DEBIAN);
    expect(executor.calls).toEqual([]);
  });

  test('answers that arrive together are all kept in the file (writes are serialised and merged)', async () => {
    await plugin('ptp');
    await plugin('macvlan');
    const versions = new CachedPluginVersions(new FakeExecutor(versionScript()));
    await Promise.all([
      versions.supported(query('bridge')),
      versions.supported(query('ptp')),
      versions.supported(query('macvlan')),
    ]);
    const fresh = new FakeExecutor(versionScript());
    const next = new CachedPluginVersions(fresh);
    await Promise.all(['bridge', 'ptp', 'macvlan'].map((t) => next.supported(query(t))));
    expect(fresh.calls).toEqual([]);
  });

  test("another process's answers written meanwhile are kept when this one writes", async () => {
    await plugin('ptp');
    await plugin('macvlan');
    const a = new CachedPluginVersions(new FakeExecutor(versionScript()));
    const b = new CachedPluginVersions(new FakeExecutor(versionScript()));
    await b.supported(query('macvlan')); // b has read the file (empty) before a writes bridge
    await a.supported(query('bridge'));
    await b.supported(query('ptp')); // b's write keeps a's bridge
    const fresh = new FakeExecutor(versionScript());
    const next = new CachedPluginVersions(fresh);
    await Promise.all(['bridge', 'ptp', 'macvlan'].map((t) => next.supported(query(t))));
    expect(fresh.calls).toEqual([]);
  });

  test('a replaced binary (other size, mtime or inode) is asked again', async () => {
    const executor = new FakeExecutor(versionScript());
    const versions = new CachedPluginVersions(executor);
    await versions.supported(query());
    await rm(join(bin, 'bridge'));
    await plugin('bridge', '#!/bin/sh\n# a newer build\n');
    await versions.supported(query());
    expect(executor.calls).toHaveLength(2);
    const fresh = new FakeExecutor(versionScript());
    await new CachedPluginVersions(fresh).supported(query());
    expect(fresh.calls).toEqual([]);
  });

  test.each([
    ['a plugin error', new CniError(7, 'unknown command')],
    ['output without supportedVersions', { cniVersion: '0.2.0' }],
    ['a list that is not strings', { supportedVersions: [1, 2] }],
  ])('%s is no usable answer (undefined), not remembered', async (_what, answer) => {
    const executor = new FakeExecutor(versionScript(answer));
    const versions = new CachedPluginVersions(executor);
    await expect(versions.supported(query())).resolves.toBeUndefined();
    await expect(versions.supported(query())).resolves.toBeUndefined();
    expect(executor.calls).toHaveLength(2);
  });

  test.each([
    ['a timeout', new CniError(106, 'plugin "bridge" VERSION timed out')],
    ['an unsafe binary', new CniError(107, 'writable by others')],
  ])('%s stops the call as running the plugin would', async (_what, error) => {
    const versions = new CachedPluginVersions(new FakeExecutor(versionScript(error)));
    await expect(versions.supported(query())).rejects.toMatchObject({ code: error.code });
  });

  test('a plugin that is not there is code 101 naming the dirs, without an exec', async () => {
    const executor = new FakeExecutor(versionScript());
    await expect(new CachedPluginVersions(executor).supported(query('nothere'))).rejects.toMatchObject({ code: 101 });
    expect(executor.calls).toEqual([]);
  });

  test('an unwritable cniDir costs an exec next time, never the answer', async () => {
    await writeFile(cache, 'a file where the dir should be');
    const versions = new CachedPluginVersions(new FakeExecutor(versionScript()));
    await expect(versions.supported(query())).resolves.toEqual(DEBIAN);
  });

  test('a corrupt versions file is ignored', async () => {
    await mkdir(cache, { recursive: true });
    await writeFile(join(cache, VERSIONS_FILE), '{"kind": "something else"');
    const executor = new FakeExecutor(versionScript());
    await expect(new CachedPluginVersions(executor).supported(query())).resolves.toEqual(DEBIAN);
    expect(executor.calls).toHaveLength(1);
  });
});
