import { writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InstallError } from '../../../src/cli/install/install-error';
import {
  configFiles,
  configsBefore,
  findPrimary,
  isMultusConfig,
  primaryFrom,
  readPrimary,
} from '../../../src/cli/install/primary-config';
import { useTempDir } from '../../support/temp-dir';

const dir = useTempDir('multus-primary-test-');

describe('isMultusConfig', () => {
  test.each([
    [{ type: 'multus' }, true],
    [{ name: 'n', plugins: [{ type: 'bridge' }, { type: 'multus' }] }, true],
    [{ type: 'bridge' }, false],
    [{ name: 'n', plugins: [{ type: 'flannel' }] }, false],
    [[{ type: 'multus' }], false],
    ['multus', false],
  ])('%j: %s', (conf, expected) => {
    expect(isMultusConfig(conf)).toBe(expected);
  });
});

describe('primaryFrom', () => {
  test("a conflist: its version and the union of its plugins' true capabilities, sorted", () => {
    const p = primaryFrom('/f', {
      name: 'n',
      cniVersion: '1.0.0',
      plugins: [
        { type: 'a', capabilities: { portMappings: true, mac: false } },
        { type: 'b', capabilities: { bandwidth: true, portMappings: true } },
      ],
    });
    expect(p).toMatchObject({ path: '/f', cniVersion: '1.0.0', capabilities: ['bandwidth', 'portMappings'] });
  });

  test('a single conf, without cniVersion', () => {
    expect(primaryFrom('/f', { name: 'n', type: 'bridge', capabilities: { ips: true } })).toMatchObject({
      cniVersion: undefined,
      capabilities: ['ips'],
    });
  });

  test.each([
    [[], 'CNI config /f must hold a JSON object'],
    [{ type: 'bridge', cniVersion: 1 }, 'CNI config /f: cniVersion must be a string'],
    [{ name: 'n', plugins: [] }, 'CNI config /f: plugins must be a non-empty list'],
    [{ name: 'n', plugins: 'x' }, 'CNI config /f: plugins must be a non-empty list'],
    [
      { name: 'n', plugins: [{ type: 'a' }, { type: '' }] },
      'CNI config /f: plugins[1] has no "type" (not a CNI network config)',
    ],
    [{ name: 'n' }, 'CNI config /f: the config has no "type" (not a CNI network config)'],
    [{ plugins: [{ type: 'a' }] }, 'CNI config /f: a conflist needs a "name"'],
  ])('%j: %s', (conf, message) => {
    expect(() => primaryFrom('/f', conf)).toThrow(new InstallError(message));
  });
});

describe('configFiles and findPrimary', () => {
  test('lists regular files and links with a config extension, in byte order', async () => {
    for (const f of ['b.conf', 'A.conflist', 'a.json', 'c.txt', 'd.conf.tmp-1']) writeFileSync(join(dir(), f), '{}');
    mkdirSync(join(dir(), 'e.conf'));
    symlinkSync(join(dir(), 'b.conf'), join(dir(), 'f.conf'));
    expect(await configFiles(dir())).toEqual(['A.conflist', 'a.json', 'b.conf', 'f.conf']);
    expect(await configFiles(join(dir(), 'missing'))).toEqual([]);
  });

  test('passes over ours and multus configs', async () => {
    writeFileSync(join(dir(), '00-multus.conflist'), '{"name":"m","plugins":[{"type":"multus"}]}');
    writeFileSync(join(dir(), '01-gomultus.conf'), '{"type":"multus"}');
    writeFileSync(
      join(dir(), '10-flannel.conflist'),
      '{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel"}]}',
    );
    writeFileSync(join(dir(), '20-x.conf'), 'broken, but after the primary');
    const found = await findPrimary(dir(), '00-multus.conflist');
    expect(found.primary.path).toBe(join(dir(), '10-flannel.conflist'));
    expect(found.skipped).toEqual(['01-gomultus.conf']);
  });

  test('readPrimary refuses a multus config', async () => {
    writeFileSync(join(dir(), 'm.conf'), '{"type":"multus"}');
    await expect(readPrimary(join(dir(), 'm.conf'))).rejects.toThrow(
      `CNI config ${join(dir(), 'm.conf')} runs multus itself`,
    );
    await expect(readPrimary(join(dir(), 'none.conf'))).rejects.toThrow(
      `cannot read CNI config ${join(dir(), 'none.conf')}`,
    );
  });
});

describe('configsBefore', () => {
  test.each([
    [['00-multus.conflist', '10-flannel.conflist'], []],
    [['00-multus.conf', '00-multus.conflist'], ['00-multus.conf']],
    [['00-aaa.conf', '10-b.conf'], ['00-aaa.conf']],
    [['00-Multus.conf'], ['00-Multus.conf']],
  ])('%j', (files, expected) => {
    expect(configsBefore(files, '00-multus.conflist')).toEqual(expected);
  });
});
