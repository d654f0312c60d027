/** Messages between the query benchmark (parent) and the process serving the API on chDB (child). */
export interface ServerConfig {
  events: number;
  days: number;
  chunk: number;
}

export type ToServer =
  | { type: 'invalidate' }
  /** Records what the API sends to storage from now on, until `disarm`. */
  | { type: 'arm' }
  | { type: 'disarm' }
  /** Runs the statements recorded between arm and disarm (one report, which read `table`), one after the other, straight against chDB. */
  | { type: 'baseline'; table: string; concurrency: number; durationMs: number }
  /** From now on the bare server answers every request with these bytes. */
  | { type: 'bare'; body: string; etag: string }
  | { type: 'stop' };

export type FromServer =
  | { type: 'ready'; port: number; barePort: number; readKey: string; siteId: string; fromMs: number; days: number; generateMs: number; chdbVersion: string }
  | { type: 'invalidated' }
  | { type: 'armed' }
  | { type: 'disarmed' }
  | { type: 'bared' }
  | { type: 'baseline'; latenciesMs: number[]; sql: string }
  | { type: 'error'; message: string };
