import { scanImports, type ImportRef } from './scan-imports';

/** The parser the layering rules stand on: every way of reaching a module must come out of it. */
type Expected = Pick<ImportRef, 'specifier' | 'form' | 'typeOnly' | 'names'>;

function only(text: string): Expected {
  const refs = scanImports('planted.ts', text);
  expect(refs).toHaveLength(1);
  const { specifier, form, typeOnly, names } = refs[0] as ImportRef;
  return { specifier, form, typeOnly, names };
}

function ref(specifier: string | undefined, form: ImportRef['form'], typeOnly: boolean, names: string[]): Expected {
  return { specifier, form, typeOnly, names };
}

describe('scanImports', () => {
  test.each<[string, string, Expected]>([
    ['default import', "import x from 'pino';", ref('pino', 'import', false, ['default'])],
    ['named imports', "import { a, b as c } from 'x';", ref('x', 'import', false, ['a', 'b'])],
    ['namespace import', "import * as fs from 'node:fs';", ref('node:fs', 'import', false, ['*'])],
    ['default and named', "import d, { e } from 'x';", ref('x', 'import', false, ['default', 'e'])],
    ['import type', "import type { Options } from 'execa';", ref('execa', 'import', true, ['Options'])],
    ['inline type specifiers still load the module', "import { type A } from 'x';", ref('x', 'import', false, ['A'])],
    ['side-effect import', "import 'reflect-metadata';", ref('reflect-metadata', 'import', false, [])],
    ['export from', "export { a as b } from 'x';", ref('x', 'export-from', false, ['a'])],
    ['export star', "export * from 'x';", ref('x', 'export-from', false, ['*'])],
    ['export star as', "export * as ns from 'x';", ref('x', 'export-from', false, ['*'])],
    ['export type from', "export type { T } from 'x';", ref('x', 'export-from', true, ['T'])],
    ['import = require', "import cp = require('child_process');", ref('child_process', 'import-equals', false, ['*'])],
    [
      'import type = require',
      "import type cp = require('child_process');",
      ref('child_process', 'import-equals', true, ['*']),
    ],
    ['dynamic import', "const m = import('execa');", ref('execa', 'dynamic-import', false, [])],
    [
      'awaited dynamic import',
      'async function f() { return await import(`node:http`); }',
      ref('node:http', 'dynamic-import', false, []),
    ],
    ['require', "const fs = require('fs/promises');", ref('fs/promises', 'require', false, [])],
    ['typeof import', "type M = typeof import('execa');", ref('execa', 'type-query', true, [])],
    ['import type node', "let d: import('node:fs').Dirent;", ref('node:fs', 'type-query', true, [])],
    ['computed dynamic import', 'const m = import(name);', ref(undefined, 'dynamic-import', false, [])],
    ['subpath', "import { x } from 'execa/sub';", ref('execa/sub', 'import', false, ['x'])],
  ])('%s', (_name, text, expected) => {
    expect(only(text)).toEqual(expected);
  });

  test('lines are 1-based and follow the statement across lines', () => {
    const text = [
      "import type { A } from './a';",
      '',
      'import {',
      '  b,',
      "} from 'b';",
      "const c = require('c');",
    ].join('\n');
    expect(scanImports('planted.ts', text).map((ref) => [ref.specifier, ref.line])).toEqual([
      ['./a', 1],
      ['b', 3],
      ['c', 6],
    ]);
  });

  test('comments, strings and look-alikes are not imports', () => {
    const text = [
      "// import { execa } from 'execa';",
      "/* require('child_process') */",
      'const s = "import x from \'pino\'";',
      "obj.require('fs');",
      "myRequire('fs');",
      'export const y = 1;',
    ].join('\n');
    expect(scanImports('planted.ts', text)).toEqual([]);
  });

  test('plain JavaScript is read too', () => {
    expect(
      scanImports('planted.cjs', "const { spawn } = require('node:child_process');").map((ref) => ref.specifier),
    ).toEqual(['node:child_process']);
  });
});
