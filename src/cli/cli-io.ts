/** What a CLI command may touch, injected so tests pass buffers. */
export interface CliIo {
  readonly env: ReadonlyMap<string, string>;
  out(text: string): void;
  err(text: string): void;
}

/** One subcommand of the binary's human mode (`multus <name> ...`). */
export interface CliCommand {
  readonly name: string;
  /** One line for `multus --help`. */
  readonly summary: string;
  /** Full usage for `multus <name> --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A usage mistake: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
