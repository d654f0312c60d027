// Query benchmark: a site with N events generated straight into chDB (rollups filled by the
// aggregator's materialized views), the query API in its own process, 16 concurrent clients:
// p50/p99 of a 30-day `time:day` series and a top-10 `page` breakdown, uncached and cached,
// against the same SQL sent straight to chDB (uncached) and a bare node:http server sending the same
// bytes (cached).
// node bench/dist/query.js [--events 10000000] [--days 60] [--concurrency 16] [--seconds 10] [--out result.json]
import { fork } from 'node:child_process';
import { checkKnown, numberArg, parseArgs } from '../lib/args.js';
import { BenchFailedError } from '../lib/errors.js';
import { jsonClient } from '../lib/http.js';
import { closedLoop, roundsLoop, type LoadResult } from '../lib/load.js';
import { fmtInt, progress } from '../lib/progress.js';
import { commandLine, writeResult, type BenchResult, type Figure } from '../lib/result.js';
import { perSecond, summarize } from '../lib/stats.js';
import { windows } from './generate.js';
import type { FromServer, ServerConfig, ToServer } from './ipc.js';

export const DEFAULT_EVENTS = 10_000_000;
export const DEFAULT_DAYS = 60;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_SECONDS = 10;
export const DEFAULT_CHUNK = 2_000_000;
const WINDOW_DAYS = 30;

const args = parseArgs(process.argv.slice(2));
checkKnown(args, ['events', 'days', 'concurrency', 'seconds', 'chunk', 'out']);
const events = numberArg(args, 'events', DEFAULT_EVENTS, { min: 1000 });
const days = numberArg(args, 'days', DEFAULT_DAYS, { min: WINDOW_DAYS + 1 });
const concurrency = numberArg(args, 'concurrency', DEFAULT_CONCURRENCY, { min: 1 });
const seconds = numberArg(args, 'seconds', DEFAULT_SECONDS, { min: 1 });
const chunk = numberArg(args, 'chunk', DEFAULT_CHUNK, { min: 1000 });
const log = (m: string) => progress('query', m);
const startedAt = new Date();

