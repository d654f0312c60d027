import { expect, it } from 'vitest';
import type { AcceptedEvent } from '@pulse/protocol';
import { encodeMsgpack } from '@pulse/protocol/codec';
import { createWriteKey, lastSeq, postBatch, recordsAfter, type NatsTools } from './helpers.js';

/** Each body sent as JSON and as msgpack: both decoders must read the fields alike. */
const FORMATS = [
  ['JSON', (json: string) => json],
  ['msgpack', (json: string) => encodeMsgpack(JSON.parse(json))],
] as const;

/**
 * How the collector reads event fields (part of the contract suite, so both runtimes run it):
 * null as an absent field, prop keys named like Object.prototype's members, and pageview urls.
 * The events are checked as the aggregator gets them: raw records expanded as it expands them.
 */
export function defineEventFieldContract(ctx: () => { url: string; t: NatsTools }): void {
  async function send(body: Uint8Array | string): Promise<{ reply: unknown; events: AcceptedEvent[] }> {
    const { url, t } = ctx();
    const { key } = await createWriteKey(t.kv);
    const before = await lastSeq(t.jsm);
    const r = await postBatch(url, body, { key });
    expect(r.status).toBe(202);
    return { reply: r.json, events: (await recordsAfter(t.jsm, before)).flatMap((rec) => rec.events) };
  }

  it.each(FORMATS)('takes null in an optional field as absent and drops a null prop (%s)', async (_f, encode) => {
    // The audit's body, accepted whole (a raw record, read again by the aggregator).
    const audit = await send(encode('{"sent_at":null,"events":[{"name":"pageview","url":"https://x.test/n","referrer":null}]}'));
    expect(audit.reply).toEqual({ accepted: 1, rejected: [] });
    expect(audit.events).toEqual([{ id: expect.any(String), name: 'pageview', ts: expect.any(Number), url: 'https://x.test/n' }]);

    const everyField = '"id":null,"ts":null,"referrer":null,"title":null,"visitor_id":null,"session_id":null,"user_id":null,"lang":null,"screen_width":null,"props":null,"revenue":null';
    const mixed = await send(encode(`{"events":[{"name":"pageview","url":"https://x.test/a",${everyField}},{"name":"buy","props":{"coupon":null,"plan":"pro"}},{"name":null}]}`));
    expect(mixed.reply).toEqual({ accepted: 2, rejected: [{ index: 2, reason: 'invalid_type:name' }] });
    expect(mixed.events).toEqual([
      { id: expect.any(String), name: 'pageview', ts: expect.any(Number), url: 'https://x.test/a' },
      { id: expect.any(String), name: 'buy', ts: expect.any(Number), props: { plan: 'pro' } },
    ]);
  });

  it.each(FORMATS)('keeps prop keys named __proto__, constructor, toString and hasOwnProperty (%s)', async (_f, encode) => {
    const props = '{"__proto__":"lost","plan":"kept","constructor":"c","toString":"t","hasOwnProperty":"h"}';
    const keys = [['__proto__', 'lost'], ['plan', 'kept'], ['constructor', 'c'], ['toString', 't'], ['hasOwnProperty', 'h']];
    // Accepted whole (kept raw) and partly rejected (the accepted events re-encoded): both paths.
    const whole = await send(encode(`{"events":[{"name":"proto2","props":${props}}]}`));
    expect(whole.reply).toEqual({ accepted: 1, rejected: [] });
    const partly = await send(encode(`{"events":[{"name":"proto2","props":${props}},{"name":""}]}`));
    expect(partly.reply).toEqual({ accepted: 1, rejected: [{ index: 1, reason: 'missing_name' }] });
    for (const { events } of [whole, partly]) {
      expect(events).toHaveLength(1);
      expect(Object.entries(events[0]?.props ?? {})).toEqual(keys);
    }
  });

  it.each(FORMATS)('takes a pageview url that is an absolute http(s) URL or a path and refuses others (%s)', async (_f, encode) => {
    const urls = ['https://x.test/a', '/relative/path?ref=x', 'not a url', '//cdn.test/x', 'relative/path', 'file:///home/a.html'];
    const events = urls.map((url) => ({ name: 'pageview', url }));
    const r = await send(encode(JSON.stringify({ events: [...events, { name: 'buy', url: 'not a url' }] })));
    expect(r.reply).toEqual({ accepted: 3, rejected: [2, 3, 4, 5].map((index) => ({ index, reason: 'invalid_url:url' })) });
    expect(r.events.map((e) => [e.name, e.url])).toEqual([
      ['pageview', 'https://x.test/a'],
      ['pageview', '/relative/path?ref=x'],
      ['buy', 'not a url'],
    ]);
    // All accepted: kept raw (for msgpack, the scan vouched for it without decoding).
    const paths = await send(encode('{"events":[{"name":"pageview","url":"/"},{"name":"pageview","url":"/docs/"}]}'));
    expect(paths.reply).toEqual({ accepted: 2, rejected: [] });
    expect(paths.events.map((e) => e.url)).toEqual(['/', '/docs/']);
  });
}
