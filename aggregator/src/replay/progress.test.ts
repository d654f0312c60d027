import { describe, expect, it } from 'vitest';
import { renderProgress } from './progress.js';
import type { ReplayStatus } from './types.js';
import { REPLAY_MIN_BATCH, REPLAY_PROGRESS_STEPS, replayBatchSize } from './runner.js';

const base: ReplayStatus = {
  replay_id: 'rp_0123456789abcdef',
  state: 'running',
  phase: 'reading',
  progress: 0.5,
  events_done: 12345,
  messages_done: 10,
  messages_total: 20,
  rate: 45678,
  eta_seconds: 75,
  from: '2026-01-01T00:00:00.000Z',
  to: '2026-01-02T00:00:00.000Z',
  source: { stream: 10, archive: 0 },
  rows_staged: 100,
  started_at: '2026-01-03T00:00:00.000Z',
  updated_at: '2026-01-03T00:00:01.000Z',
};

describe('renderProgress', () => {
  it('shows the bar, events, rate and ETA', () => {
    expect(renderProgress(base, 10)).toBe('[#####.....]  50%  12,345 events  45,678 ev/s  ETA 1m15s  reading (stream 10, archive 0 messages)');
  });

  it('drops the ETA once finished and names a failure', () => {
    const line = renderProgress({ ...base, state: 'failed', phase: 'failed', progress: 1.7, error: { code: 'cancelled', message: 'x' } }, 4);
    expect(line).toBe('[####] 100%  12,345 events  45,678 ev/s  failed: cancelled (stream 10, archive 0 messages)');
  });
});

describe('replayBatchSize', () => {
  it('reads a short replay in about REPLAY_PROGRESS_STEPS batches, so its progress moves', () => {
    // 600 messages of 500 events: one 1,000-message batch went 0 → 0.9 → 1.
    expect(replayBatchSize(600, 1_000)).toBe(60);
    expect(Math.ceil(600 / replayBatchSize(600, 1_000))).toBe(REPLAY_PROGRESS_STEPS);
    expect(replayBatchSize(4_000, 1_000)).toBe(400);
    expect(replayBatchSize(100, 1_000)).toBe(REPLAY_MIN_BATCH);
  });

  it('keeps the configured size for long replays and never goes below the minimum', () => {
    // The benchmark's ~10,000 messages still read in batches of 1,000.
    expect(replayBatchSize(10_000, 1_000)).toBe(1_000);
    expect(replayBatchSize(1_000_000, 1_000)).toBe(1_000);
    expect(replayBatchSize(0, 1_000)).toBe(REPLAY_MIN_BATCH);
    expect(replayBatchSize(10, 5)).toBe(5);
  });
});
