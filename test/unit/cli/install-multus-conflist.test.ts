import { InstallError } from '../../../src/cli/install/install-error';
import { buildMultusConflist, validateMultusConflist } from '../../../src/cli/install/multus-conflist';
import type { PrimaryConfig } from '../../../src/cli/install/primary-config';

const primary = (cniVersion: string | undefined, capabilities: string[] = []): PrimaryConfig => ({
  path: '/host/etc/cni/net.d/10-p.conf',
  conf: {},
  cniVersion,
  capabilities,
});

describe('buildMultusConflist', () => {
  test('one multus plugin: the primary as clusterNetwork, its capabilities plus the pod annotations', () => {
    expect(
      buildMultusConflist({
        primary: primary('1.0.0', ['portMappings']),
        primaryHostPath: '/etc/cni/net.d/10-p.conf',
        kubeconfigHostPath: '/etc/cni/net.d/multus.d/multus.kubeconfig',
        extra: { logLevel: 'debug' },
      }),
    ).toEqual({
      cniVersion: '1.0.0',
      name: 'multus-cni-network',
      plugins: [
        {
          type: 'multus',
          capabilities: { portMappings: true, 'io.kubernetes.cri.pod-annotations': true },
          kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
          clusterNetwork: '/etc/cni/net.d/10-p.conf',
          logLevel: 'debug',
        },
      ],
    });
  });

  test('a primary without cniVersion is 0.1.0, as libcni reads it', () => {
    const list = buildMultusConflist({
      primary: primary(undefined),
      primaryHostPath: '/p',
      kubeconfigHostPath: '/k',
      extra: {},
    });
    expect(list['cniVersion']).toBe('0.1.0');
    expect(() => validateMultusConflist(list, '/p')).not.toThrow();
  });
});

describe('validateMultusConflist', () => {
  const build = (extra: Record<string, unknown>, cniVersion = '0.4.0'): Record<string, unknown> =>
    buildMultusConflist({
      primary: primary(cniVersion),
      primaryHostPath: '/etc/cni/net.d/10-p.conf',
      kubeconfigHostPath: '/k',
      extra,
    });

  test('accepts what the plugin accepts', () => {
    expect(() => validateMultusConflist(build({ ifnameIndexFrom: 1, defaultNetworks: ['mon'] }), '/x')).not.toThrow();
  });

  test.each([
    [{ logLevel: 'loud' }, '0.4.0', 'logLevel: must be one of'],
    [{ socketDir: '/run/multus' }, '0.4.0', 'unsupported multus config: socketDir'],
    [{}, '2.0.0', 'cniVersion: must be one of'],
  ])('%j at %s: an InstallError naming the primary', (extra, version, message) => {
    let error: unknown;
    try {
      validateMultusConflist(build(extra, version), '/host/p.conf');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InstallError);
    expect((error as Error).message).toContain(
      'the generated multus config (primary CNI config /host/p.conf) would not load: ',
    );
    expect((error as Error).message).toContain(message);
  });
});
