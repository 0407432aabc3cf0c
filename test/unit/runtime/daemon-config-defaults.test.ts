import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonConfigFileDefaults, FixedConfigDefaults } from '../../../src/runtime/daemon-config-defaults';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'multus-defaults-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SHIM = { cniVersion: '1.0.0', name: 'n', type: 'multus-shim', daemonSocketDir: '/run/x' };

describe('thin mode: the defaults of a shim config come from the daemon config file', () => {
  test('a plain multus config is used as given', async () => {
    const raw = { type: 'multus', name: 'n', delegates: [{ type: 'bridge' }] };
    expect(await new DaemonConfigFileDefaults(join(dir, 'none.json')).apply(raw, false)).toEqual({ config: raw });
  });

  test('a shim config gets the named daemon config defaults; the request keys win; shim keys are dropped', async () => {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, JSON.stringify({ socketDir: '/run/x', cniDir: '/var/x', name: 'daemon-name' }));
    const { config } = await new DaemonConfigFileDefaults().apply({ ...SHIM, daemonConfig: file }, false);
    expect(config).toEqual({ cniVersion: '1.0.0', name: 'n', type: 'multus', cniDir: '/var/x' });
  });

  test('no daemon config at the default path: no defaults', async () => {
    const { config } = await new DaemonConfigFileDefaults(join(dir, 'absent.json')).apply(SHIM, false);
    expect(config).toEqual({ cniVersion: '1.0.0', name: 'n', type: 'multus' });
  });

  test('a named daemon config that is missing is code 7, but a DEL gets the request keys and the problem', async () => {
    const raw = { ...SHIM, daemonConfig: join(dir, 'missing.json') };
    const defaults = new DaemonConfigFileDefaults();
    await expect(defaults.apply(raw, false)).rejects.toMatchObject({ code: 7 });
    const del = await defaults.apply(raw, true);
    expect(del.config).toEqual({ cniVersion: '1.0.0', name: 'n', type: 'multus' });
    expect(del.problem).toMatchObject({ code: 7, msg: expect.stringContaining('missing.json') });
  });

  test('a daemon config that is not JSON is code 6', async () => {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, '{');
    await expect(new DaemonConfigFileDefaults().apply({ ...SHIM, daemonConfig: file }, false)).rejects.toMatchObject({
      code: 6,
    });
  });
});

test('the daemon: every call gets the defaults it loaded at start', async () => {
  const defaults = new FixedConfigDefaults({ cniDir: '/var/x', delegates: [{ type: 'bridge' }] });
  expect((await defaults.apply(SHIM)).config).toEqual({
    cniVersion: '1.0.0',
    name: 'n',
    type: 'multus',
    cniDir: '/var/x',
    delegates: [{ type: 'bridge' }],
  });
});
