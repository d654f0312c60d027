import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { createStorage, migrate } from '@pulse/aggregator/storage';
import { chdbDir } from '@pulse/testkit';
import { baselineRows } from '../src/aggregator/baseline-rows.js';
import { DEFAULT_SHAPE, generateRecords } from '../src/aggregator/stream-data.js';

const dir = chdbDir();
afterAll(() => dir.remove());

describe('baseline rows', () => {
  it('insert into the aggregator schema with @clickhouse/client as the aggregator benchmark does', async () => {
    const storage = createStorage({ path: dir.path });
    await migrate(storage);
    await storage.close();
    const client = createClient({ connection: createChdbConnection({ path: dir.path }) as never, clickhouse_settings: { date_time_input_format: 'best_effort', output_format_json_quote_64bit_integers: 0 } });
    try {
      const recs = [...generateRecords({ events: 3_000, startMs: Date.now() - 60_000, spacingMs: 2, seed: 3, shape: DEFAULT_SHAPE, idPrefix: 't-' })];
      await client.insert({ table: 'events', values: baselineRows(recs, 1), format: 'JSONEachRow' });
      const rs = await client.query({ query: "SELECT count() AS n, countIf(is_bot = 1) AS bots, countIf(medium = 'search') AS search, (SELECT sum(events) FROM rollup_events_minute) AS rolled FROM events", format: 'JSONEachRow' });
      const [r] = (await rs.json()) as { n: number; bots: number; search: number; rolled: number }[];
      expect(r?.n).toBe(3_000);
      expect(r?.rolled).toBe(3_000);
      expect(r?.bots).toBeGreaterThan(0);
      expect(r?.search).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
