// The script tag build (IIFE):
//   <script defer src="https://collector.example.com/script.js" data-key="wk_..."></script>
// Attributes: data-api (collector base URL; default: the folder the script was
// served from, so a first-party proxy path works), data-manual (no automatic
// pageviews), data-allow-localhost; in builds with the feature: data-hash,
// data-outbound, data-downloads (empty for the default extensions, or "pdf,zip"),
// data-persist, data-dnt.
// Calls made before the script loads are queued by the snippet
//   window.pulse = window.pulse || function () { (pulse.q = pulse.q || []).push(arguments) }
// and replayed here: pulse('track', name, props, { revenue }), pulse('pageview'), pulse('consent', true).
import { DEFAULT_DOWNLOAD_EXTENSIONS, DNT, downloadPattern, HASH, LOCALHOST, MANUAL, OUTBOUND, PERSIST } from './config.js';
import { createTracker } from './tracker.js';
import type { Tracker } from './types.js';

// `q` holds the `arguments` objects the snippet queued (iterable, so they spread).
type Pulse = ((command: keyof Tracker, ...args: unknown[]) => void) & { q?: Iterable<unknown>[]; t?: 1 };

const w = window as unknown as { pulse?: Pulse };
const s = document.currentScript as HTMLScriptElement | null;
// data-* attributes, camelCased: data-allow-localhost is `allowLocalhost`.
const data = s?.dataset || {};
const key = data.key;
// A second copy of the script on the page must not count everything twice.
if (key && !w.pulse?.t) {
  const on = (name: string, bit: number): number => (name in data ? bit : 0);
  const files = PULSE_LINKS ? data.downloads : undefined;
  let flags = on('manual', MANUAL) | on('allowLocalhost', LOCALHOST);
  if (PULSE_HASH) flags |= on('hash', HASH);
  if (PULSE_LINKS) flags |= on('outbound', OUTBOUND);
  if (PULSE_PERSIST) flags |= on('persist', PERSIST);
  if (PULSE_DNT) flags |= on('dnt', DNT);
  const tracker = createTracker(
    // "https://c.example/stats/script.js" → "https://c.example/stats/v1/batch?key=…"
    (data.api || s!.src.replace(/[^/]*$/, '')).replace(/\/*$/, '/v1/batch?key=') + encodeURIComponent(key),
    flags,
    files == null ? undefined : downloadPattern(files.match(/\w+/g) || DEFAULT_DOWNLOAD_EXTENSIONS),
  );
  // A silenced page (localhost, DNT) gets a no-op: the snippet is optional, so
  // without it a page calling pulse() would throw a ReferenceError.
  const pulse: Pulse = (command, ...args) => (tracker?.[command] as ((...a: unknown[]) => void) | undefined)?.(...args);
  for (const args of w.pulse?.q || []) pulse(...(args as Parameters<Pulse>));
  pulse.t = 1;
  w.pulse = pulse;
  if (!(flags & MANUAL)) tracker?.pageview();
}
