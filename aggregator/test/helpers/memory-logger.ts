import type { Logger } from '../../src/index.js';

/** Keeps log lines so a failing test can show what the aggregator did. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      log(level, msg, fields) {
        const f = fields ? Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? v.message : v])) : {};
        lines.push(JSON.stringify({ level, msg, ...f }));
      },
    },
  };
}
