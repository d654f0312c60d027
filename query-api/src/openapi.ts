import {
  CREATE_KEY_SCHEMA,
  CREATE_MERCHANT_SCHEMA,
  CREATE_SITE_SCHEMA,
  MERCHANT_ID_SCHEMA,
  PATCH_SITE_SCHEMA,
  READ_KEY_CREATED_SCHEMA,
  READ_KEY_ID_SCHEMA,
  READ_KEY_LIST_SCHEMA,
  REPLAY_ID_SCHEMA,
  REPLAY_STATUS_SCHEMA,
  SITE_SCHEMA,
  START_REPLAY_SCHEMA,
  WRITE_KEY_ID_SCHEMA,
  WRITE_KEY_LIST_SCHEMA,
} from './admin/schemas.js';
import { DEFAULT_MAX_BODY_BYTES } from './http/respond.js';
import { DIMENSIONS, METRICS } from './query/catalog.js';
import { CHANGE_RULE } from './query/change.js';
import { CSV_FORMAT_TEXT } from './query/csv.js';
import { FUNNEL_CSV_TEXT } from './query/funnel-csv.js';
import { REPORT_MEDIA_TYPES } from './http/accept.js';
import { READINESS_SCHEMA } from './readiness.js';
import { QUERY_REQUEST_SCHEMA, SITE_ID_SCHEMA } from './query/schema.js';
import { FUNNEL_REQUEST_SCHEMA, FUNNEL_RESPONSE_SCHEMA, FUNNEL_TEXT } from './query/funnel-schema.js';
import { DEFAULT_TENANCY_STALE_MAX_MS } from './tenancy/lookup-cache.js';
import type { JsonSchema } from './schema/json-schema.js';

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable machine-readable code (invalid_request, unauthorized, not_found, rate_limited, ...).' },
        message: { type: 'string', description: 'Human-readable; for 400 it starts with the offending field (`metrics[1]: ...`).' },
      },
    },
  },
};

const ROW: JsonSchema = {
  type: 'object',
  required: ['dimensions', 'metrics'],
  properties: {
    dimensions: { type: 'array', items: { type: 'string' }, description: 'Values in the order of `dimensions`; time buckets as ISO-8601 with the offset of the query timezone.' },
    metrics: { type: 'array', items: { type: 'number' }, description: 'Values in the order of `metrics`.' },
    comparison: {
      type: 'object',
      description:
        `With \`compare\`: the matching group of the other range (time buckets matched by position: the first day with the first day). ${CHANGE_RULE}`,
      properties: {
        dimensions: { type: 'array', items: { type: 'string' } },
        metrics: { type: 'array', items: { type: 'number' } },
        change: { type: 'array', items: { anyOf: [{ type: 'number' }, { type: 'null' }] } },
      },
    },
  },
};

const RANGE: JsonSchema = { type: 'object', properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } } };

const QUERY_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['results', 'meta'],
  properties: {
    results: { type: 'array', items: ROW },
    meta: {
      type: 'object',
      properties: {
        site_id: SITE_ID_SCHEMA,
        metrics: { type: 'array', items: { type: 'string' } },
        dimensions: { type: 'array', items: { type: 'string' } },
        timezone: { type: 'string' },
        date_range: { ...RANGE, description: 'The resolved range (relative ranges made absolute).' },
        compare_range: RANGE,
        limit: { type: 'integer' },
        offset: { type: 'integer' },
        has_more: { type: 'boolean', description: 'More rows exist after this page.' },
        complete_through: {
          anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }],
          description: 'Every event received before this instant is counted; null when nothing is stored yet.',
        },
        source_table: { type: 'string', description: 'The table that answered: raw `events`, a rollup (`rollup_<name>_<grain>`), or `events+rollup_visits_day` when matching events are grouped by visit and joined to the table of visits (reports that mix visits with event filters, event dimensions, goals or hours).' },
        sketches: { type: 'array', items: { type: 'string' }, description: 'Requested metrics that are approximate (`uniq` or `uniqCombined(12)` sketches; see each metric).' },
        revenue_currencies: {
          type: 'array',
          items: { type: 'string' },
          description:
            'With the `revenue` metric, unless the query has the `revenue_currency` dimension or an `is` filter on one currency: the ISO 4217 codes, sorted, of the revenue recorded in the site over the date range and compared range (bots only with `include_bots`; among the events the query\'s filters keep, all of them, as for the sum). Amounts are summed as sent, never converted. Absent while the aggregator has not yet added the revenue currencies to its site rollup (migration 0010).',
        },
        warnings: {
          type: 'array',
          items: { type: 'string' },
          description: 'Present when something about the numbers needs saying: today, that `revenue` adds up amounts of several currencies (`revenue_currencies`) without conversion.',
        },
      },
    },
  },
};

