import { checkFunnel, decodeWindow, encodeWindow, sameFunnel, DEFAULT_WINDOW, type FunnelDefinition, type FunnelStep } from './funnel-state.js';
import { isObject } from './is-object.js';

/**
 * Funnels the merchant named and saved, per site, in this browser's localStorage (as PostHog keeps
 * a list of saved insights; the query API stores no dashboard settings). A short list: the dropdown
 * stays readable.
 */

export const MAX_SAVED_FUNNELS = 20;
export const MAX_FUNNEL_NAME_LENGTH = 60;

export interface SavedFunnel {
  name: string;
  funnel: FunnelDefinition;
}

export type FunnelStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function savedFunnelsKey(siteId: string): string {
  return `pulse.funnels.${siteId}`;
}

/** localStorage, or null where the browser refuses it (a sandboxed frame, storage disabled). */
export function browserStorage(): FunnelStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** As stored: the steps and scope as the link has them, the window as `7d` / `12h`. */
interface StoredFunnel {
  name: string;
  steps: FunnelStep[];
  scope: FunnelDefinition['scope'];
  window: string;
}


function fromStored(v: unknown): SavedFunnel | null {
  if (!isObject(v) || typeof v.name !== 'string' || !Array.isArray(v.steps)) return null;
  const name = v.name.trim();
  if (name === '' || name.length > MAX_FUNNEL_NAME_LENGTH) return null;
  const steps: FunnelStep[] = [];
  for (const s of v.steps) {
    if (!isObject(s) || (s.kind !== 'page' && s.kind !== 'event') || typeof s.value !== 'string') return null;
    steps.push({ kind: s.kind, value: s.value });
  }
  const window = (typeof v.window === 'string' ? decodeWindow(v.window) : null) ?? { ...DEFAULT_WINDOW };
  const checked = checkFunnel({ steps, scope: v.scope === 'visitor' ? 'visitor' : 'visit', window });
  return checked.ok ? { name, funnel: checked.funnel } : null;
}

function toStored(s: SavedFunnel): StoredFunnel {
  return { name: s.name, steps: s.funnel.steps.map((x) => ({ kind: x.kind, value: x.value })), scope: s.funnel.scope, window: encodeWindow(s.funnel.window) };
}

const sameName = (a: string, b: string) => a.toLocaleLowerCase() === b.toLocaleLowerCase();

/**
 * The site's saved funnels, in the order they were saved. Whatever cannot be read (another tab's
 * garbage, a hand edit, an entry of a later version) is left out rather than failing the panel.
 */
export function readSavedFunnels(storage: FunnelStorage | null, siteId: string): SavedFunnel[] {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(savedFunnelsKey(siteId)) ?? null;
  } catch {
    return [];
  }
  if (!raw) return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(json)) return [];
  const out: SavedFunnel[] = [];
  for (const v of json) {
    const s = fromStored(v);
    if (s && !out.some((o) => sameName(o.name, s.name)) && out.length < MAX_SAVED_FUNNELS) out.push(s);
  }
  return out;
}

/** Stores the list; a message when the browser refused (storage full or disabled), else null. */
export function writeSavedFunnels(storage: FunnelStorage | null, siteId: string, list: readonly SavedFunnel[]): string | null {
  const refused = 'This browser did not let the dashboard store it (storage full or disabled).';
  if (!storage) return refused;
  try {
    if (list.length === 0) storage.removeItem(savedFunnelsKey(siteId));
    else storage.setItem(savedFunnelsKey(siteId), JSON.stringify(list.map(toStored)));
    return null;
  } catch {
    return refused;
  }
}

export type SaveResult = { ok: true; list: SavedFunnel[]; saved: SavedFunnel } | { ok: false; message: string };

/**
 * The list with `funnel` saved under `name` (trimmed). A name already there, in any case, is
 * replaced in its place: saving again under the same name updates the funnel.
 */
export function withSavedFunnel(list: readonly SavedFunnel[], name: string, funnel: FunnelDefinition): SaveResult {
  const n = name.trim();
  if (n === '') return { ok: false, message: 'Name the funnel to save it.' };
  if (n.length > MAX_FUNNEL_NAME_LENGTH) return { ok: false, message: `A name has at most ${MAX_FUNNEL_NAME_LENGTH} characters.` };
  const saved: SavedFunnel = { name: n, funnel };
  const at = list.findIndex((s) => sameName(s.name, n));
  if (at >= 0) return { ok: true, list: list.map((s, i) => (i === at ? saved : s)), saved };
  if (list.length >= MAX_SAVED_FUNNELS) return { ok: false, message: `At most ${MAX_SAVED_FUNNELS} funnels are saved per site: delete one first.` };
  return { ok: true, list: [...list, saved], saved };
}

export function withoutSavedFunnel(list: readonly SavedFunnel[], name: string): SavedFunnel[] {
  return list.filter((s) => s.name !== name);
}

/** The saved funnel that asks the same as `funnel` (the dropdown shows its name), if any. */
export function savedMatching(list: readonly SavedFunnel[], funnel: FunnelDefinition | null): SavedFunnel | null {
  return (funnel && list.find((s) => sameFunnel(s.funnel, funnel))) ?? null;
}
