import 'reflect-metadata';
import { parseMultusConfig } from '../../../../src/core/config/multus-config';
import type { CniError } from '../../../../src/core/errors';

const seed = {
  type: 'multus',
  log_level: 'debug',
  kubeconfig: '/etc/kubernetes/admin.conf',
  delegates: [
    { name: 'flannel', type: 'flannel', masterplugin: true },
    { type: 'ptp', ipam: { type: 'host-local', subnet: '10.0.0.0/24' } },
    {
      type: 'bridge',
      ipam: { type: 'host-local', subnet: '11.0.0.0/24', rangeStart: '11.0.0.10', rangeEnd: '11.0.0.20' },
    },
  ],
};

function problem(conf: unknown): CniError {
  try {
    parseMultusConfig(conf);
  } catch (err) {
    return err as CniError;
  }
  throw new Error('expected the config to be refused');
}

/** A multus config with `keys` and one delegate of type a. */
const oneDelegate = (keys: Record<string, unknown>): Record<string, unknown> => ({
  type: 'multus',
  ...keys,
  delegates: [{ type: 'a' }],
});

/** A multus config with `keys` and kubeconfig /k (no delegates: they come from the cluster). */
const withKubeconfig = (keys: Record<string, unknown>): Record<string, unknown> => ({
  type: 'multus',
  kubeconfig: '/k',
  ...keys,
});

