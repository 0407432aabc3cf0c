import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileContainerLock } from '../../../src/runtime/file-container-lock';
import { useTempDir } from '../../support/temp-dir';

const dir = useTempDir('multus-lock-test-');

const key = (): { dir: string; containerId: string; ifname: string } => ({
  dir: dir(),
  containerId: 'c1',
  ifname: 'eth0',
});
const lockFile = (): string => join(dir(), 'c1-eth0.lock');

function startOf(pid: number): string {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] as string;
}

/** A pid that certainly belongs to no process: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.on('exit', r));
  return child.pid as number;
}

test('acquire writes a 0600 lock holding our pid and the delegate we note; release removes it', async () => {
  const held = await new FileContainerLock().acquire(key(), 100);
  expect(statSync(lockFile()).mode & 0o777).toBe(0o600);
  const [pid, start] = readFileSync(lockFile(), 'utf8').trim().split(' ');
  expect(pid).toBe(String(process.pid));
  expect(Number(start)).toBeGreaterThan(0);
  held.noteChild(process.pid);
  expect(readFileSync(lockFile(), 'utf8').trim()).toBe(`${process.pid} ${start} ${process.pid} ${start}`);
  await held.release();
  await held.release();
  expect(existsSync(lockFile())).toBe(false);
});

test('a lock held by a live process makes the second wait, then fail with code 11 naming it', async () => {
  const lock = new FileContainerLock();
  const held = await lock.acquire(key(), 100);
  await expect(lock.acquire(key(), 60)).rejects.toMatchObject({
    code: 11,
    msg: expect.stringContaining(`(pid ${process.pid})`),
  });
  await held.release();
});

test('the second gets the lock once the first releases it', async () => {
  const lock = new FileContainerLock();
  const first = await lock.acquire(key(), 100);
  setTimeout(() => void first.release(), 50);
  const second = await lock.acquire(key(), 5000);
  await second.release();
});

test("a dead holder's lock is taken over, and its orphaned delegate's process group is killed first", async () => {
  const orphan = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => orphan.on('exit', r));
  writeFileSync(lockFile(), `${await deadPid()} 1 ${orphan.pid} ${startOf(orphan.pid as number)}\n`);
  const held = await new FileContainerLock().acquire(key(), 100);
  await exited;
  expect(orphan.signalCode).toBe('SIGKILL');
  await held.release();
});

test('a recorded delegate whose pid now belongs to another process (different start time) is not killed', async () => {
  const bystander = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  writeFileSync(lockFile(), `${await deadPid()} 1 ${bystander.pid} 12345\n`);
  const held = await new FileContainerLock().acquire(key(), 100);
  expect(bystander.exitCode).toBeNull();
  expect(bystander.signalCode).toBeNull();
  bystander.kill('SIGKILL');
  await held.release();
});

test('two processes taking over one stale lock: only one holds it', async () => {
  writeFileSync(lockFile(), `${await deadPid()} 1\n`);
  const lock = new FileContainerLock();
  const results = await Promise.allSettled([lock.acquire(key(), 200), lock.acquire(key(), 200)]);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  expect(results.filter((r) => r.status === 'rejected').map((r) => (r.reason as { code?: unknown }).code)).toEqual([
    11,
  ]);
  for (const r of results) if (r.status === 'fulfilled') await r.value.release();
});

test('every delegate a dead holder ran at once (parallel mode) is killed on takeover', async () => {
  const orphans = [0, 1].map(() => spawn('sleep', ['30'], { detached: true, stdio: 'ignore' }));
  const exited = orphans.map((o) => new Promise((r) => o.on('exit', r)));
  const children = orphans.map((o) => `${o.pid} ${startOf(o.pid as number)}`).join(' ');
  writeFileSync(lockFile(), `${await deadPid()} 1 ${children}\n`);
  const held = await new FileContainerLock().acquire(key(), 100);
  await Promise.all(exited);
  expect(orphans.map((o) => o.signalCode)).toEqual(['SIGKILL', 'SIGKILL']);
  await held.release();
});
