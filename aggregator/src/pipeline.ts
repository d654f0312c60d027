import { StreamMessageError, type CookielessIds } from '@pulse/protocol';
import { decodeStreamMessage } from '@pulse/protocol/codec';
import { archivedMessage } from './archive-copy.js';
import { dropDuplicates } from './dedup.js';
import { PoisonMessageError } from './errors.js';
import { recordToRows, type EventRow } from './rows.js';
import type { SaltSource } from './salt.js';
import type { SessionStore } from './sessions.js';
import type { SiteRules } from './site-rules.js';
import type { ExclusionRule } from './site-rules-compile.js';
import type { Storage } from './storage/types.js';
import { timeSlicer } from './time-slice.js';

/** What the pipeline needs of a stream message: live JetStream messages and archived ones both have it. */
export interface SourceMessage {
  readonly seq: number;
  readonly data: Uint8Array;
}

export interface Prepared<M extends SourceMessage> {
  msg: M;
  rows: EventRow[];
  /** What the archive keeps of the message (no IPs; `archiveCopies` only). */
  archived?: Uint8Array;
}

/** A message that can never be stored (it goes to the DLQ). */
export interface PoisonMessage<M extends SourceMessage> {
  msg: M;
  reason: string;
  /** What the archive keeps of it (`archiveCopies` only): without IPs when its envelope decodes. */
  archived?: Uint8Array;
}

export interface PipelineDeps {
  storage: Storage;
  salts: SaltSource;
  sessions: SessionStore;
  rules: SiteRules;
  /** Table whose stored client event ids make a repeat a duplicate (`events` live, the staging table in a replay). */
  dedupTable: string;
  /**
   * Runs one named step. Live wraps it in retries that keep the messages alive; a replay runs it
   * as is.
   */
  step<T>(name: 'prepare' | 'dedup' | 'sessions', fn: () => Promise<T>): Promise<T>;
  /**
   * Make each message's archived copy (archive-copy.ts) while its records are mapped: live
   * archives every batch; a replay archives nothing.
   */
  archiveCopies?: boolean;
}

export interface PipelineResult<M extends SourceMessage> {
  /** Messages that decoded; their `rows` are what is left after exclusion (before dedup). */
  good: Prepared<M>[];
  poison: PoisonMessage<M>[];
  /** Rows to insert: not excluded, not already stored, visits assigned. */
  fresh: EventRow[];
  excluded: number;
  /** `excluded` by the rule that dropped each event. */
  excludedBy: ExclusionCounts;
  duplicates: number;
}

/** Steps 1–3 (decode + enrich, site rules, visits): no ClickHouse involved. */
export interface PreparedBatch<M extends SourceMessage> {
  good: Prepared<M>[];
  poison: PoisonMessage<M>[];
  excluded: number;
  excludedBy: ExclusionCounts;
}

/**
 * THE processing of stream messages into `events` rows, shared by live ingestion and replays so a
 * replay applies exactly today's code: decode + enrich (poison set aside) → drop what the site's
 * rules exclude (paths, hostnames not allowed, countries) → assign visits → drop client event ids
 * already stored. Live runs the two halves as separate steps (`prepareBatch`, then `storeBatch`
 * inside the replay fence).
 */
export async function runPipeline<M extends SourceMessage>(msgs: readonly M[], d: PipelineDeps): Promise<PipelineResult<M>> {
  return finishPipeline(await preparePipeline(msgs, d), d);
}

/**
 * Visits are assigned before the dedup, outside the replay fence: they need no ClickHouse, and a
 * duplicate (an SDK retry or a redelivery) carries an event the visit state already covers, so it
 * changes nothing there and gets the id its first copy got; the dedup then drops it.
 */
export async function preparePipeline<M extends SourceMessage>(
  msgs: readonly M[],
  d: Pick<PipelineDeps, 'salts' | 'rules' | 'sessions' | 'step' | 'archiveCopies'>,
): Promise<PreparedBatch<M>> {
  const { good, poison } = await d.step('prepare', () => prepareMessages(msgs, d.salts, d.archiveCopies === true));
  const excludedBy = noExclusions();
  let excluded = 0;
  for (const p of good) excluded += dropExcluded(p.rows, d.rules, excludedBy);
  const all = good.flatMap((p) => p.rows);
  await d.step('sessions', () => assignSessions(all, d.sessions));
  return { good, poison, excluded, excludedBy };
}

/** Events dropped by each site rule. */
export type ExclusionCounts = Record<ExclusionRule, number>;

