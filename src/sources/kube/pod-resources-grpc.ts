import * as grpc from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import { parse } from 'protobufjs';
import { POD_RESOURCES_PROTO, POD_RESOURCES_SERVICE } from './pod-resources-proto';

/**
 * The gRPC side of the kubelet's pod-resources API. This module is imported dynamically, and
 * only for a NetworkAttachmentDefinition with a `resourceName`: @grpc/grpc-js and protobufjs
 * cost start-up time every other pod would pay for nothing.
 */

/** `ContainerDevices` as decoded (field names as in the .proto). */
export interface ListedDevices {
  readonly resource_name: string;
  readonly device_ids: readonly string[];
}

/** `ContainerResources`: only the fields multus reads are typed. */
export interface ListedContainer {
  readonly name: string;
  readonly devices: readonly ListedDevices[];
}

/** `PodResources`. */
export interface ListedPod {
  readonly name: string;
  readonly namespace: string;
  readonly containers: readonly ListedContainer[];
}

/** `ListPodResourcesResponse`. */
export interface ListPodResourcesResponse {
  readonly pod_resources: readonly ListedPod[];
}

/** Field names as in the .proto; int64 as strings; absent repeated fields as []. */
const LOADER_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, arrays: true };

/** The kubelet lists every pod of the node; Go Multus allows 16 MiB for that answer, gRPC's default is 4. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * The `v1.PodResourcesLister` client class, from the embedded .proto, parsed once when this
 * module is loaded (it is imported only when a network names a resourceName).
 */
const LISTER: grpc.ServiceClientConstructor = (() => {
  const root = parse(POD_RESOURCES_PROTO, { keepCase: true }).root;
  const pkg = grpc.loadPackageDefinition(fromJSON(root.toJSON(), LOADER_OPTIONS));
  const [namespace, service] = POD_RESOURCES_SERVICE.split('.') as [string, string];
  return (pkg[namespace] as grpc.GrpcObject)[service] as grpc.ServiceClientConstructor;
})();

/** The lister's client class; exported for the pod-resources test server, which serves the same definition. */
export function podResourcesLister(): grpc.ServiceClientConstructor {
  return LISTER;
}

/** A failed List: the gRPC status, to be turned into a CniError by the caller who knows the pod. */
export class PodResourcesCallError extends Error {
  override readonly name = 'PodResourcesCallError';

  constructor(
    readonly status: grpc.status,
    readonly statusName: string,
    readonly details: string,
  ) {
    super(`${statusName}: ${details}`);
  }

  /** Worth asking again later: the kubelet was not reachable, or did not answer in time. */
  get transient(): boolean {
    const retry: readonly grpc.status[] = [
      grpc.status.UNAVAILABLE,
      grpc.status.DEADLINE_EXCEEDED,
      grpc.status.RESOURCE_EXHAUSTED,
      grpc.status.ABORTED,
      grpc.status.CANCELLED,
    ];
    return retry.includes(this.status);
  }

  /** The deadline passed before the kubelet answered (or before the socket connected). */
  get timedOut(): boolean {
    return this.status === grpc.status.DEADLINE_EXCEEDED;
  }
}

/**
 * One `List` call on the unix socket at `socketPath`, given `deadlineMs` in all (connecting
 * included). One attempt: the caller reports a failure with code 11 so the runtime retries the
 * whole ADD later, as it does for an unreachable API server.
 */
export function listPodResources(socketPath: string, deadlineMs: number): Promise<ListPodResourcesResponse> {
  const Lister = podResourcesLister();
  const client = new Lister(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
  });
  return new Promise<ListPodResourcesResponse>((resolve, reject) => {
    const list = client['List'] as (
      req: object,
      opts: grpc.CallOptions,
      cb: (err: grpc.ServiceError | null, res?: ListPodResourcesResponse) => void,
    ) => void;
    list.call(client, {}, { deadline: Date.now() + deadlineMs }, (err, response) => {
      client.close();
      if (err !== null) {
        // grpc-js ends connection failures with an empty "Resolution note: "; it says nothing.
        const details = err.details.replace(/\s*Resolution note:\s*$/u, '');
        reject(new PodResourcesCallError(err.code, grpc.status[err.code] ?? String(err.code), details));
        return;
      }
      resolve(response ?? { pod_resources: [] });
    });
  });
}
