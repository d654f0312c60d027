import type { CookielessIds } from '@pulse/protocol';

/**
 * The bytes `events_archive` keeps for a stream message: every record without its `ip` entry, and
 * with `ids[i]` (day number → cookieless id, from `recordToRows`) as record i's `cookieless_ids`
 * when it has any (else the ids it already carried stay). The IP is only an input of the cookieless
 * id, and those ids are what a replay needs once the day's salt is gone.
 *
 * Done on the bytes, not by decoding and encoding again: the message is copied once with those
 * entries cut out or put in, so raw bodies and events stay byte for byte what the collector wrote,
 * at the cost of a walk over the record envelopes (a raw body is skipped by its length): 0.7 µs an
 * event on the benchmark's stream against 0.95 µs for msgpackr's re-encode of the decoded message
 * (ARCHITECTURE.md, "The archive keeps no IP"). Bytes that do not read as a stream message
 * (poison the pipeline set aside) are returned as they are: nothing in them can be found to strip,
 * and the archive loses nothing it was given.
 */
export function archivedMessage(data: Uint8Array, ids: readonly (CookielessIds | undefined)[]): Uint8Array {
  try {
    return spliceRecords(data, ids) ?? data;
  } catch (err) {
    if (err instanceof MalformedMsgpack) return data;
    throw err;
  }
}

/** The archived copy of a message the pipeline did not map: the records without `ip`, keeping whatever ids they carry. */
export function archivedCopyOf(data: Uint8Array): Uint8Array {
  return archivedMessage(data, []);
}

class MalformedMsgpack extends Error {}

const enc = new TextEncoder();
const IP = enc.encode('ip');
const RECORDS = enc.encode('records');
const COOKIELESS_IDS = enc.encode('cookieless_ids');

/**
 * The message with its records' entries changed, or undefined when nothing changes. The pieces
 * are noted as source ranges and inserted bytes, then copied into one buffer: a view or an object
 * per key was a third of this function's time (it runs for every record of every message).
 */
function spliceRecords(b: Uint8Array, ids: readonly (CookielessIds | undefined)[]): Uint8Array | undefined {
  const r = new Reader(b);
  // The copy: source ranges [from, to) of `b`, each followed by the bytes inserted after it.
  const ranges: number[] = [];
  const inserts: (Uint8Array | undefined)[] = [];
  let copied = 0;
  let size = 0;
  const cut = (to: number, from: number, insert: Uint8Array | undefined): void => {
    ranges.push(copied, to);
    inserts.push(insert);
    size += to - copied + (insert?.length ?? 0);
    copied = from;
  };
  const top = r.mapHeader();
  for (let k = 0; k < top; k++) {
    r.key();
    if (!r.keyIs(RECORDS)) {
      r.skip();
      continue;
    }
    const records = r.arrayHeader();
    for (let i = 0; i < records; i++) {
      const headerAt = r.pos;
      const entries = r.mapHeader();
      const bodyAt = r.pos;
      const given = ids[i];
      const add = given !== undefined && hasKeys(given) ? idsEntry(given) : undefined;
      // Entries cut out of this record: its ip, and its carried ids when new ones replace them.
      let first = -1;
      let cuts = 0;
      for (let e = 0; e < entries; e++) {
        const start = r.pos;
        r.key();
        const drop = r.keyIs(IP) || (add !== undefined && r.keyIs(COOKIELESS_IDS));
        r.skip();
        if (!drop) continue;
        if (cuts++ === 0) {
          first = ranges.length;
          cut(headerAt, bodyAt, mapHeaderBytes(entries + (add ? 1 : 0) - 1));
        }
        cut(start, r.pos, undefined);
      }
      if (cuts === 0 && add) cut(headerAt, bodyAt, mapHeaderBytes(entries + 1));
      else if (cuts > 1) inserts[first / 2] = mapHeaderBytes(entries + (add ? 1 : 0) - cuts);
      if (add) cut(r.pos, r.pos, add);
    }
  }
  if (r.pos !== b.byteLength) throw new MalformedMsgpack('trailing bytes');
  if (ranges.length === 0) return undefined;
  ranges.push(copied, b.byteLength);
  inserts.push(undefined);
  size += b.byteLength - copied;
  const out = Buffer.allocUnsafe(size);
  const src = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let at = 0;
  for (let j = 0; j < inserts.length; j++) {
    at += src.copy(out, at, ranges[2 * j] as number, ranges[2 * j + 1] as number);
    const insert = inserts[j];
    if (insert) {
      out.set(insert, at);
      at += insert.length;
    }
  }
  return out;
}

