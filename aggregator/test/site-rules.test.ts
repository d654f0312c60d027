import { describe, expect, it } from 'vitest';
import type { StreamRecord } from '@pulse/protocol';
import { createAggregator, createReplayManager, silentLogger, type Aggregator } from '../src/index.js';
import { EXCLUSION_RULES, type ExclusionRule } from '../src/site-rules-compile.js';
import { count, publish, record, SITE, type Fixture } from './helpers/fixture.js';
import { caughtUp, fixturePerTest, numbers, OTHER_SITE, setSiteRules, totals, traffic } from './helpers/replay.js';

let f: Fixture;
const { aggregators, managers } = fixturePerTest((x) => (f = x));

const SPAM_HOST = 'copy.spam.test';
let n = 0;

/** Custom events a server SDK sends: no url (so no hostname), one of an unknown country. */
function serverEvents(base: number, site: string): StreamRecord[] {
  return ['', 'DE'].map((country) =>
    record({ site_id: site, country, events: [{ id: `srv-${++n}`, name: 'invoice_paid', ts: base + 10_000, visitor_id: 'srv-visitor' }] }),
  );
}

/** One round of a site's traffic: its own pages (DE and FR visitors), a copy of its script on a spam site, server events. */
const round = (base: number, site: string): StreamRecord[] => [...traffic(base, { site }), ...traffic(base, { site, host: SPAM_HOST }), ...serverEvents(base, site)];

async function excludedByRule(a: Aggregator): Promise<Record<ExclusionRule, number>> {
  const { values } = await a.metrics.excluded.get();
  return Object.fromEntries(EXCLUSION_RULES.map((rule) => [rule, values.find((v) => v.labels.rule === rule)?.value ?? -1])) as Record<ExclusionRule, number>;
}

async function eventIds(where: string): Promise<string[]> {
  return (await f.storage.query<{ event_id: string }>(`SELECT event_id FROM events WHERE ${where} ORDER BY event_id`)).map((r) => r.event_id);
}

const siteWhere = (where: string, site = SITE) => `site_id = '${site}' AND (${where})`;
const SPAM = `hostname = '${SPAM_HOST}'`;
const FR = "country = 'FR'";
const ADMIN = "path LIKE '/admin/%'";
const NO_URL = "hostname = '' AND path = ''";

