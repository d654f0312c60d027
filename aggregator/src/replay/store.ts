import type { KV, KvEntry } from 'nats';
import { ReplayConflictError } from '../errors.js';
import type { ReplayRecord, ReplayStatus } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const ACTIVE_KEY = 'active';

const parse = <T>(e: KvEntry | null): T | undefined => (e && e.operation === 'PUT' ? (JSON.parse(dec.decode(e.value)) as T) : undefined);

interface ActiveEntry {
  replay_id: string;
  from: number;
  to: number;
  site_id?: string;
}

export function overlaps(a: ActiveEntry, b: ActiveEntry): boolean {
  const sites = a.site_id === undefined || b.site_id === undefined || a.site_id === b.site_id;
  return sites && a.from < b.to && b.from < a.to;
}

/**
 * Replay records in NATS KV, readable by any process. The set of running replays is one key
 * updated by compare-and-set, so two overlapping replays started at the same instant in two
 * processes cannot both get in.
 */
export class ReplayStore {
  constructor(
    private readonly kv: KV,
    private readonly staleAfterMs: number,
  ) {}

  async put(r: ReplayRecord): Promise<void> {
    await this.kv.put(`r.${r.replay_id}`, enc.encode(JSON.stringify(r)));
  }

  async record(id: string): Promise<ReplayRecord | undefined> {
    return parse<ReplayRecord>(await this.kv.get(`r.${id}`));
  }

  async remove(id: string): Promise<void> {
    await this.kv.purge(`r.${id}`).catch(() => {});
  }

  /** A running record whose process stopped beating is reported as failed. */
  view(r: ReplayRecord, now = Date.now()): ReplayStatus {
    const { heartbeat_ms: hb, cut_seq: _cut, ...status } = r;
    if (r.state === 'running' && now - hb > this.staleAfterMs) {
      const during = r.phase === 'swapping' ? ' during the swap: replay the range again to finish it' : '; live data is unchanged';
      return {
        ...status,
        state: 'failed',
        phase: 'failed',
        error: { code: 'abandoned', message: `the process running the replay stopped (no heartbeat for ${Math.round((now - hb) / 1000)} s)${during}` },
      };
    }
    return status;
  }

  async isAlive(id: string): Promise<boolean> {
    const r = await this.record(id);
    return r !== undefined && this.view(r).state === 'running';
  }

  /** Adds the replay to the running set, or throws ReplayConflictError naming the overlapping one. */
  async claim(entry: ActiveEntry): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const e = await this.kv.get(ACTIVE_KEY);
      const alive: ActiveEntry[] = [];
      for (const a of parse<ActiveEntry[]>(e) ?? []) if (a.replay_id !== entry.replay_id && (await this.isAlive(a.replay_id))) alive.push(a);
      const clash = alive.find((a) => overlaps(a, entry));
      if (clash) {
        throw new ReplayConflictError(
          clash.replay_id,
          `replay ${clash.replay_id} (${new Date(clash.from).toISOString()} – ${new Date(clash.to).toISOString()}${clash.site_id ? `, site ${clash.site_id}` : ''}) is running and overlaps this range`,
        );
      }
      try {
        const value = enc.encode(JSON.stringify([...alive, entry]));
        if (e) await this.kv.update(ACTIVE_KEY, value, e.revision);
        else await this.kv.create(ACTIVE_KEY, value);
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
      }
    }
  }

  async unclaim(id: string): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const e = await this.kv.get(ACTIVE_KEY);
      const list = parse<ActiveEntry[]>(e) ?? [];
      if (!e || !list.some((a) => a.replay_id === id)) return;
      try {
        await this.kv.update(ACTIVE_KEY, enc.encode(JSON.stringify(list.filter((a) => a.replay_id !== id))), e.revision);
        return;
      } catch {
        // Concurrent change: read again.
      }
    }
  }

  async requestCancel(id: string): Promise<void> {
    await this.kv.put(`cancel.${id}`, enc.encode('1'));
  }

  async cancelRequested(id: string): Promise<boolean> {
    return (await this.kv.get(`cancel.${id}`))?.operation === 'PUT';
  }
}
