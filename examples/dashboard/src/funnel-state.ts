import { apiFilter, compareOf, dateRangeOf, isoRange, type ApiDateRange, type ApiFilter, type QueryContext } from './query.js';

/**
 * A funnel as the dashboard keeps it: in the link (`funnel`, `funnel_scope`, `funnel_window`), in the
 * editor's draft and among the saved funnels. The query API's `POST /v1/funnel` takes it as
 * `funnelBody` words it (query-api/src/query/funnel-schema.ts has the limits mirrored here).
 */

export const MIN_FUNNEL_STEPS = 2;
export const MAX_FUNNEL_STEPS = 8;
export const MAX_STEP_VALUE_LENGTH = 1024;
/** The API's longest conversion window (`window_seconds`), 30 days. */
export const MAX_WINDOW_SECONDS = 30 * 86_400;

export type FunnelStepKind = 'page' | 'event';
export type FunnelScope = 'visit' | 'visitor';
export type WindowUnit = 'hours' | 'days';

export interface FunnelStep {
  kind: FunnelStepKind;
  /** A path pattern (`/pricing`, `/blog/*`) or an event name. */
  value: string;
}

/** How long a visitor has from step 1 to the last step (`scope: "visitor"` only). */
export interface FunnelWindow {
  amount: number;
  unit: WindowUnit;
}

export interface FunnelDefinition {
  steps: FunnelStep[];
  scope: FunnelScope;
  /** Kept with scope `visit` too, so switching the scope back and forth keeps what was chosen. */
  window: FunnelWindow;
}

/** The API's default window, a day from step 1 (PostHog's). */
export const DEFAULT_WINDOW: FunnelWindow = { amount: 1, unit: 'days' };

const UNIT_SECONDS: Record<WindowUnit, number> = { hours: 3600, days: 86_400 };

export function windowSeconds(w: FunnelWindow): number {
  return w.amount * UNIT_SECONDS[w.unit];
}

/** A new funnel in the editor: two page steps to fill in, counted per visit (Plausible's way). */
export function blankFunnel(): FunnelDefinition {
  return { steps: [{ kind: 'page', value: '' }, { kind: 'page', value: '' }], scope: 'visit', window: { ...DEFAULT_WINDOW } };
}

export function cloneFunnel(f: FunnelDefinition): FunnelDefinition {
  return { steps: f.steps.map((s) => ({ ...s })), scope: f.scope, window: { ...f.window } };
}

/** Whether two funnels ask the same: the window counts only where it applies (scope `visitor`). */
export function sameFunnel(a: FunnelDefinition, b: FunnelDefinition): boolean {
  if (a.scope !== b.scope || a.steps.length !== b.steps.length) return false;
  if (a.scope === 'visitor' && windowSeconds(a.window) !== windowSeconds(b.window)) return false;
  return a.steps.every((s, i) => s.kind === b.steps[i]?.kind && s.value === b.steps[i]?.value);
}

/** What stops a draft from being asked, said next to the field to fix; `index` is the step's. */
export interface FunnelProblem {
  field: 'steps' | 'step' | 'window';
  index?: number;
  message: string;
}

export type FunnelCheck = { ok: true; funnel: FunnelDefinition } | { ok: false; problem: FunnelProblem };

/** Problems of one step (`index` from 0), or null; the value is taken trimmed. */
export function stepProblem(step: FunnelStep, index: number): FunnelProblem | null {
  const n = index + 1;
  const v = step.value.trim();
  const problem = (message: string): FunnelProblem => ({ field: 'step', index, message });
  if (step.kind === 'page') {
    if (v === '') return problem(`Step ${n}: enter a page path, e.g. /pricing.`);
    if (!v.startsWith('/')) return problem(`Step ${n}: a page path starts with / (e.g. /${v}).`);
  } else if (v === '') {
    return problem(`Step ${n}: enter an event name, e.g. signup.`);
  }
  if (v.length > MAX_STEP_VALUE_LENGTH) return problem(`Step ${n} is too long: at most ${MAX_STEP_VALUE_LENGTH} characters.`);
  // Control characters cannot be typed; a pasted tab or newline would never match a stored path or name.
  if (/[\u0000-\u001f\u007f]/.test(v)) return problem(`Step ${n} contains a tab, newline or other control character.`);
  return null;
}

