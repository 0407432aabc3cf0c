import * as k8s from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseInstallOptions, toHostPath, type InstallOptions } from '../../../src/cli/install/install-options';
import { DEFAULT_CACHE_DIR } from '../../../src/core/config/multus-config';
import { DEFAULT_POD_RESOURCES_SOCKET } from '../../../src/core/config/kubernetes-settings';
import { SOCKET_NAME } from '../../../src/core/config/shim-keys';
import { parseDaemonConfig } from '../../../src/core/config/thick-config';

/**
 * Every manifest under deploy/ checked against the Kubernetes API's own schemas, not by eye:
 *  - kubernetes-models validates each object with the OpenAPI schema of its kind (types, enums,
 *    required fields, formats);
 *  - the API's field lists (the attribute maps @kubernetes/client-node generates from the same
 *    OpenAPI document) catch a field the API does not have, such as `hostNetWork`: the schema
 *    allows unknown keys, the API server drops them (kubectl --validate=strict refuses them);
 *  - then what only this project knows: the DaemonSets' command lines parse with the install
 *    command's own parser, their dirs are the host paths they mount, the thick daemon sees every
 *    host path it is told about at that same path, the RBAC is the least privilege multus needs,
 *    and the CRDs are the examples' CRDs.
 * deploy/ itself (what `kubectl apply -f deploy/` applies) holds the thick DaemonSet, the
 * default; deploy/thin/ the thin one.
 */
const root = join(__dirname, '..', '..', '..');
const deployDir = join(root, 'deploy');

type Obj = Record<string, unknown>;

interface Doc {
  readonly file: string;
  readonly obj: Obj;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/u.test(e.name) ? [path] : [];
  });
}

function loadDocs(path: string): Doc[] {
  return loadAll(readFileSync(path, 'utf8'))
    .filter((d) => d !== null && d !== undefined)
    .map((obj) => ({ file: relative(root, path), obj: obj as Obj }));
}

/** Each kind deploy/ may hold: its schema validator and its API type name. A kind not listed fails the test. */
const KINDS: Readonly<Record<string, { validate: (o: Obj) => void; apiType: string }>> = {
  'apiextensions.k8s.io/v1 CustomResourceDefinition': {
    validate: (o) => new CustomResourceDefinition(o as never).validate(),
    apiType: 'V1CustomResourceDefinition',
  },
  'apps/v1 DaemonSet': { validate: (o) => new DaemonSet(o).validate(), apiType: 'V1DaemonSet' },
  'rbac.authorization.k8s.io/v1 ClusterRole': {
    validate: (o) => new ClusterRole(o).validate(),
    apiType: 'V1ClusterRole',
  },
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': {
    validate: (o) => new ClusterRoleBinding(o as never).validate(),
    apiType: 'V1ClusterRoleBinding',
  },
  'v1 ServiceAccount': { validate: (o) => new ServiceAccount(o).validate(), apiType: 'V1ServiceAccount' },
};

interface AttributeInfo {
  readonly baseName: string;
  readonly type: string;
}

function attributes(type: string): readonly AttributeInfo[] | undefined {
  const model = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => AttributeInfo[] } | undefined>)[type];
  return typeof model?.getAttributeTypeMap === 'function' ? model.getAttributeTypeMap() : undefined;
}

