export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** One JSON object per line on stdout (errors keep their message and code, not the stack). */
export function jsonLogger(write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  return {
    log(level, msg, fields) {
      const entry: Record<string, unknown> = { level, msg, time: new Date().toISOString() };
      if (fields) {
        for (const [k, v] of Object.entries(fields)) {
          entry[k] = v instanceof Error ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code } : v;
        }
      }
      write(JSON.stringify(entry) + '\n');
    },
  };
}

export const silentLogger: Logger = { log() {} };
