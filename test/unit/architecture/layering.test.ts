import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The house plan, checked: src/core talks to ports only. It must not import execa,
 * @kubernetes/client-node, gRPC (@grpc/*, protobufjs) or node:fs (STYLE.md 9), nor reach into
 * adapters, sources or runtime.
 */
const root = join(__dirname, '..', '..', '..');
const core = join(root, 'src', 'core');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const FORBIDDEN = [/^execa$/, /^@kubernetes\/client-node/, /^@grpc\//, /^protobufjs/, /^(node:)?fs(\/promises)?$/, /^\.\.\/(\.\.\/)*(adapters|sources|runtime)\b/, /^\.\.\/(\.\.\/)*(app|container|main)$/];

function imports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push((m[1] ?? m[2] ?? m[3]) as string);
  }
  return found;
}

test('src/core has files to check', () => {
  expect(files(core).length).toBeGreaterThan(10);
});

test.each(files(core).map((f) => [relative(root, f), f]))('%s imports no infrastructure', (_name, file) => {
  const bad = imports(readFileSync(file, 'utf8')).filter((spec) => FORBIDDEN.some((re) => re.test(spec)));
  expect(bad).toEqual([]);
});

test('the checker itself catches a forbidden import', () => {
  expect(imports("import { execa } from 'execa';\nimport x from '../adapters/y';").filter((s) => FORBIDDEN.some((re) => re.test(s)))).toEqual([
    'execa',
    '../adapters/y',
  ]);
});