/** The JSON paths of fields that the API type `type` does not have, at any depth. */
function unknownFields(value: unknown, type: string, path: string): string[] {
  if (value === null || typeof value !== 'object') return [];
  const array = /^Array<(.+)>$/u.exec(type);
  if (array !== null)
    return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, array[1] as string, `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/u.exec(type);
  if (map !== null)
    return Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1] as string, `${path}.${k}`));
  const attrs = attributes(type);
  if (attrs === undefined || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const attr = attrs.find((a) => a.baseName === k);
    return attr === undefined ? [`${path}.${k}`] : unknownFields(v, attr.type, `${path}.${k}`);
  });
}

/** Every problem of one manifest: no known kind, a schema violation, or fields the API lacks. */
function problems(obj: Obj): string[] {
  const kind = KINDS[`${String(obj['apiVersion'])} ${String(obj['kind'])}`];
  if (kind === undefined) return [`no schema for ${String(obj['apiVersion'])} ${String(obj['kind'])}: add it to KINDS`];
  const found: string[] = [];
  try {
    kind.validate(obj);
  } catch (err) {
    found.push((err as Error).message);
  }
  const unknown = unknownFields(obj, kind.apiType, '');
  if (unknown.length > 0) found.push(`fields the API does not have: ${unknown.join(', ')}`);
  return found;
}

const docs = yamlFiles(deployDir).sort().flatMap(loadDocs);
const byKind = (kind: string): Obj[] => docs.filter((d) => d.obj['kind'] === kind).map((d) => d.obj);
const one = (kind: string): Obj => {
  const all = byKind(kind);
  expect(all).toHaveLength(1);
  return all[0] as Obj;
};
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const named = (kind: string, name: string): Obj => {
  const found = byKind(kind).filter((o) => (o['metadata'] as Obj)['name'] === name);
  expect(found).toHaveLength(1);
  return found[0] as Obj;
};
/** The DaemonSet of one file. */
const daemonSetIn = (file: string): Obj => {
  const found = docs.filter((d) => d.file === file && d.obj['kind'] === 'DaemonSet');
  expect(found).toHaveLength(1);
  return (found[0] as Doc).obj;
};
const THICK = 'deploy/04-daemonset.yaml';
const THIN = 'deploy/thin/04-daemonset.yaml';
const podSpecOf = (o: Obj): Obj => ((o['spec'] as Obj)['template'] as Obj)['spec'] as Obj;
const containerOf = (o: Obj, name: string, list = 'containers'): Obj => {
  const found = (podSpecOf(o)[list] as Obj[] | undefined)?.find((c) => c['name'] === name);
  expect(found).toBeDefined();
  return found as Obj;
};
const ENV = new Map([['KUBERNETES_SERVICE_HOST', '10.96.0.1']]);

/** A container's `multus install` options, checked by the command's own parser. */
function installOptionsOf(container: Obj): InstallOptions {
  expect(container['image']).toBe('ghcr.io/example/multus-ts:0.1.0');
  expect(container['command']).toEqual(['/usr/local/bin/multus']);
  const [sub, ...args] = container['args'] as string[];
  expect(sub).toBe('install');
  return parseInstallOptions(args, ENV);
}

/** Each dir the installer writes is mounted from the host path it stands for. */
function expectHostDirs(ds: Obj, container: Obj, options: InstallOptions, dirs: readonly string[]): void {
  const volumes = new Map((podSpecOf(ds)['volumes'] as Obj[]).map((v) => [v['name'], v]));
  const mounts = container['volumeMounts'] as Obj[];
  for (const dir of dirs) {
    const mount = mounts.find((m) => m['mountPath'] === dir);
    expect(mount).toBeDefined();
    expect(volumes.get(mount?.['name'])?.['hostPath']).toEqual({
      path: toHostPath(options.hostPrefix, dir),
      type: 'DirectoryOrCreate',
    });
  }
}

/** The host path that a container sees at `path`, through its deepest mount above it; undefined: none. */
function hostPathSeenAt(ds: Obj, container: Obj, path: string): string | undefined {
  const volumes = new Map((podSpecOf(ds)['volumes'] as Obj[]).map((v) => [v['name'], v]));
  const mount = (container['volumeMounts'] as Array<{ name: string; mountPath: string }>)
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (mount === undefined) return undefined;
  const host = (volumes.get(mount.name)?.['hostPath'] as { path: string } | undefined)?.path;
  return host === undefined ? undefined : `${host}${path.slice(mount.mountPath.length)}`;
}

describe('deploy/ manifests', () => {
  test('hold the expected objects, one file per apply step', () => {
    expect(
      docs.map((d) => `${d.file}: ${String(d.obj['kind'])}/${String((d.obj['metadata'] as Obj)['name'])}`),
    ).toEqual([
      'deploy/01-crd-networks.yaml: CustomResourceDefinition/networks.kubernetes.com',
      'deploy/02-crd-network-attachment-definitions.yaml: ' +
        'CustomResourceDefinition/network-attachment-definitions.k8s.cni.cncf.io',
      'deploy/03-rbac.yaml: ServiceAccount/multus',
      'deploy/03-rbac.yaml: ClusterRole/multus',
      'deploy/03-rbac.yaml: ClusterRoleBinding/multus',
      'deploy/04-daemonset.yaml: ClusterRole/multus-daemon',
      'deploy/04-daemonset.yaml: ClusterRoleBinding/multus-daemon',
      'deploy/04-daemonset.yaml: DaemonSet/multus',
      'deploy/thin/04-daemonset.yaml: DaemonSet/multus',
    ]);
  });

  test.each(docs.map((d) => [`${d.file} ${String(d.obj['kind'])}`, d.obj]))(
    '%s is valid against the Kubernetes API schemas',
    (_name, obj) => {
      expect(problems(obj)).toEqual([]);
    },
  );

  test("the CRDs are the examples' CRDs", () => {
    const examples = ['examples/crd/networks-crd.yaml', 'examples/nad/network-attachment-definition-crd.yaml'].flatMap(
      (f) => loadDocs(join(root, f)),
    );
    for (const example of examples) {
      const name = (example.obj['metadata'] as Obj)['name'];
      const deployed = byKind('CustomResourceDefinition').find((c) => (c['metadata'] as Obj)['name'] === name);
      expect(deployed?.['spec']).toEqual(example.obj['spec']);
    }
  });

  test('RBAC: exactly the least privilege multus uses, bound to the service account the DaemonSets run as', () => {
    expect(named('ClusterRole', 'multus')['rules']).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
      { apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['get'] },
      { apiGroups: ['kubernetes.com'], resources: ['networks'], verbs: ['get'] },
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        resourceNames: ['networks.kubernetes.com'],
        verbs: ['get'],
      },
      // DRA devices: the pod's claims and the node's slices (thin and thick: both bind this role).
      { apiGroups: ['resource.k8s.io'], resources: ['resourceclaims'], verbs: ['get'] },
      { apiGroups: ['resource.k8s.io'], resources: ['resourceslices'], verbs: ['list'] },
    ]);
    // The thick daemon's informers: list and watch, and nothing else.
    expect(named('ClusterRole', 'multus-daemon')['rules']).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
      { apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['list', 'watch'] },
      { apiGroups: ['kubernetes.com'], resources: ['networks'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    const sa = one('ServiceAccount')['metadata'] as Obj;
    for (const role of ['multus', 'multus-daemon']) {
      const binding = named('ClusterRoleBinding', role);
      expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role });
      expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: sa['name'], namespace: sa['namespace'] }]);
    }
    for (const ds of byKind('DaemonSet')) {
      expect(podSpecOf(ds)['serviceAccountName']).toBe(sa['name']);
      expect((ds['metadata'] as Obj)['namespace']).toBe(sa['namespace']);
    }
  });

  test('the two DaemonSets are one object by name and selector: applying one replaces the other', () => {
    const [thick, thin] = [daemonSetIn(THICK), daemonSetIn(THIN)];
    expect(thin['metadata']).toEqual(thick['metadata']);
    expect((thin['spec'] as Obj)['selector']).toEqual((thick['spec'] as Obj)['selector']);
  });

  test('the thin DaemonSet runs `multus install` with options the command accepts, on host dirs it mounts', () => {
    const ds = daemonSetIn(THIN);
    const pod = podSpecOf(ds);
    expect(pod).toMatchObject({
      hostNetwork: true,
      tolerations: [{ operator: 'Exists' }],
      automountServiceAccountToken: true,
    });
    const [container] = pod['containers'] as Obj[];
    const options = installOptionsOf(container as Obj);
    expect(options).toMatchObject({
      mode: 'install',
      watch: true,
      cleanupOnExit: true,
      multusBin: undefined,
      primary: 'auto',
      thick: undefined,
    });
    expectHostDirs(ds, container as Obj, options, [options.binDir, options.confDir]);
    // The kubeconfig and its credentials go on the host too, inside the conf dir's mount.
    expect(
      options.credentials.kind === 'service-account' &&
        options.credentials.kubeconfigOut.startsWith(`${options.confDir}/`),
    ).toBe(true);
  });

  test('the image holds both binaries, where the DaemonSets run them and the shim defaults to', () => {
    const dockerfile = readFileSync(join(deployDir, 'image', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('COPY dist/multus /usr/local/bin/multus\n');
    expect(dockerfile).toContain('COPY dist/multus-shim /usr/local/bin/multus-shim\n');
  });

  test('the thick DaemonSet installs with --thick before the daemon starts, and keeps it installed', () => {
    const ds = daemonSetIn(THICK);
    const pod = podSpecOf(ds);
    expect(pod).toMatchObject({
      hostNetwork: true,
      hostPID: true,
      tolerations: [{ operator: 'Exists' }],
      automountServiceAccountToken: true,
    });
    const init = containerOf(ds, 'install', 'initContainers');
    const watcher = containerOf(ds, 'install-watch');
    const once = installOptionsOf(init);
    const kept = installOptionsOf(watcher);
    expect(once).toMatchObject({ watch: false, multusBin: undefined, primary: 'auto' });
    expect(once.thick).toMatchObject({ shimBin: undefined, socketDir: '/run/multus' });
    expect(kept).toEqual({ ...once, watch: true, cleanupOnExit: true });
    for (const [container, options] of [
      [init, once],
      [watcher, kept],
    ] as const) {
      const dirs = [options.binDir, options.confDir, dirname(options.thick?.daemonConfig ?? '')];
      expectHostDirs(ds, container, options, dirs);
    }
  });

  test('the thick daemon reads the config the install writes, and sees every host path at that same path', () => {
    const ds = daemonSetIn(THICK);
    const options = installOptionsOf(containerOf(ds, 'install', 'initContainers'));
    const thick = options.thick as NonNullable<InstallOptions['thick']>;
    const daemon = containerOf(ds, 'daemon');
    const configOnHost = toHostPath(options.hostPrefix, thick.daemonConfig);
    expect(daemon['args']).toEqual(['daemon', `--config=${configOnHost}`]);
    expect(daemon['securityContext']).toMatchObject({ privileged: true });
    expect(daemon['env']).toEqual([
      { name: 'MULTUS_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    ]);
    const kubeconfig = options.credentials.kind === 'service-account' ? options.credentials.kubeconfigOut : '';
    const hostPaths = [
      configOnHost,
      toHostPath(options.hostPrefix, kubeconfig),
      toHostPath(options.hostPrefix, options.confDir), // clusterNetwork, the primary config
      toHostPath(options.hostPrefix, options.binDir), // CNI_PATH: the delegates
      `${thick.socketDir}/${SOCKET_NAME}`,
      DEFAULT_CACHE_DIR, // the records and the per-container lock, shared with the thin fallback
      '/var/lib/cni/networks', // host-local's leases
      '/run/netns', // the pods' netns
      DEFAULT_POD_RESOURCES_SOCKET,
    ];
    for (const path of hostPaths) expect([path, hostPathSeenAt(ds, daemon, path)]).toEqual([path, path]);
    const netns = (daemon['volumeMounts'] as Obj[]).find((m) => m['mountPath'] === '/run');
    expect(netns?.['mountPropagation']).toBe('HostToContainer');
    // The grace period covers the daemon's drain of in-flight calls.
    const drain = parseDaemonConfig({}, 'defaults').shutdownTimeoutMs / 1000;
    expect(podSpecOf(ds)['terminationGracePeriodSeconds']).toBeGreaterThan(drain);
  });
});

describe('the checker', () => {
  const ds = (): Obj => clone(daemonSetIn(THICK));

  test('fails a container port that is not a number', () => {
    const broken = ds();
    ((podSpecOf(broken)['containers'] as Obj[])[0] as Obj)['ports'] = [{ containerPort: 'http' }];
    expect(problems(broken).join('\n')).toContain('containers/0/ports/0/containerPort must be integer');
  });

  test('fails a DaemonSet without a pod template', () => {
    const broken = ds();
    delete (broken['spec'] as Obj)['template'];
    expect(problems(broken).join('\n')).toContain('data/spec must have required property template');
  });

  test('fails a misspelt field, which the schema alone lets through', () => {
    const broken = ds();
    const spec = podSpecOf(broken);
    spec['hostNetWork'] = spec['hostNetwork'];
    delete spec['hostNetwork'];
    expect(problems(broken)).toEqual(['fields the API does not have: .spec.template.spec.hostNetWork']);
  });

  test("finds misspelt fields at any depth: in a CRD's schema, in an RBAC rule", () => {
    const crd = clone(byKind('CustomResourceDefinition')[0] as Obj);
    const schema = ((((crd['spec'] as Obj)['versions'] as Obj[])[0] as Obj)['schema'] as Obj)['openAPIV3Schema'] as Obj;
    ((schema['properties'] as Obj)['plugin'] as Obj)['descripton'] = 'x';
    expect(problems(crd)).toEqual([
      'fields the API does not have: .spec.versions[0].schema.openAPIV3Schema.properties.plugin.descripton',
    ]);
    const role = clone(named('ClusterRole', 'multus'));
    ((role['rules'] as Obj[])[3] as Obj)['resourceName'] = ['x'];
    expect(problems(role)).toEqual(['fields the API does not have: .rules[3].resourceName']);
  });

  test('fails RBAC verbs given as a string, and a CRD version served "yes"', () => {
    const role = clone(named('ClusterRole', 'multus'));
    ((role['rules'] as Obj[])[0] as Obj)['verbs'] = 'get';
    expect(problems(role).join('\n')).toContain('rules/0/verbs must be array');
    const crd = clone(byKind('CustomResourceDefinition')[0] as Obj);
    (((crd['spec'] as Obj)['versions'] as Obj[])[0] as Obj)['served'] = 'yes';
    expect(problems(crd).join('\n')).toContain('versions/0/served must be boolean');
  });

  test('fails a kind it has no schema for', () => {
    expect(problems({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toEqual([
      'no schema for v1 ConfigMap: add it to KINDS',
    ]);
  });
});
