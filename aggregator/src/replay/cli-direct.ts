import { existsSync } from 'node:fs';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { EVENTS_STREAM, KV_SITES, KV_STATE } from '@pulse/protocol';
import { isNotFound } from '@pulse/protocol/streams';
import { AggregatorError, NatsUnreachableError, ReplayError, ReplayTargetError, UnknownSiteError } from '../errors.js';
import { silentLogger } from '../log.js';
import { clickhouseFromEnv, createStorage, migrate, type ClickHouseEnv } from '../storage/index.js';
import { follow } from './cli-follow.js';
import type { DirectTarget } from './cli-target.js';
import { createReplayManager } from './manager.js';
import type { ReplayStatus } from './types.js';

/**
 * The replay CLI's direct way: this process reads NATS_URL's EVENTS stream and writes CLICKHOUSE_URL
 * or the chDB in DATA_DIR/clickhouse. Checked before anything is written: the chDB directory exists
 * (a replay never makes a new one) and is not open elsewhere, NATS answers and is Pulse's (so no replay
 * buckets land in an unrelated NATS server).
 */
export async function direct(
  target: DirectTarget,
  env: ClickHouseEnv,
  req: { from: string; to: string; site?: string; batch?: number },
): Promise<ReplayStatus> {
  const clickhouse = clickhouseFromEnv(env);
  if (!('url' in clickhouse.storage) && !existsSync(clickhouse.storage.path)) {
    throw new ReplayTargetError(
      'no_chdb_data',
      `no chDB data directory at ${clickhouse.storage.path} (a replay does not create one): set DATA_DIR to the directory the service keeps its data in, or CLICKHOUSE_URL`,
    );
  }
  let storage: ReturnType<typeof createStorage>;
  try {
    storage = createStorage(clickhouse.storage);
  } catch (err) {
    // chDB lets one process open a data directory, and `npm start` keeps it open.
    if (!('url' in clickhouse.storage)) {
      throw new AggregatorError(
        'data_dir_in_use',
        `could not open the chDB data directory; if a service (npm start) has it open, run the replay through its query API (QUERY_URL + ADMIN_TOKEN; see --help): ${(err as Error)?.message}`,
        { cause: err },
      );
    }
    throw err;
  }
  let nats: NatsConnection | undefined;
  try {
    nats = await pulseNats(target.natsServers);
    if (req.site) await requireSite(nats, req.site, target.natsServers.join(','));
    await migrate(storage, clickhouse.layout);
    const manager = createReplayManager({ nats, storage, logger: silentLogger, ...(req.batch ? { batchMaxMessages: req.batch } : {}) });
    const { replay_id } = await manager.start({ from: req.from, to: req.to, ...(req.site ? { site_id: req.site } : {}) });
    process.on('SIGINT', () => {
      process.stderr.write('\ncancelling…\n');
      void manager.cancel(replay_id);
    });
    const status = await follow(() => manager.get(replay_id));
    await manager.close();
    return status;
  } finally {
    await nats?.drain().catch(() => {});
    await storage.close().catch(() => {});
  }
}

async function pulseNats(servers: string[]): Promise<NatsConnection> {
  const where = servers.join(',');
  let nats: NatsConnection;
  try {
    nats = await connect({ servers, name: 'pulse-replay-cli' });
  } catch (err) {
    throw new NatsUnreachableError(
      servers,
      `could not connect to NATS at ${where} (${(err as Error)?.message ?? String(err)}): NATS_URL must name the NATS server Pulse's collector publishes to; is it running?`,
      { cause: err },
    );
  }
  try {
    // Pulse's NATS holds EVENTS; without it (deleted, the archive holding the history) at least the
    // aggregators' state bucket.
    const jsm = await nats.jetstreamManager();
    if ((await hasStream(jsm, EVENTS_STREAM)) || (await hasStream(jsm, `KV_${KV_STATE}`))) return nats;
    throw new ReplayError(
      'stream_unavailable',
      `NATS at ${where} has neither the ${EVENTS_STREAM} stream nor the ${KV_STATE} bucket, so it is not Pulse's: NATS_URL must name the NATS server Pulse's collector publishes to`,
    );
  } catch (err) {
    await nats.close().catch(() => {});
    if (err instanceof ReplayError) throw err;
    throw new ReplayError('stream_unavailable', `could not use JetStream on NATS at ${where} (${(err as Error)?.message ?? String(err)})`, { cause: err });
  }
}

/**
 * A `--site` that names no site is a typo, refused as the query API refuses it: a replay of it
 * would rebuild partitions to change nothing. Read without creating the bucket.
 */
async function requireSite(nats: NatsConnection, siteId: string, where: string): Promise<void> {
  const sites = (await hasStream(await nats.jetstreamManager(), `KV_${KV_SITES}`)) ? await nats.jetstream().views.kv(KV_SITES, { bindOnly: true }) : null;
  const entry = await sites?.get(siteId);
  if (entry?.operation !== 'PUT') throw new UnknownSiteError(siteId, `there is no site ${siteId} in ${KV_SITES} on NATS at ${where}: check --site, or leave it out to replay every site`);
}

async function hasStream(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
