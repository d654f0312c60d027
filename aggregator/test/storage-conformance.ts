import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_COLUMNS, MIGRATIONS, StorageError, migrate, type Storage } from '../src/storage/index.js';

export interface StorageUnderTest {
  storage: Storage;
  cleanup(): Promise<void>;
}

/** Column name → type of the contract schema, parsed from the DDL the migration uses. */
function contractColumns(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of EVENTS_COLUMNS.split('\n')) {
    const m = /^\s*(\w+) (.+?),?$/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], m[2].replace(/,\s+/g, ', '));
  }
  return out;
}

function eventRow(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    site_id: 's_conformance00001',
    ts: '2026-03-04 05:06:07.089',
    event_id: 'e-1',
    name: 'pageview',
    url: 'https://example.com/a?b=1',
    path: '/a',
    props: { plan: 'pro', 'quote\'s': 'back\\slash "x"' },
    revenue_amount: 12.5,
    revenue_currency: 'EUR',
    received_at: '2026-03-04T05:06:08.000Z',
    stream_seq: 9_007_199_254_740_000,
    ...over,
  };
}

/** The behaviour every Storage backend must share; `open` gives a fresh, empty database. */
export function storageConformance(name: string, open: () => Promise<StorageUnderTest>): void {
  describe(`Storage conformance: ${name}`, () => {
    let sut: StorageUnderTest;
    let s: Storage;

    beforeAll(async () => {
      sut = await open();
      s = sut.storage;
    });
    afterAll(async () => {
      await sut?.cleanup();
    });

    it('answers ping', async () => {
      expect(await s.ping()).toBe(true);
    });

    it('migrates once, then a second run is a no-op', async () => {
      const first = await migrate(s);
      expect(first.applied).toEqual(MIGRATIONS.map((m) => m.id));
      const second = await migrate(s);
      expect(second.applied).toEqual([]);
      const rows = await s.query<{ id: string; n: number }>(
        'SELECT id, count() AS n FROM schema_migrations GROUP BY id ORDER BY id',
      );
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ id: m.id, n: 1 })));
    });

    it('creates events with exactly the contract columns and types', async () => {
      const cols = await s.query<{ name: string; type: string }>(
        "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position",
      );
      const expected = contractColumns();
      expect(expected.size).toBe(31);
      for (const [col, type] of expected) {
        expect(cols.find((c) => c.name === col)?.type, col).toBe(type);
      }
      const [t] = await s.query<{ engine: string; partition_key: string; sorting_key: string }>(
        "SELECT engine, partition_key, sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
      );
      expect(t?.engine).toMatch(/MergeTree$/);
      expect(t?.partition_key).toBe('toYYYYMM(ts)');
      expect(t?.sorting_key.startsWith('site_id')).toBe(true);
    });

    it('round-trips rows with the agreed JSON types (numbers unquoted, ISO UTC times, maps, empty strings)', async () => {
      await s.insert('events', [eventRow()], { dedupToken: 'roundtrip-1' });
      const rows = await s.query(
        `SELECT ts, received_at, stream_seq, props, revenue_amount, title, is_bot, screen_width, count() OVER () AS n
         FROM events WHERE event_id = 'e-1'`,
      );
      expect(rows).toEqual([
        {
          ts: '2026-03-04T05:06:07.089Z',
          received_at: '2026-03-04T05:06:08.000Z',
          stream_seq: 9_007_199_254_740_000,
          props: { plan: 'pro', "quote's": 'back\\slash "x"' },
          revenue_amount: 12.5,
          title: '',
          is_bot: 0,
          screen_width: 0,
          n: 1,
        },
      ]);
    });

    it('stores every column of enriched rows exactly: unicode, long strings, extremes, maps', async () => {
      const long = (unit: string, n: number) => unit.repeat(n);
      const texts = ['', 'é', '日本語のページ', '😀 ok', long('a', 127), long('a', 128), long('é', 64), long('x', 5000), 'tab\tnew\nline "q" \\ \u0000 end', "it's"];
      const rows = texts.map((text, i) => ({
        site_id: 's_conformance00002',
        ts: `2026-0${1 + (i % 9)}-${String(1 + i * 3).padStart(2, '0')}T23:59:59.${String(i * 111).padStart(3, '0')}Z`,
        event_id: `full-${i}`,
        name: i % 2 ? 'pageview' : 'signup',
        visitor_id: `v-${text.slice(0, 20)}`,
        session_id: '',
        user_id: text,
        url: `https://example.com/${encodeURIComponent(text).slice(0, 200)}`,
        hostname: 'example.com',
        path: `/${text}`,
        title: text,
        referrer: '',
        referrer_host: '',
        utm_source: text.slice(0, 3),
        utm_medium: '',
        utm_campaign: '',
        utm_term: '',
        utm_content: '',
        country: i % 2 ? 'DE' : '',
        browser: 'Firefox',
        browser_version: '133',
        os: 'Linux',
        device: 'desktop',
        is_bot: i % 2,
        screen_width: i === 0 ? 4_294_967_295 : i * 100,
        lang: 'de-DE',
        props: i % 3 === 0 ? {} : { [text || 'k']: text, plan: 'pro' },
        revenue_amount: [0, -0.5, 1e-9, 123_456_789.125][i % 4],
        revenue_currency: i % 4 ? 'EUR' : '',
        received_at: '2026-12-31T00:00:00.001Z',
        stream_seq: Number.MAX_SAFE_INTEGER - i,
      }));
      await s.insert('events', rows, { dedupToken: 'full-rows' });
      const got = await s.query<Record<string, unknown>>(
        `SELECT ${Object.keys(rows[0] as object).join(', ')} FROM events WHERE event_id LIKE 'full-%' ORDER BY toUInt32(substring(event_id, 6))`,
      );
      expect(got).toEqual(rows);
    });

    it('drops a repeated insert with the same dedup token, keeps different tokens', async () => {
      const rows = [eventRow({ event_id: 'd-1' }), eventRow({ event_id: 'd-2' })];
      await s.insert('events', rows, { dedupToken: "seq:10-11 it's" });
      await s.insert('events', rows, { dedupToken: "seq:10-11 it's" });
      await s.insert('events', [eventRow({ event_id: 'd-3' })], { dedupToken: 'seq:12-12' });
      const [r] = await s.query<{ n: number }>("SELECT count() AS n FROM events WHERE event_id LIKE 'd-%'");
      expect(r?.n).toBe(3);
    });

    it('does not let a dedup token leak into the next insert', async () => {
      await s.insert('events', [eventRow({ event_id: 'leak-1' })], { dedupToken: 'leak-token' });
      await s.insert('events', [eventRow({ event_id: 'leak-2' })]);
      const got = await s.query<{ event_id: string }>(
        "SELECT event_id FROM events WHERE event_id LIKE 'leak-%' ORDER BY event_id",
      );
      expect(got.map((g) => g.event_id)).toEqual(['leak-1', 'leak-2']);
    });

    it('scopes per-call settings to that call', async () => {
      const read = "SELECT toString(getSetting('max_result_rows')) AS v";
      const [before] = await s.query<{ v: string }>(read);
      const [during] = await s.query<{ v: string }>(read, undefined, { max_result_rows: '12345' });
      const [after] = await s.query<{ v: string }>(read);
      expect(during?.v).toBe('12345');
      expect(after?.v).toBe(before?.v);
    });

    it('binds typed query parameters', async () => {
      const rows = await s.query<{ a: string; b: number; c: string[]; d: string }>(
        'SELECT {a:String} AS a, {b:UInt64} + 1 AS b, {c:Array(String)} AS c, toDateTime64({d:String}, 3, \'UTC\') AS d',
        { a: "it's \\ ok", b: 41, c: ['x', 'y'], d: '2026-01-02 03:04:05.678' },
      );
      expect(rows).toEqual([{ a: "it's \\ ok", b: 42, c: ['x', 'y'], d: '2026-01-02T03:04:05.678Z' }]);
    });

    it('binds every parameter type the code uses to exactly its value, hostile strings included', async () => {
      const strings = [
        '',
        "it's",
        "''",
        '\\',
        "\\'",
        '\\N',
        'tab\there\nnew line\r\u0000nul',
        "'; DROP TABLE events; --",
        "x') OR 1 = 1 UNION ALL SELECT name FROM system.tables --",
        '{p0:String}',
        '%27%20OR%201%3D1',
        'é 中文 עברית 🙂 \u200b',
        'x'.repeat(5000),
      ];
      const cases: Array<[string, unknown, unknown]> = [
        ...strings.map((v): [string, unknown, unknown] => ['String', v, v]),
        ['UInt32', 0, 0],
        ['UInt32', 4_294_967_295, 4_294_967_295],
        ['UInt64', 9_007_199_254_740_991, 9_007_199_254_740_991],
        ['Int64', -86_400_000, -86_400_000],
        ["DateTime64(3, 'UTC')", '2026-03-29 01:59:59.999', '2026-03-29T01:59:59.999Z'],
        ['Array(String)', strings, strings],
        ['Array(String)', [], []],
        ['Array(UInt32)', [1, 202_601, 4_294_967_295], [1, 202_601, 4_294_967_295]],
      ];
      for (const [type, value, expected] of cases) {
        const rows = await s.query<{ v: unknown; t: string; same: number }>(`SELECT {v:${type}} AS v, toTypeName(v) AS t, v = {w:${type}} AS same`, { v: value, w: value });
        expect(rows, `${type} ${JSON.stringify(value).slice(0, 60)}`).toEqual([{ v: expected, t: type, same: 1 }]);
      }
    });

    it('runs commands with parameters', async () => {
      await s.command('CREATE TABLE IF NOT EXISTS conformance_scratch (k String, v UInt32) ENGINE = MergeTree ORDER BY k');
      await s.command('INSERT INTO conformance_scratch SELECT {k:String}, number FROM numbers(3)', { k: 'kk' });
      const rows = await s.query<{ k: string; s: number }>('SELECT k, sum(v) AS s FROM conformance_scratch GROUP BY k');
      expect(rows).toEqual([{ k: 'kk', s: 3 }]);
      await s.command('DROP TABLE conformance_scratch');
    });

    it('ignores an empty insert', async () => {
      await expect(s.insert('events', [])).resolves.toBeUndefined();
    });

    it('reports a bad statement as a non-retryable StorageError', async () => {
      const err = await s.query('SELEC nonsense').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).code).toBe('storage_query_failed');
      expect((err as StorageError).retryable).toBe(false);
      expect((err as StorageError).clickhouseCode).toBe('62');
      const missing = await s.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
      expect((missing as StorageError).clickhouseCode).toBe('60');
      const bad = await s.insert('events; DROP TABLE events', [{}]).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(StorageError);
      expect(await s.ping()).toBe(true);
    });

    it('reports rows the engine cannot parse as a non-retryable StorageError and stores none of them', async () => {
      const rows = [eventRow({ event_id: 'unparsable-1' }), eventRow({ event_id: 'unparsable-2', screen_width: 'wide' })];
      const err = await s.insert('events', rows, { dedupToken: 'unparsable' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).retryable).toBe(false);
      expect((err as StorageError).clickhouseCode).toMatch(/^\d+$/);
      const [r] = await s.query<{ n: number }>("SELECT count() AS n FROM events WHERE event_id LIKE 'unparsable-%'");
      expect(r?.n).toBe(0);
    });

    it('leaves nothing to settle after a durable insert that landed or was refused for its content', async () => {
      await s.insert('events', [eventRow({ event_id: 'durable-1' })], { dedupToken: 'durable-1', durable: true });
      const refused = await s
        .insert('events', [eventRow({ event_id: 'durable-2', screen_width: 'wide' })], { dedupToken: 'durable-2', durable: true })
        .catch((e: unknown) => e);
      expect((refused as StorageError).retryable).toBe(false);
      expect(await s.settle()).toEqual({ completed: 0, refused: [] });
      const [r] = await s.query<{ n: number }>("SELECT count() AS n FROM events WHERE event_id LIKE 'durable-%'");
      expect(r?.n).toBe(1);
    });
  });
}
