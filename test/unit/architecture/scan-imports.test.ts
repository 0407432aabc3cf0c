import { scanImports, type ImportRef } from './scan-imports';

/** The parser the layering rules stand on: every way of reaching a module must come out of it. */
type Expected = Pick<ImportRef, 'specifier' | 'form' | 'typeOnly' | 'names'>;

function only(text: string): Expected {
  const refs = scanImports('planted.ts', text);
  expect(refs).toHaveLength(1);
  const { specifier, form, typeOnly, names } = refs[0] as ImportRef;
  return { specifier, form, typeOnly, names };
}

describe('scanImports', () => {
  test.each<[string, string, Expected]>([
    [
      'default import',
      "import x from 'pino';",
      { specifier: 'pino', form: 'import', typeOnly: false, names: ['default'] },
    ],
    [
      'named imports',
      "import { a, b as c } from 'x';",
      { specifier: 'x', form: 'import', typeOnly: false, names: ['a', 'b'] },
    ],
    [
      'namespace import',
      "import * as fs from 'node:fs';",
      { specifier: 'node:fs', form: 'import', typeOnly: false, names: ['*'] },
    ],
    [
      'default and named',
      "import d, { e } from 'x';",
      { specifier: 'x', form: 'import', typeOnly: false, names: ['default', 'e'] },
    ],
    [
      'import type',
      "import type { Options } from 'execa';",
      { specifier: 'execa', form: 'import', typeOnly: true, names: ['Options'] },
    ],
    [
      'inline type specifiers still load the module',
      "import { type A } from 'x';",
      { specifier: 'x', form: 'import', typeOnly: false, names: ['A'] },
    ],
    [
      'side-effect import',
      "import 'reflect-metadata';",
      { specifier: 'reflect-metadata', form: 'import', typeOnly: false, names: [] },
    ],
    [
      'export from',
      "export { a as b } from 'x';",
      { specifier: 'x', form: 'export-from', typeOnly: false, names: ['a'] },
    ],
    ['export star', "export * from 'x';", { specifier: 'x', form: 'export-from', typeOnly: false, names: ['*'] }],
    [
      'export star as',
      "export * as ns from 'x';",
      { specifier: 'x', form: 'export-from', typeOnly: false, names: ['*'] },
    ],
    [
      'export type from',
      "export type { T } from 'x';",
      { specifier: 'x', form: 'export-from', typeOnly: true, names: ['T'] },
    ],
    [
      'import = require',
      "import cp = require('child_process');",
      { specifier: 'child_process', form: 'import-equals', typeOnly: false, names: ['*'] },
    ],
    [
      'import type = require',
      "import type cp = require('child_process');",
      { specifier: 'child_process', form: 'import-equals', typeOnly: true, names: ['*'] },
    ],
    [
      'dynamic import',
      "const m = import('execa');",
      { specifier: 'execa', form: 'dynamic-import', typeOnly: false, names: [] },
    ],
    [
      'awaited dynamic import',
      'async function f() { return await import(`node:http`); }',
      { specifier: 'node:http', form: 'dynamic-import', typeOnly: false, names: [] },
    ],
    [
      'require',
      "const fs = require('fs/promises');",
      { specifier: 'fs/promises', form: 'require', typeOnly: false, names: [] },
    ],
    [
      'typeof import',
      "type M = typeof import('execa');",
      { specifier: 'execa', form: 'type-query', typeOnly: true, names: [] },
    ],
    [
      'import type node',
      "let d: import('node:fs').Dirent;",
      { specifier: 'node:fs', form: 'type-query', typeOnly: true, names: [] },
    ],
    [
      'computed dynamic import',
      'const m = import(name);',
      { specifier: undefined, form: 'dynamic-import', typeOnly: false, names: [] },
    ],
    [
      'subpath',
      "import { x } from 'execa/sub';",
      { specifier: 'execa/sub', form: 'import', typeOnly: false, names: ['x'] },
    ],
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
