import * as grpc from '@grpc/grpc-js';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ListedContainer, type ListedPod, podResourcesLister } from '../../src/sources/kube/pod-resources-grpc';

/**
 * A POD-RESOURCES TEST SERVER: a gRPC server speaking the kubelet's pod-resources API v1
 * (`v1.PodResourcesLister/List`, from the same embedded .proto as the client) on a unix socket
 * in a temp dir. It is not the kubelet: it answers List from the pods a test gives it, and on
 * demand fails with a gRPC status or never answers.
 */

/** A container's devices as a test writes them: resource name → device IDs. */
export type TestContainerDevices = Readonly<Record<string, readonly string[]>>;

/** What List does: answer (the default), fail with a status, or hold the call until close(). */
export type PodResourcesTestMode =
  | { readonly kind: 'answer' }
  | { readonly kind: 'fail'; readonly code: grpc.status; readonly details: string }
  | { readonly kind: 'hang' };

export class PodResourcesTestServer {
  /** List calls received, answered or not. */
  calls = 0;
  mode: PodResourcesTestMode = { kind: 'answer' };
  private readonly pods: ListedPod[] = [];

  private constructor(
    private readonly server: grpc.Server,
    private readonly dir: string,
    readonly socketPath: string,
  ) {}

  /** Starts a server on `<new temp dir>/kubelet.sock` (mode 0600, like the kubelet's). */
  static async start(): Promise<PodResourcesTestServer> {
    const dir = mkdtempSync(join(tmpdir(), 'pod-resources-'));
    const socketPath = join(dir, 'kubelet.sock');
    const server = new grpc.Server();
    const self = new PodResourcesTestServer(server, dir, socketPath);
    server.addService(podResourcesLister().service, {
      List: (call: unknown, callback: grpc.sendUnaryData<unknown>) => self.list(callback),
    });
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
        err === null ? resolve() : reject(err),
      );
    });
    chmodSync(socketPath, 0o600);
    return self;
  }

  /** Adds a pod with its containers' devices; containers are listed in the order given. */
  addPod(namespace: string, name: string, containers: Readonly<Record<string, TestContainerDevices>>): this {
    const listed: ListedContainer[] = Object.entries(containers).map(([container, devices]) => ({
      name: container,
      devices: Object.entries(devices).map(([resource, ids]) => ({ resource_name: resource, device_ids: [...ids] })),
    }));
    this.pods.push({ name, namespace, containers: listed });
    return this;
  }

  /** Stops the server (held calls are cut off) and removes the socket's temp dir. */
  close(): void {
    this.server.forceShutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private list(callback: grpc.sendUnaryData<unknown>): void {
    this.calls += 1;
    if (this.mode.kind === 'hang') return;
    if (this.mode.kind === 'fail') {
      callback({ code: this.mode.code, details: this.mode.details }, null);
      return;
    }
    callback(null, { pod_resources: this.pods });
  }
}
