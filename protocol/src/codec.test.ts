import { describe, expect, it } from 'vitest';
import { pack } from 'msgpackr';
import { decodeBody, decodeMsgpack, decodeStreamMessage, encodeMsgpack, encodeStreamMessage, eventRecordOf, parseBatch, bodyFormatOf } from './codec.js';
import { BodyError, StreamMessageError } from './errors.js';
import { MAX_BODY_BYTES } from './limits.js';
import type { RawStreamRecord, StreamMessage, StreamMessageV2, StreamRecord } from './types.js';

const NOW = 1_764_169_200_000;
const opts = { receivedAt: NOW, newId: () => 'gen' };
const enc = new TextEncoder();
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof BodyError) return e.code;
    throw e;
  }
  return undefined;
};

describe('bodyFormatOf', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['Application/MsgPack', 'msgpack'],
    ['application/x-msgpack', 'msgpack'],
    ['text/plain;charset=UTF-8', 'sniff'],
    [undefined, 'sniff'],
    ['', 'sniff'],
    ['application/xml', undefined],
    ['multipart/form-data; boundary=x', undefined],
  ])('%s → %s', (ct, f) => expect(bodyFormatOf(ct)).toBe(f));
});

describe('decodeBody', () => {
  const batch = { sent_at: NOW, events: [{ name: 'pageview', url: 'https://a.test/' }] };

  it('reads msgpack, JSON and sniffed text/plain bodies alike', () => {
    expect(decodeBody(encodeMsgpack(batch), 'application/msgpack')).toEqual(batch);
    expect(decodeBody(enc.encode(JSON.stringify(batch)), 'application/json')).toEqual(batch);
    expect(decodeBody(enc.encode(JSON.stringify(batch)), 'text/plain')).toEqual(batch);
    expect(decodeBody(enc.encode('  \n' + JSON.stringify(batch)), 'text/plain')).toEqual(batch);
    expect(decodeBody(encodeMsgpack(batch), 'text/plain')).toEqual(batch);
    expect(decodeBody(encodeMsgpack(batch), undefined)).toEqual(batch);
  });

  it.each([
    ['garbage bytes as msgpack', new Uint8Array([0xc1, 0xc1, 0xc1]), 'application/msgpack', 'invalid_msgpack'],
    ['truncated msgpack', encodeMsgpack(batch).subarray(0, 20), 'application/msgpack', 'invalid_msgpack'],
    ['empty msgpack', new Uint8Array(), 'application/msgpack', 'invalid_msgpack'],
    ['invalid JSON', enc.encode('{"events": [}'), 'application/json', 'invalid_json'],
    ['truncated JSON', enc.encode('{"events": [{"name":"a"'), 'text/plain', 'invalid_json'],
    ['NaN in JSON', enc.encode('{"events": [{"name":"a","ts":NaN}]}'), 'application/json', 'invalid_json'],
    ['invalid UTF-8 in JSON', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'application/json', 'invalid_utf8'],
    ['unknown content type', enc.encode('{}'), 'application/xml', 'unsupported_media_type'],
    ['oversize body', new Uint8Array(MAX_BODY_BYTES + 1), 'application/msgpack', 'body_too_large'],
  ])('%s → %s', (_name, bytes, ct, code) => {
    expect(codeOf(() => decodeBody(bytes, ct))).toBe(code);
  });

  it('refuses msgpack with trailing bytes after the value', () => {
    const bytes = new Uint8Array([...encodeMsgpack(batch), 0x01, 0x02]);
    expect(codeOf(() => decodeBody(bytes, 'application/msgpack'))).toBe('invalid_msgpack');
  });

  it('maps the status of each body error', () => {
    expect(new BodyError('invalid_json', 'x').status).toBe(400);
    expect(new BodyError('body_too_large', 'x').status).toBe(413);
    expect(new BodyError('too_many_events', 'x').status).toBe(413);
    expect(new BodyError('unsupported_media_type', 'x').status).toBe(415);
  });
});

