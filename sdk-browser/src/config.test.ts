import { describe, expect, it } from 'vitest';
import {
  batchUrl,
  DEFAULT_DOWNLOAD_EXTENSIONS,
  DNT,
  downloadPattern,
  HASH,
  LOCALHOST,
  MANUAL,
  OUTBOUND,
  PERSIST,
  resolveOptions,
  type PulseOptions,
} from './config.js';
import { PulseConfigError } from './errors.js';

const KEY = 'wk_0123456789abcdefghijABCDEFGHIJ01';

function fieldOf(options: unknown): string | undefined {
  try {
    resolveOptions(options as PulseOptions);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(PulseConfigError);
    expect((e as PulseConfigError).code).toBe('invalid_option');
    return (e as PulseConfigError).field;
  }
}

describe('resolveOptions', () => {
  it('applies the defaults: automatic pageviews, everything optional off', () => {
    expect(resolveOptions({ key: KEY, api: 'https://c.example.com/' })).toEqual({
      key: KEY,
      api: 'https://c.example.com',
      flags: 0,
      files: undefined,
    });
  });

  it('maps every switch to its flag', () => {
    const cfg = resolveOptions({
      key: KEY,
      api: 'http://127.0.0.1:8080',
      autoPageviews: false,
      hashRouting: true,
      outboundLinks: true,
      persistIds: true,
      respectDnt: true,
      allowLocalhost: true,
      fileDownloads: ['pdf', 'zip'],
    });
    expect(cfg.flags).toBe(MANUAL | HASH | OUTBOUND | PERSIST | DNT | LOCALHOST);
    expect(cfg.files!.test('/a/b.PDF')).toBe(true);
    expect(cfg.files!.test('/a/b.zip')).toBe(true);
    expect(cfg.files!.test('/a/b.html')).toBe(false);
    expect(cfg.files!.test('/a/pdf')).toBe(false);
  });

  it('names the first bad field', () => {
    expect(fieldOf(undefined)).toBe('options');
    expect(fieldOf({ api: 'https://c.example.com' })).toBe('key');
    expect(fieldOf({ key: 'rk_readkeysarenotwritekeys', api: 'https://c.example.com' })).toBe('key');
    expect(fieldOf({ key: KEY })).toBe('api');
    expect(fieldOf({ key: KEY, api: 'c.example.com' })).toBe('api');
    expect(fieldOf({ key: KEY, api: 'https://c.example.com', hashRouting: 'yes' })).toBe('hashRouting');
    expect(fieldOf({ key: KEY, api: 'https://c.example.com', fileDownloads: [] })).toBe('fileDownloads');
    expect(fieldOf({ key: KEY, api: 'https://c.example.com', fileDownloads: ['p.df'] })).toBe('fileDownloads');
    expect(fieldOf({ key: KEY, api: 'https://c.example.com', fileDownloads: 'pdf' })).toBe('fileDownloads');
    expect(fieldOf({ key: KEY, api: 'https://c.example.com', allowLocalhost: 1 })).toBe('allowLocalhost');
  });

  it('builds the batch endpoint with the key in the query', () => {
    expect(batchUrl({ api: 'https://c.example.com/stats', key: 'wk_a+b' })).toBe('https://c.example.com/stats/v1/batch?key=wk_a%2Bb');
  });

  it('matches the default download extensions case-insensitively, at the end of the path only', () => {
    const re = downloadPattern(DEFAULT_DOWNLOAD_EXTENSIONS);
    expect(['/f.pdf', '/x/y.XLSX', '/a.tar.gz', '/setup.exe'].every((p) => re.test(p))).toBe(true);
    expect(['/pdf', '/a.pdf/view', '/a.html', '/'].some((p) => re.test(p))).toBe(false);
  });
});
