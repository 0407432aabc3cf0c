import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PinoLoggerFactory } from '../../../src/runtime/pino-logger-factory';
import { useTempDir } from '../../support/temp-dir';

const root = useTempDir('multus-log-test-');

test('writes JSON lines at the level asked to a 0600 log file, with child bindings', () => {
  const file = join(root(), 'sub', 'multus.log');
  const log = new PinoLoggerFactory().create({ level: 'info', file, toStderr: false });
  log.child({ containerId: 'c1' }).info({ network: 'n' }, 'hello');
  log.debug({}, 'not at info');
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 30, msg: 'hello', containerId: 'c1', network: 'n', plugin: 'multus' });
  expect(statSync(file).mode & 0o777).toBe(0o600);
});

test('never writes to stdout', () => {
  const write = jest.spyOn(process.stdout, 'write');
  const log = new PinoLoggerFactory().create({ level: 'trace', file: join(root(), 'x.log'), toStderr: false });
  log.error({}, 'to the file only');
  expect(write).not.toHaveBeenCalled();
  write.mockRestore();
});

test('an error is logged without its stack trace', () => {
  const file = join(root(), 'e.log');
  const log = new PinoLoggerFactory().create({ level: 'info', file, toStderr: false });
  log.error({ err: Object.assign(new Error('bad thing'), { code: 7 }) }, 'failed');
  const line = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  expect(line['err']).toEqual({ type: 'Error', message: 'bad thing', code: 7 });
  expect(readFileSync(file, 'utf8')).not.toContain('    at ');
});

test('an existing log file with looser permissions is made 0600', () => {
  const file = join(root(), 'old.log');
  writeFileSync(file, '', { mode: 0o644 });
  chmodSync(file, 0o644);
  new PinoLoggerFactory().create({ level: 'info', file, toStderr: false }).info({}, 'x');
  expect(statSync(file).mode & 0o777).toBe(0o600);
});
