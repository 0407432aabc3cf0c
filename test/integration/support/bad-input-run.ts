import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BadInputCase } from './bad-input-cases';
import type { Cleanup } from './cleanup';
import { bridgePorts, createNetns, hostAddrsWithPrefix, hostLinksInto, netnsLinkNames } from './net';
import { CALLER_PATH, MULTUS_BIN, REFERENCE_PLUGINS, stackTraceLines } from './run-multus';
import { cacheFiles, leaseFiles, type Workspace } from './workspace';

/** The faulty-output test plugin; cases use it as delegate type `bad-output`. */
export const OUTPUT_PLUGIN = join(__dirname, '..', '..', 'plugins', 'output-plugin.js');
export const OUTPUT_PLUGIN_TYPE = 'bad-output';
/** Where multus keeps its cache when a config names no cniDir (it must never be used by a case). */
export const SYSTEM_CACHE_DIR = '/var/lib/cni/multus';
/** Bridges a case may name: `${bridge0}` … `${bridge3}`. */
const BRIDGES_PER_CASE = 4;

/** What the corpus shares: the workspace, its 10.x block, the dead and the live kubeconfig. */
export interface CorpusContext {
  readonly ws: Workspace;
  /** The first two octets of the file's private block, e.g. `10.219`. */
  readonly net: string;
  /** A kubeconfig whose server (https://127.0.0.1:1) never answers: for cases that fail before any API call. */
  readonly deadKubeconfig: string;
  /** The test API server's kubeconfig, when a case needs one. */
  readonly liveKubeconfig: string | undefined;
}

/** One case's own names, dirs and namespace, all removed by `cleanup`. */
export interface CaseContext {
  readonly caseDir: string;
  readonly binDir: string;
  readonly cniDir: string;
  readonly ipamDir: string;
  readonly containerId: string;
  /** Undefined when the case sets CNI_NETNS itself. */
  readonly netnsName: string | undefined;
  readonly netnsPath: string;
  readonly bridges: readonly string[];
  /** Cache files the case put there itself (a corrupt record for CHECK): allowed to stay. */
  readonly seededCache: readonly string[];
  readonly vars: Readonly<Record<string, string>>;
}

export interface CaseRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdinText: string;
  readonly env: Readonly<Record<string, string>>;
}

/** `${name}` replaced from `vars` in every string of `value`; an unknown name is a corpus error. */
export function substitute(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z0-9]+)\}/gu, (_m, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new Error(`unknown placeholder \${${name}} (known: ${Object.keys(vars).join(', ')})`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [substitute(k, vars) as string, substitute(v, vars)]),
    );
  }
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Creates the case's dirs, bin dir (the output plugin linked in as `bad-output`), files and netns. */
export function prepareCase(c: BadInputCase, index: number, corpus: CorpusContext, cleanup: Cleanup): CaseContext {
  const { ws } = corpus;
  const caseDir = join(ws.dir, `case${index}`);
  cleanup.dir(caseDir);
  const binDir = join(caseDir, 'bin');
  const cniDir = join(caseDir, 'cache');
  const ipamDir = join(caseDir, 'ipam');
  mkdirSync(binDir, { recursive: true, mode: 0o755 });
  symlinkSync(OUTPUT_PLUGIN, join(binDir, OUTPUT_PLUGIN_TYPE));
  // Only the bridges the case names are the case's (the bridge plugin never deletes them).
  const text = JSON.stringify(c);
  const bridges = Array.from({ length: BRIDGES_PER_CASE }, (_v, n) => n)
    .filter((n) => text.includes(`\${bridge${n}}`))
    .map((n) => `${ws.prefix}b${index}${n}`);
  const ownsNetns = !('CNI_NETNS' in c.env);
  const netnsName = ownsNetns ? `${ws.prefix}-n${index}` : undefined;
  const netnsPath = netnsName === undefined ? '' : createNetns(netnsName, cleanup);
  for (const b of bridges) cleanup.link(b);
  const vars: Record<string, string> = {
    caseDir,
    binDir,
    cniDir,
    ipamDir,
    containerId: `${ws.prefix}-c${index}`,
    netns: netnsPath,
    net: corpus.net,
    kubeconfig: corpus.deadKubeconfig,
    liveKubeconfig: corpus.liveKubeconfig ?? '/nonexistent/live-kubeconfig',
    referencePlugins: REFERENCE_PLUGINS,
    ...Object.fromEntries(
      Array.from({ length: BRIDGES_PER_CASE }, (_v, n) => [`bridge${n}`, `${ws.prefix}b${index}${n}`]),
    ),
  };
  const seededCache: string[] = [];
  for (const file of c.files) {
    const path = join(caseDir, substitute(file.path, vars) as string);
    if (!path.startsWith(`${caseDir}/`)) throw new Error(`${c.name}: file ${file.path} is outside the case dir`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const text =
      file.json !== undefined
        ? JSON.stringify(substitute(file.json, vars))
        : (substitute(file.text ?? '', vars) as string);
    writeFileSync(path, text, { mode: 0o644 });
    chmodSync(path, Number.parseInt(file.mode ?? '0644', 8));
    if (dirname(path) === cniDir) seededCache.push(path.slice(cniDir.length + 1));
  }
  if (c.binDirMode !== undefined) chmodSync(binDir, Number.parseInt(c.binDirMode, 8));
  return {
    caseDir,
    binDir,
    cniDir,
    ipamDir,
    containerId: vars['containerId'] as string,
    netnsName,
    netnsPath,
    bridges,
    seededCache,
    vars,
  };
}

/**
 * The config on stdin: placeholders filled, `cniDir` defaulted, `delegateOutput` merged into `bad-output` delegates.
 */
export function stdinText(c: BadInputCase, ctx: CaseContext): string {
  if (typeof c.stdin === 'string') return substitute(c.stdin, ctx.vars) as string;
  const value = substitute(c.stdin, ctx.vars);
  if (!isObject(value)) return JSON.stringify(value);
  const config: Record<string, unknown> = { ...value };
  if (!('cniDir' in config)) config['cniDir'] = ctx.cniDir;
  if (Array.isArray(config['delegates'])) {
    config['delegates'] = config['delegates'].map((d: unknown) => {
      if (!isObject(d) || d['type'] !== OUTPUT_PLUGIN_TYPE) return d;
      const output =
        c.delegateOutput === undefined ? {} : (substitute(c.delegateOutput, ctx.vars) as Record<string, unknown>);
      return { callLog: join(ctx.caseDir, 'calls.log'), ...output, ...d };
    });
  }
  return JSON.stringify(config);
}

/** The env a runtime would pass for an ADD, with the case's changes (null removes a variable). */
export function caseEnv(c: BadInputCase, ctx: CaseContext): Record<string, string> {
  const env: Record<string, string> = {
    PATH: CALLER_PATH,
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: ctx.containerId,
    CNI_NETNS: ctx.netnsPath,
    CNI_IFNAME: 'eth0',
    CNI_PATH: `${ctx.binDir}:${REFERENCE_PLUGINS}`,
    CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=bad-input;K8S_POD_NAME=pod',
  };
  for (const [key, value] of Object.entries(c.env)) {
    if (value === null) delete env[key];
    else env[key] = substitute(value, ctx.vars) as string;
  }
  return env;
}

/** Runs dist/multus once with exactly `env` and `stdin`; a run over `timeoutMs` is killed (by its pid) and reported. */
export function runCase(env: Record<string, string>, stdin: string, timeoutMs = 30_000): Promise<CaseRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(MULTUS_BIN, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdinText: stdin,
        env,
      });
    });
    child.stdin.end(stdin);
  });
}

