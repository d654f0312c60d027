import { describe, expect, it } from 'vitest';
import { uaParts } from './ua.js';

describe('uaParts (real User-Agent strings)', () => {
  it.each([
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      { browser: 'Chrome', browser_version: '120', os: 'Windows', device: 'desktop' },
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      { browser: 'Mobile Safari', browser_version: '17', os: 'iOS', device: 'mobile' },
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
      { browser: 'Mobile Safari', browser_version: '16', os: 'iOS', device: 'tablet' },
    ],
    [
      'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
      { browser: 'Firefox', browser_version: '121', os: 'Ubuntu', device: 'desktop' },
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
      { browser: 'Chrome', browser_version: '120', os: 'Android', device: 'mobile' },
    ],
  ])('%s', (ua, expected) => {
    expect(uaParts(ua)).toEqual(expected);
  });

  it('returns empty strings for an empty or unknown agent', () => {
    expect(uaParts('')).toEqual({ browser: '', browser_version: '', os: '', device: '' });
    expect(uaParts('curl-ish/0')).toEqual({ browser: '', browser_version: '', os: '', device: '' });
  });
});