describe('parseMultusConfig', () => {
  test("the seed's three-delegate config", () => {
    const c = parseMultusConfig(seed);
    expect(c.name).toBe('multus-cni-network');
    expect(c.cniVersion).toBe('0.1.0');
    expect(c.log).toEqual({ level: 'debug', file: undefined, toStderr: true });
    expect(c.kubeconfig).toBe('/etc/kubernetes/admin.conf');
    expect(c.cacheDir).toBe('/var/lib/cni/multus');
    expect(c.delegates.map((d) => [d.path, d.master])).toEqual([
      ['delegates[0]', true],
      ['delegates[1]', false],
      ['delegates[2]', false],
    ]);
    expect(c.delegates[0]?.conf).toEqual({ name: 'flannel', type: 'flannel' });
  });

  test('settings that have defaults', () => {
    const c = parseMultusConfig({
      name: 'n',
      type: 'multus',
      cniVersion: '1.0.0',
      logLevel: 'verbose',
      logFile: '/var/log/multus.log',
      cniDir: '/run/multus',
      binDir: '/opt/vendor/bin',
      ifnameIndexFrom: 1,
      delegates: [{ type: 'bridge' }],
    });
    expect(c).toMatchObject({
      name: 'n',
      cniVersion: '1.0.0',
      cacheDir: '/run/multus',
      binDir: '/opt/vendor/bin',
      ifnameIndexFrom: 1,
    });
    expect(c.log).toEqual({ level: 'info', file: '/var/log/multus.log', toStderr: false });
  });

  test.each([
    ['no delegates', { type: 'multus' }, 7, 'delegates: must be a non-empty list'],
    ['empty delegates', { type: 'multus', delegates: [] }, 7, 'delegates: must list at least one delegate'],
    [
      'delegate not an object',
      { type: 'multus', delegates: [{ type: 'a' }, 'x'] },
      7,
      'delegates[1]: must be a JSON object',
    ],
    [
      'delegate without type',
      { type: 'multus', delegates: [{ type: 'a' }, { name: 'b' }] },
      7,
      'delegates[1].type: must be a non-empty string',
    ],
    [
      'masterplugin not boolean',
      { type: 'multus', delegates: [{ type: 'a', masterplugin: 'yes' }] },
      7,
      'delegates[0].masterplugin: must be true or false',
    ],
    [
      'two masters',
      {
        type: 'multus',
        delegates: [
          { type: 'a', masterplugin: true },
          { type: 'b', masterplugin: true },
        ],
      },
      7,
      'delegates[0], delegates[1] each set "masterplugin": true',
    ],
    ['bad cniVersion', oneDelegate({ cniVersion: '0.5.0' }), 7, 'cniVersion: must be one of 0.1.0'],
    [
      'bad delegate cniVersion',
      { type: 'multus', delegates: [{ type: 'a', cniVersion: 2 }] },
      7,
      'delegates[0].cniVersion: must be one of',
    ],
    [
      'relative kubeconfig',
      oneDelegate({ kubeconfig: 'kube.conf' }),
      7,
      'kubeconfig: must be an absolute path, got "kube.conf"',
    ],
    ['relative cniDir', oneDelegate({ cniDir: 'x' }), 7, 'cniDir: must be an absolute path'],
    ['relative binDir', oneDelegate({ binDir: 'bin' }), 7, 'binDir: must be an absolute path'],
    ['unknown log level', oneDelegate({ log_level: 'loud' }), 7, 'log_level: must be one of'],
    [
      'levels disagree',
      oneDelegate({ log_level: 'debug', logLevel: 'error' }),
      7,
      'log_level "debug" and logLevel "error" disagree',
    ],
    ['logToStderr not boolean', oneDelegate({ logToStderr: 'no' }), 7, 'logToStderr: must be true or false'],
    ['ifnameIndexFrom 2', oneDelegate({ ifnameIndexFrom: 2 }), 7, 'ifnameIndexFrom: must be 0 or 1'],
    ['no type', { delegates: [{ type: 'a' }] }, 7, 'type: must be a non-empty string'],
    ['name empty', { name: '', type: 'multus', delegates: [{ type: 'a' }] }, 7, 'name: must be a non-empty string'],
    [
      'a thick-plugin key',
      oneDelegate({ socketDir: '/x' }),
      2,
      "socketDir: is a key of the thick plugin's daemon config",
    ],
    [
      'clusterNetwork and delegates',
      oneDelegate({ kubeconfig: '/k', clusterNetwork: 'a' }),
      7,
      'clusterNetwork and delegates both',
    ],
    [
      'defaultNetworks without kubeconfig',
      oneDelegate({ defaultNetworks: ['a'] }),
      7,
      'defaultNetworks need kubeconfig',
    ],
    ['no delegates without kubeconfig', { type: 'multus', name: 'x' }, 7, 'or set kubeconfig'],
    [
      'defaultNetworks not names',
      withKubeconfig({ defaultNetworks: [1] }),
      7,
      'defaultNetworks: must be a list of names',
    ],
    [
      'namespaceIsolation not boolean',
      withKubeconfig({ namespaceIsolation: 'yes' }),
      7,
      'namespaceIsolation: must be true or false',
    ],
    ['relative confDir', withKubeconfig({ confDir: 'd' }), 7, 'confDir: must be an absolute path'],
    [
      'relative podResourcesSocket',
      withKubeconfig({ podResourcesSocket: 'kubelet.sock' }),
      7,
      'podResourcesSocket: must be an absolute path',
    ],
    [
      'strictNetworkStatus not a boolean',
      withKubeconfig({ strictNetworkStatus: 'yes' }),
      7,
      'strictNetworkStatus: must be true or false',
    ],
  ])('%s', (_name, conf, code, fragment) => {
    const err = problem(conf);
    expect(err.code).toBe(code);
    expect(err.msg).toContain(fragment);
  });

  test('reports every problem at once', () => {
    const err = problem({ type: 'multus', cniDir: 'x', binDir: 'y', delegates: [{ type: '' }] });
    expect(err.msg).toContain('cniDir:');
    expect(err.msg).toContain('binDir:');
    expect(err.msg).toContain('delegates[0].type:');
    expect(err.details).toBe('3 problems');
  });

  test("the seed's kubeconfig-only config, with Go Multus's Kubernetes defaults", () => {
    const c = parseMultusConfig({
      name: 'minion-cni-network',
      type: 'multus',
      kubeconfig: '/etc/kubernetes/node-kubeconfig.yaml',
    });
    expect(c.delegates).toEqual([]);
    expect(c.kubernetes).toEqual({
      clusterNetwork: undefined,
      defaultNetworks: [],
      multusNamespace: 'kube-system',
      systemNamespaces: ['kube-system'],
      namespaceIsolation: false,
      globalNamespaces: [],
      confDir: '/etc/cni/multus/net.d',
      podResourcesSocket: '/var/lib/kubelet/pod-resources/kubelet.sock',
      strictNetworkStatus: false,
    });
  });

  test('Kubernetes keys in both list forms', () => {
    const c = parseMultusConfig({
      type: 'multus',
      kubeconfig: '/k',
      clusterNetwork: 'flannel',
      defaultNetworks: ['a', 'b'],
      multusNamespace: 'multus',
      systemNamespaces: 'kube-system, infra',
      namespaceIsolation: true,
      globalNamespaces: 'shared,other',
      confDir: '/etc/cni/other',
      podResourcesSocket: '/run/kubelet/pod-resources/kubelet.sock',
      strictNetworkStatus: true,
    });
    expect(c.kubernetes).toEqual({
      clusterNetwork: 'flannel',
      defaultNetworks: ['a', 'b'],
      multusNamespace: 'multus',
      systemNamespaces: ['kube-system', 'infra'],
      namespaceIsolation: true,
      globalNamespaces: ['shared', 'other'],
      confDir: '/etc/cni/other',
      podResourcesSocket: '/run/kubelet/pod-resources/kubelet.sock',
      strictNetworkStatus: true,
    });
  });

  test('keys the plugin owns pass through untouched', () => {
    const c = parseMultusConfig({
      type: 'multus',
      delegates: [{ type: 'bridge', vendorKey: { a: [1, 2] }, masterplugin: false }],
    });
    expect(c.delegates[0]?.conf).toEqual({ type: 'bridge', vendorKey: { a: [1, 2] } });
  });
});