const IDS_KEY = strBytes(COOKIELESS_IDS);

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

/**
 * `cookieless_ids` and its map, as one encoded map entry. Written straight into one buffer: day
 * numbers and ids are ASCII (`c_` + hex), and encoding each string apart doubled the copy's cost.
 */
function idsEntry(ids: CookielessIds): Uint8Array {
  const pairs: string[] = [];
  for (const day in ids) if (Object.hasOwn(ids, day)) pairs.push(day, ids[day] ?? '');
  let size = IDS_KEY.length + mapHeaderBytes(pairs.length / 2).length;
  for (const v of pairs) {
    if (!isAscii(v)) return Buffer.concat([IDS_KEY, mapHeaderBytes(pairs.length / 2), ...pairs.map((x) => strBytes(enc.encode(x)))]);
    size += strHeaderSize(v.length) + v.length;
  }
  const out = Buffer.allocUnsafe(size);
  out.set(IDS_KEY);
  let pos = IDS_KEY.length;
  const head = mapHeaderBytes(pairs.length / 2);
  out.set(head, pos);
  pos += head.length;
  for (const v of pairs) {
    const n = v.length;
    if (n < 32) out[pos++] = 0xa0 | n;
    else if (n < 0x100) (out[pos++] = 0xd9), (out[pos++] = n);
    else (out[pos++] = 0xda), (out[pos++] = n >> 8), (out[pos++] = n & 0xff);
    pos += out.write(v, pos, 'latin1');
  }
  return out;
}

function isAscii(v: string): boolean {
  // Longer strings take the general path (their header would be str32); ids are 34 characters.
  if (v.length >= 0x10000) return false;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0x7f) return false;
  return true;
}

function strHeaderSize(n: number): number {
  return n < 32 ? 1 : n < 0x100 ? 2 : 3;
}

