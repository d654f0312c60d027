/** What a replay covers: events whose time `ts` lies in [from, to), of one site or of all. */
export interface ReplayRequest {
  /** ISO-8601 instant or ms epoch, inclusive. */
  from: string | number;
  /** ISO-8601 instant or ms epoch, exclusive. */
  to: string | number;
  site_id?: string;
}

export type ReplayState = 'running' | 'done' | 'failed';
export type ReplayPhase = 'reading' | 'swapping' | 'done' | 'failed';

/** What `get()` answers (and `GET /v1/admin/replays/{id}` returns). */
export interface ReplayStatus {
  replay_id: string;
  state: ReplayState;
  phase: ReplayPhase;
  /** 0..1: reading the messages is 90 %, the swap the rest. */
  progress: number;
  /** Events read and processed (including the lead-in before `from` that only rebuilds visits). */
  events_done: number;
  /** Estimate, once the number of messages to read is known. */
  events_total?: number;
  messages_done: number;
  messages_total: number;
  /** Events per second since the replay started reading. */
  rate: number;
  eta_seconds?: number;
  from: string;
  to: string;
  site_id?: string;
  /** Messages read from each source. */
  source: { stream: number; archive: number };
  /** Rows written to the staging table (the replayed range). */
  rows_staged: number;
  started_at: string;
  updated_at: string;
  finished_at?: string;
  error?: { code: string; message: string };
}

/** Published (and passed to `onSwapped` listeners) once a replay's data replaced the live data. */
export interface ReplaySwappedEvent {
  replay_id: string;
  from: string;
  to: string;
  site_id?: string;
}

/** Persisted in `PULSE_REPLAYS` as `r.<replay_id>`. */
export interface ReplayRecord extends ReplayStatus {
  /** ms epoch of the last heartbeat: a running replay without one for a while is dead. */
  heartbeat_ms: number;
  /** The live consumer's ack floor when the replay began: messages up to it are the replay's. */
  cut_seq: number;
}
