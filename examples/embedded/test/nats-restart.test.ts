import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftovers, tempDir, type TempDir, servicePorts } from '@pulse/testkit';
import { createTenant, eventually, query, sendBatch, type Tenant } from './helpers.js';
import { alive, launch, type Launched } from './launcher.js';

/**
 * The embedded nats-server dies under a running `npm start`: the launcher starts it again on its
 * port and store, and the collector, the aggregator and the query API get back to work on their
 * own. A launch of its own (data dir, ports): a fault here must not reach another test's system.
 */
const ADMIN_TOKEN = 'nats-restart-admin-token-0123456789';

describe('the npm start launcher when its nats-server dies', () => {
  let dir: TempDir;
  let dataDir: string;
  let env: Record<string, string>;
  const launched: Launched[] = [];
  const url = (port: string | undefined, path: string) => `http://127.0.0.1:${port}${path}`;
  const natsPid = () => Number(readFileSync(join(dataDir, 'run', 'nats-server.pid'), 'utf8').split('\n')[0]);
  const status = (u: string) =>
    fetch(u, { signal: AbortSignal.timeout(2_000) }).then(
      async (r) => (await r.arrayBuffer(), r.status),
      () => 0,
    );

  beforeAll(async () => {
    dir = tempDir('pulse-nats-restart-');
    dataDir = join(dir.path, 'data');
    const [collector, query, aggregator, nats] = await servicePorts(4);
    env = {
      DATA_DIR: dataDir,
      ADMIN_TOKEN,
      HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collector),
      QUERY_PORT: String(query),
      AGGREGATOR_PORT: String(aggregator),
      NATS_PORT: String(nats),
    };
  });

  afterAll(() => {
    killLeftovers(launched, dataDir);
    dir?.remove();
  });

  it('starts it again, and the aggregator and query API recover: an event sent after is counted', async () => {
    const l = launch(env);
    launched.push(l);
    await l.waitFor(/Press Ctrl-C to stop/);
    const queryUrl = url(env.QUERY_PORT, '');
    const collectorUrl = url(env.COLLECTOR_PORT, '');
    const tenant: Tenant = await createTenant(queryUrl, ADMIN_TOKEN, 'nats-restart');
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    const count = async () => (await query(queryUrl, tenant.readKey, { site_id: tenant.siteId, metrics: ['pageviews'], date_range: range })).body.results?.[0]?.metrics[0];
    const pageview = (id: string) => ({ events: [{ id, name: 'pageview', url: 'https://nats-restart.example.com/' }] });

    expect((await sendBatch(collectorUrl, tenant.writeKey, pageview('before'), 'json')).status).toBe(202);
    expect(await eventually(count, (n) => n === 1)).toBe(1);

    const killed = natsPid();
    process.kill(killed, 'SIGKILL');
    const restarted = await eventually(
      async () => natsPid(),
      (pid) => pid !== killed && alive(pid),
    );
    expect(restarted).not.toBe(killed);
    expect(alive(restarted)).toBe(true);
    expect(alive(killed)).toBe(false);

    // Each service finds NATS again by itself (nothing restarts them) and says it is ready.
    for (const [what, port] of [
      ['collector', env.COLLECTOR_PORT],
      ['aggregator', env.AGGREGATOR_PORT],
      ['query API', env.QUERY_PORT],
    ] as const) {
      expect([what, await eventually(() => status(url(port, '/readyz')), (s) => s === 200)]).toEqual([what, 200]);
    }
    // The query API answers 200 while NATS is away too (degraded: stale-if-error tenancy); ready means NATS is back.
    const queryReadiness = () =>
      fetch(url(env.QUERY_PORT, '/readyz'), { signal: AbortSignal.timeout(3_000) }).then(
        async (r) => ((await r.json()) as { status?: string }).status,
        () => undefined,
      );
    expect(await eventually(queryReadiness, (s) => s === 'ready')).toBe('ready');

    const after = await sendBatch(collectorUrl, tenant.writeKey, pageview('after'), 'msgpack');
    expect(after).toEqual({ status: 202, body: { accepted: 1, rejected: [] } });
    expect(await eventually(count, (n) => n === 2)).toBe(2);

    // The launcher reports the one death (the aggregator may add its own lost-connection error);
    // the drain that follows is not taken for another: no error at all from then on.
    const errors = () => l.logs().filter((e) => e.level === 'error');
    expect(errors().filter((e) => e.service === 'embedded').map((e) => e.msg)).toEqual(['nats-server exited unexpectedly; starting it again']);
    expect(l.logs().some((e) => e.msg === 'nats-server started again')).toBe(true);
    const errorsBeforeDrain = errors().length;
    process.kill(l.pid, 'SIGTERM');
    expect((await l.exited).code).toBe(0);
    expect(errors()).toHaveLength(errorsBeforeDrain);
    expect(alive(restarted)).toBe(false);
  });
});
