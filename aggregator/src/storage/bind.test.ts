import { describe, expect, it } from 'vitest';
import { bindParams, literalOf, placeholders } from './bind.js';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

describe('placeholders', () => {
  it('finds typed placeholders, types with quotes and parentheses included', () => {
    const sql = "SELECT {a:String}, x FROM t WHERE ts < {to:DateTime64(3, 'UTC')} AND y IN { ids : Array(String) }";
    expect(placeholders(sql).map((p) => [p.name, p.type, sql.slice(p.start, p.end)])).toEqual([
      ['a', 'String', '{a:String}'],
      ['to', "DateTime64(3, 'UTC')", "{to:DateTime64(3, 'UTC')}"],
      ['ids', 'Array(String)', '{ ids : Array(String) }'],
    ]);
  });

  it('ignores braces inside string literals, quoted identifiers and comments', () => {
    const sql = [
      "SELECT '{a:String}', 'it''s {b:String}', 'back\\' {c:String}',",
      '"{d:String}", `{e:String}` -- {f:String}',
      '/* {g:String} */ {h:UInt32}',
    ].join('\n');
    expect(placeholders(sql).map((p) => p.name)).toEqual(['h']);
  });

  it('skips braces that are no placeholder', () => {
    expect(placeholders("SELECT {'k': 1}, {1:String}, {x}, {:String} {y:UInt8}").map((p) => p.name)).toEqual(['y']);
  });
});

describe('literalOf', () => {
  it('sends strings as the hex of their UTF-8 bytes', () => {
    const nasty = "'; DROP TABLE events; --\\' \u0000 {p0:String} é 🙂";
    expect(literalOf('String', nasty)).toBe(`unhex('${hex(nasty)}')`);
    expect(literalOf('String', '')).toBe("unhex('')");
  });

  it('casts integers in range, and leaves the rest to the engine', () => {
    expect(literalOf('UInt32', 1_794_009_600)).toBe(`CAST(unhex('${hex('1794009600')}') AS UInt32)`);
    expect(literalOf('Int64', -5)).toBe(`CAST(unhex('${hex('-5')}') AS Int64)`);
    expect(literalOf('UInt64', 18446744073709551615n)).toBe(`CAST(unhex('${hex('18446744073709551615')}') AS UInt64)`);
    expect(literalOf('UInt64', '42')).toBe(`CAST(unhex('${hex('42')}') AS UInt64)`);
    for (const [type, v] of [
      ['UInt8', 256],
      ['UInt32', -1],
      ['Int8', -129],
      ['UInt64', 18446744073709551616n],
      ['UInt32', 1.5],
      ['UInt64', 2 ** 60],
      ['UInt32', '1e3'],
      ['UInt32', ' 1'],
      ['UInt32', true],
      ['UInt32', null],
    ] as const) {
      expect(literalOf(type, v), `${type} ${String(v)}`).toBeUndefined();
    }
  });

  it('casts finite floats, dates and times in the unambiguous format, and booleans', () => {
    expect(literalOf('Float64', 0.1)).toBe(`CAST(unhex('${hex('0.1')}') AS Float64)`);
    expect(literalOf('Float64', Number.NaN)).toBeUndefined();
    expect(literalOf('Float64', Infinity)).toBeUndefined();
    expect(literalOf("DateTime64(3, 'UTC')", '2026-03-04 05:06:07.089')).toBe(`CAST(unhex('${hex('2026-03-04 05:06:07.089')}') AS DateTime64(3, 'UTC'))`);
    expect(literalOf('Date', '2026-03-04')).toBe(`CAST(unhex('${hex('2026-03-04')}') AS Date)`);
    // Read differently by the engine's best-effort parser and by CAST: left to the engine.
    expect(literalOf("DateTime64(3, 'UTC')", '2026-03-04T05:06:07Z')).toBeUndefined();
    expect(literalOf("DateTime('UTC')", 1_794_009_600)).toBeUndefined();
    expect(literalOf('Bool', true)).toBe('true');
    expect(literalOf('Bool', 1)).toBeUndefined();
  });

  it('casts arrays element by element, empty ones included', () => {
    expect(literalOf('Array(String)', ['a', "b'"])).toBe(`CAST([unhex('${hex('a')}'), unhex('${hex("b'")}')] AS Array(String))`);
    expect(literalOf('Array(UInt32)', [])).toBe('CAST([] AS Array(UInt32))');
    expect(literalOf('Array(UInt32)', [1, -1])).toBeUndefined();
    expect(literalOf('Array(String)', 'a')).toBeUndefined();
  });

  it('leaves other types to the engine', () => {
    for (const type of ['Identifier', 'LowCardinality(String)', 'Nullable(String)', 'Map(String, String)', 'Tuple(String)', 'UUID', "DateTime('UTC'); DROP"]) {
      expect(literalOf(type, 'x'), type).toBeUndefined();
    }
  });
});

describe('bindParams', () => {
  it('replaces every placeholder, the same name as often as it appears', () => {
    const sql = 'SELECT {a:String} AS x, {n:UInt32} AS n WHERE s = {a:String}';
    const bound = bindParams(sql, { a: 'q', n: 7 }, 10_000);
    expect(bound).toBe(`SELECT unhex('71') AS x, CAST(unhex('37') AS UInt32) AS n WHERE s = unhex('71')`);
  });

  it('puts no character of a value into the statement', () => {
    const value = "x' OR 1 = 1) UNION ALL SELECT * FROM system.users --";
    const bound = bindParams('SELECT 1 WHERE s = {v:String}', { v: value }, 10_000) as string;
    expect(bound).not.toContain('OR');
    expect(bound).toMatch(/^SELECT 1 WHERE s = unhex\('[0-9a-f]+'\)$/);
  });

  it('gives up, for the engine to bind, when a value is missing, not handled or too long', () => {
    expect(bindParams('SELECT {a:String}, {b:String}', { a: 'x' }, 10_000)).toBeUndefined();
    expect(bindParams('SELECT {a:Identifier}', { a: 'x' }, 10_000)).toBeUndefined();
    expect(bindParams('SELECT {a:String}', { a: 'x'.repeat(100) }, 150)).toBeUndefined();
    expect(bindParams('SELECT {a:String}', { a: 'x'.repeat(60) }, 150)).toBeDefined();
    // Inherited names are no values.
    expect(bindParams('SELECT {constructor:String}', {}, 10_000)).toBeUndefined();
  });

  it('leaves a statement without placeholders as it is', () => {
    expect(bindParams("SELECT '{a:String}'", {}, 100)).toBe("SELECT '{a:String}'");
  });
});
