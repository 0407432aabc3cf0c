/** The subset of pino's API the project uses, so tests can bind a recorder. */
export interface Logger {
  trace(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Where and how much to log; from the multus config (`logLevel`/`log_level`, `logFile`, `logToStderr`). */
export interface LogSettings {
  readonly level: LogLevel;
  readonly file: string | undefined;
  readonly toStderr: boolean;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Builds the process's root logger once the config (and so the settings) is known. */
export interface LoggerFactory {
  create(settings: LogSettings): Logger;
}
