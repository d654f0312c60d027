/**
 * Query parameters bound into the statement text, for embedded chDB.
 *
 * chDB's own parameter binding is serialized across the whole process (chdb-node runs every
 * parameterized statement through one chain, because the engine's parameter state is not isolated
 * per connection), so with it no two reports are computed at once. Bound here, statements run on
 * several connections in parallel (see chdb-pool.ts).
 *
 * No character of a value reaches the SQL: strings travel as `unhex('…')` of their UTF-8 bytes,
 * numbers, dates and times as the hex of their text turned into the placeholder's type by `CAST`,
 * exactly as the engine parses a bound parameter's text. Only the type, which is the statement's
 * own text, is copied. A value or type outside the closed list below is not bound here: the
 * statement then goes to the engine with its parameters, as before.
 */

/** Where a `{name:Type}` placeholder sits in a statement. */
interface Placeholder {
  start: number;
  end: number;
  name: string;
  type: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INTEGER_TYPE = /^U?Int(8|16|32|64|128|256)$/;
const FLOAT_TYPE = /^(Float32|Float64)$/;
const DATE_TYPE = /^(Date|Date32|DateTime|DateTime\('[A-Za-z0-9_/+-]+'\)|DateTime64\(\d, '[A-Za-z0-9_/+-]+'\)|DateTime64\(\d\))$/;
const INTEGER_TEXT = /^-?\d+$/;
/** The text the engine and CAST read alike whatever `date_time_input_format` says. */
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,9})?)?$/;

/** The integer text of `value` when it is a whole number inside `type`'s range. */
function integerText(type: string, value: unknown): string | undefined {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : typeof value === 'bigint' || typeof value === 'string' ? String(value) : '';
  if (!INTEGER_TEXT.test(text)) return undefined;
  const bits = BigInt(type.replace(/^U?Int/, ''));
  const n = BigInt(text);
  const [lo, hi] = type.startsWith('U') ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
  return n >= lo && n <= hi ? n.toString() : undefined;
}

const hexOf = (text: string): string => `unhex('${Buffer.from(text, 'utf8').toString('hex')}')`;

/** Skips a quoted string or identifier that opens at `i`; returns the index after its close. */
function skipQuoted(sql: string, i: number): number {
  const quote = sql[i];
  for (let j = i + 1; j < sql.length; j++) {
    const c = sql[j];
    if (c === '\\') j++;
    else if (c === quote) {
      // A doubled quote is the quote itself.
      if (sql[j + 1] === quote) j++;
      else return j + 1;
    }
  }
  return sql.length;
}

/** The placeholders of `sql`, outside string literals, quoted identifiers and comments. */
export function placeholders(sql: string): Placeholder[] {
  const out: Placeholder[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? sql.length : close + 2;
    } else if (c === '{') {
      const colon = sql.indexOf(':', i);
      // The type may hold quotes (`DateTime64(3, 'UTC')`) but no braces.
      let end = colon;
      while (end !== -1 && end < sql.length && sql[end] !== '}') end = sql[end] === "'" ? skipQuoted(sql, end) : end + 1;
      const name = colon === -1 ? '' : sql.slice(i + 1, colon).trim();
      if (colon !== -1 && end < sql.length && IDENT.test(name)) {
        out.push({ start: i, end: end + 1, name, type: sql.slice(colon + 1, end).trim() });
        i = end + 1;
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  return out;
}

/** `value` as an SQL expression of `type`, or undefined when this binder does not handle it. */
export function literalOf(type: string, value: unknown): string | undefined {
  if (type === 'String') {
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? hexOf(String(value)) : undefined;
  }
  if (INTEGER_TYPE.test(type)) {
    const text = integerText(type, value);
    return text === undefined ? undefined : `CAST(${hexOf(text)} AS ${type})`;
  }
  if (FLOAT_TYPE.test(type)) {
    return typeof value === 'number' && Number.isFinite(value) ? `CAST(${hexOf(String(value))} AS ${type})` : undefined;
  }
  if (DATE_TYPE.test(type)) {
    return typeof value === 'string' && DATE_TEXT.test(value) ? `CAST(${hexOf(value)} AS ${type})` : undefined;
  }
  if (type === 'Bool') {
    return typeof value === 'boolean' ? String(value) : undefined;
  }
  if (type.startsWith('Array(') && type.endsWith(')') && Array.isArray(value)) {
    const inner = type.slice('Array('.length, -1);
    const items: string[] = [];
    for (const v of value) {
      const item = literalOf(inner, v);
      if (item === undefined) return undefined;
      items.push(item);
    }
    return `CAST([${items.join(', ')}] AS ${type})`;
  }
  return undefined;
}

/**
 * `sql` with every placeholder replaced by its value's literal, or undefined when a placeholder
 * has no value, a value or type is not handled here, or the bound text would be longer than
 * `maxLength` (the engine's `max_query_size`, which a bound parameter does not count against).
 */
export function bindParams(sql: string, params: Record<string, unknown>, maxLength: number): string | undefined {
  const parts: string[] = [];
  let length = 0;
  let at = 0;
  for (const p of placeholders(sql)) {
    if (!Object.hasOwn(params, p.name)) return undefined;
    const lit = literalOf(p.type, params[p.name]);
    if (lit === undefined) return undefined;
    parts.push(sql.slice(at, p.start), lit);
    length += p.start - at + lit.length;
    if (length > maxLength) return undefined;
    at = p.end;
  }
  parts.push(sql.slice(at));
  length += sql.length - at;
  return length > maxLength ? undefined : parts.join('');
}
