import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPlugin, pluginTypeProblem } from '../../../../src/adapters/executor/plugin-finder';
import { CniError } from '../../../../src/core/errors';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'multus-finder-'));
  for (const dir of ['a', 'b', 'c']) await mkdir(join(root, dir));
  await writeFile(join(root, 'a', 'plain'), 'not executable');
  await mkdir(join(root, 'a', 'dir-plugin'));
  for (const dir of ['b', 'c']) {
    await writeFile(join(root, dir, 'plain'), '#!/bin/sh\n');
    await chmod(join(root, dir, 'plain'), 0o755);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('pluginTypeProblem', () => {
  test.each([
    ['bridge', undefined],
    ['host-local', undefined],
    ['my.plugin_v2', undefined],
    ['', 'must not be empty'],
    ['.', "must not be '.' or contain '..'"],
    ['..', "must not be '.' or contain '..'"],
    ['../x', "must not be '.' or contain '..'"],
    ['a..b', "must not be '.' or contain '..'"],
    ['/usr/bin/id', "must not contain '/', '\\' or NUL"],
    ['sub/dir', "must not contain '/', '\\' or NUL"],
    ['a\\b', "must not contain '/', '\\' or NUL"],
    ['a\0b', "must not contain '/', '\\' or NUL"],
  ])('%j', (type, problem) => {
    expect(pluginTypeProblem(type)).toBe(problem);
  });
});

describe('findPlugin', () => {
  test('skips a non-executable file and a directory, first executable wins', async () => {
    const dirs = [join(root, 'a'), join(root, 'b'), join(root, 'c')];
    await expect(findPlugin('plain', dirs)).resolves.toBe(join(root, 'b', 'plain'));
  });

  test('a directory named like the plugin is not a plugin', async () => {
    await expect(findPlugin('dir-plugin', [join(root, 'a')])).rejects.toMatchObject({ code: 101 });
  });

  test('not found is 101 listing every dir', async () => {
    const dirs = [join(root, 'a'), '/nonexistent'];
    const err = (await findPlugin('missing', dirs).catch((e: unknown) => e)) as CniError;
    expect(err).toBeInstanceOf(CniError);
    expect(err.code).toBe(101);
    expect(err.msg).toBe(`failed to find plugin "missing" in path [${join(root, 'a')} /nonexistent]`);
  });

  test('a type with a path is rejected before any lookup (code 7)', async () => {
    const err = (await findPlugin('../b/plain', [join(root, 'a')]).catch((e: unknown) => e)) as CniError;
    expect(err.code).toBe(7);
    expect(err.msg).toContain('delegate type "../b/plain" must be a plain plugin name');
  });
});

describe('plugin directories and binaries others could replace', () => {
  test.each([
    ['a group-writable binary', 0o755, 0o775, 'plugin binary', '0775'],
    ['a world-writable binary', 0o755, 0o757, 'plugin binary', '0757'],
    ['a world-writable directory', 0o777, 0o755, 'plugin directory', '0777'],
  ])('%s is refused with code 107', async (_name, dirMode, fileMode, what, shown) => {
    const dir = join(root, `insecure-${shown}-${what.length}`);
    await mkdir(dir);
    await writeFile(join(dir, 'p'), '#!/bin/sh\n');
    await chmod(join(dir, 'p'), fileMode);
    await chmod(dir, dirMode);
    const err = (await findPlugin('p', [dir]).catch((e: unknown) => e)) as CniError;
    expect(err.code).toBe(107);
    expect(err.msg).toContain(
      `${what} ${what === 'plugin binary' ? join(dir, 'p') : dir} is writable by group or others (mode ${shown})`,
    );
  });
});
