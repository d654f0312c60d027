// Child process for the interrupted-insert test: migrates a fresh data path, stores the earlier
// batches, adds a slow extra view on `events` so the last durable insert stays in flight for
// seconds, says "inserting", and waits to be SIGKILLed.
import { readFileSync } from 'node:fs';
import { createStorage, migrate } from '../../dist/storage/index.js';

const [dataPath, batchesFile] = process.argv.slice(2);
const storage = createStorage({ path: dataPath });
await migrate(storage);
const batches = JSON.parse(readFileSync(batchesFile, 'utf8'));
const last = batches.pop();
for (const [i, rows] of batches.entries()) await storage.insert('events', rows, { dedupToken: `before-${i}`, durable: true });
await storage.command('CREATE TABLE slow_sink (n UInt64) ENGINE = MergeTree ORDER BY n');
await storage.command('CREATE MATERIALIZED VIEW slow_view TO slow_sink AS SELECT sleepEachRow(0.0025) + 1 AS n FROM events');
process.stdout.write('inserting\n');
await storage.insert('events', last, { dedupToken: 'killed-batch', durable: true });
process.stdout.write('inserted\n');
