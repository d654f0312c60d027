import type { Logger } from '@pulse/aggregator';

/** The services' warnings and errors reach stderr with the bench's progress; their info chatter does not. */
export function warnLogger(scope: string): Logger {
  return {
    log(level, msg, fields) {
      if (level !== 'warn' && level !== 'error') return;
      process.stderr.write(JSON.stringify({ level, msg, scope, time: new Date().toISOString(), ...fields }) + '\n');
    },
  };
}
