import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { toCniError } from '../../core/errors';
import { isObject } from '../../core/json';
import type { KubeClient } from '../../core/ports/kube-client';
import type { Logger } from '../../core/ports/logger';
import { ClientNodeKubeClient, type ClientNodeKubeClientOptions } from './client-node-kube-client';
import { HttpListWatchApi, type ListWatchApi } from './list-watch-api';
import { httpsOptions, importAndLoadKubeconfig, type LoadedKubeconfig } from './load-kubeconfig';

/** The API as one set of credentials reaches it: single calls, and lists and watches. */
export interface Connected {
  readonly client: KubeClient;
  readonly api: ListWatchApi;
}

export interface KubeConnectionOptions {
  readonly client?: ClientNodeKubeClientOptions;
  /** A watch that hears nothing for this long is dropped and reopened (default 330 s). */
  readonly watchIdleMs?: number;
}

/** One file's identity and age: a rewrite, a rename over it or a symlink swap all change it. */
async function fingerprint(path: string): Promise<string> {
  try {
    const st = await fs.stat(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return 'missing';
  }
}

async function fingerprints(paths: readonly string[]): Promise<string> {
  return (await Promise.all(paths.map(fingerprint))).join('|');
}

/**
 * The token file the kubeconfig's current user names (`token-file`, or client-go's `tokenFile`):
 * client-node reads it once at load and keeps only the token, so the path is read here.
 */
async function tokenFileOf(kubeconfigPath: string, user: string): Promise<string | undefined> {
  const yaml = await import('js-yaml');
  let doc: unknown;
  try {
    doc = yaml.load(await fs.readFile(kubeconfigPath, 'utf8'));
  } catch {
    return undefined; // loadKubeconfig already read it; a file changing under us is read again next call
  }
  const users = isObject(doc) && Array.isArray(doc['users']) ? doc['users'] : [];
  const entry: unknown = users.find((u: unknown) => isObject(u) && u['name'] === user);
  const fields = isObject(entry) && isObject(entry['user']) ? entry['user'] : {};
  const file = fields['token-file'] ?? fields['tokenFile'];
  return typeof file === 'string' && file !== '' ? resolve(file) : undefined;
}

/** Every file the credentials were read from: the kubeconfig, its CA, client certificate and key, token file. */
async function credentialFiles(kubeconfigPath: string, loaded: LoadedKubeconfig): Promise<string[]> {
  const cluster = loaded.kubeConfig.getCurrentCluster();
  const user = loaded.kubeConfig.getCurrentUser();
  const provider: unknown = user?.authProvider;
  const providerConfig = isObject(provider) ? provider['config'] : undefined;
  const inCluster = isObject(providerConfig) ? providerConfig['tokenFile'] : undefined;
  const files = [
    cluster?.caFile,
    user?.certFile,
    user?.keyFile,
    typeof inCluster === 'string' ? inCluster : undefined,
    user === null ? undefined : await tokenFileOf(kubeconfigPath, user.name),
  ];
  return [...new Set(files.filter((f): f is string => typeof f === 'string' && f !== ''))];
}

/**
 * A kubeconfig's connection to the API, rebuilt when a file its credentials came from changes:
 * every call first compares the files' fingerprints (a stat each), so after a service-account
 * token rotation or a CA change the next request already carries the new ones. (Go Multus reads
 * them once and answers Unauthorized once the projected token expires.) A rebuild that fails,
 * e.g. a file caught half-written, keeps the previous connection and is tried again next call.
 */
export class KubeConnection {
  private current: { connected: Connected; files: readonly string[]; print: string } | undefined;
  /** The files' fingerprint when a reload last failed: not tried (nor logged) again until they change again. */
  private unusable: string | undefined;
  private loading: Promise<Connected> | undefined;

  constructor(
    readonly kubeconfigPath: string,
    private readonly options: KubeConnectionOptions,
    private readonly log: () => Logger,
  ) {}

  /** The connection for the credentials on disk now. */
  async get(): Promise<Connected> {
    const current = this.current;
    const print = current === undefined ? undefined : await fingerprints(current.files);
    if (current !== undefined && (print === current.print || print === this.unusable)) return current.connected;
    this.loading ??= this.reload(print).finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reload(print: string | undefined): Promise<Connected> {
    const previous = this.current;
    try {
      const loaded = await this.load();
      if (previous !== undefined)
        this.log().info({ kubeconfig: this.kubeconfigPath }, 'Kubernetes credentials reloaded');
      return loaded;
    } catch (err) {
      if (previous === undefined) throw err;
      this.unusable = print;
      this.log().warn(
        { kubeconfig: this.kubeconfigPath, reason: toCniError(err).msg },
        'Kubernetes credentials changed but cannot be reloaded; still using the previous ones',
      );
      return previous.connected;
    }
  }

  /**
   * Reads the credentials. The files are fingerprinted before they are read, so a change during
   * the read is seen on the next call.
   */
  private async load(): Promise<Connected> {
    const configPrint = await fingerprint(this.kubeconfigPath);
    const loaded = await importAndLoadKubeconfig(this.kubeconfigPath);
    const files = await credentialFiles(this.kubeconfigPath, loaded);
    const print = [configPrint, ...(await Promise.all(files.map(fingerprint)))].join('|');
    const tls = await httpsOptions(loaded, this.kubeconfigPath);
    const connected: Connected = {
      client: new ClientNodeKubeClient(loaded, tls, this.options.client),
      api: new HttpListWatchApi(loaded.server, tls, this.options.watchIdleMs ?? 330_000),
    };
    this.current = { connected, files: [this.kubeconfigPath, ...files], print };
    return connected;
  }
}
