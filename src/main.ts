import { readFileSync, writeSync } from 'node:fs';
import { runSkel, type PluginIo } from './core/skel';

/** Reads stdin as a stream; only for a non-blocking stdin, where a synchronous read says EAGAIN. */
function readStdinStream(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

/**
 * Reads all of stdin (the network config). Synchronously: the runtime has written the config and
 * closed the pipe before it waits for us, and a synchronous read measured ≈ 3 ms here against
 * ≈ 14 ms for the stream API in the compiled binary.
 */
function readStdin(): Promise<string> {
  try {
    return Promise.resolve(readFileSync(0, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return readStdinStream();
    return Promise.reject(err);
  }
}

/**
 * SIGTERM (the runtime giving up on us) aborts an ADD in progress: the running delegate's
 * process group is killed, what was made is rolled back, and the error is printed.
 */
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort(new Error('multus received SIGTERM')));

const io: PluginIo = {
  signal: stop.signal,
  env: new Map(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
  readStdin,
  // Synchronous, so nothing is lost when the process exits right after.
  writeStdout: (text) => {
    writeSync(1, `${text}\n`);
  },
};

/**
 * The composition root, the one place the plugin is resolved from the container; loaded only for
 * ADD/DEL/CHECK/GC/STATUS: VERSION pays for nothing else.
 */
async function loadHandlers(): Promise<import('./core/skel').PluginHandlers> {
  const [{ buildContainer }, { TOKENS }] = await Promise.all([import('./container'), import('./core/tokens')]);
  return buildContainer({ path: io.env.get('PATH') }).get(TOKENS.Plugin);
}

/**
 * Human mode: no CNI_COMMAND, and arguments or a terminal on stdin (a runtime always sets
 * CNI_COMMAND; a pipe without it still gets the CNI error JSON, code 4).
 */
function humanMode(): boolean {
  return process.env['CNI_COMMAND'] === undefined && (process.argv.length > 2 || process.stdin.isTTY === true);
}

async function runHuman(): Promise<number> {
  const { runCli } = await import('./cli/cli-main');
  return runCli(process.argv.slice(2), {
    env: io.env,
    out: (text) => writeSync(1, text),
    err: (text) => writeSync(2, text),
  });
}

// Exit as soon as the answer is out: a socket the Kubernetes client left open must not keep
// the runtime waiting.
void (humanMode() ? runHuman() : runSkel(io, loadHandlers)).then((code) => process.exit(code));
