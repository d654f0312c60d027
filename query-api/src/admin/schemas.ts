import type { JsonSchema } from '../schema/json-schema.js';
import { SITE_ID_SCHEMA } from '../query/schema.js';

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

export const CREATE_KEY_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['merchant_id'],
  additionalProperties: false,
  properties: { merchant_id: MERCHANT_ID_SCHEMA },
};

export const SITE_SETTINGS_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    excluded_paths: {
      type: 'array',
      maxItems: 200,
      description: 'Path patterns (`*` = any run of characters) whose events the aggregator drops from now on; a replay applies them to history.',
      items: { type: 'string', minLength: 1, maxLength: 512, pattern: '^/' },
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
