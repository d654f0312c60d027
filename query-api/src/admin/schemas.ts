import type { JsonSchema } from '../schema/json-schema.js';
import { SITE_ID_SCHEMA } from '../query/schema.js';
import { MAX_READ_KEYS_PER_MERCHANT, READ_KEY_ID_PREFIX } from '../tenancy/read-key-index.js';
import { WRITE_KEY_ID_PREFIX } from '../tenancy/write-key-index.js';

export const MERCHANT_ID_SCHEMA: JsonSchema = { type: 'string', pattern: '^m_[0-9A-Za-z]{16}$', description: 'A merchant id (m_ + 16 base62 characters).' };
const DOMAIN: JsonSchema = {
  type: 'string',
  maxLength: 253,
  pattern: '^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$',
  description: 'Host name of the site, optionally with a port (example.com, localhost:3000).',
};
const TIMEZONE: JsonSchema = { type: 'string', maxLength: 64, description: "IANA time zone of the site's reports (default UTC)." };

export const CREATE_MERCHANT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
};

export const CREATE_SITE_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['merchant_id', 'domain'],
  additionalProperties: false,
  properties: { merchant_id: MERCHANT_ID_SCHEMA, domain: DOMAIN, timezone: TIMEZONE },
};

/** The most sites one read key may name; a key for more is better left unscoped (every site). */
export const MAX_READ_KEY_SITES = 100;
export const MAX_READ_KEY_LABEL = 100;

const READ_KEY_SITE_IDS: JsonSchema = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_READ_KEY_SITES,
  uniqueItems: true,
  items: SITE_ID_SCHEMA,
  description:
    "Only these sites of the merchant (each must be one of its sites; 404 naming the item otherwise). Absent: every site of the merchant, those made later included. Any other site answers 404 to the key, as another merchant's does, and `GET /v1/sites` lists only these.",
};
const READ_KEY_LABEL: JsonSchema = {
  type: 'string',
  maxLength: MAX_READ_KEY_LABEL,
  description: 'A note of whom the key was given to: kept with the key and echoed when it is made, never shown to whoever holds the key.',
};

export const CREATE_KEY_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['merchant_id'],
  additionalProperties: false,
  properties: { merchant_id: MERCHANT_ID_SCHEMA, site_ids: READ_KEY_SITE_IDS, label: READ_KEY_LABEL },
};

/** Names a key without being one: listings show it, revocations by id take it. */
const keyIdSchema = (prefix: string, kind: string): JsonSchema => ({
  type: 'string',
  pattern: `^${prefix}[0-9a-f]{16}$`,
  description: `Names a ${kind} without being one: ${prefix} + the first 16 hex digits of the SHA-256 of the key.`,
});
const keyPrefixSchema = (start: string): JsonSchema => ({ type: 'string', description: `The first 8 characters of the key (\`${start}\` + 5), to recognise it.` });
const CREATED_AT: JsonSchema = { type: 'integer', description: 'ms since the epoch' };

export const READ_KEY_ID_SCHEMA = keyIdSchema(READ_KEY_ID_PREFIX, 'read key');

export const READ_KEY_CREATED_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['read_key', 'key_id', 'merchant_id'],
  properties: {
    read_key: { type: 'string', pattern: '^rk_[0-9A-Za-z]{32}$', description: 'Shown once: keep it.' },
    key_id: { ...READ_KEY_ID_SCHEMA, description: 'Names the key in `GET /v1/admin/merchants/{merchant_id}/keys`; revoke it by this id with `DELETE /v1/admin/merchants/{merchant_id}/keys/{key_id}`.' },
    merchant_id: MERCHANT_ID_SCHEMA,
    site_ids: { ...READ_KEY_SITE_IDS, description: 'As asked; absent for a key that reads every site of the merchant.' },
    label: READ_KEY_LABEL,
  },
};

/** More than a site has hosts to list; a list longer than this is better one `*` pattern. */
export const MAX_ALLOWED_HOSTNAMES = 100;
/** Every assigned ISO 3166-1 alpha-2 code (249) fits. */
export const MAX_EXCLUDED_COUNTRIES = 250;

export const SITE_SETTINGS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    "The site's processing rules: the aggregator drops the events they name from the next batch on, without a restart (counted in `pulse_aggregator_excluded_events_total{rule}`), and a replay applies them to history. A list replaces the one before; an empty list removes the rule. Repeated entries are accepted and change nothing.",
  properties: {
    excluded_paths: {
      type: 'array',
      maxItems: 200,
      description: 'Path patterns (`*` = any run of characters) whose events the aggregator drops from now on; a replay applies them to history.',
      items: { type: 'string', minLength: 1, maxLength: 512, pattern: '^/' },
    },
    allowed_hostnames: {
      type: 'array',
      maxItems: MAX_ALLOWED_HOSTNAMES,
      description:
        "When not empty, only events whose page hostname (from the event's `url`) matches one of these are kept, so a copy of the script tag on another site counts nothing. `*` is any run of characters, dots included: `*.example.com` takes `shop.example.com` and `a.b.example.com` but not `example.com` itself (list both). Any case; without a port (the page's port is ignored); international names in their `xn--` form. Events without a page hostname (no `url`, or a path-only one as server SDKs send) are kept.",
      items: {
        type: 'string',
        minLength: 1,
        maxLength: 253,
        pattern: '^(?!.*\\.\\.)[A-Za-z0-9_*](?:[A-Za-z0-9_*.-]*[A-Za-z0-9_*])?$',
        description: 'A hostname (letters, digits, `-`, `_`, dots) with `*` wildcards, no port: `example.com`, `*.example.com`.',
      },
    },
    excluded_countries: {
      type: 'array',
      maxItems: MAX_EXCLUDED_COUNTRIES,
      description:
        "Events whose country (from the collector's trusted country header) is one of these are dropped. Events of an unknown country are kept.",
      items: { type: 'string', pattern: '^[A-Z]{2}$', description: 'An ISO 3166-1 alpha-2 code in capitals (`DE`), as the country header gives it.' },
    },
  },
};