describe('allowed_hostnames and excluded_countries', () => {
  it('drop new events live, leave old ones until a replay of the range removes them, and are counted by rule', async () => {
    await setSiteRules(f.js, SITE, ['/admin/*']);
    const a = createAggregator({ nats: f.nc, storage: f.storage, logger: silentLogger, lagRefreshMs: 200 });
    aggregators.push(a);
    await a.start();
    const jsm = await f.nc.jetstreamManager();
    const t0 = Date.now() - 40 * 60_000;
    for (let i = 0; i < 2; i++) await publish(f.js, [...round(t0 + i * 2000, SITE), ...round(t0 + i * 2000, OTHER_SITE)]);
    await caughtUp(jsm);
    const oldSpam = await count(f.storage, siteWhere(SPAM));
    const oldFr = await count(f.storage, siteWhere(FR));
    expect(oldSpam).toBeGreaterThan(0);
    expect(oldFr).toBeGreaterThan(0);
    expect(await count(f.storage, siteWhere(ADMIN))).toBe(0);
    const metricsBefore = await excludedByRule(a);
    expect(metricsBefore).toEqual({ allowed_hostnames: 0, excluded_countries: 0, excluded_paths: 2 * 2 * 2 * 3 });

    // The new rules, on the running aggregator; excluded_paths kept as it was.
    await setSiteRules(f.js, SITE, ['/admin/*'], { allowed_hostnames: ['*.EXAMPLE.com'], excluded_countries: ['FR'] });
    const t1 = Date.now() - 5 * 60_000;
    for (let i = 0; i < 2; i++) await publish(f.js, [...round(t1 + i * 2000, SITE), ...round(t1 + i * 2000, OTHER_SITE)]);
    await caughtUp(jsm);
    const since = (where: string, site = SITE) => count(f.storage, `${siteWhere(where, site)} AND ts >= fromUnixTimestamp64Milli(${t1})`);
    // New events: the spam copy and FR visitors dropped; the site's own pages, the events without a
    // url and those of an unknown country kept; the other site (no rules) keeps everything.
    expect(await since(SPAM)).toBe(0);
    expect(await since(FR)).toBe(0);
    expect(await since("hostname = 'shop.example.com' AND country = 'DE'")).toBeGreaterThan(0);
    expect(await since(NO_URL)).toBe(2 * 2);
    expect(await since("country = ''")).toBe(2);
    expect(await since(SPAM, OTHER_SITE)).toBeGreaterThan(0);
    expect(await since(FR, OTHER_SITE)).toBeGreaterThan(0);
    // Old events still counted.
    expect(await count(f.storage, siteWhere(SPAM))).toBe(oldSpam);
    expect(await count(f.storage, siteWhere(FR))).toBe(oldFr);

    // Each dropped event counted once, under the first rule that drops it (hosts, countries, paths):
    // the other site received the same traffic and kept it all.
    const metrics = await excludedByRule(a);
    const delta = (rule: ExclusionRule) => metrics[rule] - metricsBefore[rule];
    expect(delta('allowed_hostnames')).toBe(await since(SPAM, OTHER_SITE));
    expect(delta('excluded_countries')).toBe(await since(`NOT ${SPAM} AND ${FR}`, OTHER_SITE));
    expect(delta('excluded_paths')).toBe(await since(`NOT ${SPAM} AND NOT ${FR} AND ${ADMIN}`, OTHER_SITE));
    expect(await a.metrics.registry.getSingleMetricAsString('pulse_aggregator_excluded_events_total')).toMatch(/\{rule="excluded_countries"\} [1-9]/);

    // A replay of the range applies today's rules to history: the old spam and FR events go too.
    const before = await numbers(f.storage);
    const beforeTotals = await totals(f.storage);
    const oldNoUrl = await count(f.storage, siteWhere(NO_URL));
    const dropped = await count(f.storage, siteWhere(`${SPAM} OR ${FR}`));
    const keptIds = await eventIds(siteWhere(`NOT (${SPAM} OR ${FR})`));
    expect(dropped).toBeGreaterThanOrEqual(oldSpam);
    const m = createReplayManager({ nats: f.nc, storage: f.storage, logger: silentLogger, heartbeatMs: 200 });
    managers.push(m);
    const range = { from: new Date(t0 - 60 * 60_000).toISOString(), to: new Date(Date.now() + 60 * 60_000).toISOString(), site_id: SITE };
    expect(await m.wait((await m.start(range)).replay_id)).toMatchObject({ state: 'done' });

    expect(await count(f.storage, siteWhere(`${SPAM} OR ${FR}`))).toBe(0);
    expect(await count(f.storage, siteWhere(NO_URL))).toBe(oldNoUrl);
    const after = await totals(f.storage);
    expect(after.raw).toBe(beforeTotals.raw - dropped);
    expect(after.minute).toBe(beforeTotals.minute - dropped);
    // The site keeps exactly the events the rules let through, and the other site's rows and rollups did not move.
    expect(await eventIds(siteWhere('1'))).toEqual(keptIds);
    const afterNumbers = await numbers(f.storage);
    const other = (rows: Record<string, unknown>[]) => rows.filter((r) => r.site_id === OTHER_SITE);
    expect(other(afterNumbers.rows)).toEqual(other(before.rows));
    for (const [table, rows] of Object.entries(afterNumbers.rollups)) {
      expect(other(rows as Record<string, unknown>[]), table).toEqual(other((before.rollups[table] ?? []) as Record<string, unknown>[]));
    }
  });
});
