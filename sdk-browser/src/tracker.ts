import { DNT, HASH, LOCALHOST, MANUAL, MAX_STRING_LENGTH, OUTBOUND, SESSION_TIMEOUT_MS } from './config.js';
import { hashRoute } from './hash.js';
import { CONSENT_KEY, local, newId, persistent } from './storage.js';
import { createTransport, saveOutbox } from './transport.js';
import type { Props, SdkEvent, Tracker, TrackOptions } from './types.js';

export const VISITOR_KEY = 'pulse_v';
export const SESSION_KEY = 'pulse_s';
export { CONSENT_KEY };
export const OUTBOUND_EVENT = 'outbound_click';
export const DOWNLOAD_EVENT = 'file_download';

const cut = (s: string): string => s.slice(0, MAX_STRING_LENGTH);

/**
 * Starts tracking the page, sending to `url` (the batch endpoint with `?key=`).
 * `flags` and `files` come from a Config (positional: smaller in the script).
 * Returns undefined when the page must stay silent: localhost-like hosts and
 * file: pages unless allowed, and Do Not Track or Global Privacy Control when
 * the site asks to honour them.
 */
export function createTracker(url: string, flags: number, files?: RegExp): Tracker | undefined {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  if (
    (PULSE_DNT && flags & DNT && (nav.doNotTrack == '1' || nav.globalPrivacyControl)) ||
    (!(flags & LOCALHOST) && /^(localhost|127\.|\[::1\]|$)/.test(location.hostname))
  ) {
    return undefined;
  }
  const [add, flush] = createTransport(url, flags);

  // Hash routing folds "#/route" into the path, since the server reads the pathname.
  const page = (): string => {
    const href = location.href;
    return PULSE_HASH && flags & HASH ? hashRoute(href) : href.split('#')[0]!;
  };

  const track = (name: string, props?: Props, options?: TrackOptions): void => {
    const e: SdkEvent = {
      id: newId(),
      name,
      ts: Date.now(),
      url: cut(page()),
      referrer: cut(document.referrer),
      title: cut(document.title),
      screen_width: screen.width,
      lang: nav.language,
      props,
      revenue: options?.revenue,
    };
    if (PULSE_PERSIST) {
      // Persistent ids only with consent: given by consent(true), or by the site's
      // `persist` setting until consent(false). Cookieless (no ids) otherwise.
      if (persistent(flags)) {
        const now = e.ts;
        const [sid, last] = (local(SESSION_KEY) || '').split('.');
        local(VISITOR_KEY, (e.visitor_id = local(VISITOR_KEY) || newId()));
        e.session_id = sid && now - Number(last) < SESSION_TIMEOUT_MS ? sid : newId();
        local(SESSION_KEY, `${e.session_id}.${now}`);
      }
    }
    add(e);
  };

  let last: string | undefined;
  const pageview = (): void => {
    last = page();
    track('pageview');
  };
  // A task later: SPAs set the new title right after pushState, and a redirect
  // chain of several pushStates in one task counts once, as its final URL.
  const navigated = (): void => {
    setTimeout(() => page() != last && pageview());
  };

  if (!(flags & MANUAL)) {
    for (const m of ['pushState', 'replaceState'] as const) {
      const original = history[m];
      history[m] = function (this: History, ...args: Parameters<History['pushState']>) {
        original.apply(this, args);
        navigated();
      };
    }
    addEventListener('popstate', navigated);
    if (PULSE_HASH && flags & HASH) addEventListener('hashchange', navigated);
  }

  if (PULSE_LINKS && (flags & OUTBOUND || files)) {
    const click = (ev: MouseEvent): void => {
      // click is button 0; auxclick counts only the middle button (open in a new tab).
      const a = ev.button < 2 && ((ev.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null);
      if (a && /^http/.test(a.protocol)) {
        if (files?.test(a.pathname)) track(DOWNLOAD_EVENT, { url: cut(a.href) });
        else if (flags & OUTBOUND && a.host != location.host) track(OUTBOUND_EVENT, { url: cut(a.href) });
      }
    };
    addEventListener('click', click, true);
    addEventListener('auxclick', click, true);
  }

  // Sending whenever visibility changes costs nothing when the queue is empty;
  // `hidden` lets it skip a retry wait, since the page may be going away.
  for (const type of ['pagehide', 'visibilitychange']) addEventListener(type, () => flush(true));

  const tracker: Tracker = { track, pageview };
  if (PULSE_PERSIST) {
    tracker.consent = (granted: boolean) => {
      local(CONSENT_KEY, granted ? '1' : '0');
      if (!granted) {
        local(VISITOR_KEY, '');
        local(SESSION_KEY, '');
      }
      // Pending events follow the consent: into localStorage, or out of it
      // into this tab's sessionStorage (sent all the same, not dropped).
      saveOutbox(undefined, undefined, flags);
    };
  }
  return tracker;
}