function strBytes(utf8: Uint8Array): Uint8Array {
  const n = utf8.length;
  const head = n < 32 ? [0xa0 | n] : n < 0x100 ? [0xd9, n] : n < 0x10000 ? [0xda, n >> 8, n & 0xff] : [0xdb, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(utf8, head.length);
  return out;
}

function mapHeaderBytes(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x80 | n);
  if (n < 0x10000) return Uint8Array.of(0xde, n >> 8, n & 0xff);
  return Uint8Array.of(0xdf, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** A position in msgpack bytes; a key read leaves its byte range in `keyStart`/`keyEnd`. */
class Reader {
  pos = 0;
  keyStart = 0;
  keyEnd = 0;
  constructor(private readonly b: Uint8Array) {}

  mapHeader(): number {
    const t = byte(this.b, this.pos);
    if ((t & 0xf0) === 0x80) return this.advance(1, t & 0x0f);
    if (t === 0xde) return this.advance(3, uint(this.b, this.pos + 1, 2));
    if (t === 0xdf) return this.advance(5, uint(this.b, this.pos + 1, 4));
    throw new MalformedMsgpack('not a map');
  }

  arrayHeader(): number {
    const t = byte(this.b, this.pos);
    if ((t & 0xf0) === 0x90) return this.advance(1, t & 0x0f);
    if (t === 0xdc) return this.advance(3, uint(this.b, this.pos + 1, 2));
    if (t === 0xdd) return this.advance(5, uint(this.b, this.pos + 1, 4));
    throw new MalformedMsgpack('not an array');
  }

  /** A string map key (the only keys stream messages have). */
  key(): void {
    const b = this.b;
    const t = byte(b, this.pos);
    let start: number;
    if ((t & 0xe0) === 0xa0) start = this.pos + 1;
    else if (t === 0xd9) start = this.pos + 2;
    else if (t === 0xda) start = this.pos + 3;
    else if (t === 0xdb) start = this.pos + 5;
    else throw new MalformedMsgpack('not a string key');
    const len = t <= 0xbf ? t & 0x1f : uint(b, this.pos + 1, (start - this.pos - 1) as 1 | 2 | 4);
    if (start + len > b.byteLength) throw new MalformedMsgpack('truncated');
    this.keyStart = start;
    this.keyEnd = this.pos = start + len;
  }

  keyIs(want: Uint8Array): boolean {
    if (this.keyEnd - this.keyStart !== want.length) return false;
    for (let i = 0; i < want.length; i++) if (this.b[this.keyStart + i] !== want[i]) return false;
    return true;
  }

  skip(): void {
    this.pos = skip(this.b, this.pos);
  }

  private advance(header: number, count: number): number {
    this.pos += header;
    return count;
  }
}

function byte(b: Uint8Array, pos: number): number {
  const v = b[pos];
  if (v === undefined) throw new MalformedMsgpack('truncated');
  return v;
}

function uint(b: Uint8Array, pos: number, size: 1 | 2 | 4): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + byte(b, pos + i);
  return v;
}

/** The position after the value at `pos`, nested values included (iterative: no recursion depth). */
function skip(b: Uint8Array, pos: number): number {
  let pending = 1;
  while (pending > 0) {
    pending--;
    const t = byte(b, pos);
    if (t <= 0x7f || t >= 0xe0) pos += 1;
    else if (t <= 0x8f) [pos, pending] = [pos + 1, pending + 2 * (t & 0x0f)];
    else if (t <= 0x9f) [pos, pending] = [pos + 1, pending + (t & 0x0f)];
    else if (t <= 0xbf) pos += 1 + (t & 0x1f);
    else {
      switch (t) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          pos += 1;
          break;
        case 0xc4:
        case 0xd9:
          pos += 2 + uint(b, pos + 1, 1);
          break;
        case 0xc5:
        case 0xda:
          pos += 3 + uint(b, pos + 1, 2);
          break;
        case 0xc6:
        case 0xdb:
          pos += 5 + uint(b, pos + 1, 4);
          break;
        case 0xc7:
          pos += 3 + uint(b, pos + 1, 1);
          break;
        case 0xc8:
          pos += 4 + uint(b, pos + 1, 2);
          break;
        case 0xc9:
          pos += 6 + uint(b, pos + 1, 4);
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          pos += 5;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          pos += 9;
          break;
        case 0xcc:
        case 0xd0:
          pos += 2;
          break;
        case 0xcd:
        case 0xd1:
          pos += 3;
          break;
        case 0xd4:
          pos += 3;
          break;
        case 0xd5:
          pos += 4;
          break;
        case 0xd6:
          pos += 6;
          break;
        case 0xd7:
          pos += 10;
          break;
        case 0xd8:
          pos += 18;
          break;
        case 0xdc:
          [pos, pending] = [pos + 3, pending + uint(b, pos + 1, 2)];
          break;
        case 0xdd:
          [pos, pending] = [pos + 5, pending + uint(b, pos + 1, 4)];
          break;
        case 0xde:
          [pos, pending] = [pos + 3, pending + 2 * uint(b, pos + 1, 2)];
          break;
        case 0xdf:
          [pos, pending] = [pos + 5, pending + 2 * uint(b, pos + 1, 4)];
          break;
        default:
          throw new MalformedMsgpack(`unknown type byte 0x${t.toString(16)}`);
      }
    }
    if (pos > b.byteLength) throw new MalformedMsgpack('truncated');
  }
  return pos;
}
