/** What the kubeconfig written for the DaemonSet's service account points at, as paths on the host. */
export interface ServiceAccountKubeconfigInput {
  readonly server: string;
  readonly caFile: string;
  readonly tokenFile: string;
  /** The service account's namespace, as the context's default; omitted when unknown. */
  readonly namespace?: string | undefined;
}

/** A YAML double-quoted scalar: JSON's string syntax is a subset of it. */
function q(value: string): string {
  return JSON.stringify(value);
}

/**
 * A kubeconfig that names the token and CA by file instead of embedding them: the projected
 * service account token rotates, and the watch loop refreshes the copy in place, so every CNI
 * call reads the current one. Both spellings of the token key are written: `tokenFile` is the
 * kubeconfig field (kubectl, client-go); @kubernetes/client-node 1.4, which multus uses, reads
 * only `token-file`. client-go ignores the key it does not know.
 */
export function serviceAccountKubeconfig(input: ServiceAccountKubeconfigInput): string {
  const context = [`    cluster: multus-cluster`, `    user: multus`];
  if (input.namespace !== undefined && input.namespace !== '') context.push(`    namespace: ${q(input.namespace)}`);
  return [
    '# Written by `multus install` for the multus service account; rewritten by it, do not edit.',
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: multus-cluster',
    '  cluster:',
    `    server: ${q(input.server)}`,
    `    certificate-authority: ${q(input.caFile)}`,
    'users:',
    '- name: multus',
    '  user:',
    `    tokenFile: ${q(input.tokenFile)}`,
    `    token-file: ${q(input.tokenFile)}`,
    'contexts:',
    '- name: multus-context',
    '  context:',
    ...context,
    'current-context: multus-context',
    '',
  ].join('\n');
}

/**
 * The API server as a pod sees it: the `kubernetes` service's address from the variables the
 * kubelet sets in every container (as client-go's in-cluster config does). Undefined without
 * KUBERNETES_SERVICE_HOST.
 */
export function apiServerFromEnv(env: ReadonlyMap<string, string>): string | undefined {
  const host = env.get('KUBERNETES_SERVICE_HOST');
  if (host === undefined || host === '') return undefined;
  const port = env.get('KUBERNETES_SERVICE_PORT') ?? '443';
  return `https://${host.includes(':') ? `[${host}]` : host}:${port === '' ? '443' : port}`;
}
