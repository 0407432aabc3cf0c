import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  copyFileAtomic,
  ensureFile,
  removeFile,
  tempPath,
  writeFileAtomic,
} from '../../../src/cli/install/atomic-file';
import { useTempDir } from '../../support/temp-dir';

const dir = useTempDir('multus-atomic-test-');

const mode = (p: string): number => statSync(p).mode & 0o7777;

test('the temporary name sits beside the file, with an extension no CNI runtime reads', () => {
  expect(tempPath('/etc/cni/net.d/00-multus.conflist', 7)).toBe('/etc/cni/net.d/00-multus.conflist.tmp-7');
  expect(tempPath('/opt/cni/bin/multus', 7)).toBe('/opt/cni/bin/multus.tmp-7');
});

test('writeFileAtomic: the mode asked for whatever the umask, a new inode, no temporary left', async () => {
  const p = join(dir(), 'f');
  writeFileSync(p, 'old');
  const inode = statSync(p).ino;
  await writeFileAtomic(p, 'new', 0o600, 1);
  expect(readFileSync(p, 'utf8')).toBe('new');
  expect(mode(p)).toBe(0o600);
  expect(statSync(p).ino).not.toBe(inode);
  await writeFileAtomic(p, 'x', 0o755, 1);
  expect(mode(p)).toBe(0o755);
  expect(readdirSync(dir())).toEqual(['f']);
});

test('copyFileAtomic copies the bytes; a missing source leaves nothing behind', async () => {
  const src = join(dir(), 'src');
  writeFileSync(src, Buffer.from([0, 1, 2, 255]));
  await copyFileAtomic(src, join(dir(), 'dst'), 0o755, 2);
  expect(readFileSync(join(dir(), 'dst'))).toEqual(Buffer.from([0, 1, 2, 255]));
  expect(mode(join(dir(), 'dst'))).toBe(0o755);
  await expect(copyFileAtomic(join(dir(), 'none'), join(dir(), 'dst2'), 0o755, 2)).rejects.toThrow('ENOENT');
  expect(readdirSync(dir()).sort()).toEqual(['dst', 'src']);
});

test('a failed rename removes the temporary file', async () => {
  mkdirSync(join(dir(), 'target'));
  writeFileSync(join(dir(), 'target', 'inside'), '');
  await expect(writeFileAtomic(join(dir(), 'target'), 'x', 0o600, 3)).rejects.toThrow();
  expect(readdirSync(dir())).toEqual(['target']);
});

test('ensureFile writes only when the content or the mode differ', async () => {
  const p = join(dir(), 'f');
  expect(await ensureFile(p, 'a', 0o600, 1)).toBe(true);
  const inode = statSync(p).ino;
  expect(await ensureFile(p, 'a', 0o600, 1)).toBe(false);
  expect(await ensureFile(p, Buffer.from('a'), 0o600, 1)).toBe(false);
  expect(statSync(p).ino).toBe(inode);
  chmodSync(p, 0o644);
  expect(await ensureFile(p, 'a', 0o600, 1)).toBe(true);
  expect(mode(p)).toBe(0o600);
  expect(await ensureFile(p, 'b', 0o600, 1)).toBe(true);
  expect(readFileSync(p, 'utf8')).toBe('b');
});

test('removeFile says whether there was a file', async () => {
  writeFileSync(join(dir(), 'f'), '');
  expect(await removeFile(join(dir(), 'f'))).toBe(true);
  expect(await removeFile(join(dir(), 'f'))).toBe(false);
});
