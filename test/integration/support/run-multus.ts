import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The compiled binary under test (`node scripts/build.mjs`). */
/** The binary under test: dist/multus, or a private build named by MULTUS_TEST_BIN (`build.mjs --out`). */
export const MULTUS_BIN = process.env['MULTUS_TEST_BIN'] ?? join(__dirname, '..', '..', '..', 'dist', 'multus');
/** Debian's containernetworking-plugins. */
export const REFERENCE_PLUGINS = '/usr/lib/cni';
/**
 * The PATH given to multus: the dir of the node running jest (the recording stand-in's interpreter) and the usual ones.
 */
export const CALLER_PATH = `${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`;

/**
 * Fails (does not skip) when this machine cannot run the integration tests: CI runs as root
 * with the binary built, so a missing piece is an error to fix, not a reason to pass quietly.
 */
export function assertIntegrationPrerequisites(): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (network namespaces, links)');
  try {
    accessSync(MULTUS_BIN, constants.X_OK);
  } catch {
    problems.push(`${MULTUS_BIN} is missing or not executable: run "node scripts/build.mjs" first`);
  }
  for (const plugin of ['bridge', 'ptp', 'macvlan', 'host-device', 'host-local']) {
    if (!existsSync(join(REFERENCE_PLUGINS, plugin)))
      problems.push(`${REFERENCE_PLUGINS}/${plugin} is missing: apt-get install -y containernetworking-plugins`);
  }
  if (problems.length > 0) throw new Error(`integration tests cannot run:\n- ${problems.join('\n- ')}`);
}

export interface MultusCall {
  readonly command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';
  readonly config: unknown;
  readonly containerId: string;
  readonly netns: string;
  readonly ifname?: string;
  readonly cniArgs?: string;
  readonly cniPath?: string;
  /** More variables for multus's own env (to prove they do not leak into delegates). */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export interface MultusRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as one JSON document; undefined when stdout is empty. Throws when it is anything else. */
  readonly json: Record<string, unknown> | undefined;
  readonly ms: number;
}

export const DEFAULT_CNI_ARGS = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=it-ns;K8S_POD_NAME=it-pod';

/** The env a runtime gives multus, built from scratch (never from process.env, which is not touched). */
export function multusEnv(call: MultusCall): Record<string, string> {
  return {
    PATH: CALLER_PATH,
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.netns,
    CNI_IFNAME: call.ifname ?? 'eth0',
    CNI_ARGS: call.cniArgs ?? DEFAULT_CNI_ARGS,
    CNI_PATH: call.cniPath ?? REFERENCE_PLUGINS,
    ...call.extraEnv,
  };
}

/**
 * Runs dist/multus once the way a runtime does: env built here from scratch (never from
 * process.env, which is not touched), the config on stdin.
 */
export function runMultus(call: MultusCall): Promise<MultusRun> {
  const env = multusEnv(call);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(MULTUS_BIN, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      try {
        resolve({ exitCode, stdout, stderr, json: oneJsonDocument(stdout), ms: Date.now() - started });
      } catch (e) {
        reject(new Error(`${call.command}: ${(e as Error).message}\nstderr:\n${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify(call.config));
  });
}

/** stdout must be empty or exactly one JSON object (plus an optional final newline): nothing else. */
function oneJsonDocument(stdout: string): Record<string, unknown> | undefined {
  if (stdout === '') return undefined;
  const body = stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
  if (body.trim() !== body || body.includes('\n'))
    throw new Error(`stdout is not one JSON document on one line: ${JSON.stringify(stdout)}`);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new Error(`stdout is not one JSON document: ${JSON.stringify(stdout)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`stdout is not a JSON object: ${stdout}`);
  return value as Record<string, unknown>;
}

/** A failed run, for assertions: exit 1 and the spec's error object as stdout, nothing more. */
export function expectCniError(
  run: MultusRun,
  code: number,
): { cniVersion: string; code: number; msg: string; details?: string } {
  if (run.exitCode !== 1 || run.json === undefined) {
    throw new Error(
      `expected exit 1 with a CNI error, got exit ${String(run.exitCode)} stdout ${run.stdout} stderr ${run.stderr}`,
    );
  }
  const error = run.json as { cniVersion: string; code: number; msg: string; details?: string };
  expect(Object.keys(error).filter((k) => !['cniVersion', 'code', 'msg', 'details'].includes(k))).toEqual([]);
  expect(typeof error.cniVersion).toBe('string');
  expect(typeof error.msg).toBe('string');
  expect(error.code).toBe(code);
  return error;
}

/** A CNI error as multus prints it. */
export interface CniErrorJson {
  readonly cniVersion: string;
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/** {@link expectCniError} whose msg holds every one of `fragments`, and no stack trace on stdout or stderr. */
export function expectCniFailure(run: MultusRun, code: number, fragments: readonly string[]): CniErrorJson {
  const error = expectCniError(run, code);
  for (const fragment of fragments) expect(error.msg).toContain(fragment);
  expect(stackTraceLines(run.stdout)).toEqual([]);
  expect(stackTraceLines(run.stderr)).toEqual([]);
  return error;
}

/** {@link expectSuccess} with no stack trace in the logs (a failure caught and logged on the way). */
export function expectCleanSuccess(run: MultusRun): void {
  expectSuccess(run);
  expect(stackTraceLines(run.stderr)).toEqual([]);
}

/** A successful run: exit 0; the stderr is shown when it is not (the logs say why). */
export function expectSuccess(run: MultusRun): void {
  if (run.exitCode !== 0)
    throw new Error(`expected exit 0, got ${String(run.exitCode)}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
}

/** Lines holding a stack frame (`    at fn (file:line)`), also inside a JSON log line's escaped `stack`. */
export function stackTraceLines(text: string): string[] {
  return text.split('\n').filter((line) => line.includes('    at '));
}
