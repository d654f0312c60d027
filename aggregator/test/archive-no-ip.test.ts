import { describe, expect, it } from 'vitest';
import { EVENTS_STREAM, KV_STATE, type StreamRecord } from '@pulse/protocol';
import { decodeStreamMessage } from '@pulse/protocol/codec';
import { createAggregator, createReplayManager, silentLogger, type Aggregator, type Logger } from '../src/index.js';
import { SCRUB_PROGRESS_KEY } from '../src/archive-scrub.js';
import { ARCHIVE_TABLE, MIGRATIONS_TABLE } from '../src/storage/index.js';
import { publish, SITE, waitFor, type Fixture } from './helpers/fixture.js';
import { memoryLogger } from './helpers/memory-logger.js';
import { caughtUp, fixturePerTest, numbers, OTHER_SITE, traffic } from './helpers/replay.js';

const DAY = 86_400_000;
/** Every client address `traffic()` sends (its visitors 0–5). */
const IPS = Array.from({ length: 6 }, (_, v) => `203.0.113.${v + 1}`);

let f: Fixture;
const { aggregators, managers } = fixturePerTest((x) => (f = x));

async function live(logger: Logger = silentLogger): Promise<Aggregator> {
  const a = createAggregator({ nats: f.nc, storage: f.storage, logger, lagRefreshMs: 200, archiveScrubChunkMessages: 2, archiveScrubPollMs: 50 });
  aggregators.push(a);
  await a.start();
  return a;
}

interface ArchiveRow {
  stream_seq: number;
  scrubbed: number;
  bytes: Buffer;
}

async function archiveRows(): Promise<ArchiveRow[]> {
  const rows = await f.storage.query<{ stream_seq: number; scrubbed: number; body: string }>(
    `SELECT stream_seq, scrubbed, body FROM ${ARCHIVE_TABLE} ORDER BY stream_seq, scrubbed`,
  );
  return rows.map((r) => ({ stream_seq: r.stream_seq, scrubbed: r.scrubbed, bytes: Buffer.from(r.body, 'base64') }));
}

/** No archived record has an ip, no IP occurs in the bytes, and every cookieless record carries its ids. */
function expectNoIp(rows: readonly ArchiveRow[]): void {
  for (const r of rows) {
    expect(r.scrubbed).toBe(1);
    for (const ip of IPS) expect(r.bytes.includes(Buffer.from(ip))).toBe(false);
    for (const rec of decodeStreamMessage(r.bytes).records) {
      expect('ip' in rec).toBe(false);
      const cookieless = (rec as StreamRecord).events.some((e) => e.visitor_id === undefined);
      expect(rec.cookieless_ids !== undefined).toBe(cookieless);
    }
  }
}

/** The UTC days' salts live keeps (`salt.YYYY-MM-DD`). */
async function saltKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of await (await f.js.views.kv(KV_STATE)).keys('salt.*')) keys.push(k);
  return keys;
}

/** Deletes salts (those of `days`, else all), as happens after the stream retention + 1 day. */
async function deleteSalts(days?: (day: string) => boolean): Promise<string[]> {
  const kv = await f.js.views.kv(KV_STATE);
  const doomed = (await saltKeys()).filter((k) => !days || days(k.slice('salt.'.length)));
  for (const k of doomed) await kv.purge(k);
  return doomed;
}

/** Replays every site's events of `[from, now)` from the archive (the stream is purged first). */
async function replayFromArchive(from: number): Promise<void> {
  const jsm = await f.nc.jetstreamManager();
  await jsm.streams.purge(EVENTS_STREAM);
  // Live's rows gone: what the replay stores is all there is to compare.
  await f.storage.command('ALTER TABLE events DELETE WHERE 1 SETTINGS mutations_sync = 1');
  const m = createReplayManager({ nats: f.nc, storage: f.storage, logger: silentLogger, heartbeatMs: 200 });
  managers.push(m);
  const done = await m.wait((await m.start({ from: new Date(from).toISOString(), to: new Date(Date.now()).toISOString() })).replay_id);
  expect(done).toMatchObject({ state: 'done', source: { stream: 0 } });
  expect(done.source.archive).toBeGreaterThan(0);
}

/** Per site and UTC day: events, distinct visitors and visits (what a dashboard counts). */
async function dailyCounts(): Promise<Record<string, unknown>[]> {
  return f.storage.query(
    `SELECT site_id, toString(toDate(ts)) AS day, count() AS events, uniqExact(visitor_id) AS visitors, uniqExact(session_id) AS visits
     FROM events GROUP BY site_id, day ORDER BY site_id, day`,
  );
}

describe('the archive keeps no IP', () => {
  it('archives copies without ips, with the ids live computed, and a replay from it after the salts are gone gives live\'s ids', async () => {
    await live();
    const t0 = Date.now() - 30 * 60_000;
    for (let i = 0; i < 4; i++) await publish(f.js, [...traffic(t0 + i * 1000, { visitors: 6 }), ...traffic(t0 + i * 1000, { site: OTHER_SITE, visitors: 6 })]);
    await caughtUp(await f.nc.jetstreamManager());
    const rows = await archiveRows();
    expect(rows.map((r) => r.stream_seq)).toEqual([1, 2, 3, 4]);
    expectNoIp(rows);
    const expected = await numbers(f.storage);
    const cookieless = expected.rows.filter((r) => String(r.visitor_id).startsWith('c_'));
    expect(new Set(cookieless.map((r) => r.visitor_id)).size).toBe(2 * 2);

    expect(await deleteSalts()).not.toEqual([]);
    await replayFromArchive(t0 - 60_000);
    // The very rows and rollups live stored: same visitor ids, visits and counts.
    expect(await numbers(f.storage)).toEqual(expected);
  });
});