const REALTIME_RESPONSE: JsonSchema = {
  type: 'object',
  properties: {
    visitors: { type: 'integer', description: 'Distinct visitors in the last 5 minutes (uniq sketch).' },
    pageviews_per_minute: {
      type: 'array',
      description: 'The last 30 minutes, oldest first; the last entry is the current (partial) minute.',
      items: { type: 'object', properties: { minute: { type: 'string' }, pageviews: { type: 'integer' } } },
    },
    meta: { type: 'object', properties: { site_id: SITE_ID_SCHEMA, timezone: { type: 'string' }, complete_through: { anyOf: [{ type: 'string' }, { type: 'null' }] } } },
  },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const err = (description: string) => ({ description, ...json(ref('Error')) });
const rateHeaders = {
  'X-RateLimit-Limit': { schema: { type: 'integer' }, description: 'Burst size of the key.' },
  'X-RateLimit-Remaining': { schema: { type: 'integer' } },
  'X-RateLimit-Reset': { schema: { type: 'integer' }, description: 'Seconds until the bucket is full again.' },
};
const retryAfter = { 'Retry-After': { schema: { type: 'integer' } } };
/** The headers a report's CSV carries in place of `meta`, and the ones both formats have. */
const reportHeaders = {
  ETag: { schema: { type: 'string' }, description: 'Of this representation: the JSON and the CSV of one answer have different tags, and `If-None-Match` is answered per representation.' },
  Vary: { schema: { type: 'string', const: 'Accept' } },
  ...rateHeaders,
};
const csvHeaders = {
  'Content-Disposition': {
    schema: { type: 'string' },
    description: '`attachment; filename="pulse-<site_id>-<from>-<to>.csv"`: the resolved `meta.date_range` in ISO 8601 basic format (`20260105T000000Z`), letters, digits, `.`, `_` and `-` only.',
  },
  'X-Pulse-Complete-Through': {
    schema: { type: 'string', format: 'date-time' },
    description: '`meta.complete_through`; absent when it is null (nothing stored yet).',
  },
  'X-Pulse-Warnings': {
    schema: { type: 'string' },
    description: '`meta.warnings` as a JSON array of strings, every character outside printable ASCII written as a `\\uXXXX` escape; absent when there are none.',
  },
  'X-Pulse-Has-More': { schema: { type: 'string', enum: ['true', 'false'] }, description: '`meta.has_more`: more rows exist after this page (`limit`, `offset`).' },
};
/**
 * The answers of a route that negotiates JSON or CSV: the 200 in both, with the headers its CSV
 * carries in place of `meta`, the 304 per representation and the 406.
 */
function negotiatedResponses(o: { what: string; schema: string; csvText: string; csvExample: string; csvMetaHeaders: (keyof typeof csvHeaders)[] }) {
  const metaHeaders = Object.fromEntries(o.csvMetaHeaders.map((name) => [name, csvHeaders[name]]));
  return {
    '200': {
      description: `${o.what}. As CSV (\`Accept: text/csv\`): ${o.csvText}`,
      headers: { ...reportHeaders, 'Content-Disposition': csvHeaders['Content-Disposition'], ...metaHeaders },
      content: {
        [REPORT_MEDIA_TYPES.json]: { schema: ref(o.schema) },
        [REPORT_MEDIA_TYPES.csv]: { schema: { type: 'string', description: o.csvText }, example: o.csvExample },
      },
    },
    '304': { description: 'Unchanged since the given ETag (of the representation `Accept` chooses).', headers: { ETag: reportHeaders.ETag, Vary: reportHeaders.Vary } },
    '406': err(`\`Accept\` allows neither \`${REPORT_MEDIA_TYPES.json}\` nor \`${REPORT_MEDIA_TYPES.csv}\` (\`not_acceptable\`), e.g. \`application/xml\` alone. Asked after the read key, before the body.`),
  };
}
const ifNoneMatch = { name: 'If-None-Match', in: 'header', schema: { type: 'string' }, description: 'An ETag of an earlier answer in the same format: 304 when unchanged.' };
const QUERY_FORMATS_TEXT = `Answers \`${REPORT_MEDIA_TYPES.json}\` unless \`Accept\` prefers \`${REPORT_MEDIA_TYPES.csv}\`: CSV when it weighs more than JSON, or as much while \`text/csv\` itself is listed (\`text/csv, */*\`); no \`Accept\`, an empty one or the wildcard alone is JSON; one accepting neither is 406. Errors are JSON whatever \`Accept\` says. Both formats come from one cached answer.`;
const minutes = (ms: number) => `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
const unavailable = (staleMaxMs: number) => ({
  description: `ClickHouse or NATS (the key store) is unreachable (\`unavailable\`); retry after Retry-After. While NATS is unreachable, a read key and site this instance confirmed within the last ${minutes(staleMaxMs)} are still accepted from their last known good records (revocations seen before the outage hold); a key it cannot check gets this 503 rather than 200 or 401.`,
  headers: retryAfter,
  ...json(ref('Error')),
});
const readErrors = (staleMaxMs: number) => ({
  '400': err('Invalid request; the message names the field.'),
  '401': err('Missing, unknown or revoked read key.'),
  '404': err("Unknown site, a site of another merchant, or one outside the read key's `site_ids` (the same answer: existence is not revealed)."),
  '429': { description: 'Rate limited; see Retry-After.', headers: { ...retryAfter, ...rateHeaders }, ...json(ref('Error')) },
  '503': unavailable(staleMaxMs),
  '504': err('The query ran past the time limit.'),
});
const adminErrors = {
  '400': err('Invalid request; the message names the field.'),
  '401': err('Admin token required.'),
  '404': err('Not found.'),
  '503': {
    description: 'NATS (the key store) is unreachable (`unavailable`): admin calls read and write it directly, never from cached records. A write answered 503 may or may not have been applied; retry after Retry-After.',
    headers: retryAfter,
    ...json(ref('Error')),
  },
};
/** Every operation that reads a body answers this before looking at it. */
const tooLarge = (maxBodyBytes: number) => ({
  '413': err(
    `The body is larger than ${maxBodyBytes} bytes${maxBodyBytes === DEFAULT_MAX_BODY_BYTES ? ` (${maxBodyBytes / 1024} KiB, the default \`maxBodyBytes\`)` : ''}: \`payload_too_large\`, whatever the body holds.`,
  ),
});
const replayErrors = {
  '401': adminErrors['401'],
  '500': err('The replay manager failed (`internal`).'),
  '503': {
    description:
      'Replays are not enabled on this instance (`replays_unavailable`), or NATS, which keeps replay state, or ClickHouse is unreachable (`unavailable`, with Retry-After; a start answered so may or may not have been recorded).',
    headers: retryAfter,
    ...json(ref('Error')),
  },
};
const readyzText = (staleMaxMs: number) =>
  [
    'Body: `{status, nats, storage, schema}` (each dependency answered its probe); while NATS is out of reach also `tenancy`, `nats_unreachable_ms` (since the first probe or lookup that found it gone) and `stale_max_ms`.',
    '- `200 {"status":"ready", ...}`: NATS and ClickHouse answer and the schema exists.',
    `- \`200 {"status":"degraded","nats":false,"tenancy":"stale", ...}\`: NATS has been out of reach for less than ${minutes(staleMaxMs)} (\`tenancyStaleMaxMs\`) and ClickHouse answers. Reads for keys and sites confirmed within that window are still answered from their last known good records (others and admin calls get 503), so a load balancer should keep the instance in rotation.`,
    '- `503 {"status":"not_ready", ...}`: ClickHouse or its schema is missing, the NATS connection is closed for good, NATS refused the probe, or the outage has lasted the whole window (`"tenancy":"unavailable"`): no record is recent enough any more.',
  ].join('\n');
