import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { bindSocket, releaseSocket, SocketInUse, socketIsLive } from '../../../src/daemon/socket';
import { useTempDir } from '../../support/temp-dir';

const close = (server: { close(cb: () => void): unknown }): Promise<void> =>
  new Promise((resolve) => server.close(() => resolve()));

describe('bindSocket / releaseSocket', () => {
  const dir = useTempDir('multus-daemon-socket-');
  const servers: Server[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => (s.listening ? close(s) : Promise.resolve())));
  });

  function newServer(): Server {
    const server = createServer((_req, res) => res.end('ok'));
    servers.push(server);
    return server;
  }

  test('makes the dir 0700 and the socket 0600, with nothing else left in the dir', async () => {
    const path = join(dir(), 'run', 'multus.sock');
    const ino = await bindSocket(newServer(), path);
    expect(statSync(join(dir(), 'run')).mode & 0o777).toBe(0o700);
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.ino).toBe(ino);
    expect(readdirSync(join(dir(), 'run'))).toEqual(['multus.sock']);
    expect(await socketIsLive(path)).toBe(true);
  });

  test('an existing dir open to others is made 0700', async () => {
    mkdirSync(join(dir(), 'run'), { mode: 0o755 });
    await bindSocket(newServer(), join(dir(), 'run', 'multus.sock'));
    expect(statSync(join(dir(), 'run')).mode & 0o777).toBe(0o700);
  });

  test('a stale socket (nobody listens: its daemon was killed) is replaced', async () => {
    const path = join(dir(), 'multus.sock');
    // A socket file nobody serves: bound, then the listener closed without removing it.
    const dead = createNetServer();
    await new Promise<void>((resolve) => dead.listen(`${path}.old`, resolve));
    renameSync(`${path}.old`, path);
    await close(dead);
    expect(statSync(path).isSocket()).toBe(true);
    expect(await socketIsLive(path)).toBe(false);

    const ino = await bindSocket(newServer(), path);
    expect(statSync(path).ino).toBe(ino);
    expect(await socketIsLive(path)).toBe(true);
  });

  test('a plain file where the socket goes is replaced too', async () => {
    const path = join(dir(), 'multus.sock');
    writeFileSync(path, 'leftover');
    await bindSocket(newServer(), path);
    expect(statSync(path).isSocket()).toBe(true);
  });

  test('a live socket is never stolen: SocketInUse, and the first keeps its socket', async () => {
    const path = join(dir(), 'multus.sock');
    const ino = await bindSocket(newServer(), path);
    const second = newServer();
    await expect(bindSocket(second, path)).rejects.toBeInstanceOf(SocketInUse);
    expect(second.listening).toBe(false);
    expect(statSync(path).ino).toBe(ino);
    expect(readdirSync(dir())).toEqual(['multus.sock']);
  });

  test('releaseSocket removes the socket only while it is still its own', async () => {
    const path = join(dir(), 'multus.sock');
    const first = newServer();
    const ino = await bindSocket(first, path);
    await close(first);
    // Another daemon took the path over meanwhile: the first must not remove its socket.
    const next = await bindSocket(newServer(), path);
    expect(next).not.toBe(ino);
    await releaseSocket(path, ino);
    expect(statSync(path).ino).toBe(next);
    await releaseSocket(path, next);
    expect(readdirSync(dir())).toEqual([]);
    await releaseSocket(path, next); // already gone: nothing to do
  });
});
