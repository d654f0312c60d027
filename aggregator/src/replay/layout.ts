import { ReplayError } from '../errors.js';
import { EVENTS_TABLE } from '../storage/schema-events.js';
import type { Storage } from '../storage/types.js';

/**
 * Replays stage copies of the tables and swap them in partition by partition. Under Distributed
 * tables (a sharded cluster) a copy made with `CREATE TABLE … AS events` would be another
 * Distributed table writing into the live shards, and each shard's swap must run once, on a
 * replica that holds its staged rows: not built yet, so refused before anything is written.
 */
export async function refuseShardedLayout(storage: Storage): Promise<void> {
  const [row] = await storage.query<{ engine: string }>(
    'SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = {name:String}',
    { name: EVENTS_TABLE },
  );
  if (row?.engine === 'Distributed') {
    throw new ReplayError('unsupported_layout', 'replays are not supported on a sharded cluster (Distributed tables) yet; live data is unchanged');
  }
}

