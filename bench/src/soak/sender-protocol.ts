/** Parent → soak sender (argv[2], JSON). */
export interface SoakSenderConfig {
  collectorUrl: string;
  writeKey: string;
  /** `max`: closed loop with `concurrency` clients; `paced`: `eventsPerSec`. */
  mode: 'max' | 'paced';
  eventsPerSec?: number;
  concurrency: number;
  batchSize: number;
  seconds: number;
  /** Length of one reported window. */
  windowMs: number;
  runId: string;
}

/** Soak sender → parent (stdout, one JSON per line). */
export type SoakSenderLine =
  | { type: 'window'; index: number; acked: number; requests: number; errors: number; p50: number; p99: number; ms: number }
  | { type: 'done'; acked: number; failed: number; ms: number };