describe('parseBatch', () => {
  it('never throws: random bytes, deep nesting and hostile shapes come back as typed errors', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(Math.floor(rnd() * 200));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rnd() * 256);
      const r = parseBatch(bytes, i % 2 ? 'application/msgpack' : 'text/plain', opts);
      if (!r.ok) expect(r.error).toBeInstanceOf(BodyError);
    }
    const deepJson = '['.repeat(100_000) + ']'.repeat(100_000);
    const r1 = parseBatch(enc.encode(deepJson), 'application/json', opts);
    expect(r1.ok).toBe(false);
    const deepMsgpack = new Uint8Array(200_000).fill(0x91); // array of array of ... never closed
    const r2 = parseBatch(deepMsgpack, 'application/msgpack', opts);
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error).toBeInstanceOf(BodyError);
  });

  it('a mutated valid batch is either accepted, partly rejected, or a typed error', () => {
    const good = encodeMsgpack({ events: [{ name: 'pageview', url: 'https://a.test/', props: { a: 1 } }] });
    for (let i = 0; i < good.length; i++) {
      for (const b of [0x00, 0xff, 0xc0, 0xd9]) {
        const bytes = good.slice();
        bytes[i] = b;
        const r = parseBatch(bytes, 'application/msgpack', opts);
        if (r.ok) expect(r.accepted.length + r.rejected.length).toBeLessThanOrEqual(1);
        else expect(r.error).toBeInstanceOf(BodyError);
      }
    }
  });

  it('accepts a msgpack body made by msgpackr with defaults', () => {
    const r = parseBatch(pack({ events: [{ name: 'signup', ts: NOW }] }), 'application/msgpack', opts);
    expect(r.ok && r.accepted[0]?.name).toBe('signup');
  });

  it('does not let a "__proto__" map key reach an object prototype', () => {
    // map16 with one key "__proto__" → {"polluted": 1}
    const bytes = new Uint8Array([0xde, 0, 1, 0xa9, ...enc.encode('__proto__'), 0xde, 0, 1, 0xa8, ...enc.encode('polluted'), 1]);
    const v = decodeBody(bytes, 'application/msgpack') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    // The generic decode keeps it as a key; a batch body may drop it (an unknown top-level key).
    expect(Object.getOwnPropertyDescriptor(decodeMsgpack(bytes), '__proto__')?.value).toEqual({ polluted: 1 });
  });

  // Keys an object literal or msgpackr's object mode would mishandle: "__proto__" was renamed
  // "__proto_" by msgpackr (and dropped when assigned); the others shadow Object.prototype.
  const awkward = '{"__proto__":"lost","__proto_":"near","constructor":"c","toString":"t","hasOwnProperty":"h","plan":"kept"}';
  const expected = [['__proto__', 'lost'], ['__proto_', 'near'], ['constructor', 'c'], ['toString', 't'], ['hasOwnProperty', 'h'], ['plan', 'kept']];
  const body = `{"events":[{"name":"proto2","props":${awkward}}]}`;

  it.each([
    ['JSON', enc.encode(body), 'application/json'],
    ['msgpack', encodeMsgpack(JSON.parse(body)), 'application/msgpack'],
    ['msgpack with a nested "__proto__" elsewhere', encodeMsgpack({ events: [{ name: 'proto2', props: JSON.parse(awkward) }, { name: 'x', props: { y: '__proto__' } }] }), 'application/msgpack'],
  ])('keeps every prop key as an own property, "__proto__" included (%s)', (_n, bytes, ct) => {
    const r = parseBatch(bytes, ct, opts);
    expect(r.ok && r.rejected).toEqual([]);
    const props = r.ok ? r.accepted[0]?.props : undefined;
    expect(Object.entries(props ?? {})).toEqual(expected);
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
  });

  it('decodes values with and without a "__proto__" key alike (only the exact decode sees Maps)', () => {
    const plain = { sent_at: NOW, events: [{ name: 'e', n: 1.5, big: 2 ** 40, neg: -3, t: true, z: null, arr: [1, 'a', { k: 'v' }], bin: new Uint8Array([1, 2]) }] };
    const withProto = { ...plain, events: [...plain.events, { name: 'p', props: JSON.parse('{"__proto__":"x"}') }] };
    const a = decodeBody(encodeMsgpack(plain), 'application/msgpack') as { events: unknown[] };
    const b = decodeBody(encodeMsgpack(withProto), 'application/msgpack') as { events: unknown[] };
    expect(b.events[0]).toEqual(a.events[0]);
    expect(Object.getPrototypeOf(b.events[0])).toBe(Object.prototype);
    // Integer keys become their decimal names in both decodes; a map key that is a map is refused in both.
    const intKeys = (extra: number[]) => new Uint8Array([0x82, 0x01, 0xa1, 0x61, ...extra]);
    const proto = [0xa9, ...enc.encode('__proto__'), 0xc3];
    expect(decodeMsgpack(intKeys(proto))).toEqual(JSON.parse('{"1":"a","__proto__":true}'));
    expect(decodeMsgpack(intKeys([0xa1, 0x78, 0xc3]))).toEqual({ 1: 'a', x: true });
    const mapKey = (tail: number[]) => new Uint8Array([0x82, 0x81, 0xa1, 0x61, 0x01, 0x02, ...tail]);
    expect(() => decodeMsgpack(mapKey(proto))).toThrow(/Invalid property type/);
    expect(() => decodeMsgpack(mapKey([0xa1, 0x78, 0xc3]))).toThrow(/Invalid property type/);
  });
});

