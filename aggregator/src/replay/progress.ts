import type { ReplayStatus } from './types.js';

const fmt = new Intl.NumberFormat('en-US');

function duration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line: `[#####.....]  50%  12,345 events  45,678 ev/s  ETA 12s  reading (stream 10, archive 0)`. */
export function renderProgress(s: ReplayStatus, width = 24): string {
  const p = Math.max(0, Math.min(1, s.progress));
  const filled = Math.round(p * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const pct = `${String(Math.floor(p * 100)).padStart(3)}%`;
  const eta = s.state === 'running' && s.eta_seconds !== undefined ? `  ETA ${duration(s.eta_seconds)}` : '';
  const what = s.state === 'failed' ? `failed: ${s.error?.code ?? 'error'}` : s.phase;
  return `${bar} ${pct}  ${fmt.format(s.events_done)} events  ${fmt.format(s.rate)} ev/s${eta}  ${what} (stream ${fmt.format(s.source.stream)}, archive ${fmt.format(s.source.archive)} messages)`;
}
