import { randomUUID } from 'node:crypto';
import { MAX_STRING_LENGTH, PAGEVIEW } from '@pulse/protocol';
import { encodeEvent } from './encode.js';

export type Prepared = { id: string; bytes: Uint8Array } | { id: string; reason: string; event: Record<string, unknown> };

/**
 * Stamps id and time on an event and encodes it. Only what would make the batch
 * unusable is checked here; the collector validates the rest and its reasons come
 * back as EventsRejectedError, so the rules live in one place.
 */
export function prepareEvent(input: unknown, maxEventBytes: number): Prepared {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { id: '', reason: 'not_an_object', event: { value: input } };
  }
  const src = input as Record<string, unknown>;
  const event: Record<string, unknown> = {
    id: src.id === undefined ? randomUUID() : src.id,
    name: src.name,
    ts: src.ts === undefined ? Date.now() : src.ts,
  };
  // Unknown fields travel on; the collector ignores what it does not know.
  for (const key in src) {
    if (key === 'id' || key === 'name' || key === 'ts') continue;
    const v = src[key];
    if (v !== undefined) event[key] = withoutUndefined(v);
  }
  // Page fields longer than the collector takes would refuse the whole event (a long ad-click
  // URL, say); like the browser script, keep their first MAX_STRING_LENGTH characters.
  for (const field of PAGE_FIELDS) {
    const v = event[field];
    if (typeof v === 'string' && v.length > MAX_STRING_LENGTH) event[field] = cut(v);
  }
  // Without a visitor id the aggregator falls back to a hash of the request's IP and
  // user agent, which here are this server's: every such event would be one visitor.
  if ((event.visitor_id === undefined || event.visitor_id === '') && typeof event.user_id === 'string' && event.user_id !== '') {
    event.visitor_id = event.user_id;
  }
  const id = typeof event.id === 'string' ? event.id : '';
  const reason = checkEvent(event);
  if (reason) return { id, reason, event };
  let bytes: Uint8Array;
  try {
    bytes = encodeEvent(event);
  } catch {
    return { id, reason: 'not_encodable', event };
  }
  if (bytes.length > maxEventBytes) return { id, reason: 'event_too_large', event };
  return { id, bytes };
}

/**
 * An object's copy without its undefined members (props: { a: undefined }), as JSON
 * would send it: msgpackr writes undefined as an extension type, and the collector
 * refuses the whole event for it. Copies only when there is one to leave out.
 */
function withoutUndefined(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  // A plain loop first: the common case allocates nothing.
  for (const k in o) {
    if (o[k] !== undefined) continue;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(o)) if (o[key] !== undefined) copy[key] = o[key];
    return copy;
  }
  return v;
}

const PAGE_FIELDS = ['url', 'referrer', 'title'] as const;

/** The first MAX_STRING_LENGTH characters, without half of a surrogate pair at the end. */
function cut(v: string): string {
  const end = MAX_STRING_LENGTH;
  const last = v.charCodeAt(end - 1);
  return v.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

function checkEvent(e: Record<string, unknown>): string | undefined {
  if (typeof e.name !== 'string' || e.name === '') return e.name === undefined || e.name === '' ? 'missing_name' : 'invalid_type:name';
  if (typeof e.id !== 'string') return 'invalid_type:id';
  if (e.id === '') return 'invalid_value:id';
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts <= 0) return 'invalid_type:ts';
  if (e.name === PAGEVIEW && (typeof e.url !== 'string' || e.url === '')) return 'pageview_without_url';
  return undefined;
}
