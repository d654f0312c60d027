import type { JsonSchema } from '../schema/json-schema.js';
import { changeRule } from './change.js';
import { QUERY_REQUEST_SCHEMA, SITE_ID_SCHEMA } from './schema.js';

export const MIN_FUNNEL_STEPS = 2;
export const MAX_FUNNEL_STEPS = 8;
/** PostHog's default conversion window: a day from the first step. */
export const DEFAULT_WINDOW_SECONDS = 86_400;
export const MAX_WINDOW_SECONDS = 30 * 86_400;
export const MAX_STEP_VALUE_LENGTH = 1024;
export const MAX_LABEL_LENGTH = 200;

/**
 * A field of `/v1/query`'s request schema, the very object: date ranges, filters, timezone and
 * bots are validated (and documented) by one schema on both routes.
 */
function queryField(name: string): JsonSchema {
  const schema = QUERY_REQUEST_SCHEMA.properties?.[name];
  if (!schema) throw new Error(`QUERY_REQUEST_SCHEMA has no ${name}`);
  return schema;
}

const LABEL: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_LABEL_LENGTH,
  description: 'Shown for the step in the answer; default `Visit <page>` for a page step, the event name for an event step.',
};

export const PAGE_STEP_SCHEMA: JsonSchema = {
  type: 'object',
  description:
    'A pageview of this path: `*` matches any run of characters, `/` included (`/blog/*`), as in `excluded_paths` and the `matches` filter; every other character stands for itself, case-sensitive. Paths are stored normalised (no trailing `/`, so `/pricing/` is recorded as `/pricing`).',
  required: ['page'],
  additionalProperties: false,
  properties: {
    page: { type: 'string', minLength: 1, maxLength: MAX_STEP_VALUE_LENGTH, pattern: '^/', description: 'A path pattern starting with `/`.' },
    label: LABEL,
  },
  examples: [{ page: '/pricing' }, { page: '/blog/*', label: 'Read the blog' }],
};

export const EVENT_STEP_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'An event of this name (exact, case-sensitive), e.g. a custom `signup`.',
  required: ['event'],
  additionalProperties: false,
  properties: {
    event: { type: 'string', minLength: 1, maxLength: MAX_STEP_VALUE_LENGTH },
    label: LABEL,
  },
  examples: [{ event: 'signup' }],
};

export const FUNNEL_STEP_SCHEMA: JsonSchema = {
  anyOf: [PAGE_STEP_SCHEMA, EVENT_STEP_SCHEMA],
  description: 'a step: {"page": "/path"} or {"event": "name"}, each with an optional "label"',
};

export const FUNNEL_REQUEST_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['site_id', 'date_range', 'steps'],
  additionalProperties: false,
  properties: {
    site_id: SITE_ID_SCHEMA,
    date_range: queryField('date_range'),
    steps: {
      type: 'array',
      minItems: MIN_FUNNEL_STEPS,
      maxItems: MAX_FUNNEL_STEPS,
      items: FUNNEL_STEP_SCHEMA,
      description: `${MIN_FUNNEL_STEPS} to ${MAX_FUNNEL_STEPS} steps, in the order they must happen; other events may come between them, and a step may repeat an earlier one.`,
    },
    filters: {
      ...queryField('filters'),
      description:
        'As in `/v1/query`. Filters on event dimensions (`page`, `country`, `device`, `browser`, `os`, `event_name`, `revenue_currency`, `prop:<key>`) keep only the events that pass them: an event they drop matches no step. Filters on visit attributes (`entry_page`, `exit_page`, `source`, `referrer`, `utm_*`) keep only the events of the visits that pass them, the attributes taken from each visit\'s first (or last) event in the date range as `/v1/query` takes them.',
    },
    timezone: { ...queryField('timezone'), description: "IANA zone that relative ranges (`7d`, `month`) are resolved in; default: the site's. Visits still end at midnight UTC." },
    include_bots: queryField('include_bots'),
    scope: {
      type: 'string',
      enum: ['visit', 'visitor'],
      default: 'visit',
      description:
        '`visit` (default, as Plausible): the steps must happen within one visit (a session\'s events on one UTC day); the answer counts `visits`. `visitor` (as PostHog): within `window_seconds` of the visitor\'s step 1, across visits; the answer counts `visitors`. A visitor is a `visitor_id`: the id an SDK sends, else a daily-salted hash of IP and user agent, which changes at midnight UTC (such visitors cannot be followed across days).',
    },
    window_seconds: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_WINDOW_SECONDS,
      default: DEFAULT_WINDOW_SECONDS,
      description: `With \`scope: "visitor"\` only: the longest time from step 1 to the last step, in seconds (default ${DEFAULT_WINDOW_SECONDS}, a day; at most ${MAX_WINDOW_SECONDS}, 30 days). Every step must also lie in the date range.`,
    },
    compare: {
      ...queryField('compare'),
      description:
        'As in `/v1/query`, the same rule: `"previous_period"` (the range just before, as many whole days, or the same length) or an explicit `{from, to}`. The same steps, filters, scope and window are counted over that range too, and each step of the answer carries its `comparison`.',
    },
  },
};