/** The CNI error JSON multus printed. */
export interface PrintedError {
  readonly cniVersion: string;
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
}

/**
 * stdout must be exactly one CNI error object on one line (`{cniVersion, code, msg, details?}`,
 * a final newline allowed): returns it, or throws saying what was printed instead.
 */
export function parseErrorJson(stdout: string): PrintedError {
  const body = stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
  if (body === '' || body.includes('\n') || body.trim() !== body)
    throw new Error(`stdout is not one JSON document on one line: ${JSON.stringify(stdout)}`);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new Error(`stdout is not JSON: ${JSON.stringify(stdout)}`);
  }
  if (!isObject(value)) throw new Error(`stdout is not a JSON object: ${stdout}`);
  const extra = Object.keys(value).filter((k) => !['cniVersion', 'code', 'msg', 'details'].includes(k));
  const problems = [
    extra.length > 0 ? `unexpected keys ${extra.join(', ')}` : '',
    typeof value['cniVersion'] === 'string' && /^\d+\.\d+\.\d+$/u.test(value['cniVersion'])
      ? ''
      : 'cniVersion is not a version string',
    typeof value['code'] === 'number' && Number.isInteger(value['code']) && value['code'] > 0
      ? ''
      : 'code is not a positive integer',
    typeof value['msg'] === 'string' && value['msg'] !== '' ? '' : 'msg is not a non-empty string',
    value['details'] === undefined || typeof value['details'] === 'string' ? '' : 'details is not a string',
  ].filter((p) => p !== '');
  if (problems.length > 0) throw new Error(`stdout is not a CNI error (${problems.join('; ')}): ${stdout}`);
  return value as unknown as PrintedError;
}

/** Processes whose command line names the case dir (the output plugin runs from its bin dir). */
function processesUsing(caseDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/u.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(caseDir)) found.push(`${pid}: ${cmdline.trim()}`);
    } catch {
      // the process is gone
    }
  }
  return found;
}

/** What a failed call left behind; empty when nothing. */
export function leftovers(ctx: CaseContext, net: string): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  const put = (key: string, list: readonly unknown[]): void => {
    if (list.length > 0) found[key] = list;
  };
  if (ctx.netnsName !== undefined) {
    put(
      'links in the pod netns besides lo',
      netnsLinkNames(ctx.netnsName).filter((l) => l !== 'lo'),
    );
    put('host links into the pod netns', hostLinksInto(ctx.netnsName));
  }
  put(
    'cache files',
    cacheFiles(ctx.cniDir).filter((f) => !ctx.seededCache.includes(f)),
  );
  put('host-local leases', leaseFiles(ctx.ipamDir));
  put(
    `cache files in ${SYSTEM_CACHE_DIR}`,
    existsSync(SYSTEM_CACHE_DIR)
      ? readdirSync(SYSTEM_CACHE_DIR).filter((f) => f.startsWith(`${ctx.containerId}-`))
      : [],
  );
  put(
    'bridge ports',
    ctx.bridges.flatMap((b) => bridgePorts(b)),
  );
  put(`host addresses in ${net}.0.0/16`, hostAddrsWithPrefix(`${net}.`));
  put('running processes', processesUsing(ctx.caseDir));
  return found;
}

/** The output plugin's calls in this case ("ADD eth0", ...), from its call log. */
export function outputPluginCalls(ctx: CaseContext): string[] {
  const log = join(ctx.caseDir, 'calls.log');
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/** Stack frames in what multus printed (stdout or its stderr logs). */
export function stackFrames(run: CaseRun): string[] {
  return [...stackTraceLines(run.stdout), ...stackTraceLines(run.stderr)];
}
