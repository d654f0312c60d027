import type { Site } from '../api.js';
import { COMPARE_LABELS, COMPARE_MODES, type CompareMode } from '../compare-mode.js';
import { h } from '../dom.js';
import {
  GRANULARITIES,
  PRESETS,
  PRESET_LABELS,
  allowedGranularities,
  customRangeError,
  rangeAsDates,
  type Granularity,
  type RangeSpec,
  type ResolvedRange,
} from '../range.js';

export interface ControlsModel {
  sites: Site[];
  siteId: string;
  range: RangeSpec;
  resolved: ResolvedRange;
  granularity: Granularity;
  timeZone: string;
  siteTimeZone: string;
  compare: CompareMode;
}

export interface ControlsActions {
  setSite(siteId: string): void;
  setRange(range: RangeSpec): void;
  setGranularity(g: Granularity): void;
  setTimeZone(tz: string | null): void;
  setCompare(mode: CompareMode): void;
}

function timeZones(extra: string[]): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set([...extra, 'UTC', ...all])];
}

/*
 * The controls are rebuilt on every change; fixed ids are how focus finds its way back to the same
 * control afterwards (`keepFocus`), so each control is rendered at most once on the page.
 */

export function siteSelect(m: ControlsModel, a: ControlsActions): HTMLElement {
  const id = 'site-picker';
  const select = h(
    'select',
    { id, 'data-testid': 'site-select', onchange: (e: Event) => a.setSite((e.target as HTMLSelectElement).value) },
    m.sites.map((s) => h('option', { value: s.site_id, selected: s.site_id === m.siteId }, s.domain)),
  );
  return h('div', { class: 'control' }, h('label', { for: id }, 'Site'), select);
}

/** Preset select plus a custom-range form that appears when "Custom range…" is chosen. */
export function rangePicker(m: ControlsModel, a: ControlsActions): HTMLElement {
  const id = 'period';
  const current = m.range.kind === 'preset' ? m.range.preset : 'custom';
  const dates = m.range.kind === 'custom' ? { from: m.range.from, to: m.range.to } : rangeAsDates(m.resolved, m.timeZone);
  const fromInput = h('input', { type: 'date', id: `${id}-from`, value: dates.from, required: true, 'data-testid': 'custom-from' });
  const toInput = h('input', { type: 'date', id: `${id}-to`, value: dates.to, required: true, 'data-testid': 'custom-to' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'custom-range', hidden: current !== 'custom', 'aria-label': 'Custom date range' },
    h('label', { for: `${id}-from` }, 'From'),
    fromInput,
    h('label', { for: `${id}-to` }, 'To'),
    toInput,
    h('button', { type: 'submit', id: `${id}-apply`, 'data-testid': 'custom-apply' }, 'Apply'),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const problem = customRangeError(fromInput.value, toInput.value);
    if (problem) {
      error.textContent = problem;
      return;
    }
    a.setRange({ kind: 'custom', from: fromInput.value, to: toInput.value });
  });
  const select = h(
    'select',
    {
      id,
      'data-testid': 'range-select',
      onchange: (e: Event) => {
        const v = (e.target as HTMLSelectElement).value;
        if (v === 'custom') {
          form.hidden = false;
          fromInput.focus();
        } else {
          form.hidden = true;
          a.setRange({ kind: 'preset', preset: v as (typeof PRESETS)[number] });
        }
      },
    },
    PRESETS.map((p) => h('option', { value: p, selected: p === current }, PRESET_LABELS[p])),
    h('option', { value: 'custom', selected: current === 'custom' }, 'Custom range…'),
  );
  return h('div', { class: 'control range-control' }, h('label', { for: id }, 'Period'), select, form);
}

export function timeZoneSelect(m: ControlsModel, a: ControlsActions): HTMLElement {
  const id = 'time-zone';
  const zones = timeZones([m.siteTimeZone, m.timeZone]);
  const select = h(
    'select',
    {
      id,
      'data-testid': 'tz-select',
      onchange: (e: Event) => {
        const v = (e.target as HTMLSelectElement).value;
        a.setTimeZone(v === m.siteTimeZone ? null : v);
      },
    },
    zones.map((z) => h('option', { value: z, selected: z === m.timeZone }, z === m.siteTimeZone ? `${z} (site)` : z)),
  );
  return h('div', { class: 'control' }, h('label', { for: id }, 'Time zone'), select);
}

/** What the cards compare the period with: the previous period, the same one a year before, or nothing. */
export function compareSelect(m: ControlsModel, a: ControlsActions): HTMLElement {
  const id = 'compare';
  const select = h(
    'select',
    {
      id,
      'data-testid': 'compare-select',
      onchange: (e: Event) => a.setCompare((e.target as HTMLSelectElement).value as CompareMode),
    },
    COMPARE_MODES.map((c) => h('option', { value: c, selected: c === m.compare }, COMPARE_LABELS[c])),
  );
  return h('div', { class: 'control' }, h('label', { for: id }, 'Comparison'), select);
}

/** Granularity as a radio group: native radios give arrow-key navigation for free. */
export function granularityPicker(m: ControlsModel, a: ControlsActions): HTMLElement {
  const allowed = new Set(allowedGranularities(m.resolved));
  const name = 'granularity';
  return h(
    'fieldset',
    { class: 'segmented', 'data-testid': 'granularity' },
    h('legend', { class: 'visually-hidden' }, 'Chart granularity'),
    GRANULARITIES.filter((g) => allowed.has(g) || g === m.granularity).map((g) => {
      const id = `${name}-${g}`;
      return h(
        'span',
        {},
        h('input', {
          type: 'radio',
          name,
          id,
          value: g,
          checked: g === m.granularity,
          onchange: () => a.setGranularity(g),
        }),
        h('label', { for: id }, g[0]!.toUpperCase() + g.slice(1)),
      );
    }),
  );
}
