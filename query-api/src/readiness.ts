import type { JsonSchema } from './schema/json-schema.js';

/** What `/readyz` found: each dependency's answer to its probe. */
export interface ReadinessProbe {
  /** The KV store (NATS) answered a round trip. */
  nats: boolean;
  /** The NATS connection is closed for good (never reconnects). */
  natsClosed: boolean;
  /** ClickHouse answered a ping. */
  storage: boolean;
  /** ClickHouse holds the aggregator's tables. */
  schema: boolean;
  /** Since when (ms epoch) NATS has been out of reach, when it is (undefined: unknown or answering). */
  natsUnreachableSince: number | undefined;
  /** How long reads may be answered from last known good tenancy records (0: never). */
  staleMaxMs: number;
  now: number;
}

export interface ReadinessBody {
  status: 'ready' | 'degraded' | 'not_ready';
  nats: boolean;
  storage: boolean;
  schema: boolean;
  /** Only while NATS is out of reach: whether tenancy is still answered from last known good records. */
  tenancy?: 'stale' | 'unavailable';
  nats_unreachable_ms?: number;
  stale_max_ms?: number;
}

export interface Readiness {
  httpStatus: 200 | 503;
  body: ReadinessBody;
}

/** What keeps `/readyz` from `ready`, one gauge series each (`pulse_query_readiness_cause`). */
export const READINESS_CAUSES = ['tenancy_stale', 'tenancy_unavailable', 'storage_unreachable', 'schema_missing'] as const;
export type ReadinessCause = (typeof READINESS_CAUSES)[number];

/**
 * The causes a body reports. `tenancy_stale` alone is `degraded` (still 200); any other makes it
 * `not_ready`. A schema is only looked for on a storage that answers, so those two never coincide.
 */
export function readinessCauses(body: ReadinessBody): Record<ReadinessCause, boolean> {
  return {
    tenancy_stale: body.tenancy === 'stale',
    tenancy_unavailable: body.tenancy === 'unavailable',
    storage_unreachable: !body.storage,
    schema_missing: body.storage && !body.schema,
  };
}

/**
 * Ready when ClickHouse answers and tenancy can be served. While NATS is out of reach the API
 * still answers reads for keys and sites confirmed within `staleMaxMs` (stale-if-error), so a
 * load balancer must keep it in rotation: 200, `degraded`. Every record was confirmed before the
 * outage began, so once it has lasted `staleMaxMs` none can answer any more: 503 from then on.
 */
export function readiness(p: ReadinessProbe): Readiness {
  const base = { nats: p.nats, storage: p.storage, schema: p.schema };
  const dataOk = p.storage && p.schema;
  if (p.nats && !p.natsClosed) return { httpStatus: dataOk ? 200 : 503, body: { status: dataOk ? 'ready' : 'not_ready', ...base } };
  const outageMs = p.natsUnreachableSince === undefined ? undefined : Math.max(0, p.now - p.natsUnreachableSince);
  const stale = !p.natsClosed && outageMs !== undefined && outageMs < p.staleMaxMs;
  const body: ReadinessBody = {
    status: stale && dataOk ? 'degraded' : 'not_ready',
    ...base,
    nats: false,
    tenancy: stale ? 'stale' : 'unavailable',
    ...(outageMs !== undefined ? { nats_unreachable_ms: Math.round(outageMs) } : {}),
    stale_max_ms: p.staleMaxMs,
  };
  return { httpStatus: body.status === 'degraded' ? 200 : 503, body };
}

/** The body of `/readyz` (both statuses), as `/openapi.json` shows it. */
export const READINESS_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['status', 'nats', 'storage', 'schema'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['ready', 'degraded', 'not_ready'] },
    nats: { type: 'boolean', description: 'NATS (the key store) answered a round trip.' },
    storage: { type: 'boolean', description: 'ClickHouse answered a ping.' },
    schema: { type: 'boolean', description: "ClickHouse holds the aggregator's tables." },
    tenancy: {
      type: 'string',
      enum: ['stale', 'unavailable'],
      description: 'Only while NATS is out of reach: `stale` while confirmed keys and sites are still answered from their last known good records, `unavailable` once they no longer can be.',
    },
    nats_unreachable_ms: { type: 'integer', minimum: 0, description: 'How long NATS has been out of reach, as far as this instance knows.' },
    stale_max_ms: { type: 'integer', minimum: 0, description: 'The window (`tenancyStaleMaxMs`) after which an outage makes the instance not ready.' },
  },
};
