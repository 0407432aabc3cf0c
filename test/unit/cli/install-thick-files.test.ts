import { InstallError } from '../../../src/cli/install/install-error';
import { buildMultusConflist } from '../../../src/cli/install/multus-conflist';
import type { PrimaryConfig } from '../../../src/cli/install/primary-config';
import { buildDaemonConfig, buildShimConflist, validateThickFiles } from '../../../src/cli/install/thick-files';
import { parseDaemonConfig, requestConfig } from '../../../src/core/config/thick-config';

const primary: PrimaryConfig = {
  path: '/host/etc/cni/net.d/10-p.conflist',
  conf: {},
  cniVersion: '0.4.0',
  capabilities: ['portMappings'],
};

const input = (extra: Record<string, unknown> = {}): Parameters<typeof buildDaemonConfig>[0] => ({
  primary,
  primaryHostPath: '/etc/cni/net.d/10-p.conflist',
  kubeconfigHostPath: '/etc/cni/net.d/multus.d/multus.kubeconfig',
  extra,
  socketDir: '/run/multus',
  confDirHostPath: '/etc/cni/net.d',
});

const shim = (daemonConfigHostPath = '/etc/cni/multus/daemon-config.json'): Record<string, unknown> =>
  buildShimConflist({ primary, socketDir: '/run/multus', daemonConfigHostPath });

/** The plugin config as libcni hands it over: the list's name and cniVersion added. */
function asHandedOver(conflist: Record<string, unknown>): Record<string, unknown> {
  const [plugin] = conflist['plugins'] as Array<Record<string, unknown>>;
  return { ...plugin, name: conflist['name'], cniVersion: conflist['cniVersion'] };
}

describe('buildShimConflist', () => {
  test("one plugin, the shim: where the daemon is; the primary's version and capabilities", () => {
    expect(shim()).toEqual({
      cniVersion: '0.4.0',
      name: 'multus-cni-network',
      plugins: [
        {
          type: 'multus-shim',
          capabilities: { portMappings: true, 'io.kubernetes.cri.pod-annotations': true },
          daemonSocketDir: '/run/multus',
        },
      ],
    });
  });

  test('names the daemon config only when it is not at the default path the fallback reads anyway', () => {
    const [plugin] = shim('/etc/multus/daemon.json')['plugins'] as Array<Record<string, unknown>>;
    expect(plugin).toMatchObject({ daemonConfig: '/etc/multus/daemon.json' });
  });
});

describe('buildDaemonConfig', () => {
  test("the daemon's socket and conf dir, then the multus keys the thin install puts in its conflist", () => {
    expect(buildDaemonConfig(input({ logLevel: 'info', maxConcurrentRequests: 8 }))).toEqual({
      socketDir: '/run/multus',
      cniConfigDir: '/etc/cni/net.d',
      kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
      clusterNetwork: '/etc/cni/net.d/10-p.conflist',
      logLevel: 'info',
      maxConcurrentRequests: 8,
    });
  });

  test('a call through the shim runs with the very multus config a thin install would have written', () => {
    const extra = { logLevel: 'info', ifnameIndexFrom: 1, defaultNetworks: ['mon'] };
    const defaults = parseDaemonConfig(buildDaemonConfig(input(extra)), '/d.json').defaults;
    const thin = asHandedOver(buildMultusConflist(input(extra)));
    expect(requestConfig(defaults, asHandedOver(shim()))).toEqual(thin);
  });
});

describe('validateThickFiles', () => {
  test('accepts what the daemon and the plugin accept', () => {
    expect(() =>
      validateThickFiles(shim(), buildDaemonConfig(input({ metricsPort: 9091 })), primary.path, '/d.json'),
    ).not.toThrow();
  });

  test.each([
    [{ maxConcurrentRequests: 0 }, 'the generated daemon config would not load: ', 'maxConcurrentRequests'],
    [{ chrootDir: '/hostroot' }, 'the generated daemon config would not load: ', 'chrootDir'],
    [{ ifnameIndexFrom: 7 }, 'the generated multus config (primary CNI config ', 'ifnameIndexFrom: must be 0 or 1'],
  ])('%j: an InstallError saying which file would not load, and why', (extra, which, why) => {
    let error: unknown;
    try {
      validateThickFiles(shim(), buildDaemonConfig(input(extra)), primary.path, '/d.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InstallError);
    expect((error as Error).message).toContain(which);
    expect((error as Error).message).toContain(why);
  });
});
