import { describe, expect, it } from 'vitest';
import { isPageUrlBytes, urlKind, type UrlKind } from './url-kind.js';

const enc = new TextEncoder();
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

const CASES: Array<[string, UrlKind]> = [
  ['https://shop.test/p/1?utm_source=x#top', 'absolute'],
  ['http://shop.test', 'absolute'],
  ['HTTPS://Shop.Test/A', 'absolute'],
  ['https://user:pw@shop.test:8443/x', 'absolute'],
  ['https://[::1]:8080/', 'absolute'],
  ['https://x', 'absolute'],
  ['https://shop.test?q=1', 'absolute'],
  ['http://xn--mnchen-3ya.de/', 'absolute'],
  ['/', 'path'],
  ['/relative/path', 'path'],
  ['/pricing?ref=producthunt', 'path'],
  ['/a b/ü', 'path'],
  ['/\t/evil.test', 'path'],
  ['', 'other'],
  ['not a url', 'other'],
  ['relative/path', 'other'],
  ['checkout', 'other'],
  ['//cdn.test/x', 'other'],
  ['/\\evil.test', 'other'],
  ['https://', 'other'],
  ['https:///x', 'other'],
  ['https://?q', 'other'],
  ['https://#x', 'other'],
  ['https:// shop.test/', 'other'],
  ['http://not a url', 'other'],
  ['https://\\evil.test', 'other'],
  ['https:shop.test', 'other'],
  ['https:/shop.test', 'other'],
  ['httpx://shop.test', 'other'],
  ['ftp://shop.test/', 'other'],
  ['file:///home/a.html', 'other'],
  ['app://screen/home', 'other'],
  ['javascript:alert(1)', 'other'],
  [' https://shop.test/', 'other'],
  ['http', 'other'],
  ['https:/', 'other'],
  ['http:/x', 'other'],
  ['HtTpS://Mixed.Case/', 'absolute'],
  ['http://a/b', 'absolute'],
  ['https://a\x7fb/', 'other'],
  ['https://ex ample.test/', 'other'],
  ['h\u0174tp://x/', 'other'],
];

describe('urlKind', () => {
  it.each(CASES)('%j → %s', (url, kind) => {
    expect(urlKind(url)).toBe(kind);
  });

  it('calls absolute only what WHATWG reads as an http(s) URL with a host, for every case here that parses', () => {
    for (const [url, kind] of CASES) {
      if (kind !== 'absolute') continue;
      const u = new URL(url);
      expect(u.protocol === 'http:' || u.protocol === 'https:').toBe(true);
      expect(u.hostname).not.toBe('');
    }
  });
});

describe('isPageUrlBytes (the msgpack scan)', () => {
  it.each(CASES)('agrees with urlKind on the UTF-8 of %j', (url, kind) => {
    const b = enc.encode(`xx${url}yy`); // inside a larger buffer, as in a body
    expect(isPageUrlBytes(b, view(b), 2, b.length - 4)).toBe(kind !== 'other');
  });

  it('never reads past the string: the bytes after it do not complete a scheme', () => {
    const b = enc.encode('https://x');
    expect(isPageUrlBytes(b, view(b), 0, 7)).toBe(false); // "https:/" followed by "/x" outside the string
    expect(isPageUrlBytes(b, view(b), 0, 8)).toBe(false); // "https://" followed by "x"
    const h = enc.encode('http://x');
    expect(isPageUrlBytes(h, view(h), 0, 7)).toBe(false);
  });

  it('gives up (false) on non-ASCII bytes where the rule looks, which a decoder may read as "/"', () => {
    const at = (b: Uint8Array) => isPageUrlBytes(b, view(b), 0, b.length);
    expect(at(Uint8Array.from([0x2f, 0xc0, 0xaf, 0x78]))).toBe(false); // "/" + overlong "/"
    expect(at(enc.encode('https://münchen.de/'))).toBe(false);
    // Bytes that equal an ASCII scheme letter with the high bit set, or a letter's case bit on ":" or "/".
    expect(at(Uint8Array.from([0xe8, 0x74, 0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x78]))).toBe(false);
    expect(at(enc.encode('http\x1a//x'))).toBe(false);
    expect(at(enc.encode('https\x1a//x'))).toBe(false);
    // After the host, anything goes (the path is never judged).
    expect(at(enc.encode('https://shop.test/ü'))).toBe(true);
    expect(urlKind('https://münchen.de/')).toBe('absolute');
  });
});
