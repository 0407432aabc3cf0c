import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../../src/cli/cli-io';
import {
  FILE_COMMAND_OPTIONS,
  fileCommand,
  parseCliArgs,
  parseFileCommand,
  pathAndIfname,
} from '../../../src/cli/validate/cli-args';
import { readConfigFile } from '../../../src/cli/validate/config-file';
import { joinJsonPath, problemsOf, uniqueProblems } from '../../../src/cli/validate/problem';
import { RefusingExecutor } from '../../../src/cli/validate/refusing-executor';
import { CniCode, CniError } from '../../../src/core/errors';
import { useTempDir } from '../../support/temp-dir';

describe('problemsOf', () => {
  test('an error that carries its problems gives one Problem each, paths mapped into the file', () => {
    const err = Object.assign(new CniError(CniCode.InvalidConfig, 'network "n" (delegates[2], type "bridge"): ...'), {
      problems: [
        { path: 'delegates[2].ipam.subnet', message: 'must be a CIDR such as 10.1.0.0/24, got "x"' },
        { path: 'delegates[2].mtu', message: 'must be an integer from 68 to 65535, got 20' },
      ],
    });
    expect(problemsOf(err, 'delegates[2]', (p) => joinJsonPath('plugins[1]', p))).toEqual([
      { path: 'plugins[1].delegates[2].ipam.subnet', message: 'must be a CIDR such as 10.1.0.0/24, got "x"', code: 7 },
      { path: 'plugins[1].delegates[2].mtu', message: 'must be an integer from 68 to 65535, got 20', code: 7 },
    ]);
  });

  test('any other error is one Problem at the location the caller knows, with its code and message', () => {
    expect(
      problemsOf(new CniError(CniCode.DelegateNotFound, 'failed to find plugin "x"'), 'delegates[0].type'),
    ).toEqual([{ path: 'delegates[0].type', message: 'failed to find plugin "x"', code: 101 }]);
    expect(problemsOf(new Error('boom'), '(plan)')).toEqual([
      { path: '(plan)', message: 'internal error: boom', code: 999 },
    ]);
  });

  test('joinJsonPath and uniqueProblems', () => {
    expect(joinJsonPath('', 'delegates[0]')).toBe('delegates[0]');
    expect(joinJsonPath('plugins[1]', 'delegates[0]')).toBe('plugins[1].delegates[0]');
    expect(joinJsonPath('plugins[1]', '[0]')).toBe('plugins[1][0]');
    expect(joinJsonPath('plugins[1]', '(config)')).toBe('plugins[1]');
    const p = { path: 'a', message: 'm', code: 7 };
    expect(uniqueProblems([p, { ...p }, { ...p, path: 'b' }])).toEqual([p, { ...p, path: 'b' }]);
  });
});

describe('readConfigFile', () => {
  const root = useTempDir('multus-read-');

  function write(conf: unknown): string {
    const file = join(root(), 'f.conf');
    writeFileSync(file, JSON.stringify(conf));
    return file;
  }

  test('a plain config is the config, paths unchanged', async () => {
    const read = await readConfigFile(write({ type: 'multus', delegates: [] }));
    if (!read.ok) throw new Error('expected ok');
    expect(read.config.pluginPath).toBe('');
    expect(read.config.mapPath('delegates[0].type')).toBe('delegates[0].type');
  });

  test(
    "a conflist: its multus plugin with the list's name " + 'and cniVersion put in (libcni), the others as the chain',
    async () => {
      const read = await readConfigFile(
        write({
          cniVersion: '1.0.0',
          name: 'pod',
          plugins: [
            { type: 'loopback' },
            { type: 'multus', name: 'own', delegates: [{ type: 'ptp' }] },
            { type: 'portmap' },
          ],
        }),
      );
      if (!read.ok) throw new Error('expected ok');
      const c = read.config;
      expect(c.raw).toEqual({ type: 'multus', name: 'pod', cniVersion: '1.0.0', delegates: [{ type: 'ptp' }] });
      expect(c.pluginPath).toBe('plugins[1]');
      expect(c.chain.map((p) => p.path)).toEqual(['plugins[0]', 'plugins[2]']);
      expect(c.mapPath('delegates[0].ipam.subnet')).toBe('plugins[1].delegates[0].ipam.subnet');
      expect(c.mapPath('cniVersion')).toBe('cniVersion');
      expect(c.mapPath('name')).toBe('name');
      expect(c.mapPath('(config)')).toBe('plugins[1]');
      // Not a path into the multus config: another file, named as the source names it.
      expect(c.mapPath('clusterNetwork (/etc/cni/net.d/10-x.conflist).plugins[0].type')).toBe(
        'clusterNetwork (/etc/cni/net.d/10-x.conflist).plugins[0].type',
      );
      expect(c.mapPath('annotation "k8s.v1.cni.cncf.io/networks" entry 1')).toBe(
        'annotation "k8s.v1.cni.cncf.io/networks" entry 1',
      );
    },
  );

  test('not an object, plugins not a list', async () => {
    expect(await readConfigFile(write([1]))).toEqual({
      ok: false,
      problems: [expect.objectContaining({ path: '(config)', code: 7 })],
    });
    expect(await readConfigFile(write({ plugins: {} }))).toEqual({
      ok: false,
      problems: [expect.objectContaining({ path: 'plugins', code: 7 })],
    });
  });
});

