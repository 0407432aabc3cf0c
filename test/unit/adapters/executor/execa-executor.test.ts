import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { DEFAULT_PLUGIN_PATH, ExecaExecutor } from '../../../../src/adapters/executor/execa-executor';
import { CniError } from '../../../../src/core/errors';
import type { ExecRequest } from '../../../../src/core/ports/executor';

let root = '';
let bin = '';
let second = '';

/** Throwaway plugins: each a /bin/sh script; `record` saves its stdin and env for the test to read. */
const PLUGINS: Record<string, string> = {
  ok:
    `cat > "$RECORD_DIR/stdin"; env > "$RECORD_DIR/env"; echo ` +
    `'{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.5/24"}]}'`,
  quiet: 'cat >/dev/null; exit 0',
  'err-json': `echo '{"cniVersion":"1.0.0","code":11,"msg":"resource busy","details":"retry in 1s"}'; exit 1`,
  'err-json-exit0': `echo '{"cniVersion":"1.0.0","code":7,"msg":"bad config"}'`,
  garbage: 'echo "this is not json"',
  stderr: 'echo "  cannot open netns  " >&2; exit 3',
  killed: 'kill -9 $$',
  first: `echo '{"from":"first"}'`,
  // Never finish by themselves: only the timeout or the abort under test can end them.
  slow: 'exec sleep infinity',
  forks: 'sleep infinity & echo $! > "$(dirname "$0")/forks.pid"; wait',
  noread: `echo '{}'`,
  // Exactly 64 bytes, then one more: the limit (64) is filled by whole chunks before it is passed.
  'fills-then-one-more': 'head -c 64 /dev/zero | tr "\\0" x; sleep 0.2; printf y',
  // 2 MiB on stderr, then an error exit: read to the end (the plugin never blocks), kept in part.
  'floods-stderr': 'head -c 2097152 /dev/zero | tr "\\0" x >&2; echo "the end" >&2; exit 1',
};