/** The window's problem, or null: whole hours or days, 1 hour to 30 days, as the API takes it. */
export function windowProblem(w: FunnelWindow): FunnelProblem | null {
  if (!Number.isInteger(w.amount) || w.amount < 1 || windowSeconds(w) > MAX_WINDOW_SECONDS) {
    return { field: 'window', message: 'The window is a whole number of hours or days, from 1 hour to 30 days.' };
  }
  return null;
}

/**
 * Checks a draft before anything is asked: 2 to 8 steps, each a path starting with `/` or a
 * non-empty event name, and with scope `visitor` a window the API takes. The funnel it gives has
 * its values trimmed (a space typed after `signup` would match no event).
 */
export function checkFunnel(draft: FunnelDefinition): FunnelCheck {
  if (draft.steps.length < MIN_FUNNEL_STEPS) return { ok: false, problem: { field: 'steps', message: `A funnel needs at least ${MIN_FUNNEL_STEPS} steps.` } };
  if (draft.steps.length > MAX_FUNNEL_STEPS) return { ok: false, problem: { field: 'steps', message: `A funnel has at most ${MAX_FUNNEL_STEPS} steps.` } };
  for (const [i, s] of draft.steps.entries()) {
    const p = stepProblem(s, i);
    if (p) return { ok: false, problem: p };
  }
  const badWindow = windowProblem(draft.window);
  if (draft.scope === 'visitor' && badWindow) return { ok: false, problem: badWindow };
  // A visit funnel asks no window; a half-typed one is not kept for a later switch to visitors.
  const window = badWindow ? { ...DEFAULT_WINDOW } : { ...draft.window };
  return { ok: true, funnel: { steps: draft.steps.map((s) => ({ kind: s.kind, value: s.value.trim() })), scope: draft.scope, window } };
}

/* The link: `funnel=page:/pricing` once per step, in order; `funnel_scope=visitor`; `funnel_window=12h` or `7d`. */

export const FUNNEL_PARAM = 'funnel';
export const SCOPE_PARAM = 'funnel_scope';
export const WINDOW_PARAM = 'funnel_window';

export function encodeStep(s: FunnelStep): string {
  return `${s.kind}:${s.value}`;
}

export function decodeStep(raw: string): FunnelStep | null {
  const colon = raw.indexOf(':');
  const kind = raw.slice(0, colon);
  if (colon < 0 || (kind !== 'page' && kind !== 'event')) return null;
  return { kind, value: raw.slice(colon + 1) };
}

export function encodeWindow(w: FunnelWindow): string {
  return `${w.amount}${w.unit === 'hours' ? 'h' : 'd'}`;
}

export function decodeWindow(raw: string): FunnelWindow | null {
  const m = /^([1-9]\d{0,3})([hd])$/.exec(raw);
  if (!m) return null;
  const w: FunnelWindow = { amount: Number(m[1]), unit: m[2] === 'h' ? 'hours' : 'days' };
  return windowProblem(w) ? null : w;
}

/** The funnel's parameters; defaults (scope `visit`, a window of one day) are left out so links stay short. */
export function funnelParams(f: FunnelDefinition | null): [string, string][] {
  if (!f) return [];
  const out: [string, string][] = f.steps.map((s) => [FUNNEL_PARAM, encodeStep(s)]);
  if (f.scope === 'visitor') {
    out.push([SCOPE_PARAM, 'visitor']);
    if (f.window.amount !== DEFAULT_WINDOW.amount || f.window.unit !== DEFAULT_WINDOW.unit) out.push([WINDOW_PARAM, encodeWindow(f.window)]);
  }
  return out;
}

