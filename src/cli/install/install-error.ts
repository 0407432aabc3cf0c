/**
 * Why `multus install` could not do its work (no primary CNI config, a config it cannot read,
 * a file it cannot write). The dispatcher prints the message and exits 1; a UsageError (exit 2)
 * is for a mistake on the command line instead. Callers tell the two apart by class.
 */
export class InstallError extends Error {
  override readonly name = 'InstallError';
}
