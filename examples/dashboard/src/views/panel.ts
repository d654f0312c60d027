import { statusBox } from '../dom.js';
import { ApiError, describeError } from '../errors.js';

export interface PanelRun<T> {
  /** Where loading, empty and error states go. */
  body: HTMLElement;
  task: () => Promise<T>;
  /** Renders a result; returns false when it was empty so the empty state shows instead. */
  render: (value: T) => boolean;
  emptyText: string;
  signal: AbortSignal;
  onAuthError: (err: ApiError) => void;
  retry: () => void;
  /** Set false when `task` returns a shared promise that already retries. Default true. */
  retryRateLimited?: boolean;
}

/**
 * One panel load: keeps the previous content visible (dimmed, `aria-busy`) while new numbers load,
 * so filter clicks do not make the page jump, and ignores answers that a newer load superseded.
 */
export async function runPanel<T>(p: PanelRun<T>): Promise<void> {
  const hasContent = p.body.dataset.state === 'ready';
  p.body.setAttribute('aria-busy', 'true');
  if (!hasContent) p.body.replaceChildren(statusBox('loading', 'Loading…'));
  p.body.classList.add('is-loading');
  try {
    const value = p.retryRateLimited === false ? await p.task() : await withRateLimitRetry(p.task, p.signal);
    if (p.signal.aborted) return;
    p.body.replaceChildren();
    if (p.render(value)) {
      p.body.dataset.state = 'ready';
    } else {
      p.body.dataset.state = 'empty';
      p.body.replaceChildren(statusBox('empty', p.emptyText));
    }
  } catch (err) {
    if (p.signal.aborted) return;
    if (err instanceof ApiError && err.isAuth) {
      p.onAuthError(err);
      return;
    }
    p.body.dataset.state = 'error';
    p.body.replaceChildren(statusBox('error', describeError(err), p.retry));
  } finally {
    if (!p.signal.aborted) {
      p.body.removeAttribute('aria-busy');
      p.body.classList.remove('is-loading');
    }
  }
}

/** A 429 with a short `Retry-After` is waited out (a few times) instead of shown as an error. */
export const MAX_RATE_LIMIT_RETRIES = 3;
export const MAX_RATE_LIMIT_WAIT_S = 10;

export async function withRateLimitRetry<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (err) {
      const wait = err instanceof ApiError && err.status === 429 ? (err.retryAfterSeconds ?? 1) : null;
      if (wait === null || wait > MAX_RATE_LIMIT_WAIT_S || attempt >= MAX_RATE_LIMIT_RETRIES || signal.aborted) throw err;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait * 1000);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      if (signal.aborted) throw err;
    }
  }
}
