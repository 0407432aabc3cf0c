/**
 * The compiled multus-shim (C, src/shim) against a stand-in daemon: an HTTP server on a unix
 * socket, in this test, that records what the shim sends and answers what each test says. The real
 * daemon is in thick-mode.test.ts and thick-faults.test.ts; this file pins the shim's side of
 * protocol v1 byte for byte: what it forwards, how it decodes answers, and what it does with
 * broken ones.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MULTUS_BIN, multusEnv, type MultusCall } from './support/run-multus';
import { assertThickPrerequisites, runShim } from './support/thick';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly body: { version: number; requestId: string; env: Record<string, string>; stdin: string };
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** JSON with every non-ASCII character written as \uXXXX (surrogate pairs for astral ones). */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function cniAnswer(requestId: string, exitCode: number, stdout: string): string {
  return asciiJson({ version: 1, requestId, exitCode, stdout });
}

let dir: string;
let server: Server;
let received: Received[] = [];
let answer: Answer;

beforeAll(async () => {
  assertThickPrerequisites();
  dir = mkdtempSync(join(tmpdir(), 'multus-shim-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', body: JSON.parse(text) as Received['body'] });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'multus.sock'), resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  received = [];
  answer = (_req, res) => res.writeHead(200).end(cniAnswer('x', 0, '{"cniVersion":"1.0.0"}'));
});

const call = (extra: Record<string, unknown> = {}, extraEnv: Record<string, string> = {}): MultusCall => ({
  command: 'ADD',
  config: { cniVersion: '1.0.0', name: 'shim-test', type: 'multus-shim', daemonSocketDir: dir, ...extra },
  containerId: 'shim-test-container',
  netns: '/var/run/netns/shim-test',
  extraEnv,
});

describe('VERSION: the shim answers it itself, exactly as the thin binary does', () => {
  test.each([
    ['no stdin', ''],
    ['a supported version', '{"cniVersion":"0.3.1"}'],
    ['an unknown version', '{"cniVersion":"9.9.9"}'],
    ['not JSON', 'garbage'],
    ['JSON null', 'null'],
    ['a nested cniVersion, then the top-level one', '{"a":{"cniVersion":"0.4.0"},"cniVersion":"0.2.0"}'],
    ['a duplicate key: the last wins', '{"cniVersion":"0.2.0","cniVersion":"1.0.0"}'],
  ])('%s', async (_name, stdin) => {
    const versionCall: MultusCall = { ...call(), command: 'VERSION' };
    const shim = await runShim(versionCall, stdin);
    const thin = execFileSync(MULTUS_BIN, [], { input: stdin, env: multusEnv(versionCall), encoding: 'utf8' });
    expect(received).toEqual([]);
    expect(shim.exitCode).toBe(0);
    expect(shim.stdout).toBe(thin);
  });
});

describe('what the shim sends: POST /v1/cni with the CNI_* env, the request id and the stdin unchanged', () => {
  test('the env holds CNI_* and MULTUS_REQUEST_ID only; a valid given request id is kept', async () => {
    const run = await runShim(call({}, { MULTUS_REQUEST_ID: 'given.id-1', HOME: '/root', CNIX: 'no' }));
    expect(run.exitCode).toBe(0);
    expect(received).toHaveLength(1);
    const [got] = received;
    expect([got?.method, got?.url, got?.body.version, got?.body.requestId]).toEqual([
      'POST',
      '/v1/cni',
      1,
      'given.id-1',
    ]);
    expect(Object.keys(got?.body.env ?? {}).sort()).toEqual(
      ['CNI_ARGS', 'CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH', 'MULTUS_REQUEST_ID'].sort(),
    );
    expect(got?.body.env['MULTUS_REQUEST_ID']).toBe('given.id-1');
    expect(got?.body.env['CNI_NETNS']).toBe('/var/run/netns/shim-test');
  });

  test('an invalid MULTUS_REQUEST_ID is replaced by 12 random hex digits', async () => {
    await runShim(call({}, { MULTUS_REQUEST_ID: 'not a valid id!' }));
    await runShim(call({}, { MULTUS_REQUEST_ID: 'not a valid id!' }));
    const ids = received.map((r) => r.body.requestId);
    expect(ids.every((id) => /^[0-9a-f]{12}$/u.test(id))).toBe(true);
    expect(ids[0]).not.toBe(ids[1]);
    expect(received.map((r) => r.body.env['MULTUS_REQUEST_ID'])).toEqual(ids);
  });

  test.each([
    [
      'JSON escapes, tabs and CRLF between tokens, non-ASCII',
      (config: string) => config.replace(/\}$/u, ',\t"x":\r\n"\\"\\\\\\u0001 é 🚀 \\ud83d"}'),
    ],
    ['a 1 MiB config', (config: string) => config.replace(/\}$/u, `,"pad":"${'a'.repeat(1024 * 1024)}"}`)],
  ])('stdin arrives byte for byte: %s', async (_name, make) => {
    const base = JSON.stringify(call().config);
    const stdin = make(base);
    const run = await runShim(call(), stdin);
    expect(run.exitCode).toBe(0);
    expect(received.map((r) => r.body.stdin)).toEqual([stdin]);
  });
});