/**
 * A query string (the rest of the dashboard's state, `encodeState`) with the funnel's parameters
 * after it, any old ones replaced.
 */
export function withFunnel(query: string, f: FunnelDefinition | null): string {
  const p = new URLSearchParams(query);
  for (const name of [FUNNEL_PARAM, SCOPE_PARAM, WINDOW_PARAM]) p.delete(name);
  for (const [k, v] of funnelParams(f)) p.append(k, v);
  return p.toString();
}

/**
 * The funnel a link holds, or null. One step that cannot be asked drops the whole funnel (a funnel
 * without it would be another funnel); a bad scope or window falls back to its default, as the
 * rest of the link's values do.
 */
export function decodeFunnel(search: string): FunnelDefinition | null {
  const p = new URLSearchParams(search);
  const raw = p.getAll(FUNNEL_PARAM);
  if (raw.length === 0) return null;
  const steps: FunnelStep[] = [];
  for (const r of raw) {
    const s = decodeStep(r);
    if (!s) return null;
    steps.push(s);
  }
  const windowParam = p.get(WINDOW_PARAM);
  const draft: FunnelDefinition = {
    steps,
    scope: p.get(SCOPE_PARAM) === 'visitor' ? 'visitor' : 'visit',
    window: (windowParam !== null ? decodeWindow(windowParam) : null) ?? { ...DEFAULT_WINDOW },
  };
  // Trimmed as the editor trims, and the address bar then says so (the app rewrites it in place).
  const checked = checkFunnel(draft);
  return checked.ok ? checked.funnel : null;
}

/* The request. */

export type FunnelStepBody = { page: string } | { event: string };

/** The body of `POST /v1/funnel` (query-api README, "Funnels"). */
export interface FunnelBody {
  site_id: string;
  /** The period's instants, or `"all"` under "All time" (`dateRangeOf`). */
  date_range: ApiDateRange;
  steps: FunnelStepBody[];
  filters?: ApiFilter[];
  timezone?: string;
  scope?: FunnelScope;
  window_seconds?: number;
  /** The period the cards compare with (`QueryContext.compare`), as every compared panel asks it. */
  compare?: { from: string; to: string };
}

/** The funnel over the dashboard's period and filters, as every panel asks (`query.ts` `base`). */
export function funnelBody(ctx: QueryContext, f: FunnelDefinition): FunnelBody {
  const body: FunnelBody = {
    site_id: ctx.siteId,
    date_range: dateRangeOf(ctx),
    steps: f.steps.map((s) => (s.kind === 'page' ? { page: s.value } : { event: s.value })),
    timezone: ctx.timezone,
  };
  if (ctx.filters.length > 0) body.filters = ctx.filters.map(apiFilter);
  const compare = compareOf(ctx);
  if (compare) body.compare = isoRange(compare);
  if (f.scope === 'visitor') {
    body.scope = 'visitor';
    body.window_seconds = windowSeconds(f.window);
  }
  return body;
}

/* The editor's draft edits, each returning a new draft. */

export function addStep(f: FunnelDefinition): FunnelDefinition {
  if (f.steps.length >= MAX_FUNNEL_STEPS) return f;
  // A new step is usually the same kind as the one before (pages, then the event that converts).
  const kind = f.steps.at(-1)?.kind ?? 'page';
  return { ...f, steps: [...f.steps, { kind, value: '' }] };
}

export function removeStep(f: FunnelDefinition, index: number): FunnelDefinition {
  return { ...f, steps: f.steps.filter((_, i) => i !== index) };
}

/** Moves step `index` by `by` places (−1 up, +1 down); out of range it stays. */
export function moveStep(f: FunnelDefinition, index: number, by: -1 | 1): FunnelDefinition {
  const to = index + by;
  const a = f.steps[index];
  const b = f.steps[to];
  if (!a || !b) return f;
  const steps = [...f.steps];
  steps[index] = b;
  steps[to] = a;
  return { ...f, steps };
}
