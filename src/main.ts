import { runSkel, type PluginIo } from './core/skel';

/** Reads all of stdin (the network config). */
function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

const io: PluginIo = {
  env: new Map(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
  readStdin,
  writeStdout: (text) => {
    process.stdout.write(`${text}\n`);
  },
};

/** The composition root is loaded only for ADD/DEL/CHECK: VERSION pays for nothing else. */
async function loadHandlers(): Promise<import('./core/skel').PluginHandlers> {
  const [{ buildContainer }, { MultusPlugin }] = await Promise.all([import('./container'), import('./app')]);
  return new MultusPlugin(buildContainer({ path: io.env.get('PATH') }));
}

void runSkel(io, loadHandlers).then((code) => {
  process.exitCode = code;
});