/** The step figures that are percentages: their change is a difference in points, as `/v1/query`'s rates' is. */
export const FUNNEL_POINT_FIGURES: ReadonlySet<string> = new Set(['conversion_rate', 'conversion_rate_step']);

/** What a step's `comparison.change` holds, word for word in `/openapi.json`. */
export const FUNNEL_CHANGE_RULE = changeRule([...FUNNEL_POINT_FIGURES].join(' and '));

/** A step's numbers over one range: in the step itself, and in its `comparison` for the compared range. */
const STEP_FIGURES: Record<string, JsonSchema> = {
  visits: {
    type: 'integer',
    description: 'With `scope: "visit"`: visits that reached this step, i.e. had events matching steps 1 to this one in that order. Exact.',
  },
  visitors: {
    type: 'integer',
    description: 'With `scope: "visitor"`: visitors that reached this step within the window of their step 1. Exact (distinct `visitor_id`s).',
  },
  conversion_rate: {
    type: 'number',
    description: 'Percent (0-100, 2 decimals) of those who entered the funnel (reached step 1) that reached this step; 100 for step 1 when anyone entered, 0 when nobody did.',
  },
  conversion_rate_step: {
    type: 'number',
    description: 'Percent (0-100, 2 decimals) of those who reached the step before that reached this one; step 1: as `conversion_rate`. 0 when nobody reached the step before.',
  },
  dropoff: { type: 'integer', description: 'How many reached the step before but not this one; 0 for step 1.' },
};

const NUMBER_OR_NULL: JsonSchema = { anyOf: [{ type: 'number' }, { type: 'null' }] };

const STEP_COMPARISON: JsonSchema = {
  type: 'object',
  description: `With \`compare\`: the same step over \`meta.compare_range\` (its count named by scope, rates and dropoff as in the step), and \`change\`, each figure's change from there to the step's own. ${FUNNEL_CHANGE_RULE}`,
  required: ['conversion_rate', 'conversion_rate_step', 'dropoff', 'change'],
  properties: {
    ...STEP_FIGURES,
    change: {
      type: 'object',
      description: 'Per figure, named as the figures are: `visits` (or `visitors`), `conversion_rate`, `conversion_rate_step`, `dropoff`.',
      properties: Object.fromEntries(Object.keys(STEP_FIGURES).map((k) => [k, NUMBER_OR_NULL])),
    },
  },
};

const STEP_RESULT: JsonSchema = {
  type: 'object',
  required: ['label', 'step', 'conversion_rate', 'conversion_rate_step', 'dropoff'],
  properties: {
    label: { type: 'string', description: 'The label asked for, else `Visit <page>` or the event name.' },
    step: { anyOf: [PAGE_STEP_SCHEMA, EVENT_STEP_SCHEMA], description: 'The step as asked, without its label: `{"page"}` or `{"event"}`.' },
    ...STEP_FIGURES,
    comparison: STEP_COMPARISON,
  },
};

export const FUNNEL_RESPONSE_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['steps', 'meta'],
  properties: {
    steps: { type: 'array', items: STEP_RESULT },
    meta: {
      type: 'object',
      properties: {
        site_id: SITE_ID_SCHEMA,
        scope: { type: 'string', enum: ['visit', 'visitor'] },
        window_seconds: {
          anyOf: [{ type: 'integer' }, { type: 'null' }],
          description: 'The conversion window of `scope: "visitor"`; null for `scope: "visit"`, where the visit bounds the funnel.',
        },
        timezone: { type: 'string', description: 'The zone relative ranges were resolved in.' },
        date_range: {
          type: 'object',
          properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } },
          description: 'The resolved range (relative ranges made absolute); every step lies in it.',
        },
        compare_range: {
          type: 'object',
          properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } },
          description: 'With `compare`: the resolved range the steps\' `comparison` counts over.',
        },
        complete_through: {
          anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }],
          description: 'Every event received before this instant is counted; null when nothing is stored yet.',
        },
        source_table: { type: 'string', description: 'Always `events`: funnels are answered from raw events.' },
      },
    },
  },
};

/** The operation's description in `/openapi.json`. */
export const FUNNEL_TEXT = [
  'An ordered funnel: a visit (or, with `scope: "visitor"`, a visitor within `window_seconds` of its step 1) reaches step k when it has events matching steps 1 to k in that order, other events in between allowed (ClickHouse `windowFunnel`). Each step must come after the step before, in a later millisecond: one event is never two steps (a view of `/blog/post-1` is not both `/blog/*` and `/blog/post-1`), and two events of the same millisecond are never consecutive steps.',
  'Each step counts `visits` (scope `visit`) or `visitors` (scope `visitor`), exactly, with `conversion_rate` (percent of step 1, so 100 for step 1 once anyone entered), `conversion_rate_step` (percent of the step before) and `dropoff` (how many the step before lost; 0 for step 1).',
  `With \`compare\` (as in \`/v1/query\`: \`"previous_period"\` or \`{from, to}\`), the same funnel is counted over that range too (\`meta.compare_range\`), and each step carries \`comparison\`: the compared figures and \`change\`. ${FUNNEL_CHANGE_RULE}`,
  'Every step must lie in the date range. Events flagged as bots are left out unless `include_bots` is true. Answered from raw events; answers are cached and carry an ETag as `/v1/query`\'s do.',
].join('\n\n');
