import type { Site } from '../api.js';
import { COMPARE_LABELS, COMPARE_MODES, customCompareError, type CompareDates, type CompareMode } from '../compare-mode.js';
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
  /** The custom comparison's days, when that is the mode. */
  compareDates: CompareDates | null;
  /** The span the cards compare with now (null: none), to start a custom period from. */
  compared: ResolvedRange | null;
  /** Why the range cannot be compared ("All time"), said under a disabled menu; null when it can. */
  compareUnavailable: string | null;
}

export interface ControlsActions {
  setSite(siteId: string): void;
  setRange(range: RangeSpec): void;
  setGranularity(g: Granularity): void;
  setTimeZone(tz: string | null): void;
  /** `dates` for the custom mode, whose days the form checked. */
  setCompare(mode: CompareMode, dates?: CompareDates): void;
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

/**
 * What the cards and the chart compare the period with: the previous period, the same one a year
 * before, a custom period, or nothing; disabled, saying why, for a range that has nothing to be
 * compared with ("All time"). "Custom period…" opens a form of two dates (in the
 * dashboard's zone, as the custom range's): nothing changes until they are applied, and dates that
 * cannot be compared with are said next to the fields (the form checks them itself, `novalidate`,
 * so the message is the dashboard's and not the browser's bubble).
 */
export function compareSelect(m: ControlsModel, a: ControlsActions): HTMLElement {
  const id = 'compare';
  if (m.compareUnavailable) {
    // Disabled rather than gone, so the toolbar does not jump; it shows "No comparison", what applies,
    // and says why. The chosen mode stays in the state (and the link) for the next range.
    const noteId = `${id}-unavailable`;
    const select = h(
      'select',
      { id, 'data-testid': 'compare-select', disabled: true, 'aria-describedby': noteId },
      h('option', { value: 'off', selected: true }, COMPARE_LABELS.off),
    );
    const note = h('p', { class: 'muted small compare-note', id: noteId, 'data-testid': 'compare-unavailable' }, m.compareUnavailable);
    return h('div', { class: 'control range-control' }, h('label', { for: id }, 'Comparison'), select, note);
  }
  const dates = m.compareDates ?? (m.compared ? rangeAsDates(m.compared, m.timeZone) : rangeAsDates(m.resolved, m.timeZone));
  const errorId = `${id}-error`;
  const fromInput = h('input', { type: 'date', id: `${id}-from`, value: dates.from, required: true, 'data-testid': 'compare-from' });
  const toInput = h('input', { type: 'date', id: `${id}-to`, value: dates.to, required: true, 'data-testid': 'compare-to' });
  const error = h('p', { class: 'form-error', id: errorId, role: 'alert', 'data-testid': 'compare-error' });
  const clearError = () => {
    error.textContent = '';
    for (const input of [fromInput, toInput]) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  };
  fromInput.addEventListener('input', clearError);
  toInput.addEventListener('input', clearError);
  const form = h(
    'form',
    { class: 'custom-range compare-range', hidden: m.compare !== 'custom', novalidate: true, 'aria-label': 'Custom comparison period', 'data-testid': 'compare-form' },
    h('label', { for: `${id}-from` }, 'From'),
    fromInput,
    h('label', { for: `${id}-to` }, 'To'),
    toInput,
    h('button', { type: 'submit', id: `${id}-apply`, 'data-testid': 'compare-apply' }, 'Compare'),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearError();
    const from = fromInput.value;
    const to = toInput.value;
    const problem = customCompareError(from, to);
    if (problem) {
      // The field to fix: an empty or unreadable end, else the start (after the end, too long).
      const bad = !from || customCompareError(from, from) ? fromInput : !to || customCompareError(to, to) ? toInput : fromInput;
      error.textContent = problem;
      bad.setAttribute('aria-invalid', 'true');
      bad.setAttribute('aria-describedby', errorId);
      bad.focus();
      return;
    }
    a.setCompare('custom', { from, to });
  });
  const select = h(
    'select',
    {
      id,
      'data-testid': 'compare-select',
      onchange: (e: Event) => {
        const v = (e.target as HTMLSelectElement).value as CompareMode;
        if (v === 'custom') {
          form.hidden = false;
          fromInput.focus();
        } else {
          form.hidden = true;
          a.setCompare(v);
        }
      },
    },
    COMPARE_MODES.map((c) => h('option', { value: c, selected: c === m.compare }, COMPARE_LABELS[c])),
  );
  return h('div', { class: 'control range-control' }, h('label', { for: id }, 'Comparison'), select, form);
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
