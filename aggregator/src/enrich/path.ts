import { MAX_STRING_LENGTH } from '@pulse/protocol';

/**
 * One page, one path: percent-escapes decoded where that is safe, `//` collapsed, the trailing
 * slash and a trailing `index.html`/`index.htm` dropped (`/docs/` = `/docs/index.html` = `/docs`),
 * case kept (paths are case-sensitive). '' stays '' (an event without a URL has no page).
 */
export function normalisePath(path: string): string {
  if (path === '') return '';
  let p = path;
  try {
    p = decodeURI(p);
  } catch {
    // Malformed escapes: keep the raw path rather than guess.
  }
  p = p.replace(/\/{2,}/g, '/');
  p = p.replace(/\/index\.html?$/i, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.replace(/\/+$/, '') || '/';
  if (!p.startsWith('/')) p = `/${p}`;
  return p.length > MAX_STRING_LENGTH ? p.slice(0, MAX_STRING_LENGTH) : p;
}
