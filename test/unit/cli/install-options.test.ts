import { UsageError } from '../../../src/cli/cli-io';
import { parseInstallOptions, toHostPath, unknownKeyMessages } from '../../../src/cli/install/install-options';

const ENV = new Map([
  ['KUBERNETES_SERVICE_HOST', '10.96.0.1'],
  ['KUBERNETES_SERVICE_PORT', '6443'],
]);

describe('parseInstallOptions', () => {
  test("defaults: the host's own dirs, auto primary, a service account kubeconfig in multus.d", () => {
    expect(parseInstallOptions([], ENV)).toEqual({
      mode: 'install',
      binDir: '/opt/cni/bin',
      confDir: '/etc/cni/net.d',
      confName: '00-multus.conflist',
      hostPrefix: undefined,
      multusBin: undefined,
      primary: 'auto',
      credentials: {
        kind: 'service-account',
        kubeconfigOut: '/etc/cni/net.d/multus.d/multus.kubeconfig',
        serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
        apiServer: 'https://10.96.0.1:6443',
      },
      extra: {},
      watch: false,
      intervalMs: 10000,
      cleanupOnExit: false,
      dryRun: false,
      strict: false,
    });
  });

  test("the DaemonSet's command line", () => {
    const o = parseInstallOptions(
      [
        '--host-prefix',
        '/host',
        '--cni-bin-dir',
        '/host/opt/cni/bin',
        '--cni-conf-dir=/host/etc/cni/net.d/',
        '--watch',
        '--interval',
        '2.5',
        '--cleanup-on-exit',
      ],
      ENV,
    );
    expect(o).toMatchObject({
      hostPrefix: '/host',
      binDir: '/host/opt/cni/bin',
      confDir: '/host/etc/cni/net.d',
      watch: true,
      intervalMs: 2500,
      cleanupOnExit: true,
    });
    expect(o.credentials).toMatchObject({ kubeconfigOut: '/host/etc/cni/net.d/multus.d/multus.kubeconfig' });
  });

  test('--thick: the default daemon config and socket dir, the shim beside the multus binary', () => {
    expect(parseInstallOptions(['--thick'], ENV).thick).toEqual({
      shimBin: undefined,
      daemonConfig: '/etc/cni/multus/daemon-config.json',
      socketDir: '/run/multus',
    });
    expect(parseInstallOptions([], ENV).thick).toBeUndefined();
  });

  test('--thick with --host-prefix: the daemon config under it, the socket dir as the host sees it', () => {
    const o = parseInstallOptions(
      ['--thick', '--host-prefix=/host', '--shim-bin=/usr/local/bin/multus-shim', '--socket-dir', '/run/m/'],
      ENV,
    );
    expect(o.thick).toEqual({
      shimBin: '/usr/local/bin/multus-shim',
      daemonConfig: '/host/etc/cni/multus/daemon-config.json',
      socketDir: '/run/m',
    });
  });

  test("--host-prefix alone: the host's default dirs seen through it", () => {
    expect(parseInstallOptions(['--host-prefix', '/host'], ENV)).toMatchObject({
      binDir: '/host/opt/cni/bin',
      confDir: '/host/etc/cni/net.d',
    });
  });

  test('--kubeconfig: an existing kubeconfig, no API server needed', () => {
    expect(parseInstallOptions(['--kubeconfig', '/etc/kubernetes/kubelet.conf'], new Map()).credentials).toEqual({
      kind: 'existing',
      kubeconfig: '/etc/kubernetes/kubelet.conf',
    });
  });

  test('--set values are JSON when they parse, else strings', () => {
    expect(
      parseInstallOptions(
        [
          '--set',
          'ifnameIndexFrom=1',
          '--set',
          'namespaceIsolation=true',
          '--set',
          'multusNamespace=nets',
          '--set',
          'x=[1]',
        ],
        ENV,
      ).extra,
    ).toEqual({
      ifnameIndexFrom: 1,
      namespaceIsolation: true,
      multusNamespace: 'nets',
      x: [1],
    });
  });

  test.each([
    [['pos'], 'unexpected argument "pos": install takes options only'],
    [['--nope'], 'unknown option --nope'],
    [['--watch=1'], '--watch takes no value'],
    [['--primary'], '--primary needs a value'],
    [['--conf-name', 'a', '--conf-name', 'b'], '--conf-name given twice'],
    [['--cni-bin-dir', 'opt/cni/bin'], '--cni-bin-dir must be an absolute path, got "opt/cni/bin"'],
    [['--conf-name', '00-multus.conf'], '--conf-name must be a file name ending in .conflist, got "00-multus.conf"'],
    [['--cleanup', '--watch'], '--cleanup runs once and writes nothing: not with --watch or --dry-run'],
    [['--watch', '--dry-run'], '--dry-run writes nothing, so there is nothing to --watch'],
    [
      ['--cleanup-on-exit'],
      '--cleanup-on-exit needs --watch (without it the command exits as soon as it has installed)',
    ],
    [['--interval', '5'], '--interval needs --watch'],
    [['--watch', '--interval', '0'], '--interval must be a number of seconds, more than 0 and at most 3600, got "0"'],
    [
      ['--kubeconfig', '/k', '--api-server', 'https://a'],
      '--kubeconfig uses an existing kubeconfig; --api-server would write one',
    ],
    [['--api-server', '10.0.0.1'], '--api-server must be a URL, got "10.0.0.1"'],
    [['--set', '=1'], '--set "=1": expected KEY=VALUE'],
    [['--set', 'clusterNetwork=x'], '--set clusterNetwork: the installer sets clusterNetwork itself'],
    [
      ['--host-prefix', '/host', '--cni-conf-dir', '/etc/cni/net.d'],
      '/etc/cni/net.d is not under --host-prefix /host, so the multus binary on the host could not find it',
    ],
    [['--shim-bin', '/s', '--socket-dir', '/r'], '--shim-bin, --socket-dir needs --thick'],
    [['--daemon-config', '/etc/d.json'], '--daemon-config needs --thick'],
    [['--thick', '--set', 'socketDir=/run/x'], '--set socketDir: with --thick, give the socket dir with --socket-dir'],
    [
      ['--thick', '--daemon-config', '/etc/cni/net.d/daemon-config.json'],
      '--daemon-config must not be in the CNI config dir: the runtime would read it as a CNI config',
    ],
    [
      ['--thick', '--host-prefix', '/host', '--daemon-config', '/etc/cni/multus/d.json'],
      '/etc/cni/multus/d.json is not under --host-prefix /host, so the multus binary on the host could not find it',
    ],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseInstallOptions(args, ENV)).toThrow(new UsageError(message));
  });
});

