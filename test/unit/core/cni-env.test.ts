import { CniCode, CniError } from '../../../src/core/errors';
import { interfaceNameProblem, parseCniArgs, parseCniEnv } from '../../../src/core/cni-env';

const full = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'abc123',
  CNI_NETNS: '/var/run/netns/x',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
};

function envError(vars: Record<string, string>): CniError {
  try {
    parseCniEnv(new Map(Object.entries(vars)));
  } catch (err) {
    return err as CniError;
  }
  throw new Error('expected an error');
}

describe('parseCniEnv', () => {
  test('reads a full ADD env', () => {
    const env = parseCniEnv(new Map(Object.entries({ ...full, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p' })));
    expect(env).toMatchObject({ command: 'ADD', containerId: 'abc123', netns: '/var/run/netns/x', ifname: 'eth0' });
    expect(env.path).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
    expect(env.args.get('K8S_POD_NAME')).toBe('p');
  });

  test.each([
    ['ADD', 'CNI_NETNS'],
    ['ADD', 'CNI_CONTAINERID'],
    ['ADD', 'CNI_IFNAME'],
    ['ADD', 'CNI_PATH'],
    ['CHECK', 'CNI_NETNS'],
    ['DEL', 'CNI_IFNAME'],
  ])('%s without %s is code 4 naming it', (command, missing) => {
    const vars: Record<string, string> = { ...full, CNI_COMMAND: command };
    delete vars[missing];
    const err = envError(vars);
    expect(err.code).toBe(CniCode.InvalidEnvironment);
    expect(err.msg).toContain(missing);
    expect(err.msg).toContain(command);
  });

  test('DEL needs no netns (the runtime may have removed it)', () => {
    const vars: Record<string, string> = { ...full, CNI_COMMAND: 'DEL' };
    delete vars['CNI_NETNS'];
    expect(parseCniEnv(new Map(Object.entries(vars))).netns).toBe('');
  });

  test('VERSION needs only CNI_COMMAND', () => {
    expect(parseCniEnv(new Map([['CNI_COMMAND', 'VERSION']])).command).toBe('VERSION');
  });

  test.each([
    [{ CNI_COMMAND: 'FROB' }, 'CNI_COMMAND: unknown command "FROB"'],
    [{}, 'CNI_COMMAND is missing'],
    [{ ...full, CNI_IFNAME: 'averyveryverylongname' }, 'CNI_IFNAME: "averyveryverylongname" is longer than 15 bytes'],
    [{ ...full, CNI_IFNAME: 'a/b' }, 'CNI_IFNAME'],
    [{ ...full, CNI_CONTAINERID: '-bad id' }, 'CNI_CONTAINERID'],
    [{ ...full, CNI_ARGS: 'K8S_POD_NAME' }, 'CNI_ARGS: invalid pair "K8S_POD_NAME"'],
    [{ ...full, CNI_ARGS: 'FOO=1' }, 'CNI_ARGS: unknown keys FOO'],
    [{ ...full, CNI_ARGS: 'IgnoreUnknown=maybe' }, 'IgnoreUnknown="maybe"'],
  ])('invalid env %# is code 4: %s', (vars, fragment) => {
    const err = envError(vars);
    expect(err.code).toBe(4);
    expect(err.msg).toContain(fragment);
  });
});

describe('parseCniArgs', () => {
  test('splits each value at the first "=" only and keeps order', () => {
    const args = parseCniArgs('IgnoreUnknown=true;X=a=b=c;K8S_POD_NAME=p;');
    expect(args.pairs).toEqual([
      ['IgnoreUnknown', 'true'],
      ['X', 'a=b=c'],
      ['K8S_POD_NAME', 'p'],
    ]);
    expect(args.get('X')).toBe('a=b=c');
  });

  test.each(['IgnoreUnknown=1', 'IgnoreUnknown=true', 'IgnoreUnknown=True'])('%s lets unknown keys through', (flag) => {
    expect(parseCniArgs(`${flag};FOO=bar`).get('FOO')).toBe('bar');
  });

  test('IgnoreUnknown=0 does not', () => {
    expect(() => parseCniArgs('IgnoreUnknown=0;FOO=bar')).toThrow('unknown keys FOO');
  });

  test('empty value is allowed, empty key is not', () => {
    expect(parseCniArgs('K8S_POD_NAME=').get('K8S_POD_NAME')).toBe('');
    expect(() => parseCniArgs('=x')).toThrow('invalid pair "=x"');
  });
});

describe('interfaceNameProblem', () => {
  test.each([
    ['eth0', undefined],
    ['net15', undefined],
    ['123456789012345', undefined],
    ['1234567890123456', 'longer than 15 bytes'],
    ['', 'must not be empty'],
    ['.', 'not a valid interface name'],
    ['..', 'not a valid interface name'],
    ['a b', "must not contain '/', ':' or white space"],
    ['a:b', "must not contain '/', ':' or white space"],
    ['a/b', "must not contain '/', ':' or white space"],
    ['ééééééééé', 'longer than 15 bytes'],
  ])('%j → %s', (name, fragment) => {
    const problem = interfaceNameProblem(name);
    if (fragment === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(fragment);
  });
});
