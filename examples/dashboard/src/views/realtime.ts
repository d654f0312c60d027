import type { ApiClient, Realtime } from '../api.js';
import { h, statusBox } from '../dom.js';
import { ApiError, describeError } from '../errors.js';
import { formatCount, formatInstant } from '../format.js';

export const REALTIME_REFRESH_MS = 10_000;
export const REALTIME_MINUTES = 30;

export interface RealtimeOptions {
  client: ApiClient;
  siteId: string;
  timeZone: string;
  onAuthError(err: ApiError): void;
  onFreshness?(completeThrough: number | null): void;
  refreshMs?: number;
}

/** Pads the API's minutes to a full 30-minute window ending at the current minute. */
export function lastMinutes(r: Realtime, now: number, minutes = REALTIME_MINUTES): { minute: number; pageviews: number }[] {
  const end = now - (now % 60_000);
  const byMinute = new Map(r.perMinute.map((p) => [p.minute - (p.minute % 60_000), p.pageviews]));
  const out: { minute: number; pageviews: number }[] = [];
  for (let i = minutes - 1; i >= 0; i--) {
    const minute = end - i * 60_000;
    out.push({ minute, pageviews: byMinute.get(minute) ?? 0 });
  }
  return out;
}

/** "Visitors now" and pageviews a minute; refreshes itself and pauses while the tab is hidden. */
export class RealtimeView {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly updated: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private controller: AbortController | null = null;
  private stopped = false;
  private readonly onVisibility = () => {
    if (!document.hidden && !this.stopped) this.refresh();
  };

  constructor(private readonly opts: RealtimeOptions) {
    this.body = h('div', { class: 'realtime-body' }, statusBox('loading', 'Loading…'));
    this.updated = h('span', { class: 'muted small', 'data-testid': 'realtime-updated' });
    this.el = h(
      'section',
      { class: 'panel realtime', 'data-panel': 'realtime', 'aria-labelledby': 'realtime-title' },
      h(
        'header',
        { class: 'panel-header' },
        h('h2', { id: 'realtime-title' }, h('span', { class: 'pulse-dot', 'aria-hidden': 'true' }), 'Realtime'),
        this.updated,
      ),
      this.body,
    );
    document.addEventListener('visibilitychange', this.onVisibility);
    this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    if (this.timer) clearTimeout(this.timer);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private refresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.opts.client.realtime(this.opts.siteId, controller.signal).then(
      (r) => {
        if (controller.signal.aborted || this.stopped) return;
        this.render(r, Date.now());
        this.opts.onFreshness?.(r.completeThrough);
        this.schedule();
      },
      (err: unknown) => {
        if (controller.signal.aborted || this.stopped) return;
        if (err instanceof ApiError && err.isAuth) {
          this.opts.onAuthError(err);
          return;
        }
        this.body.dataset.state = 'error';
        this.body.replaceChildren(statusBox('error', describeError(err), () => this.refresh()));
        this.schedule();
      },
    );
  }

  private schedule(): void {
    if (this.stopped || document.hidden) return;
    this.timer = setTimeout(() => this.refresh(), this.opts.refreshMs ?? REALTIME_REFRESH_MS);
  }

  private render(r: Realtime, now: number): void {
    const minutes = lastMinutes(r, now);
    const max = Math.max(1, ...minutes.map((m) => m.pageviews));
    const total = minutes.reduce((a, m) => a + m.pageviews, 0);
    const bars = minutes.map((m) =>
      h('li', {
        class: 'rt-bar',
        style: `height:${Math.max(2, (m.pageviews / max) * 100).toFixed(1)}%`,
        title: `${formatInstant(m.minute, this.opts.timeZone, now)}: ${m.pageviews} pageviews`,
      }),
    );
    this.body.dataset.state = 'ready';
    this.body.replaceChildren(
      h(
        'div',
        { class: 'rt-now' },
        h('span', { class: 'rt-value', 'data-testid': 'realtime-visitors', 'data-value': r.visitors }, formatCount(r.visitors)),
        h('span', { class: 'muted' }, r.visitors === 1 ? 'visitor in the last 5 minutes' : 'visitors in the last 5 minutes'),
      ),
      h(
        'div',
        { class: 'rt-chart' },
        h('ol', { class: 'rt-bars', 'aria-hidden': 'true' }, bars),
        h(
          'p',
          { class: 'muted small', 'data-testid': 'realtime-pageviews', 'data-value': total },
          `${formatCount(total)} pageviews in the last ${REALTIME_MINUTES} minutes`,
        ),
      ),
    );
    this.updated.textContent = `Updated ${formatInstant(now, this.opts.timeZone, now)}`;
  }
}