describe('toHostPath', () => {
  test.each([
    [undefined, '/etc/cni/net.d/x', '/etc/cni/net.d/x'],
    ['/', '/etc/x', '/etc/x'],
    ['/host', '/host/etc/cni/net.d/x', '/etc/cni/net.d/x'],
    ['/host', '/host', '/'],
  ])('prefix %s: %s is %s on the host', (prefix, path, expected) => {
    expect(toHostPath(prefix, path)).toBe(expected);
  });

  test('a path beside the prefix, not under it, is refused', () => {
    expect(() => toHostPath('/host', '/hostile/etc')).toThrow(UsageError);
  });
});

describe('unknownKeyMessages', () => {
  test('one message per --set key multus does not know, naming the nearest known key', () => {
    const o = parseInstallOptions(
      ['--set', 'paralleldelegates=true', '--set', 'ifnameIndexFrom=1', '--set', 'fooBar=1', '--strict'],
      ENV,
    );
    expect(o.strict).toBe(true);
    expect(unknownKeyMessages(o)).toEqual([
      '--set paralleldelegates: unknown key, ignored by ADD; did you mean "parallelDelegates"?',
      '--set fooBar: unknown key, ignored by ADD',
    ]);
  });

  test("with --thick the keys go to the daemon config, where the daemon's own keys are known", () => {
    const set = ['--set', 'maxConcurrentRequests=8', '--set', 'metricsPort=9091', '--set', 'paralleldelegates=true'];
    expect(unknownKeyMessages(parseInstallOptions(['--thick', ...set], ENV))).toEqual([
      '--set paralleldelegates: unknown key, ignored by ADD; did you mean "parallelDelegates"?',
    ]);
    expect(unknownKeyMessages(parseInstallOptions(set, ENV))).toHaveLength(3);
  });

  test('--log-level, --log-file and known --set keys: nothing to say', () => {
    const o = parseInstallOptions(
      ['--log-level', 'debug', '--log-file', '/var/log/multus.log', '--set', 'delegateTimeoutSeconds=30'],
      ENV,
    );
    expect(unknownKeyMessages(o)).toEqual([]);
  });
});
