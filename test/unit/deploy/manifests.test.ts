import * as k8s from '@kubernetes/client-node';
import { loadAll } from 'js-yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseInstallOptions, toHostPath } from '../../../src/cli/install/install-options';

/**
 * Every manifest under deploy/ checked against the Kubernetes API's own schemas, not by eye:
 *  - kubernetes-models validates each object with the OpenAPI schema of its kind (types, enums,
 *    required fields, formats);
 *  - the API's field lists (the attribute maps @kubernetes/client-node generates from the same
 *    OpenAPI document) catch a field the API does not have, such as `hostNetWork`: the schema
 *    allows unknown keys, the API server drops them (kubectl --validate=strict refuses them);
 *  - then what only this project knows: the DaemonSet's command line parses with the install
 *    command's own parser, its dirs are the host paths it mounts, the RBAC is the least
 *    privilege multus needs, and the CRDs are the examples' CRDs.
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
      'deploy/04-daemonset.yaml: DaemonSet/multus',
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

  test('RBAC: exactly the least privilege multus uses, bound to the service account the DaemonSet runs as', () => {
    expect(one('ClusterRole')['rules']).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
      { apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['get'] },
      { apiGroups: ['kubernetes.com'], resources: ['networks'], verbs: ['get'] },
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        resourceNames: ['networks.kubernetes.com'],
        verbs: ['get'],
      },
    ]);
    const sa = one('ServiceAccount')['metadata'] as Obj;
    const binding = one('ClusterRoleBinding');
    expect(binding['roleRef']).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: (one('ClusterRole')['metadata'] as Obj)['name'],
    });
    expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: sa['name'], namespace: sa['namespace'] }]);
    const pod = ((one('DaemonSet')['spec'] as Obj)['template'] as Obj)['spec'] as Obj;
    expect(pod['serviceAccountName']).toBe(sa['name']);
    expect((one('DaemonSet')['metadata'] as Obj)['namespace']).toBe(sa['namespace']);
  });

  test('the DaemonSet runs `multus install` with options the command accepts, on host dirs it mounts', () => {
    const ds = one('DaemonSet');
    const pod = ((ds['spec'] as Obj)['template'] as Obj)['spec'] as Obj;
    expect(pod).toMatchObject({
      hostNetwork: true,
      tolerations: [{ operator: 'Exists' }],
      automountServiceAccountToken: true,
    });
    const [container] = pod['containers'] as Obj[];
    expect(container?.['image']).toBe('ghcr.io/example/multus-ts:0.1.0');
    expect(container?.['command']).toEqual(['/usr/local/bin/multus']);
    expect(readFileSync(join(deployDir, 'image', 'Dockerfile'), 'utf8')).toContain(
      'COPY dist/multus /usr/local/bin/multus',
    );
    const [sub, ...args] = container?.['args'] as string[];
    expect(sub).toBe('install');
    const options = parseInstallOptions(args, new Map([['KUBERNETES_SERVICE_HOST', '10.96.0.1']]));
    expect(options).toMatchObject({
      mode: 'install',
      watch: true,
      cleanupOnExit: true,
      multusBin: undefined,
      primary: 'auto',
    });

    const volumes = new Map((pod['volumes'] as Obj[]).map((v) => [v['name'], v]));
    const mounts = container?.['volumeMounts'] as Obj[];
    for (const dir of [options.binDir, options.confDir]) {
      const mount = mounts.find((m) => m['mountPath'] === dir);
      expect(mount).toBeDefined();
      expect(volumes.get(mount?.['name'])?.['hostPath']).toEqual({
        path: toHostPath(options.hostPrefix, dir),
        type: 'DirectoryOrCreate',
      });
    }
    // The kubeconfig and its credentials go on the host too, inside the conf dir's mount.
    expect(
      options.credentials.kind === 'service-account' &&
        options.credentials.kubeconfigOut.startsWith(`${options.confDir}/`),
    ).toBe(true);
  });
});

describe('the checker', () => {
  const ds = (): Obj => clone(one('DaemonSet'));
  const podSpec = (o: Obj): Obj => ((o['spec'] as Obj)['template'] as Obj)['spec'] as Obj;

  test('fails a container port that is not a number', () => {
    const broken = ds();
    ((podSpec(broken)['containers'] as Obj[])[0] as Obj)['ports'] = [{ containerPort: 'http' }];
    expect(problems(broken).join('\n')).toContain('containers/0/ports/0/containerPort must be integer');
  });

  test('fails a DaemonSet without a pod template', () => {
    const broken = ds();
    delete (broken['spec'] as Obj)['template'];
    expect(problems(broken).join('\n')).toContain('data/spec must have required property template');
  });

  test('fails a misspelt field, which the schema alone lets through', () => {
    const broken = ds();
    const spec = podSpec(broken);
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
    const role = clone(one('ClusterRole'));
    ((role['rules'] as Obj[])[3] as Obj)['resourceName'] = ['x'];
    expect(problems(role)).toEqual(['fields the API does not have: .rules[3].resourceName']);
  });

  test('fails RBAC verbs given as a string, and a CRD version served "yes"', () => {
    const role = clone(one('ClusterRole'));
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
