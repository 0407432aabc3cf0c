import { decodePluginOutput, type PluginOutcome } from '../../../../src/adapters/executor/plugin-output';
import type { CniError } from '../../../../src/core/errors';
import { thrownCniError } from '../../../support/cni-error';

function outcome(over: Partial<PluginOutcome>): PluginOutcome {
  return { type: 'bridge', command: 'ADD', exitCode: 0, signal: undefined, stdout: '', stderr: '', ...over };
}

function failure(over: Partial<PluginOutcome>): CniError {
  return thrownCniError(() => decodePluginOutput(outcome(over)));
}

describe('decodePluginOutput', () => {
  test('exit 0 with JSON is the parsed result', () => {
    expect(decodePluginOutput(outcome({ stdout: '{"cniVersion":"1.0.0","ips":[]}\n' }))).toEqual({
      cniVersion: '1.0.0',
      ips: [],
    });
  });

  test('exit 0 with nothing (or only white space) is undefined', () => {
    expect(decodePluginOutput(outcome({ stdout: '' }))).toBeUndefined();
    expect(decodePluginOutput(outcome({ stdout: ' \n' }))).toBeUndefined();
  });

  test('exit 0 with an error JSON is that error', () => {
    const err = failure({ stdout: '{"cniVersion":"0.4.0","code":11,"msg":"try later","details":"lock"}' });
    expect([err.code, err.msg, err.details]).toEqual([11, 'try later', 'lock']);
  });

  test('exit 0 with garbage is 102 naming type and command and quoting the start', () => {
    const err = failure({ stdout: `oops ${'x'.repeat(300)}` });
    expect(err.code).toBe(102);
    expect(err.msg).toContain('plugin "bridge" ADD printed output that is not JSON: "oops xxx');
    expect(err.msg.length).toBeLessThan(300);
  });

  test('non-zero with an error JSON carries code, msg and details', () => {
    const err = failure({
      exitCode: 1,
      stdout: '{"cniVersion":"1.0.0","code":7,"msg":"bad bridge","details":"br0"}',
      stderr: 'ignored',
    });
    expect([err.code, err.msg, err.details]).toEqual([7, 'bad bridge', 'br0']);
  });

  test('non-string details are kept as JSON text', () => {
    expect(failure({ exitCode: 1, stdout: '{"code":100,"msg":"m","details":{"a":1}}' }).details).toBe('{"a":1}');
  });

  test('non-zero without error JSON is 100 with the exit code and trimmed stderr', () => {
    const err = failure({ command: 'DEL', exitCode: 2, stderr: `  Link not found\n${'y'.repeat(600)}` });
    expect(err.code).toBe(100);
    expect(err.msg).toMatch(/^plugin "bridge" DEL exited with code 2: Link not found\ny+\.\.\.$/u);
    expect(err.msg.length).toBeLessThan(600);
  });

  test('non-zero with only garbage on stdout quotes stdout', () => {
    expect(failure({ exitCode: 1, stdout: 'panic: boom' }).msg).toBe(
      'plugin "bridge" ADD exited with code 1: stdout "panic: boom"',
    );
  });

  test('non-zero with nothing printed says so', () => {
    expect(failure({ exitCode: 3 }).msg).toBe('plugin "bridge" ADD exited with code 3: no error output');
  });

  test('a signal is named', () => {
    const err = failure({ exitCode: undefined, signal: 'SIGKILL', stderr: 'bye' });
    expect([err.code, err.msg]).toEqual([100, 'plugin "bridge" ADD was killed by signal SIGKILL: bye']);
  });

  test('JSON that is not an error shape with non-zero exit falls back to stderr', () => {
    expect(failure({ exitCode: 1, stdout: '{"code":"7","msg":"x"}', stderr: 'real reason' }).msg).toBe(
      'plugin "bridge" ADD exited with code 1: real reason',
    );
  });
});
