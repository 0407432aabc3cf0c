import 'reflect-metadata';
import { DAEMON_KEYS, parseDaemonConfig, requestConfig } from '../../../../src/core/config/thick-config';
import { CniCode } from '../../../../src/core/errors';
import { thrownCniError } from '../../../support/cni-error';

const WHERE = '/etc/cni/multus/daemon-config.json';
const refused = (raw: unknown): ReturnType<typeof thrownCniError> =>
  thrownCniError(() => parseDaemonConfig(raw, WHERE));

describe('parseDaemonConfig', () => {
  test('an empty config: every default', () => {
    expect(parseDaemonConfig({}, WHERE)).toEqual({
      socketDir: '/run/multus',
      socketPath: '/run/multus/multus.sock',
      cniConfigDir: '/etc/cni/net.d',
      multusConfigFile: undefined,
      multusAutoconfigDir: '/etc/cni/net.d',
      metricsPort: undefined,
      metricsAddress: '127.0.0.1',
      maxConcurrentRequests: 32,
      maxQueuedRequests: 512,
      maxRequestBytes: 1024 * 1024,
      requestTimeoutMs: 600_000,
      shutdownTimeoutMs: 30_000,
      bodyTimeoutMs: 10_000,
      nodeName: undefined,
      dynamicNetworks: false,
      reconcileIntervalMs: 300_000,
      reconcileGraceMs: 600_000,
      reconcileDryRun: false,
      defaults: {},
    });
  });

  test("Go's keys and the limits, given", () => {
    const c = parseDaemonConfig(
      {
        socketDir: '/var/run/m/',
        cniConfigDir: '/host/etc/cni/net.d',
        multusAutoconfigDir: '/auto',
        multusConfigFile: 'auto',
        metricsPort: 9091,
        metricsAddress: '::1',
        maxConcurrentRequests: 4,
        maxQueuedRequests: 0,
        maxRequestBytes: 4096,
        requestTimeoutSeconds: 1.5,
        shutdownTimeoutSeconds: 0,
        bodyTimeoutSeconds: 0.25,
        nodeName: 'node-a',
        dynamicNetworks: true,
        reconcileIntervalSeconds: 0,
        reconcileGraceSeconds: 1.5,
        reconcileDryRun: true,
      },
      WHERE,
    );
    expect(c).toEqual(
      expect.objectContaining({
        socketDir: '/var/run/m/',
        socketPath: '/var/run/m/multus.sock',
        cniConfigDir: '/host/etc/cni/net.d',
        multusAutoconfigDir: '/auto',
        multusConfigFile: 'auto',
        metricsPort: 9091,
        metricsAddress: '::1',
        maxConcurrentRequests: 4,
        maxQueuedRequests: 0,
        maxRequestBytes: 4096,
        requestTimeoutMs: 1500,
        shutdownTimeoutMs: 0,
        bodyTimeoutMs: 250,
        nodeName: 'node-a',
        dynamicNetworks: true,
        reconcileIntervalMs: 0,
        reconcileGraceMs: 1500,
        reconcileDryRun: true,
        defaults: {},
      }),
    );
  });

  test('multusAutoconfigDir defaults to cniConfigDir', () => {
    expect(parseDaemonConfig({ cniConfigDir: '/host/net.d' }, WHERE).multusAutoconfigDir).toBe('/host/net.d');
  });

  test("every key that is not the daemon's own is a multus default of each request", () => {
    const raw = { socketDir: '/run/x', cniDir: '/var/lib/m', logLevel: 'debug', delegates: [{ type: 'bridge' }] };
    const c = parseDaemonConfig(raw, WHERE);
    expect(c.defaults).toEqual({ cniDir: '/var/lib/m', logLevel: 'debug', delegates: [{ type: 'bridge' }] });
    expect(Object.keys(c.defaults).filter((k) => DAEMON_KEYS.includes(k))).toEqual([]);
  });

  test.each([
    ['maxConcurrentRequests', 0],
    ['maxConcurrentRequests', 4097],
    ['maxConcurrentRequests', 1.5],
    ['maxConcurrentRequests', '8'],
    ['maxQueuedRequests', -1],
    ['maxQueuedRequests', 100001],
    ['maxRequestBytes', 1023],
    ['requestTimeoutSeconds', 0.5],
    ['requestTimeoutSeconds', '60'],
    ['shutdownTimeoutSeconds', -1],
    ['bodyTimeoutSeconds', 0],
    ['metricsPort', 0],
    ['metricsPort', 65536],
    ['metricsAddress', 'localhost:9091'],
    ['socketDir', 'run/multus'],
    ['cniConfigDir', 42],
    ['multusAutoconfigDir', 'etc/cni'],
    ['nodeName', 7],
    ['logToStderr', 'yes'],
    ['dynamicNetworks', 'true'],
    ['reconcileIntervalSeconds', -1],
    ['reconcileIntervalSeconds', '300'],
    ['reconcileGraceSeconds', -0.5],
    ['reconcileGraceSeconds', true],
    ['reconcileDryRun', 'true'],
  ])('%s: %p is code 7 naming the key', (key, value) => {
    const error = refused({ [key]: value });
    expect(error.code).toBe(CniCode.InvalidConfig);
    expect(error.problems.map((p) => p.path)).toEqual([key]);
  });

  test.each(['chrootDir', 'daemonSocketDir', 'perNodeCertificate', 'logOptions'])(
    "Go's %s does not apply here: code 2 naming it",
    (key) => {
      const error = refused({ socketDir: '/run/multus', [key]: key === 'logOptions' ? {} : '/x' });
      expect(error.code).toBe(CniCode.UnsupportedField);
      expect(error.problems.map((p) => p.path)).toEqual([key]);
      expect(error.msg).toContain(WHERE);
    },
  );

  test('several inapplicable keys are named together', () => {
    const error = refused({ chrootDir: '/hostroot', logOptions: { maxAge: 5 } });
    expect(error.problems.map((p) => p.path)).toEqual(['chrootDir', 'logOptions']);
  });

  test('a wrong value is reported before an inapplicable key (code 7)', () => {
    expect(refused({ chrootDir: '/hostroot', maxConcurrentRequests: 0 }).code).toBe(CniCode.InvalidConfig);
  });

  describe('multusConfigFile', () => {
    test.each(['auto', '/etc/cni/net.d/00-multus.conf'])('%s is taken', (file) => {
      expect(parseDaemonConfig({ multusConfigFile: file }, WHERE).multusConfigFile).toBe(file);
    });

    test.each([['00-multus.conf'], ['./multus.conf'], [''], ['AUTO']])(
      '%p (not "auto", not absolute) is code 7',
      (file) => {
        expect(refused({ multusConfigFile: file }).code).toBe(CniCode.InvalidConfig);
      },
    );

    test('a non-string is code 7 naming the key', () => {
      const error = refused({ multusConfigFile: true });
      expect(error.code).toBe(CniCode.InvalidConfig);
      expect(error.problems.map((p) => p.path)).toEqual(['multusConfigFile']);
    });
  });

  test.each([[[]], ['{}'], [null], [3]])('%p (not an object) is code 7', (raw) => {
    expect(refused(raw).code).toBe(CniCode.InvalidConfig);
  });
});

