/** The e2e sender child: its config (argv[2], JSON) and the JSON lines it prints on stdout. */
export interface SenderConfig {
  host: string;
  writeKey: string;
  seconds: number;
  /** Unset: as fast as the SDK delivers (bounded queue). Set: paced, with probes for freshness. */
  eventsPerSec?: number;
  probeIntervalMs?: number;
}

export type SenderLine =
  | { type: 'probe'; id: string; at: number }
  | { type: 'done'; tracked: number; delivered: number; rejected: number; failed: number; dropped: number; startedAt: number; endedAt: number; peakRssMb: number; cpuMs: number };

/** How many events may wait in the SDK before the sender pauses: back-pressure instead of drops. */
export const MAX_BACKLOG = 20_000;
