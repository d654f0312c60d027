/**
 * Rows → one block of ClickHouse's Native format (columnar, as `SELECT … FORMAT Native` writes it
 * with no client revision: column count, row count, then per column its name, its type and its
 * values). chDB reads it without parsing text: a 62,000-row events batch loads in ~75 ms from a
 * Native file against ~240 ms from JSONCompactEachRow, and encoding it here costs a fraction of
 * JSON.stringify on the aggregator's busy JavaScript thread.
 *
 * Only the column types Pulse's inserted tables use are encoded (String, LowCardinality(String),
 * UInt8/32/64, Float64, DateTime64(3), Map(String, String)), and only values that JSONEachRow would
 * have stored the same way; anything else makes `NativeEncoder.encode` answer undefined so the
 * caller keeps the JSON path, which is the reference for what a value means.
 */

/** One column: its name in the rows and its ClickHouse type in the table. */
export interface NativeColumn {
  name: string;
  type: string;
}

const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z$/;
const TWO_32 = 2 ** 32;

class Unencodable extends Error {}
const UNENCODABLE = new Unencodable();

/** A growable little-endian byte sink. */
class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** Length-prefixed UTF-8; ASCII (nearly every value) is copied by hand, which beats Buffer#write on short strings. */
  string(s: string): void {
    const len = s.length;
    this.ensure(len * 3 + 10);
    if (len < 0x80) {
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === len) {
        buf[this.pos] = len;
        this.pos = start + len;
        return;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.varint(bytes);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }


  u32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(v, this.pos);
  }

  /** A safe integer as 64-bit two's complement. */
  i64(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeUInt32LE(v - hi * TWO_32, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }
}

type ValueWriter = (w: ByteWriter, v: unknown) => void;

/** JSONEachRow reads a missing or null value as the column's default. */
const isAbsent = (v: unknown): v is null | undefined => v === null || v === undefined;

function stringValue(w: ByteWriter, v: unknown): void {
  if (typeof v === 'string') w.string(v);
  else if (isAbsent(v)) w.u8(0);
  else throw UNENCODABLE;
}

function integer(min: number, max: number, write: (w: ByteWriter, v: number) => void): ValueWriter {
  return (w, v) => {
    if (isAbsent(v) || v === false) return write(w, 0);
    if (v === true) return write(w, 1);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw UNENCODABLE;
    write(w, v);
  };
}

function float64Value(w: ByteWriter, v: unknown): void {
  if (isAbsent(v)) return w.f64(0);
  // JSON has no NaN or Infinity (JSON.stringify writes null); leave those to the JSON path.
  if (typeof v !== 'number' || !Number.isFinite(v)) throw UNENCODABLE;
  w.f64(v);
}

/**
 * DateTime64(3) ticks are milliseconds. Taken: integers (JSON text gives an integer to the column
 * as its ticks, as ClickHouse documents) and ISO-8601 UTC strings, whose meaning is unambiguous.
 */
function dateTime64Ms(w: ByteWriter, v: unknown): void {
  if (isAbsent(v)) return w.i64(0);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw UNENCODABLE;
    return w.i64(v);
  }
  if (typeof v !== 'string' || !ISO_UTC_MS.test(v)) throw UNENCODABLE;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw UNENCODABLE;
  w.i64(ms);
}

/** How each supported table type is written: the type named in the block and the value writer. */
function scalarColumn(type: string): { blockType: string; write: ValueWriter } | undefined {
  switch (type) {
    // The engine casts String to LowCardinality(String) on insert, as it does for JSON text.
    case 'String':
    case 'LowCardinality(String)':
      return { blockType: 'String', write: stringValue };
    case 'UInt8':
      return { blockType: type, write: integer(0, 0xff, (w, v) => w.u8(v)) };
    case 'UInt32':
      return { blockType: type, write: integer(0, 0xffffffff, (w, v) => w.u32(v)) };
    case 'UInt64':
      return { blockType: type, write: integer(0, Number.MAX_SAFE_INTEGER, (w, v) => w.i64(v)) };
    case 'Float64':
      return { blockType: type, write: float64Value };
    default:
      if (/^DateTime64\(3(?:, '[A-Za-z0-9_/+-]+')?\)$/.test(type)) return { blockType: type, write: dateTime64Ms };
      return undefined;
  }
}

