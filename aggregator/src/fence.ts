import { randomBytes } from 'node:crypto';
import type { JetStreamClient, JetStreamManager, KV, KvEntry, QueuedIterator } from 'nats';
import { openBucket } from '@pulse/protocol/streams';
import { ReplayError } from './errors.js';
import { isKvConflict } from './kv-conflict.js';
import type { Logger } from './log.js';
import type { NatsOutage } from './nats-outage.js';

/**
 * The swap fence between live inserts and a replay's partition swap (see ARCHITECTURE.md,
 * "Replay"). `REPLACE PARTITION` drops every part of the partition that exists at that instant,
 * including one a live aggregator inserted a millisecond earlier; so while a replay copies the
 * last live rows into its staging tables and swaps, live inserts wait. Collectors, the stream and
 * the aggregators' fetching never stop; only the insert step waits, for well under a second.
 */

/** Replay state and the swap lock. */
export const KV_REPLAYS = 'PULSE_REPLAYS';
/** Live aggregators announce themselves here (entries expire) and acknowledge a fence. */
export const KV_AGGREGATORS = 'PULSE_AGGREGATORS';
export const SWAP_KEY = 'swap';
export const MEMBER_TTL_MS = 15_000;
export const MEMBER_HEARTBEAT_MS = 3_000;

export interface SwapLock {
  replay_id: string;
  /** Changes with every phase, so an acknowledgement names exactly one fence. */
  token: string;
  /** `copy`: the replay holds the swap slot, live inserts proceed; `fence`: live inserts wait. */
  phase: 'copy' | 'fence';
  /** ms epoch; an expired lock is ignored by everyone (its holder died). */
  expires_at: number;
}

