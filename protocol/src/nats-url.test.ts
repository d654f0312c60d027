import { describe, expect, it } from 'vitest';
import { NatsUrlError } from './errors.js';
import { DEFAULT_NATS_URL, parseNatsUrl } from './nats-url.js';

describe('parseNatsUrl', () => {
  it('splits a comma-separated list and defaults to a local server', () => {
    expect(parseNatsUrl(undefined)).toEqual([DEFAULT_NATS_URL]);
    expect(parseNatsUrl('')).toEqual([DEFAULT_NATS_URL]);
    expect(parseNatsUrl('nats://a:4222, tls://b.internal:4222,c:4223')).toEqual(['nats://a:4222', 'tls://b.internal:4222', 'c:4223']);
  });

  it('names the first entry that is not a server address', () => {
    for (const [raw, entry] of [
      ['http://x/y', 'http://x/y'],
      ['nats://a:1,', ''],
      ['nats://a:1,nats://b:2/path', 'nats://b:2/path'],
      ['just-a-host', 'just-a-host'],
    ] as const) {
      const err = (() => {
        try {
          parseNatsUrl(raw);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(NatsUrlError);
      expect(err).toMatchObject({ code: 'invalid_nats_url', entry });
    }
  });
});
