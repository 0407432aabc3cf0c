import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/** How a module is reached: each form the layering rules must see, so none is a way around them. */
export type ImportForm = 'import' | 'export-from' | 'import-equals' | 'dynamic-import' | 'require' | 'type-query';

/** One module reference in a source file, as written. */
export interface ImportRef {
  /** The module specifier; `undefined` for a computed `import(expr)` / `require(expr)` nobody can check. */
  readonly specifier: string | undefined;
  /** 1-based line, for the report. */
  readonly line: number;
  readonly form: ImportForm;
  /**
   * True only when nothing of the module survives compilation: `import type`, `export type ... from`,
   * `import type x = require()`, `typeof import('x')`. `import { type A } from 'x'` is NOT type-only:
   * under `verbatimModuleSyntax` (and some bundlers) it still loads 'x' for its side effects.
   */
  readonly typeOnly: boolean;
  /** Imported names (`default`, `*`, or the exported name); empty for side-effect and call forms. */
  readonly names: readonly string[];
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);

/** Every source file under `dir`, as a repo-relative POSIX path ('src/core/plan.ts'). */
export function sourceFiles(root: string, dir: string): string[] {
  const walk = (abs: string): string[] =>
    readdirSync(abs).flatMap((name) => {
      const path = join(abs, name);
      if (statSync(path).isDirectory()) return SKIPPED_DIRS.has(name) ? [] : walk(path);
      return SOURCE_EXTENSIONS.some((ext) => name.endsWith(ext)) && !name.endsWith('.d.ts') ? [path] : [];
    });
  return walk(join(root, dir))
    .map((path) => relative(root, path).split(sep).join('/'))
    .sort();
}

/** The text of a repo-relative file. */
export function readSource(root: string, file: string): string {
  return readFileSync(join(root, file), 'utf8');
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    ? node.text
    : undefined;
}

function importClauseNames(clause: ts.ImportClause | undefined): string[] {
  if (clause === undefined) return [];
  const names = clause.name === undefined ? [] : ['default'];
  const bindings = clause.namedBindings;
  if (bindings === undefined) return names;
  if (ts.isNamespaceImport(bindings)) return [...names, '*'];
  return [...names, ...bindings.elements.map((el) => (el.propertyName ?? el.name).text)];
}

function exportClauseNames(node: ts.ExportDeclaration): string[] {
  const clause = node.exportClause;
  if (clause === undefined || ts.isNamespaceExport(clause)) return ['*'];
  return clause.elements.map((el) => (el.propertyName ?? el.name).text);
}

type RefWithoutLine = Omit<ImportRef, 'line'>;

function isRequireCall(node: ts.CallExpression): boolean {
  return ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1;
}

/** The reference a node makes, if it is one of the import forms. */
function refOf(node: ts.Node): RefWithoutLine | undefined {
  if (ts.isImportDeclaration(node)) {
    const typeOnly = node.importClause?.isTypeOnly ?? false;
    return {
      specifier: literalText(node.moduleSpecifier),
      form: 'import',
      typeOnly,
      names: importClauseNames(node.importClause),
    };
  }
  if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
    return {
      specifier: literalText(node.moduleSpecifier),
      form: 'export-from',
      typeOnly: node.isTypeOnly,
      names: exportClauseNames(node),
    };
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return {
      specifier: literalText(node.moduleReference.expression),
      form: 'import-equals',
      typeOnly: node.isTypeOnly,
      names: ['*'],
    };
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
    return { specifier: literalText(node.argument.literal), form: 'type-query', typeOnly: true, names: [] };
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    return { specifier: literalText(node.arguments[0]), form: 'dynamic-import', typeOnly: false, names: [] };
  }
  if (ts.isCallExpression(node) && isRequireCall(node)) {
    return { specifier: literalText(node.arguments[0]), form: 'require', typeOnly: false, names: [] };
  }
  return undefined;
}

/**
 * Every module reference in `text`, parsed with the TypeScript compiler (not a regex), so
 * multi-line imports, comments and strings that merely look like imports are read right.
 */
export function scanImports(fileName: string, text: string): ImportRef[] {
  const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const refs: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    const ref = refOf(node);
    if (ref !== undefined) {
      refs.push({ ...ref, line: sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return refs;
}
