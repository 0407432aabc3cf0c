import { runSkel, type PluginHandlers } from '../../../src/core/skel';
import { CniError } from '../../../src/core/errors';

const handlers: PluginHandlers = {
  add: () => Promise.resolve({ cniVersion: '1.0.0', ips: [] }),
  del: () => Promise.resolve(),
  check: () => Promise.reject(new Error('boom with a stack')),
  gc: () => Promise.resolve(),
  status: () => Promise.resolve(),
};

async function run(
  vars: Record<string, string>,
  stdin: string,
): Promise<{ code: number; out: string; loaded: boolean }> {
  let out = '';
  let loaded = false;
  const code = await runSkel(
    { env: new Map(Object.entries(vars)), readStdin: () => Promise.resolve(stdin), writeStdout: (t) => (out += t) },
    () => {
      loaded = true;
      return Promise.resolve(handlers);
    },
  );
  return { code, out, loaded };
}

const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/n', CNI_IFNAME: 'eth0', CNI_PATH: '/p' };

describe('runSkel', () => {
  test('VERSION lists every supported version and loads nothing else', async () => {
    const r = await run({ CNI_COMMAND: 'VERSION' }, '');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      cniVersion: '1.1.0',
      supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
    expect(r.loaded).toBe(false);
  });

  test('VERSION echoes the cniVersion it was asked with', async () => {
    const r = await run({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"0.4.0"}');
    expect(JSON.parse(r.out)).toMatchObject({ cniVersion: '0.4.0' });
  });

  test.each([
    ['', 'error decoding network config from stdin (0 bytes)'],
    ['{"type":"multus",', 'error decoding network config from stdin (17 bytes)'],
    ['[1,2]', 'expected a JSON object'],
    ['garbage', 'error decoding network config'],
  ])('stdin %j is code 6', async (stdin, fragment) => {
    const r = await run(env, stdin);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json).toMatchObject({ cniVersion: '1.1.0', code: 6 });
    expect(json['msg']).toContain(fragment);
  });

  test('an unsupported cniVersion is code 1 naming it and the supported list', async () => {
    const r = await run(env, '{"cniVersion":"0.9.0"}');
    expect(JSON.parse(r.out)).toEqual({
      cniVersion: '1.1.0',
      code: 1,
      msg:
        'cniVersion: incompatible CNI versions: config is "0.9.0", plugin supports [0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 ' +
        '1.0.0 1.1.0]',
    });
  });

  test('the error JSON carries the config cniVersion and the handler error', async () => {
    const failing: PluginHandlers = {
      ...handlers,
      del: () => Promise.reject(new CniError(11, 'later', { details: 'd' })),
    };
    let out = '';
    const code = await runSkel(
      {
        env: new Map(Object.entries({ ...env, CNI_COMMAND: 'DEL' })),
        readStdin: () => Promise.resolve('{"cniVersion":"0.4.0"}'),
        writeStdout: (t) => (out += t),
      },
      () => Promise.resolve(failing),
    );
    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual({ cniVersion: '0.4.0', code: 11, msg: 'later', details: 'd' });
  });

  test('an unexpected exception is code 999 without a stack trace', async () => {
    const r = await run({ ...env, CNI_COMMAND: 'CHECK' }, '{"cniVersion":"1.0.0"}');
    expect(JSON.parse(r.out)).toEqual({ cniVersion: '1.0.0', code: 999, msg: 'internal error: boom with a stack' });
    expect(r.out).not.toContain('    at ');
  });

  test('ADD prints the result and DEL prints nothing', async () => {
    expect((await run(env, '{"cniVersion":"1.0.0"}')).out).toBe('{"cniVersion":"1.0.0","ips":[]}');
    expect((await run({ ...env, CNI_COMMAND: 'DEL' }, '{}')).out).toBe('');
  });

  test('a bad env is code 4 before stdin is even decoded', async () => {
    const r = await run({ CNI_COMMAND: 'ADD' }, 'not json');
    expect(JSON.parse(r.out)).toMatchObject({ code: 4 });
  });
});
