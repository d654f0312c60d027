/**
 * How an event's `url` is read: `absolute`, an http(s) URL with a host (the page is its host and
 * path); `path`, one starting with a single `/` (server SDKs send those: the page is the path, the
 * host is unknown); `other`, anything else ("not a url", "checkout", "//host/x", "file:///x").
 * A pageview's url must be `absolute` or `path` (`invalid_url:url`); the aggregator reads every
 * event's url by the same classification, so what the collector let through is what it parses.
 *
 * Deliberately a prefix check, not a URL parser: it runs on every pageview at the edge (WHATWG
 * parsing is ~1 µs; this is ~100 ns on the shared 2-core test machine, where validating the rest of
 * the event takes ~270 ns), and a browser's `location.href` always passes it. A URL it
 * passes that a parser still refuses (a bad port, "http://[x") keeps its host and path through the
 * aggregator's fallback split (`aggregator/src/enrich/url.ts`).
 */
export type UrlKind = 'absolute' | 'path' | 'other';

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const QUESTION = 0x3f;
const HASH = 0x23;

/** "http", "://" and "s://" as big-endian words; `| LOWER` lower-cases the letters only. */
const HTTP = 0x68747470;
const LOWER = 0x20202020;
const S_COLON_SLASHES = 0x733a2f2f;
const COLON_SLASHES = 0x3a2f2f;

/** Where the authority starts after a leading `http://`/`https://` (scheme in any case), else 0. */
function httpAuthorityStart(u: string): number {
  // `| 0x20` lower-cases ASCII letters; NaN (past the end) becomes 0x20 and matches nothing.
  if ((u.charCodeAt(0) | 0x20) !== 0x68 || (u.charCodeAt(1) | 0x20) !== 0x74 || (u.charCodeAt(2) | 0x20) !== 0x74 || (u.charCodeAt(3) | 0x20) !== 0x70) return 0;
  const i = (u.charCodeAt(4) | 0x20) === 0x73 ? 5 : 4;
  return u.charCodeAt(i) === 0x3a && u.charCodeAt(i + 1) === SLASH && u.charCodeAt(i + 2) === SLASH ? i + 3 : 0;
}

export function urlKind(url: string): UrlKind {
  if (url.charCodeAt(0) === SLASH) {
    // "//host/x" is protocol-relative and "/\host" is read as "//host" by browsers: not paths.
    const c = url.charCodeAt(1);
    return c === SLASH || c === BACKSLASH ? 'other' : 'path';
  }
  const start = httpAuthorityStart(url);
  if (start === 0) return 'other';
  let i = start;
  const n = url.length;
  for (; i < n; i++) {
    const c = url.charCodeAt(i);
    // Most host characters are lower-case letters: one comparison for them.
    if (c - 0x61 < 26 && c >= 0x61) continue;
    if (c === SLASH || c === QUESTION || c === HASH) break;
    // Whitespace, controls and "\" never belong in a host ("http:// not a url"); non-ASCII (an
    // IDN host) does.
    if (c <= 0x20 || c === 0x7f || c === BACKSLASH) return 'other';
  }
  return i > start ? 'absolute' : 'other';
}

/**
 * Whether the UTF-8 bytes `b[at, at + len)` decode to a url `urlKind` calls `absolute` or `path`,
 * for the msgpack scan, which must never vouch for more than the decoder and `urlKind` accept.
 * `false` also when a byte ≥ 0x80 sits where the rule looks: a decoder may read invalid UTF-8 (an
 * overlong "/") as anything, so only ASCII is judged here and the full path decides the rest.
 * `view` is a DataView over `b`: the scheme is compared a word at a time.
 */
export function isPageUrlBytes(b: Uint8Array, view: DataView, at: number, len: number): boolean {
  if (len === 0) return false;
  const c0 = b[at] as number;
  if (c0 === SLASH) {
    if (len === 1) return true;
    const c1 = b[at + 1] as number;
    return c1 !== SLASH && c1 !== BACKSLASH && c1 < 0x80;
  }
  // Bytes ≥ 0x80 keep their high bit under `| LOWER`, so they never match the ASCII words.
  if (len < 8 || (view.getUint32(at) | LOWER) >>> 0 !== HTTP) return false;
  const tail = view.getUint32(at + 4);
  let i: number;
  if (((tail | 0x20000000) >>> 0) === S_COLON_SLASHES) i = at + 8;
  else if (tail >>> 8 === COLON_SLASHES) i = at + 7;
  else return false;
  const start = i;
  const end = at + len;
  for (; i < end; i++) {
    const c = b[i] as number;
    if (c - 0x61 < 26 && c >= 0x61) continue;
    if (c === SLASH || c === QUESTION || c === HASH) break;
    if (c <= 0x20 || c >= 0x7f || c === BACKSLASH) return false;
  }
  return i > start;
}