describe('stream messages', () => {
  const msg: StreamMessage = {
    v: 1,
    records: [{ site_id: 's_1', received_at: NOW, ip: '203.0.113.9', ua: 'UA', country: 'DE', events: [{ id: 'a', name: 'e', ts: NOW }] }],
  };
  const raw: RawStreamRecord = {
    site_id: 's_1',
    received_at: NOW,
    ip: '203.0.113.9',
    ua: 'UA',
    country: '',
    body: encodeMsgpack({ events: [{ name: 'e' }] }),
    format: 'msgpack',
    max_event_age_ms: 86_400_000,
    id_base: 'c0ffee-1',
    accepted: 1,
  };

  it('round-trips', () => {
    expect(decodeStreamMessage(encodeStreamMessage(msg))).toEqual(msg);
  });

  it('round-trips re-encoded events whose props hold a "__proto__" key', () => {
    const props = JSON.parse('{"__proto__":"lost","plan":"kept"}');
    const withProps: StreamMessage = { v: 1, records: [{ ...(msg.records[0] as StreamRecord), events: [{ id: 'a', name: 'e', ts: NOW, props }] }] };
    const back = decodeStreamMessage(encodeStreamMessage(withProps));
    expect(Object.entries((back.records[0] as StreamRecord).events[0]?.props ?? {})).toEqual([['__proto__', 'lost'], ['plan', 'kept']]);
  });

  it.each([
    ['garbage', new Uint8Array([0xc1])],
    ['unknown version', encodeMsgpack({ v: 3, records: [] })],
    ['record without site', encodeMsgpack({ v: 1, records: [{ events: [], received_at: 1 }] })],
    ['not an object', encodeMsgpack([1, 2])],
    ['a raw record in a version 1 message', encodeMsgpack({ v: 1, records: [raw] })],
    ['a raw record without its body', encodeMsgpack({ v: 2, records: [{ ...raw, body: undefined }] })],
    ['a raw record with a string body', encodeMsgpack({ v: 2, records: [{ ...raw, body: 'x' }] })],
    ['a raw record of an unknown format', encodeMsgpack({ v: 2, records: [{ ...raw, format: 'xml' }] })],
    ['a raw record without id_base', encodeMsgpack({ v: 2, records: [{ ...raw, id_base: '' }] })],
    ['a raw record without its count', encodeMsgpack({ v: 2, records: [{ ...raw, accepted: undefined }] })],
    ['cookieless ids that are not a map', encodeMsgpack({ v: 1, records: [{ ...msg.records[0], cookieless_ids: ['c_1'] }] })],
    ['cookieless ids that are not strings', encodeMsgpack({ v: 2, records: [{ ...raw, cookieless_ids: { 20418: 7 } }] })],
  ])('refuses %s as a poison message', (_n, bytes) => {
    expect(() => decodeStreamMessage(bytes)).toThrow(StreamMessageError);
  });

  it('round-trips a version 2 message mixing records with events and raw records', () => {
    const v2: StreamMessageV2 = { v: 2, records: [msg.records[0] as StreamRecord, raw] };
    const back = decodeStreamMessage(encodeStreamMessage(v2));
    expect(back.v).toBe(2);
    expect(back.records[0]).toEqual(msg.records[0]);
    const r = back.records[1] as RawStreamRecord;
    expect(Buffer.from(r.body).equals(Buffer.from(raw.body))).toBe(true);
    expect({ ...r, body: null }).toEqual({ ...raw, body: null });
  });

  it('reads archived copies: records without ip, with the cookieless ids live gave them', () => {
    const { ip: _ip, ...event } = msg.records[0] as StreamRecord;
    const { ip: _rawIp, ...rawCopy } = raw;
    const ids = { [String(Math.floor(NOW / 86_400_000))]: 'c_0123456789abcdef0123456789abcdef' };
    const archived: StreamMessageV2 = { v: 2, records: [{ ...event, cookieless_ids: ids }, { ...rawCopy, cookieless_ids: ids }] };
    const back = decodeStreamMessage(encodeStreamMessage(archived));
    expect(back.records[0]).toEqual({ ...event, cookieless_ids: ids });
    // A raw record expands with its ids and still without an ip.
    const expanded = eventRecordOf(back.records[1] as RawStreamRecord);
    expect(expanded.cookieless_ids).toEqual(ids);
    expect('ip' in expanded).toBe(false);
    expect(eventRecordOf(raw).ip).toBe('203.0.113.9');
  });
});
