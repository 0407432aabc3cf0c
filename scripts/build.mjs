#!/usr/bin/env node
// Compiles src/main.ts into one self-contained executable, dist/multus, with Bun
// (`--compile --minify --bytecode`): no node_modules and no runtime are needed on the node, and
// start-up (paid on every pod operation) stays near a Go binary's. Bun comes from the npm
// package @oven/bun-linux-x64. Beside it, dist/multus-shim is compiled from C (scripts/shim-build.mjs:
// a C compiler and libc6-dev).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen-build-adapters.mjs';
import { compileShim } from './shim-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bun = join(root, 'node_modules', '@oven', 'bun-linux-x64', 'bin', 'bun');
if (!existsSync(bun)) {
  console.error(`build: ${bun} is missing; run "npm ci" first`);
  process.exit(1);
}
mkdirSync(join(root, 'dist'), { recursive: true });
// Build-time vendor adapters (package.json "multusAdapters") are compiled in through a generated module.
writeFileSync(join(root, 'src', 'generated', 'build-adapters.ts'), generate());
// `--out PATH` builds elsewhere (a developer's private copy; tests then take MULTUS_TEST_BIN=PATH).
const outAt = process.argv.indexOf('--out');
const out = outAt > 0 && process.argv[outAt + 1] !== undefined ? process.argv[outAt + 1] : join(root, 'dist', 'multus');
mkdirSync(dirname(out), { recursive: true });
/** Compiles one entry into one executable. */
function compile(entry, outfile) {
  const started = Date.now();
  execFileSync(
    bun,
    [
      'build',
      join(root, 'src', entry),
      '--compile',
      '--minify',
      '--bytecode',
      '--target=bun-linux-x64',
      `--define=MULTUS_VERSION=${JSON.stringify(pkg.version)}`,
      '--outfile',
      outfile,
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const mib = (statSync(outfile).size / 1048576).toFixed(1);
  console.error(`build: ${outfile} (${mib} MiB) in ${Date.now() - started} ms`);
}

// The thin plugin, CLI and daemon; and beside it the shim, which finds the thin binary next to
// itself for its fallback.
compile('main.ts', out);
compileShim(bun, join(dirname(out), 'multus-shim'));
