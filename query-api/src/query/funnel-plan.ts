import { isPlainObject } from '@pulse/protocol';
import { BadRequestError } from '../errors.js';
import { validate } from '../schema/json-schema.js';
import { isValidTimeZone } from '../time/zone.js';
import { planCompare, type CompareInput } from './compare-range.js';
import { resolveRange, type DateRangeInput, type Range, type RangeSite } from './date-range.js';
import { DEFAULT_WINDOW_SECONDS, EVENT_STEP_SCHEMA, FUNNEL_REQUEST_SCHEMA, PAGE_STEP_SCHEMA } from './funnel-schema.js';
import { planFilters, type Filter, type QueryRequest } from './plan.js';

export type FunnelStepInput = { page: string; label?: string } | { event: string; label?: string };
export type FunnelScope = 'visit' | 'visitor';

/** A request body that passed the schema (funnel-schema.ts). */
export interface FunnelRequest {
  site_id: string;
  date_range: DateRangeInput;
  steps: FunnelStepInput[];
  filters?: QueryRequest['filters'];
  timezone?: string;
  include_bots?: boolean;
  scope?: FunnelScope;
  window_seconds?: number;
  compare?: CompareInput;
}

export interface FunnelStep {
  kind: 'page' | 'event';
  /** The path pattern or the event name. */
  value: string;
  label: string;
}

/** Everything needed to run a funnel, resolved and normalised (also the cache key). */
export interface FunnelPlan {
  siteId: string;
  steps: FunnelStep[];
  filters: Filter[];
  timezone: string;
  range: Range;
  /** With `compare`: the span the same funnel is counted over too. Absent otherwise, so such plans keep their cache keys. */
  compare?: Range;
  includeBots: boolean;
  scope: FunnelScope;
  /** From step 1 to the last step, `scope: "visitor"` only; a visit bounds the other scope. */
  windowMs: number | null;
}

/**
 * Each step against the branch of its own kind, before the whole body: the schema's `anyOf` of two
 * object shapes could only say that a step matches neither, where a caller needs to hear which
 * field of which step is wrong (`steps[2].page: must start with /`).
 */
function checkSteps(body: unknown): void {
  if (!isPlainObject(body) || !Array.isArray(body.steps)) return;
  body.steps.forEach((step: unknown, i) => {
    const path = `steps[${i}]`;
    if (!isPlainObject(step)) return;
    const page = Object.hasOwn(step, 'page');
    const event = Object.hasOwn(step, 'event');
    if (page && event) throw new BadRequestError(path, 'has both "page" and "event"; a step is one of them');
    if (!page && !event) throw new BadRequestError(path, 'needs "page" (a path) or "event" (an event name)');
    if (page && typeof step.page === 'string' && !step.page.startsWith('/')) throw new BadRequestError(`${path}.page`, 'must start with /');
    validate(page ? PAGE_STEP_SCHEMA : EVENT_STEP_SCHEMA, step, path);
  });
}

export function validateFunnelRequest(body: unknown): FunnelRequest {
  checkSteps(body);
  validate(FUNNEL_REQUEST_SCHEMA, body);
  return body as FunnelRequest;
}

function planStep(s: FunnelStepInput): FunnelStep {
  if ('page' in s) return { kind: 'page', value: s.page, label: s.label ?? `Visit ${s.page}` };
  return { kind: 'event', value: s.event, label: s.label ?? s.event };
}

export function planFunnel(req: FunnelRequest, site: RangeSite, nowMs: number): FunnelPlan {
  const timezone = req.timezone ?? site.timezone;
  if (!isValidTimeZone(timezone)) throw new BadRequestError('timezone', `${JSON.stringify(timezone)} is not an IANA time zone`);
  const scope = req.scope ?? 'visit';
  if (scope === 'visit' && req.window_seconds !== undefined) {
    throw new BadRequestError('window_seconds', 'applies only with scope "visitor" (a visit is its own window)');
  }
  const range = resolveRange(req.date_range, timezone, nowMs, 'date_range', site.created_at);
  const compare = planCompare(req.compare, range, timezone);
  return {
    siteId: req.site_id,
    steps: req.steps.map(planStep),
    filters: planFilters(req.filters),
    timezone,
    range,
    ...(compare ? { compare } : {}),
    includeBots: req.include_bots ?? false,
    scope,
    windowMs: scope === 'visitor' ? (req.window_seconds ?? DEFAULT_WINDOW_SECONDS) * 1000 : null,
  };
}
