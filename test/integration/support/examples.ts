import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { loadAll } from 'js-yaml';
import { MULTUS_BIN, REFERENCE_PLUGINS } from './run-multus';

/** The repo's examples/ (every file in it is checked: see test/integration/examples.test.ts). */
export const EXAMPLES_DIR = join(__dirname, '..', '..', '..', 'examples');
/** The real flannel plugin (flannel-io/cni-plugin), where this machine has it (as seed-flannel.test.ts finds it). */
export const FLANNEL_DIR = join(__dirname, '..', '..', '..', '..', 'shared', 'plugins');

/** Every file under examples/, as a path relative to it, sorted. */
export function listExamples(): string[] {
  return readdirSync(EXAMPLES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((entry) => !readdirSafe(join(EXAMPLES_DIR, entry)))
    .map((entry) => relative(EXAMPLES_DIR, join(EXAMPLES_DIR, entry)))
    .sort();
}

function readdirSafe(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}

/** One run of the compiled binary with arguments (validate, explain, install): no stdin. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], cwd = EXAMPLES_DIR): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(MULTUS_BIN, args, { cwd, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A Kubernetes object of an example manifest. */
export type KubeDoc = Record<string, unknown> & { readonly kind?: string; readonly metadata?: Record<string, unknown> };

/** The documents of a YAML manifest (`---`-separated), empty ones dropped. */
export function yamlDocs(file: string): KubeDoc[] {
  const docs = loadAll(readFileSync(join(EXAMPLES_DIR, file), 'utf8'));
  return docs.filter((d): d is KubeDoc => typeof d === 'object' && d !== null);
}

/** True when a config (conf or conflist) runs multus: validate's FILE. */
export function isMultusConfig(conf: Record<string, unknown>): boolean {
  if (conf['type'] === 'multus') return true;
  const plugins = conf['plugins'];
  return Array.isArray(plugins) && plugins.some((p) => (p as Record<string, unknown>)['type'] === 'multus');
}

/**
 * The CNI config a NetworkAttachmentDefinition or a seed `Network` object holds, as multus reads
 * it (src/sources/kube): NAD `spec.config` (undefined when empty: the config is a file in
 * `confDir`), or the one config of a Network's `args` list, with `plugin` as its type and the
 * object's name as its name when the config has none.
 */
export function cniConfigOf(doc: KubeDoc): Record<string, unknown> | undefined {
  const name = doc.metadata?.['name'];
  if (doc.kind === 'NetworkAttachmentDefinition') {
    const text = (doc['spec'] as Record<string, unknown> | undefined)?.['config'];
    if (typeof text !== 'string' || text.trim() === '') return undefined;
    return JSON.parse(text) as Record<string, unknown>;
  }
  const args = doc['args'];
  const list = (typeof args === 'string' ? JSON.parse(args) : args) as Array<Record<string, unknown>>;
  if (!Array.isArray(list) || list.length !== 1) throw new Error(`Network ${String(name)}: args must list one config`);
  const conf = list[0] as Record<string, unknown>;
  return { name, type: doc['plugin'], ...conf };
}

/**
 * A multus config that takes `clusterNetwork` from a file or a `confDir` name, so `validate`
 * checks the network the way an ADD would run it (plugin by plugin). Validate reads the
 * kubeconfig as an ADD would (no API call), so it names a usable one.
 */
export function wrapperConfig(
  clusterNetwork: string,
  kubeconfig: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { name: 'examples-check', type: 'multus', cniVersion: '1.0.0', kubeconfig, clusterNetwork, ...extra };
}

/** Writes a kubeconfig an ADD can use (token user, https server; never called) and returns its path. */
export function writeExampleKubeconfig(dir: string): string {
  return writeJson(dir, 'multus.kubeconfig', {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://10.96.0.1:443' } }],
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
}

/** Writes `conf` as `<dir>/<name>` and returns the path. */
export function writeJson(dir: string, name: string, conf: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(conf, undefined, 2)}\n`);
  return path;
}

/** The CNI_PATH the examples need: the reference plugins, and flannel where this machine has it. */
export function examplesCniPath(standIns: string): string {
  const flannel = existsSync(join(FLANNEL_DIR, 'flannel')) ? [FLANNEL_DIR] : [];
  return [REFERENCE_PLUGINS, ...flannel, standIns].join(':');
}

/** The file name a config of `conf` gets (a conflist needs `.conflist`, as libcni reads it). */
export function configFileName(label: string, conf: Record<string, unknown>): string {
  return `${basename(label).replace(/[^a-z0-9-]/giu, '-')}${Array.isArray(conf['plugins']) ? '.conflist' : '.conf'}`;
}
