import type { Logger, LogLevel } from './core/types.js';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}

/** One JSON object per line on stdout: {"level","msg","time",...}. */
export function createJsonLogger(min: LogLevel = 'info', fields: Record<string, unknown> = {}): Logger {
  return (level, msg, extra) => {
    if (ORDER[level] < ORDER[min]) return;
    const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields, ...extra });
    process.stdout.write(line + '\n');
  };
}
