import { describe, expect, it } from 'vitest';
import { renderProgress } from './progress.js';
import type { ReplayStatus } from './types.js';

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
