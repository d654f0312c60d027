/** Structured logging shared by the services: one JSON object per line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** Errors keep name, message and code (not the stack, which would split the line's meaning across fields). */
export function logFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields ?? {})) {
    out[k] = v instanceof Error ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code } : v;
  }
  return out;
}

export function jsonLogger(write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  return {
    log(level, msg, fields) {
      write(JSON.stringify({ level, msg, time: new Date().toISOString(), ...logFields(fields) }) + '\n');
    },
  };
}

export const silentLogger: Logger = { log() {} };
