/**
 * One client per kubeconfig path and process, made on first use. A failed make is forgotten, so
 * the next call tries again (the kubeconfig may have been written since).
 */
export class ClientMemo<T> {
  private readonly clients = new Map<string, Promise<T>>();

  get(kubeconfigPath: string, make: (path: string) => Promise<T>): Promise<T> {
    let client = this.clients.get(kubeconfigPath);
    if (client === undefined) {
      client = make(kubeconfigPath);
      this.clients.set(kubeconfigPath, client);
      client.catch(() => this.clients.delete(kubeconfigPath));
    }
    return client;
  }

  /** Every client asked for so far, made or failing; forgets them. */
  takeAll(): Array<Promise<T>> {
    const all = [...this.clients.values()];
    this.clients.clear();
    return all;
  }
}