const replayIdParam = { name: 'replay_id', in: 'path', required: true, schema: REPLAY_ID_SCHEMA };
const replayStatus = (description: string) => ({ description, ...json(ref('ReplayStatus')) });
const replayNotFound = err('No replay with that id (`replay_not_found`).');

function metricsText(): string {
  const lines = Object.entries(METRICS).map(([name, m]) => `- \`${name}\` (${m.exact ? 'exact' : 'approximate'}): ${m.description}`);
  const dims = Object.entries(DIMENSIONS).map(([name, text]) => `- \`${name}\`: ${text}`);
  return [
    'Metrics:',
    ...lines,
    '',
    'Dimensions (plus `prop:<key>`, a custom property):',
    ...dims,
    '',
    'Events flagged as bots are excluded unless `include_bots` is true. Visits and their shape (bounce, duration) are computed per session within the date range.',
  ].join('\n');
}

export interface OpenApiOptions {
  /** The server's body limit (`maxBodyBytes`), quoted in every 413. */
  maxBodyBytes?: number;
  /** How long a confirmed read key or site is accepted while NATS is unreachable (`tenancyStaleMaxMs`). */
  tenancyStaleMaxMs?: number;
}

/** OpenAPI 3.1: the request schemas here are the very objects the validator enforces. */
export function openApiDocument(o: OpenApiOptions = {}): Record<string, unknown> {
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const staleMaxMs = o.tenancyStaleMaxMs ?? DEFAULT_TENANCY_STALE_MAX_MS;
  const readErrs = readErrors(staleMaxMs);
  const bodyErrs = tooLarge(maxBodyBytes);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulse query API',
      version: '1.0.0',
      description:
        'Reports, realtime figures and the admin API of Pulse. Read endpoints take `Authorization: Bearer <read_key>`; admin endpoints `Authorization: Bearer <ADMIN_TOKEN>`. Errors are `{"error": {"code", "message"}}`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: {
        readKey: { type: 'http', scheme: 'bearer', description: "A read key (rk_...) scoped to one merchant, or to chosen sites of it (`site_ids`); any other site answers 404." },
        adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN of the deployment.' },
      },
      schemas: {
        QueryRequest: QUERY_REQUEST_SCHEMA,
        QueryResponse: QUERY_RESPONSE,
        FunnelRequest: FUNNEL_REQUEST_SCHEMA,
        FunnelResponse: FUNNEL_RESPONSE_SCHEMA,
        Realtime: REALTIME_RESPONSE,
        Site: SITE_SCHEMA,
        CreateMerchant: CREATE_MERCHANT_SCHEMA,
        CreateSite: CREATE_SITE_SCHEMA,
        CreateReadKey: CREATE_KEY_SCHEMA,
        PatchSite: PATCH_SITE_SCHEMA,
        StartReplay: START_REPLAY_SCHEMA,
        ReplayStatus: REPLAY_STATUS_SCHEMA,
        Readiness: READINESS_SCHEMA,
        WriteKeyList: WRITE_KEY_LIST_SCHEMA,
        ReadKeyList: READ_KEY_LIST_SCHEMA,
        Error: ERROR_SCHEMA,
      },
    },
    paths: {
      '/v1/query': {
        post: {
          summary: 'Run a report',
          description: `${metricsText()}\n\n${QUERY_FORMATS_TEXT}`,
          security: [{ readKey: [] }],
          requestBody: { required: true, ...json(ref('QueryRequest')) },
          parameters: [ifNoneMatch],
          responses: {
            ...negotiatedResponses({
              what: 'The report',
              schema: 'QueryResponse',
              csvText: CSV_FORMAT_TEXT,
              csvExample: 'page,visitors,pageviews\r\n/pricing,2,3\r\n/,2,2\r\n',
              csvMetaHeaders: ['X-Pulse-Complete-Through', 'X-Pulse-Warnings', 'X-Pulse-Has-More'],
            }),
            ...readErrs,
            ...bodyErrs,
          },
        },
      },
      '/v1/funnel': {
        post: {
          summary: 'A funnel: how many visits (or visitors) got through each of 2 to 8 ordered steps',
          description: `${FUNNEL_TEXT}\n\n${QUERY_FORMATS_TEXT}`,
          security: [{ readKey: [] }],
          requestBody: { required: true, ...json(ref('FunnelRequest')) },
          parameters: [ifNoneMatch],
          responses: {
            ...negotiatedResponses({
              what: 'The funnel',
              schema: 'FunnelResponse',
              csvText: FUNNEL_CSV_TEXT,
              csvExample: 'step,label,visits,conversion_rate,conversion_rate_step,dropoff\r\n1,Visit /,8,100,100,0\r\n2,Pricing,4,50,50,4\r\n3,signup,3,37.5,75,1\r\n',
              csvMetaHeaders: ['X-Pulse-Complete-Through'],
            }),
            ...readErrs,
            ...bodyErrs,
          },
        },
      },
      '/v1/realtime': {
        get: {
          summary: 'Visitors in the last 5 minutes and pageviews a minute for the last 30',
          security: [{ readKey: [] }],
          parameters: [{ name: 'site_id', in: 'query', required: true, schema: SITE_ID_SCHEMA }],
          responses: { '200': { description: 'Realtime figures', ...json(ref('Realtime')) }, ...readErrs },
        },
      },
      '/v1/sites': {
        get: {
          summary: "The sites the read key may read: its merchant's, or only those it was given (`site_ids`)",
          security: [{ readKey: [] }],
          responses: {
            '200': {
              description: 'Sites, oldest first',
              ...json({ type: 'object', properties: { sites: { type: 'array', items: { type: 'object', properties: { site_id: SITE_ID_SCHEMA, domain: { type: 'string' }, timezone: { type: 'string' }, created_at: { type: 'integer' } } } } } }),
            },
            '401': readErrs['401'],
            '429': readErrs['429'],
            '503': readErrs['503'],
          },
        },
      },
      '/v1/admin/merchants': {
        post: {
          summary: 'Create a merchant',
          security: [{ adminToken: [] }],
          requestBody: { required: true, ...json(ref('CreateMerchant')) },
          responses: {
            '201': { description: 'Created', ...json({ type: 'object', properties: { merchant_id: MERCHANT_ID_SCHEMA, name: { type: 'string' }, created_at: { type: 'integer' } } }) },
            ...adminErrors,
            ...bodyErrs,
          },
        },
      },
      '/v1/admin/merchants/{merchant_id}': {
        get: {
          summary: 'A merchant',
          security: [{ adminToken: [] }],
          parameters: [{ name: 'merchant_id', in: 'path', required: true, schema: MERCHANT_ID_SCHEMA }],
          responses: { '200': { description: 'The merchant' }, ...adminErrors },
        },
      },
      '/v1/admin/merchants/{merchant_id}/sites': {
        get: {
          summary: "A merchant's sites",
          security: [{ adminToken: [] }],
          parameters: [{ name: 'merchant_id', in: 'path', required: true, schema: MERCHANT_ID_SCHEMA }],
          responses: { '200': { description: 'Sites', ...json({ type: 'object', properties: { sites: { type: 'array', items: ref('Site') } } }) }, ...adminErrors },
        },
      },
      '/v1/admin/merchants/{merchant_id}/keys': {
        get: {
          summary: "A merchant's read keys that work, without the secrets (to find a shared link's key and revoke it)",
          description:
            "Each key is named by its `key_id` (revoke it with `DELETE /v1/admin/merchants/{merchant_id}/keys/{key_id}`) and shown by its first 8 characters (`key_prefix`), never whole, with its `site_ids` and `label` when it has them. Reads the merchant's record in the per-merchant index (`PULSE_MERCHANT_READ_KEYS`), then confirms each key in `PULSE_READ_KEYS`, so a key revoked by any path is left out.",
          security: [{ adminToken: [] }],
          parameters: [{ name: 'merchant_id', in: 'path', required: true, schema: MERCHANT_ID_SCHEMA }],
          responses: {
            '200': { description: 'The keys, oldest first', ...json(ref('ReadKeyList')) },
            '400': err('`merchant_id` is not a merchant id (`invalid_request`).'),
            '401': adminErrors['401'],
            '404': err('No such merchant (`not_found`).'),
            '503': adminErrors['503'],
          },
        },
      },
      '/v1/admin/merchants/{merchant_id}/keys/{key_id}': {
        delete: {
          summary: "Revoke a merchant's read key by its key_id (from the listing); it stops working everywhere within seconds",
          description: 'The same revocation as `DELETE /v1/admin/keys/{key}`, for a key whose secret the operator does not hold.',
          security: [{ adminToken: [] }],
          parameters: [
            { name: 'merchant_id', in: 'path', required: true, schema: MERCHANT_ID_SCHEMA },
            { name: 'key_id', in: 'path', required: true, schema: READ_KEY_ID_SCHEMA },
          ],
          responses: {
            '204': { description: 'Revoked' },
            '400': err('`merchant_id` or `key_id` is malformed (`invalid_request`).'),
            '401': adminErrors['401'],
            '404': err('No such merchant, or the merchant has no working read key with that id (`not_found`; one revoked already, or another merchant\'s, included).'),
            '503': adminErrors['503'],
          },
        },
      },
      '/v1/admin/sites': {
        post: {
          summary: 'Create a site and its write key',
          security: [{ adminToken: [] }],
          requestBody: { required: true, ...json(ref('CreateSite')) },
          responses: {
            '201': {
              description: 'Created',
              ...json({ type: 'object', properties: { site_id: SITE_ID_SCHEMA, write_key: { type: 'string' }, site: ref('Site') } }),
            },
            ...adminErrors,
            ...bodyErrs,
          },
        },
      },
      '/v1/admin/sites/{site_id}': {
        get: {
          summary: 'A site',
          security: [{ adminToken: [] }],
          parameters: [{ name: 'site_id', in: 'path', required: true, schema: SITE_ID_SCHEMA }],
          responses: { '200': { description: 'The site', ...json(ref('Site')) }, ...adminErrors },
        },
        patch: {
          summary: 'Change site settings (merged key by key), domain or timezone',
          security: [{ adminToken: [] }],
          parameters: [{ name: 'site_id', in: 'path', required: true, schema: SITE_ID_SCHEMA }],
          requestBody: { required: true, ...json(ref('PatchSite')) },
          responses: { '200': { description: 'The updated site', ...json(ref('Site')) }, ...adminErrors, ...bodyErrs },
        },
      },
      '/v1/admin/sites/{site_id}/keys': {
        post: {
          summary: 'Create another write key for a site (to rotate: create one, deploy it, then revoke the old one)',
          security: [{ adminToken: [] }],
          parameters: [{ name: 'site_id', in: 'path', required: true, schema: SITE_ID_SCHEMA }],
          responses: {
            '201': { description: 'Created', ...json({ type: 'object', properties: { write_key: { type: 'string' }, site_id: SITE_ID_SCHEMA } }) },
            ...adminErrors,
            '409': err('The site already has 2,000 live write keys (`too_many_write_keys`); revoke some first.'),
          },
        },
        get: {
          summary: "A site's write keys, revoked ones included, without the secrets",
          description:
            'Each key is named by its `key_id` (revoke it with `DELETE /v1/admin/sites/{site_id}/keys/{key_id}`) and shown by its first 8 characters (`key_prefix`), never whole. Reads the site\'s record in the per-site index (`PULSE_SITE_WRITE_KEYS`), then confirms each live key in `PULSE_WRITE_KEYS`, so a key revoked by any path shows as revoked.',
          security: [{ adminToken: [] }],
          parameters: [{ name: 'site_id', in: 'path', required: true, schema: SITE_ID_SCHEMA }],
          responses: {
            '200': { description: 'The keys, oldest first', ...json(ref('WriteKeyList')) },
            '400': err('`site_id` is not a site id (`invalid_request`).'),
            '401': adminErrors['401'],
            '404': err('No such site (`not_found`).'),
            '503': adminErrors['503'],
          },
        },
      },
      '/v1/admin/sites/{site_id}/keys/{key_id}': {
        delete: {
          summary: 'Revoke a write key of a site by its key_id (from the listing); it stops working everywhere within seconds',
          description: 'The same revocation as `DELETE /v1/admin/keys/{key}`, for a key whose secret the operator does not hold.',
          security: [{ adminToken: [] }],
          parameters: [
            { name: 'site_id', in: 'path', required: true, schema: SITE_ID_SCHEMA },
            { name: 'key_id', in: 'path', required: true, schema: WRITE_KEY_ID_SCHEMA },
          ],
          responses: {
            '204': { description: 'Revoked' },
            '400': err('`site_id` or `key_id` is malformed (`invalid_request`).'),
            '401': adminErrors['401'],
            '404': err('No such site, or the site has no live key with that id (`not_found`; a revoked key included).'),
            '503': adminErrors['503'],
          },
        },
      },
      '/v1/admin/keys': {
        post: {
          summary: "Create a read key for a merchant's sites, all of them or chosen ones (`site_ids`: a shared dashboard link, a client's key)",
          security: [{ adminToken: [] }],
          requestBody: { required: true, ...json(ref('CreateReadKey')) },
          responses: {
            '201': { description: 'Created', ...json(READ_KEY_CREATED_SCHEMA) },
            ...adminErrors,
            '404': err('No such merchant, or a site of `site_ids` is not one of its sites (`not_found`, naming the item: `site_ids[1]: no such site of this merchant`).'),
            '409': err('The merchant already has 2,000 working read keys (`too_many_read_keys`); revoke some first.'),
            ...bodyErrs,
          },
        },
      },
      '/v1/admin/keys/{key}': {
        delete: {
          summary: 'Revoke a read or write key; it stops working everywhere within seconds',
          description:
            'A key can also be revoked by its `key_id`: a write key with `DELETE /v1/admin/sites/{site_id}/keys/{key_id}`, a read key with `DELETE /v1/admin/merchants/{merchant_id}/keys/{key_id}`.',
          security: [{ adminToken: [] }],
          parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '204': { description: 'Revoked' }, ...adminErrors },
        },
      },
      '/v1/admin/replays': {
        post: {
          summary: 'Reprocess history: replay a range from the stream (or the archive) and swap it in atomically',
          description:
            'Runs in the background; follow it with `GET /v1/admin/replays/{replay_id}`. Live ingestion and dashboards are not interrupted: queries see the old or the new data, never a mix. Once swapped, the answer cache of every query API is emptied.',
          security: [{ adminToken: [] }],
          requestBody: { required: true, ...json(ref('StartReplay')) },
          responses: {
            '202': {
              description: 'Started',
              headers: { Location: { schema: { type: 'string' }, description: 'The status URL.' } },
              ...json({ type: 'object', required: ['replay_id'], properties: { replay_id: REPLAY_ID_SCHEMA } }),
            },
            '400': err('Invalid body (the message names the field) or range (`invalid_range`: `from` not before `to`, or in the future).'),
            '404': err('`site_id` names no site (`not_found`).'),
            '409': err('A running replay overlaps this range and site (`replay_conflict`; the message names it), or no aggregator has processed events through this NATS (`no_pipeline_state`: without its daily salts a replay would count other visitors than live did).'),
            '501': err('The ClickHouse schema is sharded (Distributed tables), where replays are not supported yet (`unsupported_layout`); nothing was written.'),
            ...replayErrors,
            ...bodyErrs,
          },
        },
      },
      '/v1/admin/replays/{replay_id}': {
        get: {
          summary: "A replay's state and progress (from any instance, whichever process runs it)",
          security: [{ adminToken: [] }],
          parameters: [replayIdParam],
          responses: { '200': replayStatus('The status'), '404': replayNotFound, ...replayErrors },
        },
        delete: {
          summary: 'Cancel a running replay before its swap (live data stays untouched)',
          description:
            'Answers the status at the time of the request; the replay then ends `failed` with error code `cancelled`. A replay that has already finished is left as it is and answers `409 replay_finished` (its final state is at `GET`).',
          security: [{ adminToken: [] }],
          parameters: [replayIdParam],
          responses: {
            '200': replayStatus('The status when the cancel was requested'),
            '404': replayNotFound,
            '409': err('The replay has already finished (`replay_finished`; the message says how): there is nothing to cancel.'),
            ...replayErrors,
          },
        },
      },
      '/healthz': { get: { summary: 'Alive', responses: { '200': { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Ready to serve: ClickHouse reachable and tenancy servable',
          description: readyzText(staleMaxMs),
          responses: {
            '200': { description: 'Ready, or degraded (NATS out of reach, reads still answered): keep it in rotation.', ...json(ref('Readiness')) },
            '503': { description: 'Not ready: take it out of rotation.', ...json(ref('Readiness')) },
          },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    },
  };
}