describe('the archive scrub', () => {
  it('rewrites rows archived before without ips, with the ids of days whose salt is left, and loses nothing', async () => {
    // Live processes today's events and events of a day long past (its salt is deleted below).
    const first = await live();
    const old = Date.now() - 20 * DAY;
    const today = Date.now() - 30 * 60_000;
    for (const t of [old, old + 1000, today, today + 1000, today + 2000]) await publish(f.js, [...traffic(t, { visitors: 6 }), ...traffic(t, { site: OTHER_SITE, visitors: 6 })]);
    const jsm = await f.nc.jetstreamManager();
    await caughtUp(jsm);
    const expected = await numbers(f.storage);
    const expectedCounts = await dailyCounts();
    await first.stop();
    aggregators.splice(0);

    // The archive as an aggregator before this change left it: the original messages (with IPs),
    // no `scrubbed` column, migration 0011 not applied; plus bytes that are no stream message.
    await f.storage.command(`ALTER TABLE ${ARCHIVE_TABLE} DROP COLUMN scrubbed`);
    await f.storage.command(`ALTER TABLE ${MIGRATIONS_TABLE} DELETE WHERE id = '0011_archive_scrubbed' SETTINGS mutations_sync = 1`);
    await f.storage.command(`TRUNCATE TABLE ${ARCHIVE_TABLE}`);
    const originals = [];
    for (let seq = 1; seq <= 5; seq++) {
      const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq });
      originals.push({ stream_seq: seq, stream_time: m.time.toISOString(), body: Buffer.from(m.data).toString('base64') });
    }
    const garbage = Buffer.from([0xc1, 0x00, 0x01]);
    // Rows inserted one by one: parts of their own, as months of archiving leave them.
    for (const row of [...originals, { stream_seq: 6, stream_time: new Date().toISOString(), body: garbage.toString('base64') }]) {
      await f.storage.insert(ARCHIVE_TABLE, [row]);
    }
    expect((await f.storage.query<{ body: string }>(`SELECT body FROM ${ARCHIVE_TABLE}`)).some((r) => Buffer.from(r.body, 'base64').includes(Buffer.from(IPS[0] as string)))).toBe(true);
    const oldDay = new Date(old).toISOString().slice(0, 10);
    // Live already pruned it (older than the stream retention + 1 day); gone in any case.
    await deleteSalts((day) => day === oldDay);
    const left = await saltKeys();
    expect(left).not.toContain(`salt.${oldDay}`);
    expect(left).toContain(`salt.${new Date(today).toISOString().slice(0, 10)}`);

    // Two aggregators start at once: one scrubs, the other waits and finds nothing left.
    const logs = [memoryLogger(), memoryLogger()];
    await Promise.all(logs.map((l) => live(l.logger)));
    const lines = () => logs.flatMap((l) => l.lines.map((s) => JSON.parse(s) as { msg: string; copied?: number }));
    const done = await waitFor('the scrub to finish', async () => lines().find((l) => l.msg === 'archive scrub done'));
    expect(done.copied).toBe(6);
    expect(lines().filter((l) => l.msg === 'archive scrub done')).toHaveLength(1);
    expect(lines().filter((l) => l.msg === 'archive scrub started').length).toBeGreaterThanOrEqual(1);

    const rows = await archiveRows();
    // One row per message, none lost; the bytes that were no message kept as they came.
    expect(rows.map((r) => [r.stream_seq, r.scrubbed])).toEqual([1, 2, 3, 4, 5, 6].map((s) => [s, 1]));
    expect(rows[5]?.bytes.equals(garbage)).toBe(true);
    expectNoIp(rows.slice(0, 5));
    expect(await (await f.js.views.kv(KV_STATE)).get(SCRUB_PROGRESS_KEY)).toMatchObject({ operation: 'PURGE' });

    for (const a of aggregators.splice(0)) await a.stop();
    // Still replayable: today's visitors get live's ids (their salt was left), the old day's
    // visitors ids of the scrub's own salt, as distinct as live's.
    await live();
    await replayFromArchive(old - 60_000);
    const now = await numbers(f.storage);
    expect(now.rows.length).toBe(expected.rows.length);
    expect(await dailyCounts()).toEqual(expectedCounts);
    const byEvent = new Map(now.rows.map((r) => [r.event_id, r]));
    const oldEvents = await f.storage.query<{ event_id: string }>(`SELECT event_id FROM events WHERE toDate(ts) = {d:Date}`, { d: oldDay });
    const oldIds = new Set(oldEvents.map((r) => r.event_id));
    expect(oldIds.size).toBe(2 * 2 * 6 * 5);
    const renamed = expected.rows.filter((r) => oldIds.has(String(r.event_id)) && String(r.visitor_id).startsWith('c_'));
    expect(renamed.length).toBeGreaterThan(0);
    for (const r of renamed) expect(byEvent.get(r.event_id)?.visitor_id).not.toBe(r.visitor_id);
    for (const r of expected.rows) {
      const again = byEvent.get(r.event_id);
      if (oldIds.has(String(r.event_id))) {
        // Same event, same fields; cookieless visitors (and so their visits) renamed.
        expect({ ...again, visitor_id: '', session_id: '' }).toEqual({ ...r, visitor_id: '', session_id: '' });
        if (!String(r.visitor_id).startsWith('c_')) expect(again).toEqual(r);
      } else {
        expect(again).toEqual(r);
      }
    }
  });
});
