import { copyFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheEntry } from '../../../src/core/ports/result-cache';
import { FileResultCache } from '../../../src/runtime/file-result-cache';
import { useTempDir } from '../../support/temp-dir';

const root = useTempDir('multus-cache-test-');

const entry: CacheEntry = {
  kind: 'multus-ts/attachments',
  version: 2,
  containerId: 'c1',
  ifname: 'eth0',
  netns: '/var/run/netns/x',
  cniVersion: '1.0.0',
  network: 'n',
  cniArgs: 'IgnoreUnknown=true',
  createdAt: '2026-01-01T00:00:00.000Z',
  attachments: [
    {
      index: 0,
      network: 'n',
      type: 'bridge',
      ifname: 'eth0',
      master: true,
      origin: 'delegates[0]',
      confs: [{ type: 'bridge' }],
      origins: ['delegates[0]'],
      cniVersion: '1.0.0',
      state: 'pending',
    },
  ],
};

describe('FileResultCache', () => {
  test('saves 0600 in a 0700 dir it creates, loads it back, removes it', async () => {
    const cache = new FileResultCache();
    const key = { dir: join(root(), 'a', 'multus'), containerId: 'c1', ifname: 'eth0' };
    await cache.save(key, entry);
    expect(statSync(key.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(key.dir, 'c1-eth0.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(key.dir)).toEqual(['c1-eth0.json']);
    await expect(cache.load(key)).resolves.toEqual(entry);
    await cache.remove(key);
    await expect(cache.load(key)).resolves.toBeUndefined();
    await expect(cache.remove(key)).resolves.toBeUndefined();
  });

  test('a second save replaces the entry whole and leaves no temp file', async () => {
    const cache = new FileResultCache();
    const key = { dir: root(), containerId: 'c1', ifname: 'eth0' };
    await cache.save(key, entry);
    await cache.save(key, { ...entry, netns: '/other' });
    expect(readdirSync(root())).toEqual(['c1-eth0.json']);
    expect((await cache.load(key))?.netns).toBe('/other');
  });

  test.each([
    ['not JSON', '{"kind":', 'is not valid JSON'],
    ['another format', '{"kind":"other"}', 'is not a multus-ts attachment record'],
  ])('a corrupt entry (%s) is code 5 naming the file', async (_name, text, fragment) => {
    writeFileSync(join(root(), 'c1-eth0.json'), text);
    await expect(new FileResultCache().load({ dir: root(), containerId: 'c1', ifname: 'eth0' })).rejects.toMatchObject({
      code: 5,
      msg: expect.stringContaining(`${join(root(), 'c1-eth0.json')} ${fragment}`),
    });
  });

  test('an unwritable location is code 5 naming the file', async () => {
    writeFileSync(join(root(), 'file'), '');
    await expect(
      new FileResultCache().save({ dir: join(root(), 'file'), containerId: 'c1', ifname: 'eth0' }, entry),
    ).rejects.toMatchObject({
      code: 5,
      msg: expect.stringContaining('cannot write cache file'),
    });
  });
});

test("a temp record left by a killed process is removed by the container's next save or remove", async () => {
  const cache = new FileResultCache();
  const key = { dir: root(), containerId: 'c1', ifname: 'eth0' };
  writeFileSync(join(root(), 'c1-eth0.json.999999.tmp'), '{');
  writeFileSync(join(root(), 'c2-eth0.json.999999.tmp'), '{');
  await cache.save(key, entry);
  expect(readdirSync(root()).sort()).toEqual(['c1-eth0.json', 'c2-eth0.json.999999.tmp']);
  writeFileSync(join(root(), 'c1-eth0.json.999998.tmp'), '{');
  await cache.remove(key);
  expect(readdirSync(root())).toEqual(['c2-eth0.json.999999.tmp']);
});

describe('records written before (format version 1)', () => {
  test(
    'a record written by the previous binary is read as ' + 'version 2, without the unused cniPath and binDirs',
    async () => {
      const fixture = join(__dirname, '..', '..', 'fixtures', 'records', 'version-1-record.json');
      const dir = join(root(), 'cni');
      mkdirSync(dir, { mode: 0o700 });
      copyFileSync(fixture, join(dir, 'ctr-v1-eth0.json'));
      const read = await new FileResultCache().load({ dir, containerId: 'ctr-v1', ifname: 'eth0' });
      expect(read).toMatchObject({
        kind: 'multus-ts/attachments',
        version: 2,
        containerId: 'ctr-v1',
        ifname: 'eth0',
        cniArgs: expect.stringContaining('K8S_POD_NAME=pod1'),
      });
      expect(read).not.toHaveProperty('cniPath');
      expect(read).not.toHaveProperty('binDirs');
      expect(read?.attachments.map((a) => [a.ifname, a.type, a.state, a.cniVersion])).toEqual([
        ['eth0', 'bridge', 'added', '1.0.0'],
        ['net0', 'ptp', 'added', '1.0.0'],
      ]);
      await expect(new FileResultCache().list(dir)).resolves.toHaveLength(1);
    },
  );
});
