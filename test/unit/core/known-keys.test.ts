import 'reflect-metadata';
import {
  CNI_KEYS,
  describeUnknownKey,
  isKnownKey,
  MULTUS_KEYS,
  nearestKey,
  REJECTED_KEYS,
  unknownKeys,
} from '../../../src/core/config/known-keys';
import { parseMultusConfig, parseMultusConfigForDelete } from '../../../src/core/config/multus-config';

/** Not config keys: what JavaScript itself asks of any object (a thenable check, the prototype's methods). */
const LANGUAGE_KEYS: ReadonlySet<string> = new Set(['then', ...Object.getOwnPropertyNames(Object.prototype)]);

/** Every key `parse` reads (`conf[key]` or `key in conf`) of `conf`, present or not. */
function keysRead(conf: Record<string, unknown>, parse: (raw: unknown) => unknown = parseMultusConfig): Set<string> {
  const read = new Set<string>();
  const note = (key: string | symbol): void => {
    if (typeof key === 'string' && !LANGUAGE_KEYS.has(key)) read.add(key);
  };
  const proxy = new Proxy(conf, {
    get(target, key, receiver) {
      note(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    has(target, key) {
      note(key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      note(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
  try {
    parse(proxy);
  } catch {
    // A refused config still shows which keys the parser looked at.
  }
  return read;
}

const delegates = [{ type: 'bridge', masterplugin: true }];

/** Configs that set nothing optional: what the parser reads of them, it reads by name. */
const MINIMAL: readonly Record<string, unknown>[] = [
  { type: 'multus', delegates },
  { type: 'multus', kubeconfig: '/etc/kubernetes/multus.kubeconfig' },
];

/** Every key the parser accepts, with a valid value; `clusterNetwork` and `delegates` exclude each other. */
function fullConfig(): Record<string, unknown> {
  return {
    type: 'multus',
    name: 'full',
    cniVersion: '1.0.0',
    kubeconfig: '/etc/kubernetes/multus.kubeconfig',
    delegates,
    log_level: 'debug',
    logLevel: 'debug',
    logFile: '/var/log/multus.log',
    logToStderr: false,
    cniDir: '/var/lib/cni/multus',
    binDir: '/opt/cni/bin',
    ifnameIndexFrom: 1,
    delegateTimeoutSeconds: 30,
    readinessindicatorfile: '/run/ready',
    readinessTimeoutSeconds: 10,
    parallelDelegates: true,
    masterDefaultRoute: true,
    adapterDirs: ['/opt/multus/adapters'],
    defaultNetworks: ['mon'],
    multusNamespace: 'kube-system',
    systemNamespaces: ['kube-system'],
    namespaceIsolation: true,
    globalNamespaces: ['shared'],
    confDir: '/etc/cni/multus/net.d',
    podResourcesSocket: '/var/lib/kubelet/pod-resources/kubelet.sock',
    capabilities: { portMappings: true },
    runtimeConfig: { portMappings: [] },
    args: { cni: {} },
    'cni.dev/valid-attachments': [],
  };
}

function withClusterNetwork(): Record<string, unknown> {
  const { delegates: _delegates, ...rest } = fullConfig();
  return { ...rest, clusterNetwork: '/etc/cni/net.d/10-flannel.conflist' };
}

describe('known keys: the list follows the parser', () => {
  const parsers = [parseMultusConfig, parseMultusConfigForDelete];
  const configs = [...MINIMAL, fullConfig(), withClusterNetwork(), { type: 'multus', delegates, socketDir: '/run' }];

  test('every key the parser reads is known', () => {
    const unknown = configs.flatMap((c) => parsers.flatMap((p) => [...keysRead(c, p)].filter((k) => !isKnownKey(k))));
    expect(unknown).toEqual([]);
  });

  test('every multus key is read by name, or is a CNI key the runtime sets', () => {
    const read = new Set(MINIMAL.flatMap((c) => [...keysRead(c)]));
    expect(MULTUS_KEYS.filter((k) => !read.has(k) && !CNI_KEYS.includes(k))).toEqual([]);
    expect(REJECTED_KEYS.filter((k) => !read.has(k))).toEqual([]);
  });

  test('a config of every multus and CNI key parses, and none of its keys is unknown', () => {
    expect(() => parseMultusConfig(fullConfig())).not.toThrow();
    expect(() => parseMultusConfig(withClusterNetwork())).not.toThrow();
    expect(unknownKeys(fullConfig())).toEqual([]);
    expect(unknownKeys(withClusterNetwork())).toEqual([]);
  });
});

describe('unknownKeys', () => {
  test.each([
    ['paralleldelegates', 'parallelDelegates'],
    ['delegateTimeoutSecond', 'delegateTimeoutSeconds'],
    ['readinessIndicatorFile', 'readinessindicatorfile'],
    ['LOGLEVEL', 'logLevel'],
    ['kubeConfig', 'kubeconfig'],
    ['delagates', 'delegates'],
    ['clusterNetworks', 'clusterNetwork'],
    ['namespaceIsolaton', 'namespaceIsolation'],
    ['cniversion', 'cniVersion'],
    ['typ', 'type'],
  ])('%s: did you mean %s', (key, nearest) => {
    expect(unknownKeys({ type: 'multus', [key]: true })).toEqual([{ path: key, key, nearest }]);
  });

  test.each(['fooBar', 'x', 'bandwidth', 'ipam', 'dns'])('%s: nothing close, no suggestion', (key) => {
    expect(unknownKeys({ [key]: 1 })).toEqual([{ path: key, key, nearest: undefined }]);
  });

  test('a case-only difference wins over a nearer spelling', () => {
    expect(nearestKey('LogLevel')).toBe('logLevel');
    expect(nearestKey('log-level')).toBe('log_level');
  });

  test('rejected keys are known (the parser explains them) and never suggested', () => {
    expect(unknownKeys({ socketDir: '/run', daemonSocketDir: '/run', chrootDir: '/host' })).toEqual([]);
    expect(nearestKey('socketdirs')).toBeUndefined();
  });

  test('nothing inside delegates, runtimeConfig, args or capabilities is looked at', () => {
    const conf = {
      type: 'multus',
      delegates: [{ type: 'bridge', whatever: 1 }],
      runtimeConfig: { fooBar: 1 },
      args: { cni: { x: 1 } },
      capabilities: { anything: true },
    };
    expect(unknownKeys(conf)).toEqual([]);
  });

  test('a key that is no identifier gets a bracketed path; not an object: nothing to report', () => {
    expect(unknownKeys({ 'a.b': 1 })).toEqual([{ path: '["a.b"]', key: 'a.b', nearest: undefined }]);
    expect(unknownKeys([1])).toEqual([]);
    expect(unknownKeys(undefined)).toEqual([]);
  });

  test('the message names the nearest key when there is one', () => {
    expect(describeUnknownKey({ path: 'x', key: 'x', nearest: undefined })).toBe('unknown key, ignored by ADD');
    expect(describeUnknownKey({ path: 'p', key: 'p', nearest: 'parallelDelegates' })).toBe(
      'unknown key, ignored by ADD; did you mean "parallelDelegates"?',
    );
  });
});