describe('requestConfig: the daemon defaults under the request', () => {
  const defaults = {
    cniDir: '/var/lib/daemon',
    logLevel: 'info',
    delegates: [{ type: 'bridge', name: 'daemon-net' }],
    delegateTimeoutSeconds: 30,
  };

  test('a shim request without keys of its own gets every default, as a multus config', () => {
    const raw = { type: 'multus-shim', name: 'n', cniVersion: '1.0.0', daemonSocketDir: '/run/multus' };
    expect(requestConfig(defaults, raw)).toEqual({ ...defaults, type: 'multus', name: 'n', cniVersion: '1.0.0' });
  });

  test("the request's keys win over the daemon's", () => {
    const raw = { type: 'multus-shim', cniDir: '/var/lib/own', delegateTimeoutSeconds: 5 };
    expect(requestConfig(defaults, raw)).toEqual(
      expect.objectContaining({ cniDir: '/var/lib/own', delegateTimeoutSeconds: 5, logLevel: 'info' }),
    );
  });

  test("the shim's own keys never reach the multus config", () => {
    const raw = {
      type: 'multus-shim',
      daemonSocketDir: '/run/m',
      daemonFallback: 'fail',
      daemonTimeoutSeconds: 3,
      thinPath: '/opt/multus',
      daemonConfig: '/etc/d.json',
    };
    expect(Object.keys(requestConfig(defaults, raw)).sort()).toEqual([...Object.keys(defaults), 'type'].sort());
  });

  test("a request's delegates replace the daemon's clusterNetwork; its clusterNetwork, the daemon's delegates", () => {
    const cluster = { ...defaults, clusterNetwork: 'default-net' };
    const ownDelegates = requestConfig(cluster, { type: 'multus-shim', delegates: [{ type: 'ptp' }] });
    expect(ownDelegates['delegates']).toEqual([{ type: 'ptp' }]);
    expect('clusterNetwork' in ownDelegates).toBe(false);
    const ownCluster = requestConfig(cluster, { type: 'multus-shim', clusterNetwork: 'other' });
    expect(ownCluster['clusterNetwork']).toBe('other');
    expect('delegates' in ownCluster).toBe(false);
  });

  test("a request's log_level replaces the daemon's logLevel (the two spellings would disagree)", () => {
    const merged = requestConfig(defaults, { type: 'multus-shim', log_level: 'warn' });
    expect(merged['log_level']).toBe('warn');
    expect('logLevel' in merged).toBe(false);
    const back = requestConfig({ log_level: 'debug' }, { type: 'multus-shim', logLevel: 'error' });
    expect(back).toEqual({ type: 'multus', logLevel: 'error' });
  });

  test('a request giving both spellings keeps both (the multus config says whether they agree)', () => {
    const merged = requestConfig(defaults, { type: 'multus-shim', log_level: 'warn', logLevel: 'warning' });
    expect(merged).toEqual(expect.objectContaining({ log_level: 'warn', logLevel: 'warning' }));
  });

  test('a multus config (not the shim type) is the request as it is: no defaults', () => {
    const raw = { type: 'multus', name: 'n', delegates: [{ type: 'ptp' }] };
    const result = requestConfig(defaults, raw);
    expect(result).toEqual(raw);
    expect(result).not.toBe(raw);
  });

  test('neither the defaults nor the request are changed', () => {
    const d = structuredClone({ ...defaults, clusterNetwork: 'x' });
    const raw = { type: 'multus-shim', delegates: [{ type: 'ptp' }] };
    requestConfig(d, raw);
    expect(d).toEqual({ ...defaults, clusterNetwork: 'x' });
    expect(raw).toEqual({ type: 'multus-shim', delegates: [{ type: 'ptp' }] });
  });
});
