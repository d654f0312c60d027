import { readKeyError, type KeyStore } from './session.js';
import { SITE_ID } from './state.js';

/**
 * A shared link opens the dashboard signed in with a read key for one site:
 * `https://<dashboard>/#key=<read_key>&site=<site_id>` (a key made with `site_ids`, so it reads
 * only the sites it was given). The key travels in the fragment because browsers never send a
 * fragment to a server, in the request or in a Referer, so no access log holds it; on arrival it is
 * moved to sessionStorage and dropped from the address bar.
 */
export type SharedLink =
  | { kind: 'none' }
  | { kind: 'link'; key: string; site: string | null }
  | { kind: 'invalid'; message: string };

export const INVALID_SHARED_LINK =
  'This shared link has no valid read key: it may have been cut short when it was copied. Ask for the link again, or sign in with a read key.';

/**
 * Reads a location's fragment (`#key=…&site=…`). A fragment without `key` (the skip link's
 * `#main`) is no shared link; a `key` that is no read key makes the link invalid, and a `site`
 * that is no site id is ignored (the dashboard then opens the key's first site).
 */
export function parseSharedLink(hash: string): SharedLink {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const key = params.get('key');
  if (key === null) return { kind: 'none' };
  if (readKeyError(key) !== null) return { kind: 'invalid', message: INVALID_SHARED_LINK };
  const site = params.get('site');
  return { kind: 'link', key: key.trim(), site: site !== null && SITE_ID.test(site) ? site : null };
}

/**
 * The address to show instead: the same page and view without the fragment, the link's site in
 * the query string where the dashboard keeps its state (`?site=`), so a reload stays on it.
 */
export function addressWithoutKey(location: { pathname: string; search: string }, site: string | null): string {
  const params = new URLSearchParams(location.search);
  if (site !== null) params.set('site', site);
  const qs = params.toString();
  return `${location.pathname}${qs ? `?${qs}` : ''}`;
}

export interface SharedLinkWindow {
  location: { pathname: string; search: string; hash: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
}

/**
 * Takes a shared link out of the address bar and keeps its key (marked as shared) in `keys`.
 * `replaceState` rewrites the current history entry, so neither the address bar, a copied URL nor
 * the back button holds the key afterwards. An invalid link is dropped from the address too: it
 * may hold most of a key.
 */
export function takeSharedLink(keys: KeyStore, w: SharedLinkWindow = window): SharedLink {
  const link = parseSharedLink(w.location.hash);
  if (link.kind === 'none') return link;
  w.history.replaceState(null, '', addressWithoutKey(w.location, link.kind === 'link' ? link.site : null));
  if (link.kind === 'link') keys.set(link.key, { shared: true });
  return link;
}
