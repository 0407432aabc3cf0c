import { connect as http2Connect, constants as h2, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect } from 'node:net';

/**
 * The few CRI calls kubelet makes for a pod's network, spoken to containerd's CRI plugin over
 * its gRPC socket with Node's own http2 and a hand-written protobuf encoder (no crictl exists in
 * Debian 12, and the test adds no npm dependency). Only the fields the tests set are encoded;
 * field numbers are those of k8s.io/cri-api `runtime/v1/api.proto` (containerd 1.6 serves
 * `runtime.v1` and `runtime.v1alpha2` with the same numbers).
 */

// ---- protobuf, the small part of it that is needed ----

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** A message as a list of fields; undefined values and empty lists are left out. */
type Field = readonly [number, string | number | Buffer | undefined];

function message(fields: ReadonlyArray<Field>): Buffer {
  const parts: Buffer[] = [];
  for (const [number, value] of fields) {
    if (value === undefined) continue;
    if (typeof value === 'number') {
      parts.push(varint(number << 3), varint(value));
    } else {
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      parts.push(varint((number << 3) | 2), varint(bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}

/** map<string, string> fields: one entry message {1: key, 2: value} per pair. */
function mapFields(number: number, map: Readonly<Record<string, string>> | undefined): Field[] {
  return Object.entries(map ?? {}).map(
    ([k, v]) =>
      [
        number,
        message([
          [1, k],
          [2, v],
        ]),
      ] as const,
  );
}

/** Decoded fields: number → raw values (varints as numbers, length-delimited as Buffers). */
type Decoded = Map<number, Array<number | Buffer>>;

function decode(buf: Buffer): Decoded {
  const out: Decoded = new Map();
  let i = 0;
  const readVarint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated protobuf varint');
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = readVarint();
    const number = Math.floor(key / 8);
    const wire = key & 7;
    let value: number | Buffer;
    if (wire === 0) value = readVarint();
    else if (wire === 2) {
      const len = readVarint();
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 1) {
      value = buf.subarray(i, i + 8);
      i += 8;
    } else if (wire === 5) {
      value = buf.subarray(i, i + 4);
      i += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    out.set(number, [...(out.get(number) ?? []), value]);
  }
  return out;
}

function str(d: Decoded, n: number): string {
  const v = d.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : '';
}

function sub(d: Decoded, n: number): Decoded {
  const v = d.get(n)?.[0];
  return Buffer.isBuffer(v) ? decode(v) : new Map<number, Array<number | Buffer>>();
}

// ---- the CRI messages the tests use ----

export interface PodPortMapping {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly containerPort: number;
  readonly hostPort: number;
}

export interface PodSandboxSpec {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly hostname?: string;
  readonly logDirectory?: string;
  readonly portMappings?: readonly PodPortMapping[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly cgroupParent?: string;
}

const PROTOCOLS = { TCP: 0, UDP: 1, SCTP: 2 } as const;

function podSandboxConfig(spec: PodSandboxSpec): Buffer {
  return message([
    [
      1,
      message([
        [1, spec.name],
        [2, spec.uid],
        [3, spec.namespace],
        [4, 0],
      ]),
    ],
    [2, spec.hostname],
    [3, spec.logDirectory],
    ...(spec.portMappings ?? []).map(
      (p) =>
        [
          5,
          message([
            [1, PROTOCOLS[p.protocol]],
            [2, p.containerPort],
            [3, p.hostPort],
          ]),
        ] as const,
    ),
    ...mapFields(6, spec.labels),
    ...mapFields(7, spec.annotations),
    [8, spec.cgroupParent === undefined ? undefined : message([[1, spec.cgroupParent]])],
  ]);
}

export interface SandboxStatus {
  readonly id: string;
  /** 0 SANDBOX_READY, 1 SANDBOX_NOTREADY. */
  readonly state: number;
  /** The pod IP the runtime took from the CNI result (kubelet's pod IP). */
  readonly ip: string;
  /** The verbose `info` map (containerd: one JSON document under "info"). */
  readonly info: Readonly<Record<string, string>>;
}

export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly grpcStatus: number,
    readonly grpcMessage: string,
  ) {
    super(`CRI ${method}: gRPC status ${grpcStatus}: ${grpcMessage}`);
  }
}

/** A CRI RuntimeService client on one unix socket; each call bounded by `timeoutMs`. */
export class CriClient {
  constructor(
    private readonly socket: string,
    private readonly timeoutMs = 60_000,
    private readonly service = 'runtime.v1.RuntimeService',
  ) {}

  async version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    const d = decode(await this.call('Version', message([[1, 'v1']])));
    return { runtimeName: str(d, 2), runtimeVersion: str(d, 3), runtimeApiVersion: str(d, 4) };
  }

  async runPodSandbox(spec: PodSandboxSpec): Promise<string> {
    return str(decode(await this.call('RunPodSandbox', message([[1, podSandboxConfig(spec)]]))), 1);
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', message([[1, id]]));
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', message([[1, id]]));
  }

  async podSandboxStatus(id: string): Promise<SandboxStatus> {
    const d = decode(
      await this.call(
        'PodSandboxStatus',
        message([
          [1, id],
          [2, 1],
        ]),
      ),
    );
    const status = sub(d, 1);
    const state = status.get(3)?.[0];
    const info: Record<string, string> = {};
    for (const entry of d.get(2) ?? []) {
      if (!Buffer.isBuffer(entry)) continue;
      const e = decode(entry);
      info[str(e, 1)] = str(e, 2);
    }
    return { id: str(status, 1), state: typeof state === 'number' ? state : 0, ip: str(sub(status, 5), 1), info };
  }

  /** Ids of the sandboxes the runtime knows (ListPodSandbox with no filter). */
  async listPodSandboxIds(): Promise<string[]> {
    const d = decode(await this.call('ListPodSandbox', Buffer.alloc(0)));
    return (d.get(1) ?? []).filter((b): b is Buffer => Buffer.isBuffer(b)).map((b) => str(decode(b), 1));
  }

  /** One unary gRPC call: length-prefixed request, response body, status from the trailers. */
  private call(method: string, request: Buffer): Promise<Buffer> {
    const path = `/${this.service}/${method}`;
    return new Promise((resolve, reject) => {
      const session = http2Connect('http://localhost', { createConnection: () => netConnect(this.socket) });
      let settled = false;
      const finish = (err: Error | undefined, body?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.close();
        session.destroy();
        if (err !== undefined) reject(err);
        else resolve(body ?? Buffer.alloc(0));
      };
      const timer = setTimeout(
        () => finish(new Error(`CRI ${method}: no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      session.on('error', (e) => finish(e));
      const stream = session.request({
        [h2.HTTP2_HEADER_METHOD]: 'POST',
        [h2.HTTP2_HEADER_PATH]: path,
        [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${Math.ceil(this.timeoutMs / 1000)}S`,
      });
      const chunks: Buffer[] = [];
      let status: { code: number; message: string } | undefined;
      const readStatus = (headers: IncomingHttpHeaders): void => {
        const code = headers['grpc-status'];
        if (code !== undefined)
          status = { code: Number(code), message: decodeURIComponent(String(headers['grpc-message'] ?? '')) };
      };
      stream.on('response', (headers) => readStatus(headers));
      stream.on('trailers', (headers) => readStatus(headers));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e) => finish(e));
      stream.on('end', () => {
        if (status === undefined) return finish(new Error(`CRI ${method}: no gRPC status`));
        if (status.code !== 0) return finish(new CriError(method, status.code, status.message));
        const body = Buffer.concat(chunks);
        if (body.length < 5) return finish(undefined, Buffer.alloc(0));
        if (body[0] !== 0) return finish(new Error(`CRI ${method}: compressed responses are not supported`));
        finish(undefined, body.subarray(5, 5 + body.readUInt32BE(1)));
      });
      const frame = Buffer.alloc(5);
      frame.writeUInt32BE(request.length, 1);
      stream.end(Buffer.concat([frame, request]));
    });
  }
}
