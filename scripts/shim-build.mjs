// Builds the thick mode's shim, src/shim/*.c: C and libc only, linked statically (docs/thick.md
// says why and what each packaging measured). Its constants come from the TypeScript modules
// through a generated header, so the shim and the daemon agree by construction.
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const SHIM_SOURCES = ['multus-shim.c', 'daemon-call.c', 'fallback.c', 'json.c'].map((f) => `src/shim/${f}`);
export const SHIM_CFLAGS = [
  '-std=gnu11',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Wformat=2',
  '-D_FORTIFY_SOURCE=2',
  '-fstack-protector-strong',
];
const LINK_FLAGS = ['-static', '-s'];

/** The C compiler, or a clear exit saying what to install. */
export function runCc(args) {
  const cc = process.env.CC ?? 'cc';
  try {
    execFileSync(cc, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    console.error(
      `shim: ${cc} ${args.join(' ')} failed (${err.code ?? `exit ${err.status}`}); ` +
        "the shim needs a C compiler and libc's static library: apt-get install -y gcc libc6-dev",
    );
    process.exit(1);
  }
}

/** Writes src/generated/shim-constants.h from src/shim/shim-header.ts, then compiles the shim. */
export function compileShim(bun, outfile) {
  const started = Date.now();
  const header = execFileSync(
    bun,
    ['-e', "import { shimHeader } from './src/shim/shim-header.ts'; process.stdout.write(shimHeader());"],
    { cwd: root, encoding: 'utf8' },
  );
  writeFileSync(join(root, 'src', 'generated', 'shim-constants.h'), header);
  runCc([...SHIM_CFLAGS, ...LINK_FLAGS, '-o', outfile, ...SHIM_SOURCES]);
  console.error(`build: ${outfile} (${(statSync(outfile).size / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`);
}
