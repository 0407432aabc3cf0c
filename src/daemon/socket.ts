import { promises as fs } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';

/** The socket is in use by a live daemon: never stolen. */
export class SocketInUse extends Error {
  override readonly name = 'SocketInUse';
}

/** Whether something answers on the socket (a live daemon); a dead socket file refuses. */
export function socketIsLive(path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (live: boolean): void => {
      s.destroy();
      resolve(live);
    };
    s.setTimeout(timeoutMs, () => done(true)); // something holds it but is slow: leave it alone
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}

/** The socket's directory: root-owned, 0700 (the socket answers as root for every pod). */
async function ensureDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await fs.stat(dir);
  if (st.uid !== process.getuid?.()) throw new Error(`${dir} is owned by uid ${st.uid}, not by this daemon's user`);
  await fs.chmod(dir, 0o700);
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Binds the server to `path` atomically: on a temp name, made 0600, then renamed over the final
 * name, so a shim never finds a half-made socket. A stale socket (its daemon was killed) is
 * replaced; a live one is left to its daemon and this one fails with {@link SocketInUse}.
 * Returns the socket's inode, so the daemon removes the file at exit only if it is still its own.
 */
export async function bindSocket(server: Server, path: string): Promise<number> {
  await ensureDir(dirname(path));
  if (await socketIsLive(path)) throw new SocketInUse(`another multus daemon is serving ${path}`);
  const temp = `${path}.${process.pid}.tmp`;
  await fs.rm(temp, { force: true });
  await listen(server, temp);
  await fs.chmod(temp, 0o600);
  await fs.rename(temp, path);
  return (await fs.stat(path)).ino;
}

/** Removes the socket file at exit, unless another daemon has replaced it since. */
export async function releaseSocket(path: string, ino: number): Promise<void> {
  const st = await fs.stat(path).catch(() => undefined);
  if (st?.ino === ino) await fs.rm(path, { force: true });
}
