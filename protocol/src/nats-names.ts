/** JetStream stream that holds every accepted event. */
export const EVENTS_STREAM = 'EVENTS';
export const EVENTS_SUBJECTS = ['events.>'];
/** Subject the collectors publish group commits on. */
export const EVENTS_INGEST_SUBJECT = 'events.ingest';
/** Dead letters: invalid events from collectors, poison messages from aggregators. */
export const DLQ_STREAM = 'EVENTS_DLQ';
export const DLQ_SUBJECTS = ['dlq.>'];
export const DLQ_COLLECTOR_SUBJECT = 'dlq.collector';
export const DLQ_AGGREGATOR_SUBJECT = 'dlq.aggregator';
/** Durable pull consumer shared by every aggregator. */
export const AGGREGATOR_CONSUMER = 'aggregator';

/** KV buckets of the tenancy registry (written by the query API's admin calls). */
export const KV_MERCHANTS = 'PULSE_MERCHANTS';
export const KV_SITES = 'PULSE_SITES';
/** Key = write key, value = WriteKeyRecord; a deleted key is revoked. */
export const KV_WRITE_KEYS = 'PULSE_WRITE_KEYS';
/** Key = read key, value = ReadKeyRecord; a deleted key is revoked. */
export const KV_READ_KEYS = 'PULSE_READ_KEYS';
/** Shared aggregator state: daily salts, watermarks. */
export const KV_STATE = 'PULSE_STATE';

/** Embedded defaults (DESIGN.md "Default ports"). */
export const DEFAULT_COLLECTOR_PORT = 8080;
export const DEFAULT_QUERY_PORT = 8081;
export const DEFAULT_EMBEDDED_NATS_PORT = 4250;
/** Index of a merchant's sites: key `<merchant_id>.<site_id>` (written by the query API's admin calls). */
export const KV_MERCHANT_SITES = 'PULSE_MERCHANT_SITES';
/** Key in KV_STATE: `{complete_through, updated_at, ack_floor}` — every event received before `complete_through` (ms) is queryable. */
export const WATERMARK_KEY = 'watermark.events';
