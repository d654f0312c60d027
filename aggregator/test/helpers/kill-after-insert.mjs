// Child process for the SIGKILL test: an aggregator whose process is killed right after its
// first events insert reached ClickHouse, before any ack could be sent.
import { connect } from 'nats';
import { createAggregator, silentLogger } from '../../dist/index.js';
import { createStorage } from '../../dist/storage/index.js';

const [natsUrl, dataPath] = process.argv.slice(2);
const inner = createStorage({ path: dataPath });
const storage = {
  ...inner,
  async insert(table, rows, opts) {
    await inner.insert(table, rows, opts);
    if (table === 'events') process.kill(process.pid, 'SIGKILL');
  },
};
const nc = await connect({ servers: natsUrl });
const aggregator = createAggregator({ nats: nc, storage, logger: silentLogger, ackWaitMs: 2000 });
await aggregator.start();
