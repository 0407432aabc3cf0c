import { chmodSync } from 'node:fs';
import pino from 'pino';
import type { Logger, LoggerFactory, LogSettings } from '../core/ports/logger';

/** Errors are logged by type, code and message: a stack trace is noise to an operator and leaks paths. */
function errorWithoutStack(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields: Record<string, unknown> = { type: err.name, message: err.message };
  const { code, details } = err as { code?: unknown; details?: unknown };
  if (code !== undefined) fields['code'] = code;
  if (details !== undefined) fields['details'] = details;
  return fields;
}

/**
 * pino loggers writing synchronously (the async destination loses lines when the process exits
 * in the same tick) to stderr and/or the log file (0600). Never to stdout: stdout carries only
 * the CNI result. One logger per distinct settings, made once: a daemon serving many calls opens
 * a log file once, not once per call.
 */
export class PinoLoggerFactory implements LoggerFactory {
  private readonly loggers = new Map<string, Logger>();

  create(settings: LogSettings): Logger {
    const key = JSON.stringify([settings.level, settings.file, settings.toStderr]);
    let logger = this.loggers.get(key);
    if (logger === undefined) {
      logger = makeLogger(settings);
      this.loggers.set(key, logger);
    }
    return logger;
  }
}

function makeLogger(settings: LogSettings): Logger {
  const streams: pino.StreamEntry[] = [];
  if (settings.toStderr) streams.push({ stream: pino.destination({ fd: 2, sync: true }) });
  if (settings.file !== undefined) {
    streams.push({ stream: pino.destination({ dest: settings.file, sync: true, mkdir: true, mode: 0o600 }) });
    // `mode` applies only when the file is created: an existing log file is made 0600 too.
    chmodSync(settings.file, 0o600);
  }
  const level = streams.length === 0 ? 'silent' : settings.level;
  const options: pino.LoggerOptions = {
    level,
    base: { plugin: 'multus' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: errorWithoutStack },
  };
  if (streams.length <= 1) return pino(options, streams[0]?.stream ?? pino.destination({ fd: 2, sync: true }));
  return pino(options, pino.multistream(streams.map((s) => ({ ...s, level: settings.level }))));
}