interface Member {
  ack: string | null;
  at: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const parse = <T>(e: KvEntry | null): T | undefined => (e && e.operation === 'PUT' ? (JSON.parse(dec.decode(e.value)) as T) : undefined);

export function replaysKv(js: JetStreamClient, replicas = 1): Promise<KV> {
  return openBucket(js, KV_REPLAYS, { history: 1, replicas });
}

function membersKv(js: JetStreamClient, replicas = 1): Promise<KV> {
  return openBucket(js, KV_AGGREGATORS, { history: 1, ttl: MEMBER_TTL_MS, replicas });
}

const MEMBER_SUBJECTS = `$KV.${KV_AGGREGATORS}.`;

/**
 * Ids with an entry (or a delete marker) in the members bucket, read from the stream's subject
 * counts in one request. Not `kv.keys()`: its iterator ends only when a delivered entry says none
 * is pending, so an entry that the bucket's TTL removes after the iterator counted it and before
 * it was delivered leaves the iteration waiting forever, and the replay with it, in its swap with
 * live inserts fenced (a replay hang seen three times in tests and CI fits this).
 */
export async function memberIds(jsm: JetStreamManager): Promise<string[]> {
  const si = await jsm.streams.info(`KV_${KV_AGGREGATORS}`, { subjects_filter: `${MEMBER_SUBJECTS}>` });
  return Object.keys(si.state.subjects ?? {}).map((s) => s.slice(MEMBER_SUBJECTS.length));
}

/** The live side: each insert runs between `enter()` and `leave()`. */
export interface WriteFence {
  /** Resolves when no fence is up; calls `keepAlive` while waiting; rejects with `abort()`'s error. */
  enter(keepAlive: () => void, abort: () => Error | undefined): Promise<void>;
  leave(): void;
  stop(): Promise<void>;
}

/** `outage`: where heartbeats that fail because NATS is out of reach are counted (else each is logged). */
export async function joinFence(js: JetStreamClient, logger: Logger, replicas = 1, outage?: NatsOutage): Promise<WriteFence> {
  const id = `agg_${randomBytes(8).toString('hex')}`;
  const members = await membersKv(js, replicas);
  const replays = await replaysKv(js, replicas);
  let lock: SwapLock | undefined;
  let inflight = 0;
  let acked: string | null = null;
  const fenced = () => lock !== undefined && lock.phase === 'fence' && Date.now() < lock.expires_at;

  const announce = async (): Promise<void> => {
    const put = () => members.put(id, enc.encode(JSON.stringify({ ack: acked, at: Date.now() } satisfies Member)));
    const logFailure = (err: unknown) => logger.log('warn', 'fence heartbeat failed', { err });
    if (outage) await outage.attempt('fence_heartbeat', put, logFailure);
    else await put().catch(logFailure);
  };
  const maybeAck = () => {
    if (lock && fenced() && inflight === 0 && acked !== lock.token) {
      acked = lock.token;
      void announce();
    }
  };

  // Registered before watching: a replay that lists members after raising its fence either
  // finds us (and waits for our ack) or we registered after the fence and our watch shows it.
  await announce();
  let initialised!: () => void;
  const ready = new Promise<void>((r) => (initialised = r));
  const iter: QueuedIterator<KvEntry> = await replays.watch({ key: SWAP_KEY, initializedFn: () => initialised() });
  const done = (async () => {
    for await (const e of iter) {
      lock = parse<SwapLock>(e);
      maybeAck();
    }
  })();
  await ready;
  const timer = setInterval(() => void announce(), MEMBER_HEARTBEAT_MS);
  timer.unref();

  return {
    async enter(keepAlive, abort) {
      let last = Date.now();
      while (fenced()) {
        const err = abort();
        if (err) throw err;
        await sleep(20);
        if (Date.now() - last > 5000) {
          keepAlive();
          last = Date.now();
        }
      }
      inflight++;
    },
    leave() {
      inflight = Math.max(0, inflight - 1);
      maybeAck();
    },
    async stop() {
      clearInterval(timer);
      iter.stop();
      await done;
      await members.delete(id).catch(() => {});
    },
  };
}

/** The replay side: one swap at a time across all processes; `raise()` waits for every live aggregator. */
export interface SwapSlot {
  raise(): Promise<void>;
  /** Ms left before the fence expires; swap statements must not start after it. */
  remainingMs(): number;
  release(): Promise<void>;
}

export interface SwapSlotOptions {
  replayId: string;
  copyTtlMs: number;
  fenceTtlMs: number;
  ackTimeoutMs: number;
  /** Checked while waiting for the slot. */
  cancelled(): boolean;
}

export async function acquireSwapSlot(js: JetStreamClient, o: SwapSlotOptions): Promise<SwapSlot> {
  const kv = await replaysKv(js);
  const members = await membersKv(js);
  const jsm = await js.jetstreamManager();
  let revision = 0;
  let current: SwapLock | undefined;
  const put = async (l: SwapLock) => {
    revision = await kv.update(SWAP_KEY, enc.encode(JSON.stringify(l)), revision);
    current = l;
  };
  for (;;) {
    if (o.cancelled()) throw new ReplayError('cancelled', 'replay cancelled');
    const e = await kv.get(SWAP_KEY);
    const held = parse<SwapLock>(e);
    if (held && Date.now() < held.expires_at) {
      await sleep(200);
      continue;
    }
    const l: SwapLock = { replay_id: o.replayId, token: randomBytes(8).toString('hex'), phase: 'copy', expires_at: Date.now() + o.copyTtlMs };
    try {
      if (e) {
        revision = e.revision;
        await put(l);
      } else {
        revision = await kv.create(SWAP_KEY, enc.encode(JSON.stringify(l)));
        current = l;
      }
      break;
    } catch {
      // Another replay took the slot between our read and our write.
    }
  }
  return {
    async raise() {
      const l: SwapLock = { replay_id: o.replayId, token: randomBytes(8).toString('hex'), phase: 'fence', expires_at: Date.now() + o.fenceTtlMs };
      await put(l);
      const ids = await memberIds(jsm);
      const until = Date.now() + o.ackTimeoutMs;
      for (const mid of ids) {
        for (;;) {
          const m = parse<Member>(await members.get(mid));
          // Gone (expired: the aggregator died) or acknowledged.
          if (!m || m.ack === l.token) break;
          if (Date.now() > until) {
            throw new ReplayError('fence_timeout', `live aggregator ${mid} did not pause its inserts within ${o.ackTimeoutMs} ms`);
          }
          await sleep(10);
        }
      }
    },
    remainingMs() {
      return current ? current.expires_at - Date.now() : 0;
    },
    async release() {
      // A lock left behind fences live inserts until it expires (a minute): retry a lost request.
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await kv.delete(SWAP_KEY, { previousSeq: revision });
          break;
        } catch (err) {
          // Someone else's lock by now (ours expired and was taken): nothing of ours to release.
          if (isKvConflict(err)) break;
          await sleep(200);
        }
      }
      current = undefined;
    },
  };
}
