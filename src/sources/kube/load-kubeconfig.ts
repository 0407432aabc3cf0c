import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { RequestOptions } from 'node:https';
import { CniCode, CniError, toCniError } from '../../core/errors';

/**
 * The part of client-node multus loads, lazily: KubeConfig (kubeconfig parsing, every auth
 * method, TLS material), not the generated API classes.
 */
export type ClientNodeModule = typeof import('@kubernetes/client-node/dist/config.js');

/** A kubeconfig that names a usable cluster, with what messages need from it. */
export interface LoadedKubeconfig {
  readonly kubeConfig: KubeConfig;
  /** The current cluster's server URL. */
  readonly server: string;
  /** The current context's user name, as messages show it ("(none)" when it names none). */
  readonly user: string;
}

/**
 * Why loading failed, without quoting the file: a YAML error's own message includes an excerpt
 * of the file, which may hold a token, so only its position and reason are kept.
 */
function describeLoadError(err: unknown): string {
  // Duck-typed: fs errors come from another realm under jest, where `instanceof Error` fails.
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    message?: unknown;
    reason?: unknown;
    mark?: { line: number; column: number };
  };
  if (e.name === 'YAMLException') {
    const where = e.mark === undefined ? '' : ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}`;
    return `not valid YAML${where}: ${typeof e.reason === 'string' ? e.reason : 'syntax error'}`;
  }
  if (e.name === 'TypeError') return 'not a kubeconfig (expected a mapping with clusters, users and contexts)';
  return typeof e.message === 'string' ? e.message : String(err);
}

/**
 * Reads the kubeconfig named in the multus config. Everything wrong with it is code 7 (invalid
 * network config) naming the file: it is part of the configuration the admin wrote, and
 * retrying will not fix it. Checked up front so an unusable server URL does not surface later
 * as a "network" failure that would be retried.
 */
export function loadKubeconfig(k8s: ClientNodeModule, path: string): LoadedKubeconfig {
  const kubeConfig = new k8s.KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (err) {
    throw new CniError(CniCode.InvalidConfig, `cannot load kubeconfig ${path}: ${describeLoadError(err)}`, {
      cause: err,
    });
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    const context = kubeConfig.getCurrentContext();
    const named = context === undefined || context === '' ? 'no current-context' : `current-context "${context}"`;
    throw new CniError(CniCode.InvalidConfig, `kubeconfig ${path} names no usable cluster (${named})`);
  }
  const server = cluster.server;
  const https = server.startsWith('https://');
  if (!https && !(server.startsWith('http://') && cluster.skipTLSVerify === true)) {
    throw new CniError(
      CniCode.InvalidConfig,
      `kubeconfig ${path}: cluster "${cluster.name}" server "${server}" must be an https:// URL (http:// only ` +
        `with insecure-skip-tls-verify)`,
    );
  }
  return { kubeConfig, server, user: kubeConfig.getCurrentUser()?.name ?? '(none)' };
}

/**
 * Imports client-node's kubeconfig module and reads `path` with it. The import happens here, on
 * first use, never at module load: a pod served from files alone does not pay for it.
 */
export async function importAndLoadKubeconfig(path: string): Promise<LoadedKubeconfig> {
  let k8s: ClientNodeModule;
  try {
    k8s = await import('@kubernetes/client-node/dist/config.js');
  } catch (err) {
    throw toCniError(err, 'cannot load @kubernetes/client-node');
  }
  return loadKubeconfig(k8s, path);
}

/** node:https options with the kubeconfig's CA and credentials; code 7 naming the user when they fail. */
export async function httpsOptions(loaded: LoadedKubeconfig, path: string): Promise<RequestOptions> {
  const tls: RequestOptions = {};
  try {
    await loaded.kubeConfig.applyToHTTPSOptions(tls);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new CniError(
      CniCode.InvalidConfig,
      `kubeconfig ${path}: cannot set up TLS and credentials for user "${loaded.user}": ${why}`,
      { cause: err },
    );
  }
  return tls;
}