export const PATCH_SITE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { settings: SITE_SETTINGS_SCHEMA, domain: DOMAIN, timezone: TIMEZONE },
};

export const SITE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    site_id: SITE_ID_SCHEMA,
    merchant_id: MERCHANT_ID_SCHEMA,
    domain: { type: 'string' },
    timezone: { type: 'string' },
    settings: SITE_SETTINGS_SCHEMA,
    created_at: { type: 'integer', description: 'ms since the epoch' },
  },
  required: ['site_id', 'merchant_id', 'domain', 'timezone', 'settings', 'created_at'],
};

export const WRITE_KEY_ID_SCHEMA = keyIdSchema(WRITE_KEY_ID_PREFIX, 'write key');

export const WRITE_KEY_LIST_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['site_id', 'keys'],
  properties: {
    site_id: SITE_ID_SCHEMA,
    keys: {
      type: 'array',
      description:
        'Oldest first, revoked keys included (a site keeps at most 2,000 keys; the oldest revoked ones are forgotten first). Never the keys themselves: a key is shown once, when it is created.',
      items: {
        type: 'object',
        required: ['key_id', 'key_prefix', 'created_at', 'revoked', 'revoked_at'],
        properties: {
          key_id: { ...WRITE_KEY_ID_SCHEMA, description: 'Revoke with `DELETE /v1/admin/sites/{site_id}/keys/{key_id}`.' },
          key_prefix: keyPrefixSchema('wk_'),
          created_at: CREATED_AT,
          revoked: { type: 'boolean' },
          revoked_at: { anyOf: [{ type: 'integer' }, { type: 'null' }], description: 'ms since the epoch; null while the key works.' },
        },
      },
    },
  },
};

export const READ_KEY_LIST_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['merchant_id', 'keys'],
  properties: {
    merchant_id: MERCHANT_ID_SCHEMA,
    keys: {
      type: 'array',
      description:
        `The read keys that work, oldest first (a revoked key is not listed). Never the keys themselves: a key is shown once, when it is created. A merchant keeps at most ${MAX_READ_KEYS_PER_MERCHANT.toLocaleString('en-US')} live read keys.`,
      items: {
        type: 'object',
        required: ['key_id', 'key_prefix', 'created_at'],
        properties: {
          key_id: { ...READ_KEY_ID_SCHEMA, description: 'Revoke with `DELETE /v1/admin/merchants/{merchant_id}/keys/{key_id}`.' },
          key_prefix: keyPrefixSchema('rk_'),
          created_at: CREATED_AT,
          site_ids: {
            type: 'array',
            items: { type: 'string' },
            description: 'The only sites the key reads, as given when it was made; absent for a key that reads every site of the merchant (an empty list reads none).',
          },
          label: READ_KEY_LABEL,
        },
      },
    },
  },
};

export const REPLAY_ID_SCHEMA: JsonSchema = { type: 'string', pattern: '^rp_[0-9a-f]{16}$', description: 'A replay id (rp_ + 16 hex characters).' };

export const START_REPLAY_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['from', 'to'],
  additionalProperties: false,
  description: 'Reprocess the events whose time lies in [from, to) with the current code and site settings, of one site or of all.',
  properties: {
    from: { type: 'string', format: 'date-time', description: 'Inclusive; must not be in the future.' },
    to: { type: 'string', format: 'date-time', description: 'Exclusive; after `from`. May lie in the future (the open period is handled).' },
    site_id: { ...SITE_ID_SCHEMA, description: 'Only this site (default: every site).' },
  },
};

export const REPLAY_STATUS_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['replay_id', 'state', 'phase', 'progress', 'events_done', 'messages_done', 'messages_total', 'rate', 'from', 'to', 'source', 'rows_staged', 'started_at', 'updated_at'],
  properties: {
    replay_id: REPLAY_ID_SCHEMA,
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    phase: { type: 'string', enum: ['reading', 'swapping', 'done', 'failed'] },
    progress: { type: 'number', minimum: 0, maximum: 1, description: 'Reading the messages is 90 %, the swap the rest.' },
    events_done: { type: 'integer', description: 'Events read and processed (including the lead-in before `from` that only rebuilds visits).' },
    events_total: { type: 'integer', description: 'Estimate, once the number of messages to read is known.' },
    messages_done: { type: 'integer' },
    messages_total: { type: 'integer' },
    rate: { type: 'number', description: 'Events per second since reading began.' },
    eta_seconds: { type: 'number' },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    site_id: SITE_ID_SCHEMA,
    source: {
      type: 'object',
      description: 'Messages read from the stream and from the ClickHouse archive (chosen automatically).',
      properties: { stream: { type: 'integer' }, archive: { type: 'integer' } },
    },
    rows_staged: { type: 'integer', description: 'Rows written to the staging table.' },
    started_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    finished_at: { type: 'string', format: 'date-time' },
    error: {
      type: 'object',
      description: 'When failed: `cancelled`, `abandoned` (its process died), `fence_timeout`, `swap_failed`, ...',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};
