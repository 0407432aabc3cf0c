// Starts scripts/bench/kube-server.mjs (the test API server) as a child of the bench, and reads
// its request log.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Starts the server with `objects` (in the bench's temp dir `name`) and waits for its first line:
 * {url, kubeconfig, log, sizes}, with release() (answers the held lists) and stop().
 */
export function startKubeServer(host, root, objects, name = 'kube') {
  const dir = host.dir(name);
  mkdirSync(dir);
  const objectsFile = join(dir, 'objects.json');
  writeFileSync(objectsFile, JSON.stringify(objects));
  const child = spawn(process.execPath, [join(root, 'scripts', 'bench', 'kube-server.mjs'), dir, objectsFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  host.adopt(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('bench API server did not start in 20 s')), 20000);
    child.on('exit', (code) => reject(new Error(`bench API server exited (${code}) before listening`)));
    child.stdout.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve({
          ...JSON.parse(out.slice(0, nl)),
          release: () => child.stdin.write('release\n'),
          stop: () => child.exitCode === null && child.kill('SIGTERM'),
        });
      }
    });
  });
}

/** API requests logged since `from` (a byte offset of the server's request log). */
export function requestsSince(logFile, from) {
  return readFileSync(logFile, 'utf8')
    .slice(from)
    .split('\n')
    .filter((l) => l !== '');
}