/**
 * One column's values, gathered row by row. Native keeps a column's values together, so each
 * column fills its own buffer and the block is their concatenation. Rows are read once each with
 * Object.values: reading `row[name]` for every column of every row was a megamorphic keyed load
 * each, and gathering all rows' values first kept them alive long enough to be copied by the
 * young-generation collector.
 */
interface ColumnSink {
  add(v: unknown): void;
  chunks(): Buffer[];
}

const bytes = (w: ByteWriter): Buffer => w.buf.subarray(0, w.pos);

/**
 * Encodes rows into buffers it keeps from one call to the next: fresh ones for every 60,000-row
 * batch (~20 MB, outside the JavaScript heap) made V8 run full collections for the external memory,
 * a third of the encoder's time. What `encode` returns is valid until its next call, so the caller
 * writes it out before awaiting anything.
 */
export class NativeEncoder {
  private readonly writers: ByteWriter[] = [];
  private used = 0;

  private writer(): ByteWriter {
    let w = this.writers[this.used];
    if (!w) {
      w = new ByteWriter(64 * 1024);
      this.writers.push(w);
    }
    this.used++;
    w.pos = 0;
    return w;
  }

  private sink(type: string): { blockType: string; sink: ColumnSink; strings?: ByteWriter } | undefined {
    if (type === 'Map(String, String)') return { blockType: type, sink: stringMapSink(this.writer(), this.writer(), this.writer()) };
    const scalar = scalarColumn(type);
    if (!scalar) return undefined;
    const w = this.writer();
    return { blockType: scalar.blockType, sink: scalarSink(scalar.write, w), ...(scalar.write === stringValue ? { strings: w } : {}) };
  }

  /**
   * One Native block of `rows` with `columns`, as consecutive chunks, or undefined when a column's
   * type or a value is not one this encoder takes (the caller then sends JSON). Every row must have
   * exactly the columns' names as its own keys, in the columns' order.
   */
  encode(rows: readonly object[], columns: readonly NativeColumn[]): Buffer[] | undefined {
    this.used = 0;
    const head = this.writer();
    const sinks: { blockType: string; sink: ColumnSink }[] = [];
    // String columns (most of them) are written by a direct call rather than through their sink:
    // one call site for all columns' closures could not be inlined.
    const strings: (ByteWriter | undefined)[] = [];
    for (const c of columns) {
      const s = this.sink(c.type);
      if (!s) return undefined;
      sinks.push(s);
      strings.push(s.strings);
    }
    const n = sinks.length;
    try {
      for (const row of rows) {
        const values = Object.values(row);
        for (let i = 0; i < n; i++) {
          const w = strings[i];
          if (w) stringValue(w, values[i]);
          else (sinks[i] as (typeof sinks)[number]).sink.add(values[i]);
        }
      }
    } catch (err) {
      if (err instanceof Unencodable) return undefined;
      throw err;
    }
    head.varint(columns.length);
    head.varint(rows.length);
    const chunks: Buffer[] = [];
    let from = 0;
    for (const [i, c] of columns.entries()) {
      head.string(c.name);
      head.string((sinks[i] as (typeof sinks)[number]).blockType);
      chunks.push(head.buf.subarray(from, head.pos), ...(sinks[i] as (typeof sinks)[number]).sink.chunks());
      from = head.pos;
    }
    return chunks;
  }
}

function scalarSink(write: ValueWriter, w: ByteWriter): ColumnSink {
  return { add: (v) => write(w, v), chunks: () => [bytes(w)] };
}

/** Map(String, String) travels as Array(Tuple(String, String)): cumulative offsets, then all keys, then all values. */
function stringMapSink(offsets: ByteWriter, keys: ByteWriter, values: ByteWriter): ColumnSink {
  let offset = 0;
  return {
    add(v) {
      if (!isAbsent(v)) {
        if (typeof v !== 'object' || Array.isArray(v)) throw UNENCODABLE;
        const m = v as Record<string, unknown>;
        for (const k in m) {
          keys.string(k);
          stringValue(values, m[k]);
          offset++;
        }
      }
      offsets.i64(offset);
    },
    chunks: () => [bytes(offsets), bytes(keys), bytes(values)],
  };
}