describe("what the shim does with the daemon's answer", () => {
  test('stdout is decoded from its JSON escapes (surrogate pairs too) and printed with a newline', async () => {
    const printed = JSON.stringify({ cniVersion: '1.0.0', note: 'é 🚀 "q" \\ \n' });
    answer = (_req, res) => res.writeHead(200).end(cniAnswer('x', 0, printed));
    const run = await runShim(call());
    expect([run.exitCode, run.stdout]).toEqual([0, `${printed}\n`]);
  });

  test(
    'a refusal (503, with Content-Length as the daemon sends it) is printed and its exit code kept; ' +
      'an empty stdout prints nothing',
    async () => {
      const refusal = JSON.stringify({ cniVersion: '1.0.0', code: 11, msg: 'busy' });
      const text = cniAnswer('x', 1, refusal);
      answer = (_req, res) => res.writeHead(503, { 'content-length': Buffer.byteLength(text) }).end(text);
      const refused = await runShim(call());
      answer = (_req, res) => res.writeHead(200).end(cniAnswer('x', 0, ''));
      const quiet = await runShim({ ...call(), command: 'DEL' });
      expect([refused.exitCode, refused.stdout]).toEqual([1, `${refusal}\n`]);
      expect([quiet.exitCode, quiet.stdout]).toEqual([0, '']);
    },
  );

  test.each<[string, Answer, Record<string, unknown>, string]>([
    [
      'the answer breaks off inside its body',
      (req) => req.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"exitCode":0,'),
      {},
      'broke off',
    ],
    [
      'a chunk larger than any answer could be',
      (req) => req.socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc'),
      {},
      'not valid chunked HTTP',
    ],
    ['the connection closes with no answer', (req) => req.socket.destroy(), {}, 'was lost before it answered'],
    ['HTTP 200 without a CNI answer', (_req, res) => res.writeHead(200).end('not json'), {}, 'without a CNI answer'],
    ['no answer within daemonTimeoutSeconds', () => undefined, { daemonTimeoutSeconds: 1 }, 'no answer within 1 s'],
  ])('%s: code 11 (the call may be partly done; DEL undoes it), and a note naming the request', async (...c) => {
    const [, respond, extra, why] = c;
    answer = respond;
    const run = await runShim(call(extra, { MULTUS_REQUEST_ID: 'broken-1' }));
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ cniVersion: '1.0.0', code: 11 });
    expect(String(run.json?.['msg'])).toContain(why);
    expect(run.stderr).toContain(`multus-shim: request broken-1: `);
    expect(received).toHaveLength(1);
  });
});

test('no daemon, "daemonFallback": "fail": code 11 at once, and a line in the socket dir for the metrics', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'multus-shim-none-'));
  try {
    const run = await runShim(
      call({ daemonSocketDir: empty, daemonFallback: 'fail' }, { MULTUS_REQUEST_ID: 'gone-1' }),
    );
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ cniVersion: '1.0.0', code: 11 });
    expect(String(run.json?.['msg'])).toContain(`${empty}/multus.sock: ENOENT`);
    expect(readFileSync(join(empty, 'shim-fallbacks.log'), 'utf8')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z gone-1 ADD fail\n$/u,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
