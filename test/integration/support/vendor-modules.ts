import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** The example vendor packages of plugins/. */
export const PLUGINS_DIR = join(__dirname, '..', '..', '..', 'plugins');

/**
 * One TypeScript file of a vendor package compiled to CommonJS, as a vendor would ship it for
 * `adapterDirs`. Only a file with no run-time imports (types only) works on its own: a module
 * loaded at run time gets multus through the adapter API, it cannot import it.
 */
export function compileToCjs(tsFile: string): string {
  const source = readFileSync(tsFile, 'utf8');
  const out = ts.transpileModule(source, {
    fileName: tsFile,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  const problems = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (problems.length > 0) throw new Error(`${tsFile} does not compile: ${problems.join('; ')}`);
  if (/\brequire\(/u.test(out.outputText))
    throw new Error(`${tsFile} has run-time imports: it cannot be loaded from adapterDirs on its own`);
  return out.outputText;
}

/**
 * A directory the loader accepts: root-owned, mode 0755, each file root-owned 0644 (the
 * permissions an operator gives /etc/multus/adapters.d). Created under a caller's temp dir.
 */
export function safeAdapterDir(dir: string, files: Readonly<Record<string, string>>): string {
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 0, 0);
  chmodSync(dir, 0o755);
  for (const [name, text] of Object.entries(files)) {
    const file = join(dir, name);
    writeFileSync(file, text);
    chownSync(file, 0, 0);
    chmodSync(file, 0o644);
  }
  return dir;
}