describe('parseCliArgs', () => {
  const specs = [
    { name: 'json', takesValue: false },
    { name: 'cni-path', takesValue: true },
    { name: 'pod-annotation', takesValue: true, repeatable: true },
  ];

  test('flags, values (both spellings), repeats, positionals and --', () => {
    const p = parseCliArgs(
      [
        'f',
        '--json',
        '--cni-path',
        '/a',
        '--cni-path=/b',
        '--pod-annotation',
        'a=1',
        '--pod-annotation=b=2',
        '--',
        '--x',
      ],
      specs,
    );
    expect(p.positionals).toEqual(['f', '--x']);
    expect([...p.flags]).toEqual(['json']);
    expect(p.values.get('cni-path')).toEqual(['/b']);
    expect(p.values.get('pod-annotation')).toEqual(['a=1', 'b=2']);
  });

  test.each([[['-x']], [['--nope']], [['--cni-path']], [['--json=1']]])('%j is a UsageError', (args) => {
    expect(() => parseCliArgs(args, specs)).toThrow(UsageError);
  });

  test('pathAndIfname: defaults, and usage errors for an empty path or a bad name', () => {
    expect(pathAndIfname({ cniPath: undefined, ifname: undefined })).toEqual({
      cniPath: ['/opt/cni/bin', '/usr/lib/cni'],
      ifname: 'eth0',
    });
    expect(pathAndIfname({ cniPath: '/a::/b', ifname: 'net1' })).toEqual({ cniPath: ['/a', '/b'], ifname: 'net1' });
    expect(() => pathAndIfname({ cniPath: ':', ifname: undefined })).toThrow(UsageError);
    expect(() => pathAndIfname({ cniPath: undefined, ifname: 'a-name-longer-than-15' })).toThrow(UsageError);
  });
});

test('RefusingExecutor records and refuses every call', async () => {
  const ex = new RefusingExecutor();
  const env = { CNI_CONTAINERID: 'c', CNI_NETNS: '/n', CNI_IFNAME: 'eth0', CNI_ARGS: '', CNI_PATH: '/bin' };
  await expect(ex.run({ type: 'bridge', command: 'ADD', env, stdin: {}, binDirs: [] })).rejects.toMatchObject({
    code: 999,
  });
  await expect(ex.runTool('nsenter', ['-t', '1'])).rejects.toBeInstanceOf(CniError);
  expect(ex.attempts).toEqual(['ADD bridge', 'tool nsenter -t 1']);
});

describe('parseFileCommand and fileCommand', () => {
  test('one FILE, --cni-path and --ifname read, the rest left in parsed', () => {
    const got = parseFileCommand(['f.conf', '--json', '--ifname', 'net1', '--cni-path=/a:/b'], FILE_COMMAND_OPTIONS);
    expect({ file: got.file, cniPath: got.cniPath, ifname: got.ifname, json: got.parsed.flags.has('json') }).toEqual({
      file: 'f.conf',
      cniPath: ['/a', '/b'],
      ifname: 'net1',
      json: true,
    });
    expect(() => parseFileCommand([], FILE_COMMAND_OPTIONS)).toThrow('missing FILE');
  });

  test('a command rejects (not throws) with the UsageError, and runs with the parsed arguments', async () => {
    const seen: string[] = [];
    const command = fileCommand({
      name: 'x',
      summary: 's',
      usage: 'u',
      options: FILE_COMMAND_OPTIONS,
      run: (args) => {
        seen.push(`${args.file} ${args.ifname}`);
        return Promise.resolve(0);
      },
    });
    const io = { env: new Map<string, string>(), out: () => undefined, err: () => undefined };
    await expect(command.run(['--nope'], io)).rejects.toThrow(UsageError);
    await expect(command.run(['a.conf'], io)).resolves.toBe(0);
    expect(seen).toEqual(['a.conf eth0']);
  });
});
