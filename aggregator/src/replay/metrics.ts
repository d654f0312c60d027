import { Counter, Gauge, Registry } from 'prom-client';
import { counterBy } from '../metrics.js';
import type { ReplayStatus } from './types.js';

/** How a replay of this process ended: `cancelled` is a failure whose error code says it was asked to stop. */
export const REPLAY_END_STATES = ['done', 'failed', 'cancelled'] as const;
export type ReplayEndState = (typeof REPLAY_END_STATES)[number];
const REPLAY_SOURCES = ['stream', 'archive'] as const satisfies ReadonlyArray<keyof ReplayStatus['source']>;

/**
 * Metrics of the replays a manager runs, on `registry` (default: a new one). The process that runs
 * the replays serves it: the query API's `/metrics`, given the same registry (its `registry` option).
 * A replay is counted by the process that runs it; the CLI's direct mode serves no metrics.
 */
export function createReplayMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    registry,
    // Every series from the start: the first failure is then an increase from 0, which increase() sees.
    finished: counterBy({
      name: 'pulse_replay_finished_total',
      help: 'Replays of this process that ended, by state (done, failed, cancelled).',
      label: 'state',
      values: REPLAY_END_STATES,
      registers,
    }),
    messages: counterBy({
      name: 'pulse_replay_messages_total',
      help: 'Stream messages replays read, by source (stream, archive).',
      label: 'source',
      values: REPLAY_SOURCES,
      registers,
    }),
    running: new Gauge({ name: 'pulse_replay_running', help: 'Replays running in this process.', registers }),
    events: new Counter({
      name: 'pulse_replay_events_total',
      help: 'Events replays read and processed (with the lead-in before `from` that only rebuilds visits).',
      registers,
    }),
    rowsStaged: new Counter({ name: 'pulse_replay_rows_staged_total', help: 'Rows replays wrote to their staging tables (the replayed range).', registers }),
    progress: new Gauge({
      name: 'pulse_replay_progress_ratio',
      help: "Progress (0..1, reading is 0.9 of it) of each replay running in this process, by replay_id; the series goes when the replay ends.",
      labelNames: ['replay_id'] as const,
      registers,
    }),
  };
}

export type ReplayMetrics = ReturnType<typeof createReplayMetrics>;
