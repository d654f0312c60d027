import { describe, expect, it } from 'vitest';
import { basicAuthUser, bodyWriteKey, segmentRoutes, settingsWriteKey } from './endpoints.js';

describe('segmentRoutes', () => {
  it('maps the HTTP API paths, the analytics.js short forms and /v1/import under the prefix', () => {
    const r = segmentRoutes('/pulse');
    expect(r.get('/pulse/segment/v1/batch')).toBe('batch');
    expect(r.get('/pulse/segment/v1/b')).toBe('batch');
    expect(r.get('/pulse/segment/v1/import/')).toBe('batch');
    for (const [long, short] of [['track', 't'], ['page', 'p'], ['screen', 's'], ['identify', 'i'], ['group', 'g'], ['alias', 'a']] as const) {
      expect(r.get(`/pulse/segment/v1/${long}`)).toBe(long);
      expect(r.get(`/pulse/segment/v1/${short}`)).toBe(long);
    }
    expect(r.get('/segment/v1/batch')).toBeUndefined();
    expect(r.get('/pulse/v1/batch')).toBeUndefined();
    expect(segmentRoutes('').get('/segment/v1/batch')).toBe('batch');
    // analytics.js's usage metrics: a route of its own, never read as messages.
    expect(r.get('/pulse/segment/v1/m')).toBe('metrics');
    expect(r.size).toBe(32);
  });
});

describe('settingsWriteKey', () => {
  it('reads the key of analytics.js settings paths under the prefix, and nothing else', () => {
    expect(settingsWriteKey('/pulse/segment/v1/projects/wk_abc/settings', '/pulse')).toBe('wk_abc');
    expect(settingsWriteKey('/segment/v1/projects/wk_abc/settings', '')).toBe('wk_abc');
    expect(settingsWriteKey('/segment/v1/projects//settings', '')).toBe('');
    for (const path of [
      '/segment/v1/projects/wk_abc/settings',
      '/pulse/segment/v1/projects/wk_abc/settings/',
      '/pulse/segment/v1/projects/a/b/settings',
      '/pulse/segment/v1/projects/settings',
      '/pulse/segment/v1/projectswk_abc/settings',
      '/other/segment/v1/projects/wk_abc/settings',
      '/pulse/v1/projects/wk_abc/settings',
    ]) {
      expect([path, settingsWriteKey(path, '/pulse')]).toEqual([path, undefined]);
    }
  });
});

describe('basicAuthUser', () => {
  it('reads the user name of Basic credentials, as Segment libraries send the write key', () => {
    expect(basicAuthUser(`Basic ${btoa('wk_abc:')}`)).toBe('wk_abc');
    expect(basicAuthUser(`basic   ${btoa('wk_abc:secret:x')} `)).toBe('wk_abc');
    expect(basicAuthUser(`Basic ${btoa('wk_abc')}`)).toBe('wk_abc');
    expect(basicAuthUser('Basic !!!not base64')).toBe('');
    expect(basicAuthUser('Basic')).toBe('');
    expect(basicAuthUser('Bearer wk_abc')).toBeUndefined();
    expect(basicAuthUser('')).toBeUndefined();
  });
});

describe('bodyWriteKey', () => {
  it('reads a string writeKey at the top of the body only', () => {
    expect(bodyWriteKey({ writeKey: 'wk_a', batch: [] })).toBe('wk_a');
    expect(bodyWriteKey({ batch: [{ writeKey: 'wk_a' }] })).toBeUndefined();
    expect(bodyWriteKey({ writeKey: 5 })).toBeUndefined();
    expect(bodyWriteKey(['wk_a'])).toBeUndefined();
  });
});
