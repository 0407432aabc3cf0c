// The objects of the Kubernetes-mode memory phase, made by the bench API server itself: pods as
// a Deployment and the kubelet leave them (labels, owner, managedFields, a projected token
// volume, status with conditions and container statuses: about 5 KB of JSON each), all on one
// node, and NetworkAttachmentDefinitions as `kubectl apply` leaves them (the config twice: in
// spec and in last-applied-configuration), spread evenly over a few namespaces. Every pod is
// annotated with a NAD of its namespace; the NADs' type is the bench's stand-in delegate.
import { randomUUID } from 'node:crypto';
import { NETWORKS_ANNOTATION as NETWORKS } from './pods.mjs';

const STATUS = 'k8s.v1.cni.cncf.io/network-status';
const TIME = '2025-01-06T09:30:00Z';
const HASH = '7d9f8c6b54';

const pad = (n, width = 4) => String(n).padStart(width, '0');
export const namespaceName = (i) => `kmem-${pad(i, 2)}`;
const nadName = (j) => `net-${pad(j)}`;
const appOf = (j) => `app${j % 12}`;
export const podName = (j) => `${appOf(j)}-${HASH}-${j.toString(36).padStart(5, 'x')}`;

/** managedFields' fieldsV1 for `value`: the `f:`/`k:` tree the API server writes. */
function fieldsOf(value) {
  if (Array.isArray(value))
    return Object.fromEntries(value.map((x, i) => [`k:${JSON.stringify({ name: x?.name ?? i })}`, fieldsOf(x)]));
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries([['.', {}], ...Object.entries(value).map(([k, v]) => [`f:${k}`, fieldsOf(v)])]);
}

const managed = (manager, fields, subresource) => ({
  manager,
  operation: 'Update',
  apiVersion: 'v1',
  time: TIME,
  fieldsType: 'FieldsV1',
  fieldsV1: fieldsOf(fields),
  ...(subresource ? { subresource } : {}),
});

function podSpec(app, node) {
  const mounts = [
    { name: 'kube-api-access', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
  ];
  return {
    volumes: [
      {
        name: 'kube-api-access',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
              },
            },
          ],
        },
      },
    ],
    containers: [
      {
        name: app,
        image: `registry.example.com/bench/${app}:1.4.2`,
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        volumeMounts: mounts,
        readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 10 },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    serviceAccount: 'default',
    nodeName: node,
    securityContext: {},
    schedulerName: 'default-scheduler',
    tolerations: ['not-ready', 'unreachable'].map((t) => ({
      key: `node.kubernetes.io/${t}`,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 300,
    })),
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
}

function podStatus(app, ip) {
  const conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  return {
    phase: 'Running',
    conditions: conditions.map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: TIME })),
    hostIP: '192.168.10.21',
    hostIPs: [{ ip: '192.168.10.21' }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime: TIME,
    containerStatuses: [
      {
        name: app,
        state: { running: { startedAt: TIME } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: `registry.example.com/bench/${app}:1.4.2`,
        imageID: `registry.example.com/bench/${app}@sha256:${'3f'.repeat(32)}`,
        containerID: `containerd://${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`,
        started: true,
      },
    ],
    qosClass: 'Burstable',
  };
}

/** Pod `j` of `namespace`, annotated with NAD `nad` of its namespace and the status multus wrote. */
function pod(namespace, j, nad, node) {
  const app = appOf(j);
  const ip = `10.244.${(j >> 8) & 255}.${j & 255}`;
  const labels = {
    app,
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/part-of': 'bench',
    'pod-template-hash': HASH,
  };
  const status = [
    { name: 'default/cluster', interface: 'eth0', ips: [ip], mac: '0a:58:0a:f4:00:07', default: true, dns: {} },
    { name: `${namespace}/${nad}`, interface: 'net1', ips: ['10.250.0.7'], mac: '52:54:00:12:34:56', dns: {} },
  ];
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${HASH}`, uid: randomUUID() };
  const metadata = { generateName: `${app}-${HASH}-`, labels, ownerReferences: [{ ...owner, controller: true }] };
  const spec = podSpec(app, node);
  const podStat = podStatus(app, ip);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(j),
      namespace,
      uid: randomUUID(),
      creationTimestamp: TIME,
      ...metadata,
      annotations: { [NETWORKS]: nad, [STATUS]: JSON.stringify(status, null, 4) },
      managedFields: [
        managed('kube-controller-manager', { metadata, spec }),
        managed('multus-daemon', { metadata: { annotations: { [STATUS]: '' } } }),
        managed('kubelet', { status: podStat }, 'status'),
      ],
    },
    spec,
    status: podStat,
  };
}

/** NAD `j` of `namespace`: a macvlan-like config of the stand-in `type`, applied with kubectl. */
function nad(namespace, j, type) {
  const name = nadName(j);
  const config = JSON.stringify({
    cniVersion: '1.0.0',
    name,
    type,
    master: 'ens1f0',
    mode: 'bridge',
    mtu: 1500,
    ipam: {
      type: 'whereabouts',
      range: `10.${200 + (j >> 8)}.${j & 255}.0/24`,
      exclude: [`10.${200 + (j >> 8)}.${j & 255}.0/28`],
      gateway: `10.${200 + (j >> 8)}.${j & 255}.1`,
    },
  });
  const applied = {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { annotations: {}, name, namespace },
    spec: { config },
  };
  const annotations = { 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n` };
  return {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: {
      name,
      namespace,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: TIME,
      annotations,
      managedFields: [
        {
          ...managed('kubectl-client-side-apply', { metadata: { annotations }, spec: { config } }),
          apiVersion: 'k8s.cni.cncf.io/v1',
        },
      ],
    },
    spec: { config },
  };
}

/**
 * `spec.pods` pods of node `spec.node` and `spec.nads` NADs, over `spec.namespaces` namespaces,
 * as [path, object] pairs; pod j of a namespace is annotated with NAD j mod (NADs per namespace).
 */
export function* generateObjects({ node, namespaces, pods, nads, type }) {
  const nadsPer = Math.ceil(nads / namespaces);
  for (let n = 0; n < namespaces; n += 1) {
    const ns = namespaceName(n);
    const base = '/apis/k8s.cni.cncf.io/v1/namespaces';
    for (let j = 0; j * namespaces + n < nads; j += 1)
      yield [`${base}/${ns}/network-attachment-definitions/${nadName(j)}`, nad(ns, j, type)];
    for (let j = 0; j * namespaces + n < pods; j += 1)
      yield [`/api/v1/namespaces/${ns}/pods/${podName(j)}`, pod(ns, j, nadName(j % nadsPer), node)];
  }
}

/** The pods the phase adds and deletes: the first of each namespace. */
export const firstPods = ({ namespaces }) =>
  Array.from({ length: namespaces }, (_, n) => ({ namespace: namespaceName(n), name: podName(0) }));