async function writePlugin(dir: string, name: string, body: string): Promise<void> {
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body.replace(/\$RECORD_DIR/gu, root)}\n`);
  await chmod(file, 0o755);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'multus-exec-'));
  bin = join(root, 'bin');
  second = join(root, 'bin2');
  await mkdir(bin);
  await mkdir(second);
  for (const [name, body] of Object.entries(PLUGINS)) await writePlugin(bin, name, body);
  await writePlugin(second, 'first', `echo '{"from":"second"}'`);
  await writePlugin(second, 'only-second', `echo '{"from":"second"}'`);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function request(type: string, over: Partial<ExecRequest> = {}): ExecRequest {
  return {
    type,
    command: 'ADD',
    env: {
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/run/netns/t',
      CNI_IFNAME: 'net1',
      CNI_ARGS: 'IgnoreUnknown=true',
      CNI_PATH: '/opt/cni/bin',
    },
    stdin: { cniVersion: '1.0.0', name: 'n', type },
    binDirs: [bin],
    ...over,
  };
}

const executor = new ExecaExecutor({ path: '/usr/bin:/bin' });

/**
 * Polls until the process has died (gone, or a zombie: an orphan waits for pid 1 to reap it, which
 * here can take seconds), up to a generous bound; never asserts a time.
 */
async function deadWithin(pid: number, boundMs: number): Promise<boolean> {
  for (let waited = 0; waited <= boundMs; waited += 50) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    const state = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state === undefined || state === 'Z' || state === 'X') return true;
    await sleepFor(50);
  }
  return false;
}

/** The pid a plugin writes to `file`, once it is there (polled with timers jest does not fake). */
async function pidWritten(file: string): Promise<number> {
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (/^\d+\n$/u.test(text)) return Number(text.trim());
    await sleepFor(20);
  }
}

async function failure(req: ExecRequest, exec: ExecaExecutor = executor): Promise<CniError> {
  const err = await exec.run(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CniError)) throw new Error(`expected a CniError, got ${String(err)}`);
  return err;
}

describe('ExecaExecutor', () => {
  test('success: parsed JSON, stdin is the config, env is only CNI_* and PATH', async () => {
    await expect(executor.run(request('ok'))).resolves.toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.0.5/24' }],
    });
    expect(JSON.parse(await readFile(join(root, 'stdin'), 'utf8'))).toEqual({
      cniVersion: '1.0.0',
      name: 'n',
      type: 'ok',
    });
    const env = Object.fromEntries(
      (await readFile(join(root, 'env'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/run/netns/t',
      CNI_IFNAME: 'net1',
      CNI_ARGS: 'IgnoreUnknown=true',
      CNI_PATH: '/opt/cni/bin',
      PATH: '/usr/bin:/bin',
    });
    // The shell adds PWD, SHLVL and `_` itself; nothing of the test runner's env leaks in.
    expect(Object.keys(env).filter((k) => !/^(CNI_|PATH$|PWD$|SHLVL$|_$|OLDPWD$)/u.test(k))).toEqual([]);
  });

  test('empty stdout resolves undefined', async () => {
    await expect(executor.run(request('quiet', { command: 'DEL' }))).resolves.toBeUndefined();
  });

  test('error JSON with exit 1 carries the plugin code, msg and details', async () => {
    const err = await failure(request('err-json'));
    expect([err.code, err.msg, err.details]).toEqual([11, 'resource busy', 'retry in 1s']);
  });

  test('error JSON with exit 0 is still a failure', async () => {
    const err = await failure(request('err-json-exit0'));
    expect([err.code, err.msg]).toEqual([7, 'bad config']);
  });

  test('garbage stdout is 102 naming type and command', async () => {
    const err = await failure(request('garbage', { command: 'CHECK' }));
    expect(err.code).toBe(102);
    expect(err.msg).toBe('plugin "garbage" CHECK printed output that is not JSON: "this is not json"');
  });

  test('non-zero with only stderr is 100 with the exit code and trimmed stderr', async () => {
    const err = await failure(request('stderr'));
    expect([err.code, err.msg]).toEqual([100, 'plugin "stderr" ADD exited with code 3: cannot open netns']);
  });

  test('killed by a signal says which', async () => {
    const err = await failure(request('killed'));
    expect([err.code, err.msg]).toEqual([100, 'plugin "killed" ADD was killed by signal SIGKILL: no error output']);
  });

  test('a plugin that does not read stdin still succeeds', async () => {
    await expect(executor.run(request('noread', { stdin: { big: 'x'.repeat(256 * 1024) } }))).resolves.toEqual({});
  });

  test('a type with ".." is rejected with code 7 and nothing runs', async () => {
    const err = await failure(request('../bin/ok'));
    expect(err.code).toBe(7);
    expect(err.msg).toContain('delegate type "../bin/ok" must be a plain plugin name');
  });

  test('a missing binary is 101 naming every dir', async () => {
    const err = await failure(request('nope', { binDirs: [bin, second] }));
    expect([err.code, err.msg]).toEqual([101, `failed to find plugin "nope" in path [${bin} ${second}]`]);
  });

  test('the first bin dir with the plugin wins', async () => {
    await expect(executor.run(request('first', { binDirs: [bin, second] }))).resolves.toEqual({ from: 'first' });
    await expect(executor.run(request('first', { binDirs: [second, bin] }))).resolves.toEqual({ from: 'second' });
    await expect(executor.run(request('only-second', { binDirs: [bin, second] }))).resolves.toEqual({ from: 'second' });
  });

  test('an aborted signal kills the plugin', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('pod gone')), 50);
    const err = await failure(request('slow', { signal: controller.signal }));
    expect([err.code, err.msg]).toEqual([
      100,
      'plugin "slow" ADD was cancelled: pod gone; its process group was killed',
    ]);
  });

  test('a timeout kills the whole process group: a child the plugin forked dies too', async () => {
    // The executor's timer is jest's, run once the plugin has forked its child: on a loaded
    // machine a real 200 ms timer could kill the plugin before it forks.
    jest.useFakeTimers({
      doNotFake: [
        'Date',
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
      ],
    });
    let ended: Promise<CniError>;
    let pid: number;
    try {
      ended = failure(request('forks'), new ExecaExecutor({ path: '/usr/bin:/bin', timeoutMs: 200 }));
      pid = await pidWritten(join(bin, 'forks.pid'));
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(200);
    } finally {
      jest.useRealTimers();
    }
    const err = await ended;
    expect(err.code).toBe(106);
    expect(await deadWithin(pid, 10_000)).toBe(true);
  });

  test('the timeout option kills a slow plugin', async () => {
    const err = await failure(request('slow'), new ExecaExecutor({ path: '/usr/bin:/bin', timeoutMs: 100 }));
    expect([err.code, err.msg]).toEqual([
      106,
      'plugin "slow" ADD timed out after 100 ms; its process group was killed',
    ]);
  });

  test('more stdout than allowed is 102', async () => {
    const err = await failure(request('ok'), new ExecaExecutor({ path: '/usr/bin:/bin', maxStdoutBytes: 10 }));
    expect([err.code, err.msg]).toEqual([102, 'plugin "ok" ADD printed more than 10 bytes on stdout']);
  });

  test('a plugin flooding stderr is read to its end; at most maxStdoutBytes of it are kept', async () => {
    const err = await failure(
      request('floods-stderr'),
      new ExecaExecutor({ path: '/usr/bin:/bin', maxStdoutBytes: 4096 }),
    );
    expect(err.code).toBe(100);
    expect(err.msg).toContain('xxxx');
    expect(err.msg).not.toContain('the end');
    expect(err.msg.length).toBeLessThan(4096 + 200);
  });

  test('stdout that fills the limit exactly, then prints one byte more, is 102', async () => {
    const err = await failure(
      request('fills-then-one-more'),
      new ExecaExecutor({ path: '/usr/bin:/bin', maxStdoutBytes: 64 }),
    );
    expect([err.code, err.msg]).toEqual([102, 'plugin "fills-then-one-more" ADD printed more than 64 bytes on stdout']);
  });

  test('PATH defaults to the usual system dirs', () => {
    expect(DEFAULT_PLUGIN_PATH).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });
});

describe('ExecaExecutor.hostLink', () => {
  let sys = '';

  beforeAll(async () => {
    sys = join(root, 'sys-class-net');
    await mkdir(join(sys, 'eth1'), { recursive: true });
    await writeFile(join(sys, 'eth1', 'mtu'), '9000\n');
    // A link whose mtu cannot be read as a file.
    await mkdir(join(sys, 'odd', 'mtu'), { recursive: true });
  });

  test('reads a link and its mtu from the sysfs directory, running nothing', async () => {
    expect(await new ExecaExecutor({ sysClassNet: sys }).hostLink('eth1')).toEqual({ name: 'eth1', mtu: 9000 });
  });

  test.each(['eth9', '', '.', '..', '../eth1', 'a/b'])('%j is no link', async (name) => {
    expect(await new ExecaExecutor({ sysClassNet: sys }).hostLink(name)).toBeUndefined();
  });

  test('a link that cannot be read is code 5 naming the file', async () => {
    const err: unknown = await new ExecaExecutor({ sysClassNet: sys }).hostLink('odd').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(5);
    expect((err as CniError).msg).toContain(`reading ${join(sys, 'odd', 'mtu')} (host link "odd") failed: `);
  });
});
