/** Kubeconfigs for the test API server. */

export interface KubeconfigOptions {
  /** Token written for the user (default: the server's token). */
  readonly token?: string;
  /** User name written in the kubeconfig (default: the server's user). */
  readonly user?: string;
  /** Server URL (default: this server's; point elsewhere to test unreachable servers). */
  readonly server?: string;
  /** Name this token file (`tokenFile` and client-node's `token-file`) instead of writing a token. */
  readonly tokenFile?: string;
  /** Name this CA file (`certificate-authority`) instead of writing the CA inline. */
  readonly caFile?: string;
}

/** What the server fills in where the options say nothing. */
export interface KubeconfigDefaults {
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  readonly token: string;
}

/** The kubeconfig YAML (JSON-quoted scalars, a subset of YAML's double-quoted ones). */
export function kubeconfigYaml(defaults: KubeconfigDefaults, options: KubeconfigOptions): string {
  const q = (s: string): string => JSON.stringify(s);
  const user = options.user ?? defaults.user;
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: kube-test-server',
    '  cluster:',
    `    server: ${q(options.server ?? defaults.server)}`,
    options.caFile === undefined
      ? `    certificate-authority-data: ${q(Buffer.from(defaults.caPem).toString('base64'))}`
      : `    certificate-authority: ${q(options.caFile)}`,
    'users:',
    `- name: ${q(user)}`,
    '  user:',
    ...(options.tokenFile === undefined
      ? [`    token: ${q(options.token ?? defaults.token)}`]
      : [`    tokenFile: ${q(options.tokenFile)}`, `    token-file: ${q(options.tokenFile)}`]),
    'contexts:',
    '- name: kube-test-server',
    '  context:',
    '    cluster: kube-test-server',
    `    user: ${q(user)}`,
    'current-context: kube-test-server',
  ];
  return `${lines.join('\n')}\n`;
}
