import type { JsonSchema } from '../schema/json-schema.js';
import {
  DATE_RANGE_PATTERN,
  DIMENSION_NAMES,
  FILTER_OPS,
  METRIC_NAMES,
  PROP_DIMENSION_PATTERN,
  TIME_DIMENSIONS,
} from './catalog.js';
import { MAX_RANGE_DAYS, MAX_RANGE_MONTHS } from './date-range.js';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;
export const MAX_OFFSET = 1_000_000;
export const MAX_DIMENSIONS = 4;
export const MAX_FILTERS = 20;
export const MAX_FILTER_VALUES = 100;

export const SITE_ID_SCHEMA: JsonSchema = { type: 'string', pattern: '^s_[0-9A-Za-z]{16}$', description: 'A site id (s_ + 16 base62 characters).' };

const instantRange: JsonSchema = {
  type: 'object',
  description: `Explicit range: \`from\` inclusive, \`to\` exclusive, ISO-8601 instants with a zone, at most ${MAX_RANGE_DAYS} days apart.`,
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
  },
  required: ['from', 'to'],
  additionalProperties: false,
};

const relativeRange: JsonSchema = {
  type: 'string',
  pattern: DATE_RANGE_PATTERN,
  description: [
    'Calendar periods in the query timezone (local midnights, so a day across a DST change is 23 or 25 hours):',
    '`today`; `yesterday`; `<n>d`: n calendar days ending with today (n <= 999);',
    '`<n>h`: n whole hours ending with the current one (n <= 9999);',
    '`month`: this month to date (from the 1st through the end of today); `year`: this year to date (from 1 January through the end of today);',
    `\`<n>mo\`: n whole calendar months ending with this one, which is included to its end (\`6mo\`, \`12mo\`; n <= ${MAX_RANGE_MONTHS}).`,
    '`all`: from the local day the site was created through the end of today, however long.',
    `Any other range spans at most ${MAX_RANGE_DAYS} days.`,
  ].join(' '),
};

const dimension: JsonSchema = {
  anyOf: [
    { type: 'string', enum: DIMENSION_NAMES },
    { type: 'string', pattern: PROP_DIMENSION_PATTERN, description: '`prop:<key>`: the value of a custom property.' },
  ],
  description: 'a dimension name or prop:<key>',
};

const filterDimension: JsonSchema = {
  anyOf: [
    { type: 'string', enum: DIMENSION_NAMES.filter((d) => !(TIME_DIMENSIONS as readonly string[]).includes(d)) },
    { type: 'string', pattern: PROP_DIMENSION_PATTERN },
  ],
  description: 'a non-time dimension name or prop:<key>',
};

/**
 * The optional 4th element of a filter, as Plausible's Stats API v2 has it (`{"case_sensitive": false}`).
 * Its absence, `{}` and `{"case_sensitive": true}` are the same filter (and the same cache entry).
 */
export const FILTER_MODIFIERS_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Modifiers of the filter (as in Plausible\'s Stats API v2). Only `case_sensitive` is known; any other key is a 400.',
  properties: {
    case_sensitive: {
      type: 'boolean',
      default: true,
      description:
        'true (the default): values compare exactly. false: case is ignored, for every op: both the dimension\'s value and the filter\'s values (patterns of `matches` too) are lower-cased (ClickHouse `lowerUTF8`) before they are compared, so `["contains", "page", ["blog"], {"case_sensitive": false}]` keeps `/Blog/Post`.',
    },
  },
  additionalProperties: false,
};

export const FILTER_SCHEMA: JsonSchema = {
  type: 'array',
  description:
    '`[op, dimension, values]` or `[op, dimension, values, modifiers]`. `is`: equals one of values; `is_not`: equals none; `contains`: contains one of values; `matches`: matches one of the patterns, where `*` is any run of characters. Case-sensitive unless the modifiers say `{"case_sensitive": false}`. Filters are ANDed.',
  prefixItems: [
    { type: 'string', enum: FILTER_OPS },
    filterDimension,
    { type: 'array', minItems: 1, maxItems: MAX_FILTER_VALUES, items: { type: 'string', maxLength: 1024 } },
    FILTER_MODIFIERS_SCHEMA,
  ],
  items: false,
  minItems: 3,
  maxItems: 4,
  examples: [['is', 'page', ['/pricing']], ['matches', 'page', ['/blog/*']], ['contains', 'page', ['blog'], { case_sensitive: false }]],
};

export const QUERY_REQUEST_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['site_id', 'metrics', 'date_range'],
  additionalProperties: false,
  properties: {
    site_id: SITE_ID_SCHEMA,
    metrics: {
      type: 'array',
      minItems: 1,
      maxItems: METRIC_NAMES.length,
      items: { type: 'string', enum: METRIC_NAMES },
    },
    date_range: {
      anyOf: [instantRange, relativeRange],
      description: `an object {from, to} or a relative range like "7d", "month", "12mo" or "all" ("all": since the site was created; any other at most ${MAX_RANGE_DAYS} days long)`,
    },
    dimensions: { type: 'array', maxItems: MAX_DIMENSIONS, items: dimension },
    filters: { type: 'array', maxItems: MAX_FILTERS, items: FILTER_SCHEMA },
    order_by: {
      type: 'array',
      maxItems: MAX_DIMENSIONS + METRIC_NAMES.length,
      description: '`[field, direction]` pairs; a field is one of the requested metrics or dimensions. Default: time ascending, else the first metric descending.',
      items: {
        type: 'array',
        prefixItems: [{ type: 'string', maxLength: 80 }, { type: 'string', enum: ['asc', 'desc'] }],
        items: false,
        minItems: 2,
        maxItems: 2,
      },
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_LIMIT,
      default: DEFAULT_LIMIT,
      description: `Rows per page (default ${DEFAULT_LIMIT}; a query whose only dimension is time:* returns every bucket by default).`,
    },
    offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 },
    compare: {
      anyOf: [{ type: 'string', const: 'previous_period' }, instantRange],
      description: '"previous_period" (a range of whole days in the timezone: as many whole days just before it, so a 23-hour DST day is compared with the 24 hours of the day before; any other range: the same length just before) or an explicit {from, to}. With a time dimension each bucket is compared with the bucket of the other range at the same place: days, weeks and months by position; minutes and hours by day and clock time when both ranges start at the same time of day (the hour a DST change skips or repeats has no counterpart), else by position',
    },
    timezone: { type: 'string', maxLength: 64, description: "IANA zone for time buckets and relative ranges; default: the site's." },
    include_bots: { type: 'boolean', default: false, description: 'Count events flagged as bots (excluded by default).' },
  },
};