const serverConfig: ServerConfig = { events, days, chunk };
const child = fork(new URL('./query-server.js', import.meta.url), [JSON.stringify(serverConfig)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const waiters: Array<(m: FromServer) => void> = [];
let childError: string | undefined;
child.on('message', (m: FromServer) => {
  if (m.type === 'error') childError = m.message;
  waiters.shift()?.(m);
});
const exited = new Promise<number | null>((r) => child.once('exit', r));

function ask<T extends FromServer['type']>(msg: ToServer | undefined, want: T): Promise<Extract<FromServer, { type: T }>> {
  return new Promise((resolve, reject) => {
    waiters.push((m) => (m.type === want ? resolve(m as Extract<FromServer, { type: T }>) : reject(new BenchFailedError(`query server: ${m.type === 'error' ? m.message : m.type}`))));
    if (msg) child.send(msg);
  });
}

interface Report {
  name: string;
  label: string;
  body: (w: { from: string; to: string }) => Record<string, unknown>;
}

try {
  log(`generating ${fmtInt(events)} events over ${days} days in the server process`);
  const ready = await Promise.race([ask(undefined, 'ready'), exited.then((c) => Promise.reject(new BenchFailedError(`query server exited (${c}): ${childError ?? ''}`)))]);
  log(`ready: ${fmtInt(events)} events in ${(ready.generateMs / 1000).toFixed(0)} s (${fmtInt(perSecond(events, ready.generateMs))} events/s)`);
  const http = jsonClient(`http://127.0.0.1:${ready.port}`, concurrency);
  const bareHttp = jsonClient(`http://127.0.0.1:${ready.barePort}`, concurrency);
  const auth = { authorization: `Bearer ${ready.readKey}` };
  const all = windows({ fromMs: ready.fromMs, days: ready.days }, WINDOW_DAYS);
  const reports: Report[] = [
    { name: 'series', label: `${WINDOW_DAYS}-day \`time:day\` series (visitors, pageviews)`, body: (w) => ({ site_id: ready.siteId, metrics: ['visitors', 'pageviews'], date_range: w, dimensions: ['time:day'] }) },
    {
      name: 'pages',
      label: `top-10 \`page\` breakdown over ${WINDOW_DAYS} days (visitors, pageviews: the dashboard's "Top pages")`,
      body: (w) => ({ site_id: ready.siteId, metrics: ['visitors', 'pageviews'], date_range: w, dimensions: ['page'], order_by: [['visitors', 'desc']], limit: 10 }),
    },
    {
      // The dashboard's headline cards, compared with the 30 days before: bounce rate and visit
      // duration need whole visits, read from the visits table (rollup_visits_day).
      name: 'cards',
      label: `the dashboard's headline cards over ${WINDOW_DAYS} days and the ${WINDOW_DAYS} before (visitors, visits, pageviews, views per visit, bounce rate, visit duration)`,
      body: (w) => ({ site_id: ready.siteId, metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'], date_range: w, compare: 'previous_period' }),
    },
    {
      // The dashboard's "Referrers" tab: visits attributed by their first referrer, from the visits table.
      name: 'referrers',
      label: `top-10 \`referrer\` breakdown over ${WINDOW_DAYS} days (visitors, visits: the dashboard's "Referrers")`,
      body: (w) => ({ site_id: ready.siteId, metrics: ['visitors', 'visits'], date_range: w, dimensions: ['referrer'], order_by: [['visitors', 'desc']], limit: 10 }),
    },
    {
      // The dashboard once a visitor clicks "Google" among the sources: its top pages, from the
      // events of the visits the table of visits says came from Google.
      name: 'pages-of-source',
      label: `top-10 \`page\` breakdown over ${WINDOW_DAYS} days of the visits from Google (visitors, pageviews: "Top pages" filtered by a source)`,
      body: (w) => ({ site_id: ready.siteId, metrics: ['visitors', 'pageviews'], date_range: w, dimensions: ['page'], filters: [['is', 'source', ['Google']]], order_by: [['visitors', 'desc']], limit: 10 }),
    },
    {
      // The headline cards once a page is chosen: the visits that saw /cart, whole.
      name: 'cards-of-page',
      label: `the dashboard's headline cards over ${WINDOW_DAYS} days and the ${WINDOW_DAYS} before, for the visits that saw /cart`,
      body: (w) => ({
        site_id: ready.siteId,
        metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'],
        date_range: w,
        filters: [['is', 'page', ['/cart']]],
        compare: 'previous_period',
      }),
    },
    {
      name: 'pages-pageviews',
      label: `top-10 \`page\` breakdown over ${WINDOW_DAYS} days (pageviews only)`,
      body: (w) => ({ site_id: ready.siteId, metrics: ['pageviews'], date_range: w, dimensions: ['page'], order_by: [['pageviews', 'desc']], limit: 10 }),
    },
  ];
  // The load loops only count failures; the first few are logged so a failed run says why.
  let failuresLogged = 0;
  const post = async (client: typeof http, body: Record<string, unknown>): Promise<string> => {
    try {
      const res = await client.post('/v1/query', body, auth);
      if (res.status !== 200) throw new BenchFailedError(`POST /v1/query answered ${res.status}: ${res.body.slice(0, 300)}`);
      return String(res.headers['x-cache'] ?? 'none');
    } catch (err) {
      if (failuresLogged++ < 3) log(`request failed: ${String((err as Error)?.message ?? err)}`);
      throw err;
    }
  };
  const query = (body: Record<string, unknown>): Promise<string> => post(http, body);
  const durationMs = seconds * 1000;
  const tables: BenchResult['tables'] = [];
  const notes: string[] = [];
  const sqlOf: Record<string, string> = {};
  for (const r of reports) {
    await ask({ type: 'arm' }, 'armed');
    const probe = await http.post('/v1/query', r.body(all.at(-1) as { from: string; to: string }), auth);
    await ask({ type: 'disarm' }, 'disarmed');
    if (probe.status !== 200) throw new BenchFailedError(`${r.name}: POST /v1/query answered ${probe.status}: ${probe.body}`);
    const answer = JSON.parse(probe.body) as { results: unknown[]; meta: { source_table?: string } };
    const table = answer.meta.source_table ?? 'events';
    log(`${r.name}: answered from ${table} with ${answer.results.length} rows`);

    log(`${r.name}: uncached, ${concurrency} clients, ${seconds} s, ${all.length} distinct windows per round`);
    const uncached = await roundsLoop({ concurrency, durationMs, items: all, between: async () => void (await ask({ type: 'invalidate' }, 'invalidated')), run: (w) => query(r.body(w)) });
    log(`${r.name}: cached, ${concurrency} clients, ${seconds} s`);
    await ask({ type: 'invalidate' }, 'invalidated');
    const hot = all.at(-1) as { from: string; to: string };
    await query(r.body(hot));
    const cached = await closedLoop({ concurrency, durationMs, run: () => query(r.body(hot)) });
    log(`${r.name}: ceiling, a bare node:http server sending the same answer, ${concurrency} clients, ${seconds} s`);
    const same = await http.post('/v1/query', r.body(hot), auth);
    await ask({ type: 'bare', body: same.body, etag: String(same.headers['etag'] ?? '') }, 'bared');
    const ceiling = await closedLoop({ concurrency, durationMs, run: () => post(bareHttp, r.body(hot)) });
    log(`${r.name}: baseline, the same SQL straight against chDB, ${concurrency} clients, ${seconds} s`);
    const base = await ask({ type: 'baseline', table, concurrency, durationMs }, 'baseline');
    sqlOf[r.name] = base.sql;

    for (const [what, res] of [['uncached', uncached], ['cached', cached], ['bare server', ceiling]] as const) {
      if (res.errors > 0) throw new BenchFailedError(`${r.name} ${what}: ${res.errors} failed requests`);
    }
    const miss = summarize(uncached.byTag['miss'] ?? []);
    const hit = summarize(cached.byTag['hit'] ?? []);
    const sql = summarize(base.latenciesMs);
    const bare = summarize(ceiling.latenciesMs);
    const others = (res: LoadResult, tag: string) => res.latenciesMs.length - (res.byTag[tag]?.length ?? 0);
    const baseline = (p: 'p50' | 'p99') => ({ label: `same SQL straight to chDB, ${p}`, value: sql[p] });
    const figures: Figure[] = [
      { label: 'uncached p50', value: miss.p50, unit: 'ms', baseline: baseline('p50') },
      { label: 'uncached p99', value: miss.p99, unit: 'ms', baseline: baseline('p99'), target: '≤ 50' },
      { label: 'uncached throughput', value: perSecond(miss.n, uncached.elapsedMs), unit: 'req/s', baseline: { label: 'same SQL straight to chDB', value: perSecond(sql.n, durationMs) } },
      { label: 'cached p50', value: hit.p50, unit: 'ms', baseline: { label: 'bare node:http server, same bytes, p50', value: bare.p50 } },
      { label: 'cached p99', value: hit.p99, unit: 'ms', baseline: { label: 'bare node:http server, same bytes, p99', value: bare.p99 }, target: '≤ 2' },
      { label: 'cached throughput', value: perSecond(hit.n, cached.elapsedMs), unit: 'req/s', baseline: { label: 'bare node:http server, same bytes', value: perSecond(bare.n, ceiling.elapsedMs) } },
    ];
    tables.push({ title: `${r.label}, read from \`${table}\``, figures });
    notes.push(
      `${r.name}: ${fmtInt(miss.n)} uncached answers over ${uncached.rounds} rounds of ${all.length} distinct 30-day windows (cache emptied between rounds; ${others(uncached, 'miss')} answers that were not misses are left out), ${fmtInt(hit.n)} cached answers (${others(cached, 'hit')} not hits, left out), ${fmtInt(sql.n)} baseline queries, ${fmtInt(bare.n)} bare-server answers.`,
    );
    log(`${r.name}: uncached p50 ${miss.p50.toFixed(1)} / p99 ${miss.p99.toFixed(1)} ms, cached p50 ${hit.p50.toFixed(2)} / p99 ${hit.p99.toFixed(2)} ms (bare server ${bare.p50.toFixed(2)} / ${bare.p99.toFixed(2)} ms), SQL p50 ${sql.p50.toFixed(1)} / p99 ${sql.p99.toFixed(1)} ms`);
  }
  http.close();
  bareHttp.close();
  child.send({ type: 'stop' } satisfies ToServer);
  await exited;

  const result: BenchResult = {
    bench: 'query',
    title: `Query API on chDB: ${fmtInt(events)} events`,
    command: commandLine('bench/dist/query.js'),
    params: { events, 'days of history': days, 'events in a 30-day window (avg)': Math.round((events * WINDOW_DAYS) / days), 'concurrent clients': concurrency, 'seconds per phase': seconds, 'chDB version': ready.chdbVersion },
    tables,
    details: { sql: sqlOf },
    notes: [
      ...notes,
      'Uncached = every answer a cache miss (x-cache: miss), computed by chDB. Cached = the API\'s answer cache (x-cache: hit). Uncached baseline = the statements the API sent for that report (captured from its Storage; a top list by visitors sends two, its ranking and the candidates), run one after the other with the same concurrency straight against the same chDB in the same process, no HTTP. Cached baseline = a bare node:http server in the API\'s process that reads and parses each request body and answers with the same bytes and headers (no auth, validation, planning or cache lookup): the ceiling of this HTTP stack and client on this machine.',
      `Data: ${fmtInt(events)} events of one site (UTC), generated by INSERT … SELECT FROM numbers() with skewed pages, visits of 1 to 5 events (2.4 on average) by returning visitors, real agents/referrers/UTM shares; rollups filled by the aggregator's materialized views and then merged (OPTIMIZE … FINAL) like a site with settled history. Generation took ${(ready.generateMs / 1000).toFixed(0)} s.`,
    ],
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
  };
  writeResult(args.get('out'), result);
} finally {
  if (child.exitCode === null) child.kill('SIGTERM');
}
