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

/** The message with its records' entries changed, or undefined when nothing changes. */
function spliceRecords(b: Uint8Array, ids: readonly (CookielessIds | undefined)[]): Uint8Array | undefined {
  const top = mapHeader(b, 0);
  let pos = top.next;
  const chunks: Uint8Array[] = [];
  let copied = 0;
  let changed = false;
  for (let k = 0; k < top.count; k++) {
    const key = str(b, pos);
    pos = key.next;
    if (!bytesEqual(b, key.start, key.end, RECORDS)) {
      pos = skip(b, pos);
      continue;
    }
    const arr = arrayHeader(b, pos);
    pos = arr.next;
    for (let i = 0; i < arr.count; i++) {
      const rec = mapHeader(b, pos);
      const given = ids[i];
      const add = given !== undefined && hasKeys(given) ? idsEntry(given) : undefined;
      // Entries cut out of this record: its ip, and its carried ids when new ones replace them.
      const cuts: [number, number][] = [];
      let p = rec.next;
      for (let e = 0; e < rec.count; e++) {
        const start = p;
        const name = str(b, p);
        p = skip(b, name.next);
        if (bytesEqual(b, name.start, name.end, IP) || (add && bytesEqual(b, name.start, name.end, COOKIELESS_IDS))) cuts.push([start, p]);
      }
      if (cuts.length > 0 || add) {
        changed = true;
        chunks.push(b.subarray(copied, pos), mapHeaderBytes(rec.count - cuts.length + (add ? 1 : 0)));
        copied = rec.next;
        for (const [from, to] of cuts) {
          chunks.push(b.subarray(copied, from));
          copied = to;
        }
        if (add) chunks.push(add);
      }
      pos = p;
    }
  }
  if (pos !== b.byteLength) throw new MalformedMsgpack('trailing bytes');
  if (!changed) return undefined;
  chunks.push(b.subarray(copied));
  return Buffer.concat(chunks);
}

const IDS_KEY = strBytes(COOKIELESS_IDS);

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

function bytesEqual(b: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (b[start + i] !== want[i]) return false;
  return true;
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

function mapHeader(b: Uint8Array, pos: number): { count: number; next: number } {
  const t = byte(b, pos);
  if ((t & 0xf0) === 0x80) return { count: t & 0x0f, next: pos + 1 };
  if (t === 0xde) return { count: uint(b, pos + 1, 2), next: pos + 3 };
  if (t === 0xdf) return { count: uint(b, pos + 1, 4), next: pos + 5 };
  throw new MalformedMsgpack('not a map');
}

function arrayHeader(b: Uint8Array, pos: number): { count: number; next: number } {
  const t = byte(b, pos);
  if ((t & 0xf0) === 0x90) return { count: t & 0x0f, next: pos + 1 };
  if (t === 0xdc) return { count: uint(b, pos + 1, 2), next: pos + 3 };
  if (t === 0xdd) return { count: uint(b, pos + 1, 4), next: pos + 5 };
  throw new MalformedMsgpack('not an array');
}

/** A string's byte range (map keys here are strings). */
function str(b: Uint8Array, pos: number): { start: number; end: number; next: number } {
  const t = byte(b, pos);
  let start: number;
  let len: number;
  if ((t & 0xe0) === 0xa0) [start, len] = [pos + 1, t & 0x1f];
  else if (t === 0xd9) [start, len] = [pos + 2, uint(b, pos + 1, 1)];
  else if (t === 0xda) [start, len] = [pos + 3, uint(b, pos + 1, 2)];
  else if (t === 0xdb) [start, len] = [pos + 5, uint(b, pos + 1, 4)];
  else throw new MalformedMsgpack('not a string key');
  if (start + len > b.byteLength) throw new MalformedMsgpack('truncated');
  return { start, end: start + len, next: start + len };
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
