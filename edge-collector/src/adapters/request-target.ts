/** A request's path and raw query string, as the core takes them (`CoreRequest.path`, `.query`). */
export interface RequestTarget {
  path: string;
  query: string;
}

const SLASH = 0x2f;
const QUESTION = 0x3f;
const HASH = 0x23;

/**
 * Path and query of a request URL as a runtime reports it, without a URL parser: Bun's `req.url`
 * is an absolute URL built from the Host header (`http://host/p?q`, already normalised), but the
 * request target alone (`/p?q`) when that header is not a usable host (`Host: a b`, `Host: `), on
 * which `new URL` throws. Both, and absolute-form targets, give the same path and query here, as
 * `new URL(url).pathname` and `.search` without its `?` would when they parse: the path ends at the
 * first `?` or `#`, the query at the first `#` after it, and an empty path is `/`.
 */
export function requestTarget(url: string): RequestTarget {
  let start = 0;
  if (url.charCodeAt(0) !== SLASH) {
    const scheme = url.indexOf('://');
    if (scheme !== -1) {
      // The authority ends at the first '/', '?' or '#'.
      start = scheme + 3;
      while (start < url.length) {
        const c = url.charCodeAt(start);
        if (c === SLASH || c === QUESTION || c === HASH) break;
        start++;
      }
    }
  }
  let end = start;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === QUESTION || c === HASH) break;
    end++;
  }
  const path = end === start ? '/' : url.slice(start, end);
  if (end === url.length || url.charCodeAt(end) === HASH) return { path, query: '' };
  const hash = url.indexOf('#', end + 1);
  return { path, query: url.slice(end + 1, hash === -1 ? url.length : hash) };
}