const noExclusions = (): ExclusionCounts => ({ allowed_hostnames: 0, excluded_countries: 0, excluded_paths: 0 });

/**
 * Drops the rows a site rule excludes, in place (the array is the message's own), counting them by
 * rule. Returns how many were dropped.
 */
function dropExcluded(rows: EventRow[], rules: SiteRules, counts: ExclusionCounts): number {
  let kept = 0;
  for (const r of rows) {
    const rule = rules.excluded(r);
    if (rule === undefined) rows[kept++] = r;
    else counts[rule]++;
  }
  const dropped = rows.length - kept;
  rows.length = kept;
  return dropped;
}

/** The dedup: needs every earlier batch stored (live stores batches one after the other). */
export async function finishPipeline<M extends SourceMessage>(pre: PreparedBatch<M>, d: PipelineDeps): Promise<PipelineResult<M>> {
  const all = pre.good.flatMap((p) => p.rows);
  const { fresh, duplicates } = await d.step('dedup', () => dropDuplicates(all, d.storage, d.dedupTable));
  return { ...pre, fresh, duplicates };
}

/**
 * Preparing a batch is one long stretch of JavaScript; the store of the batch before runs at the
 * same time and needs the thread only briefly between its engine calls (to read the dedup answer,
 * encode and hand over the insert). Yielding this often lets it in, so the store — the pipeline's
 * critical path — does not wait for a whole batch's preparation.
 */
export const PREPARE_SLICE_MS = 10;

/**
 * Decode + enrich. With `archiveCopies`, each message's archived copy is made in the same pass,
 * from the cookieless ids its rows got: every record's, before any rule drops an event (a later
 * replay with other rules must still find them).
 */
async function prepareMessages<M extends SourceMessage>(
  msgs: readonly M[],
  salts: SaltSource,
  archiveCopies: boolean,
): Promise<{ good: Prepared<M>[]; poison: PoisonMessage<M>[] }> {
  const good: Prepared<M>[] = [];
  const poison: PoisonMessage<M>[] = [];
  const saltFor = (ms: number) => salts.saltFor(ms);
  const pause = timeSlicer(PREPARE_SLICE_MS);
  for (const msg of msgs) {
    const paused = pause();
    if (paused) await paused;
    const ids: (CookielessIds | undefined)[] = [];
    try {
      const decoded = decodeStreamMessage(msg.data);
      const rows: EventRow[] = [];
      for (const record of decoded.records) {
        const keep: CookielessIds | undefined = archiveCopies ? {} : undefined;
        ids.push(keep);
        rows.push(...(await recordToRows(record, { seq: msg.seq, saltFor, keep })));
      }
      good.push(archiveCopies ? { msg, rows, archived: archivedMessage(msg.data, ids) } : { msg, rows });
    } catch (err) {
      if (err instanceof PoisonMessageError || err instanceof StreamMessageError) {
        const reason = (err as Error).message;
        if (!archiveCopies) poison.push({ msg, reason });
        // The records that mapped keep their ids; bytes that never decoded are kept as they came.
        else poison.push({ msg, reason, archived: archivedMessage(msg.data, ids) });
        continue;
      }
      throw err;
    }
  }
  return { good, poison };
}

/** Visitors whose visit state is read/written at once. */
export const SESSION_CONCURRENCY = 1024;

/** Rows without an SDK session id get the visit the shared 30-minute rule puts them in. */
async function assignSessions(rows: EventRow[], store: SessionStore): Promise<void> {
  // Per site, then per visitor: a joined key would be a new string to flatten and hash per row.
  const sites = new Map<string, Map<string, EventRow[]>>();
  const list: EventRow[][] = [];
  for (const r of rows) {
    if (r.session_id !== '') continue;
    let visitors = sites.get(r.site_id);
    if (!visitors) sites.set(r.site_id, (visitors = new Map()));
    const g = visitors.get(r.visitor_id);
    if (g) {
      g.push(r);
    } else {
      const group = [r];
      visitors.set(r.visitor_id, group);
      list.push(group);
    }
  }
  // Each visitor is one KV round trip: keep many in flight (a sliding window, not lockstep chunks).
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      const g = list[next++] as EventRow[];
      g.sort((a, b) => a.ts - b.ts);
      const first = g[0] as EventRow;
      const ids = await store.assign(first.site_id, first.visitor_id, g.map((r) => r.ts));
      g.forEach((r, j) => (r.session_id = ids[j] ?? ''));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SESSION_CONCURRENCY, list.length) }, worker));
}
