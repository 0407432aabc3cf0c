import pino from 'pino';
import type { Logger, LoggerFactory, LogSettings } from '../core/ports/logger';

/**
 * pino loggers writing synchronously (the async destination loses lines when the process exits
 * in the same tick) to stderr and/or the log file (0600). Never to stdout: stdout carries only
 * the CNI result.
 */
export class PinoLoggerFactory implements LoggerFactory {
  create(settings: LogSettings): Logger {
    const streams: pino.StreamEntry[] = [];
    if (settings.toStderr) streams.push({ stream: pino.destination({ fd: 2, sync: true }) });
    if (settings.file !== undefined) {
      streams.push({ stream: pino.destination({ dest: settings.file, sync: true, mkdir: true, mode: 0o600 }) });
    }
    const level = streams.length === 0 ? 'silent' : settings.level;
    const options: pino.LoggerOptions = { level, base: { plugin: 'multus' }, timestamp: pino.stdTimeFunctions.isoTime };
    if (streams.length <= 1) return pino(options, streams[0]?.stream ?? pino.destination({ fd: 2, sync: true }));
    return pino(options, pino.multistream(streams.map((s) => ({ ...s, level: settings.level }))));
  }
}
