import type { ApiClient } from '../api.js';
import { h, keepFocus, replaceChildren, statusBox } from '../dom.js';
import { ApiError } from '../errors.js';
import { countUnit, funnelRows, funnelSummary, type FunnelResult } from '../funnel-result.js';
import {
  browserStorage,
  readSavedFunnels,
  savedMatching,
  withSavedFunnel,
  withoutSavedFunnel,
  writeSavedFunnels,
  type FunnelStorage,
  type SavedFunnel,
} from '../funnel-saved.js';
import { funnelBody, type FunnelDefinition, type FunnelStepKind } from '../funnel-state.js';
import type { QueryContext } from '../query.js';
import { suggestionQuery, suggestionsOf } from '../suggestions.js';
import { changeBadge } from './change-badge.js';
import { CsvDownload } from './csv-download.js';
import { FunnelEditor } from './funnel-editor.js';
import { runPanel } from './panel.js';

export interface FunnelLoad {
  client: ApiClient;
  /** With `ctx.compare`, the funnel is compared with that period as the cards are. */
  ctx: QueryContext;
  signal: AbortSignal;
  /** The compared period in words, as the cards name it ("yesterday until 09:00"); null without a comparison. */
  comparedWith: string | null;
}

export interface FunnelViewOptions {
  /** The funnel the link holds, if any. */
  initial: FunnelDefinition | null;
  /** The funnel shown changed: the link must say so. */
  onChange(history: 'push' | 'replace'): void;
  onAuthError(err: ApiError): void;
  /** Where saved funnels live; the browser's localStorage by default. */
  storage?: FunnelStorage | null;
}

/** `refused`: the API answered 400 to a funnel the editor let through; its message is shown. */
type Answer = { result: FunnelResult } | { refused: string };

/**
 * The Funnels panel, as Plausible's and PostHog's: an editor of 2 to 8 steps (pages or custom
 * events) and a scope, the saved funnels of the site, and each step's count, conversion from step
 * 1 and from the step before, and drop-off as horizontal bars. It asks `POST /v1/funnel` over the
 * dashboard's period and filters, again whenever they change (`load`) or the funnel does.
 */
export class FunnelView {
  readonly el: HTMLElement;
  private current: FunnelDefinition | null;
  private readonly editor: FunnelEditor;
  private readonly results: HTMLElement;
  private readonly savedSlot: HTMLElement;
  private readonly saveForm: HTMLFormElement;
  private readonly nameInput: HTMLInputElement;
  private readonly saveError: HTMLElement;
  private readonly note: HTMLElement;
  private readonly csv: CsvDownload;
  private readonly storage: FunnelStorage | null;
  private saved: SavedFunnel[] = [];
  private siteId: string | null = null;
  /** The saved funnel last chosen or saved: of two saved alike, the dropdown names this one. */
  private chosen: string | null = null;
  private last: FunnelLoad | null = null;
  private controller: AbortController | null = null;

  constructor(private readonly opts: FunnelViewOptions) {
    this.current = opts.initial;
    this.storage = opts.storage === undefined ? browserStorage() : opts.storage;
    this.editor = new FunnelEditor({
      onApply: (f) => this.apply(f),
      onClear: () => this.apply(null),
      suggest: (kind, typed, signal) => this.suggest(kind, typed, signal),
    });
    this.editor.reset(this.current);
    this.savedSlot = h('div', { class: 'funnel-saved' });
    this.nameInput = h('input', { type: 'text', id: 'funnel-name', 'data-testid': 'funnel-name', autocomplete: 'off', maxlength: 60, placeholder: 'e.g. Signup' });
    this.nameInput.addEventListener('input', () => this.setSaveError(null));
    this.saveError = h('p', { class: 'form-error', id: 'funnel-save-error', role: 'alert', 'data-testid': 'funnel-save-error' });
    this.note = h('p', { class: 'help funnel-note', 'aria-live': 'polite', 'data-testid': 'funnel-note' });
    this.saveForm = h(
      'form',
      { class: 'funnel-save', novalidate: true, 'aria-label': 'Save this funnel' },
      h('label', { for: 'funnel-name' }, 'Save as'),
      this.nameInput,
      h('button', { type: 'submit', class: 'secondary', id: 'funnel-save', 'data-testid': 'funnel-save' }, 'Save funnel'),
      this.saveError,
    );
    this.saveForm.addEventListener('submit', (e) => {
      e.preventDefault();
      this.save();
    });
    this.results = h('div', { class: 'funnel-results', 'data-testid': 'funnel-results' });
    // The funnel shown, over the period, filters and comparison shown, as the breakdowns' CSV is their table.
    this.csv = new CsvDownload({
      label: 'Download Funnel as CSV',
      testId: 'csv-funnel',
      request: () => (this.last && this.current ? { client: this.last.client, funnel: funnelBody(this.last.ctx, this.current) } : null),
      onAuthError: opts.onAuthError,
    });
    this.el = h(
      'section',
      { class: 'panel funnel', 'data-panel': 'funnel', 'aria-labelledby': 'funnel-title' },
      h('header', { class: 'panel-header' }, h('h2', { id: 'funnel-title' }, 'Funnel'), h('div', { class: 'panel-tools' }, this.savedSlot, this.csv.button)),
      this.csv.status,
      h('div', { class: 'funnel-layout' }, h('div', { class: 'funnel-build' }, this.editor.el, this.saveForm, this.note), this.results),
    );
    this.renderSaved();
    this.showIdle();
  }

  /** The funnel shown (and in the link); null: none. */
  get definition(): FunnelDefinition | null {
    return this.current;
  }

  /** A funnel from the link (sign-in, back/forward): the editor starts over from it. */
  show(f: FunnelDefinition | null): void {
    this.current = f;
    this.editor.reset(f);
    this.renderSaved();
  }

  /** The dashboard's period or filters (or site) changed: the funnel is asked again for them. */
  load(l: FunnelLoad): void {
    this.last = l;
    if (l.ctx.siteId !== this.siteId) {
      // Saved funnels are the site's own.
      this.siteId = l.ctx.siteId;
      this.saved = readSavedFunnels(this.storage, l.ctx.siteId);
      this.chosen = null;
      this.note.textContent = '';
      this.renderSaved();
    }
    this.run();
  }

  stop(): void {
    this.controller?.abort();
    this.editor.stop();
  }

  private apply(f: FunnelDefinition | null): void {
    this.current = f;
    this.editor.setApplied(f);
    this.renderSaved();
    this.opts.onChange('push');
    this.run();
  }

  private showIdle(): void {
    this.results.dataset.state = 'idle';
    this.results.replaceChildren(statusBox('empty', 'Add 2 to 8 steps, pages or custom events, and choose “Show funnel”.'));
  }

  private run(): void {
    this.controller?.abort();
    this.csv.clear();
    const l = this.last;
    const f = this.current;
    if (!f) {
      this.showIdle();
      return;
    }
    if (!l) return;
    const controller = new AbortController();
    this.controller = controller;
    l.signal.addEventListener('abort', () => controller.abort(), { once: true });
    const body = funnelBody(l.ctx, f);
    let refused = false;
    void runPanel<Answer>({
      body: this.results,
      signal: controller.signal,
      emptyText: f.scope === 'visitor' ? 'No visitor reached step 1 in this period.' : 'No visit reached step 1 in this period.',
      onAuthError: this.opts.onAuthError,
      retry: () => this.run(),
      task: async () => {
        try {
          return { result: await l.client.funnel(body, controller.signal) };
        } catch (err) {
          // The editor checks what it can; what the API still refuses is said in its words, and no
          // Retry would change its mind.
          if (err instanceof ApiError && err.status === 400) return { refused: err.message };
          throw err;
        }
      },
      render: (answer) => {
        if ('refused' in answer) {
          refused = true;
          this.results.append(statusBox('error', `The query API refused this funnel: ${answer.refused}`));
          return true;
        }
        return this.renderResult(answer.result, l.comparedWith);
      },
    }).then(() => {
      if (refused && !controller.signal.aborted) this.results.dataset.state = 'refused';
    });
  }

  private renderResult(r: FunnelResult, comparedWith: string | null): boolean {
    const rows = funnelRows(r, comparedWith ?? undefined);
    const summary = funnelSummary(r);
    if (summary === null) return false;
    const unit = r.scope === 'visitor' ? 'Visitors' : 'Visits';
    const list = h(
      'ol',
      { class: 'funnel-chart', 'aria-label': `${unit} at each step`, 'data-scope': r.scope },
      rows.map((row, i) => {
        const s = r.steps[i];
        return h(
          'li',
          {
            class: 'funnel-row',
            'data-testid': 'funnel-step',
            'data-count': s?.count,
            'data-conversion-rate': s?.conversionRate,
            'data-conversion-rate-step': s?.conversionRateStep,
            'data-dropoff': s?.dropoff,
            'data-previous-count': s?.previous?.count,
            'data-previous-conversion-rate': s?.previous?.conversionRate,
          },
          h(
            'div',
            { class: 'funnel-row-head' },
            h('span', { class: 'funnel-row-number', 'aria-hidden': 'true' }, String(row.step)),
            h('span', { class: 'funnel-row-label', 'data-testid': 'funnel-label' }, row.label),
            h('span', { class: 'funnel-row-count' }, h('strong', { 'data-testid': 'funnel-count' }, row.count), ` ${countUnit(s?.count ?? 0, r.scope)}`),
          ),
          h(
            'div',
            { class: 'funnel-bar', 'aria-hidden': 'true' },
            h('span', { class: 'funnel-bar-kept', style: `width:${row.barKept.toFixed(2)}%` }),
            h('span', { class: 'funnel-bar-lost', style: `width:${row.barLost.toFixed(2)}%` }),
          ),
          h(
            'p',
            { class: 'funnel-row-stats small' },
            h('span', {}, h('strong', { 'data-testid': 'funnel-conversion' }, row.conversion), ' of step 1'),
            row.fromPrevious !== null
              ? h('span', {}, h('strong', { 'data-testid': 'funnel-conversion-step' }, row.fromPrevious), ' of the step before')
              : null,
            row.dropoff !== null
              ? h(
                  'span',
                  { class: 'funnel-dropoff' },
                  h('strong', { 'data-testid': 'funnel-dropoff' }, row.dropoff),
                  ' dropped off',
                  row.dropoffRate !== null ? [' ', h('span', { 'data-testid': 'funnel-dropoff-rate' }, `(${row.dropoffRate})`)] : null,
                )
              : null,
            row.compared
              ? h(
                  'span',
                  { class: 'funnel-compared', 'data-testid': 'funnel-compared' },
                  h('span', { 'data-testid': 'funnel-compared-value' }, row.compared.text),
                  row.compared.change ? [' ', changeBadge(row.compared.change, 'funnel-change')] : null,
                )
              : null,
          ),
        );
      }),
    );
    const comparedLabel =
      comparedWith !== null && r.steps.some((s) => s.previous)
        ? h('p', { class: 'funnel-compare muted small', 'data-testid': 'funnel-compare-label' }, `Compared with ${comparedWith}`)
        : null;
    this.results.append(h('p', { class: 'funnel-summary', 'data-testid': 'funnel-summary' }, summary), ...(comparedLabel ? [comparedLabel] : []), list);
    return true;
  }

  /** The dropdown of saved funnels and its Delete, naming the saved funnel shown, if any. */
  private renderSaved(): void {
    const chosen = this.saved.find((s) => s.name === this.chosen && savedMatching([s], this.current)) ?? savedMatching(this.saved, this.current);
    const none = this.saved.length === 0;
    const select = h(
      'select',
      {
        id: 'funnel-saved',
        'data-testid': 'funnel-saved',
        disabled: none,
        onchange: (e: Event) => this.choose((e.target as HTMLSelectElement).value),
      },
      h('option', { value: '', selected: !chosen }, none ? 'None saved yet' : 'Choose a saved funnel'),
      this.saved.map((s) => h('option', { value: s.name, selected: s === chosen }, s.name)),
    );
    keepFocus(() =>
      replaceChildren(
        this.savedSlot,
        h('label', { for: 'funnel-saved' }, 'Saved funnels'),
        select,
        chosen
          ? h(
              'button',
              { type: 'button', class: 'secondary funnel-delete', id: 'funnel-delete', 'data-testid': 'funnel-delete', 'aria-label': `Delete saved funnel ${chosen.name}`, onclick: () => this.remove(chosen.name) },
              'Delete',
            )
          : null,
      ),
    );
  }

  private choose(name: string): void {
    const s = this.saved.find((x) => x.name === name);
    if (!s) return;
    this.chosen = s.name;
    this.note.textContent = '';
    this.editor.reset(s.funnel);
    this.apply(s.funnel);
  }

  private save(): void {
    this.note.textContent = '';
    const f = this.editor.check();
    if (!f) return;
    const result = withSavedFunnel(this.saved, this.nameInput.value, f);
    if (!result.ok) {
      this.setSaveError(result.message);
      this.nameInput.focus();
      return;
    }
    const refused = this.siteId === null ? 'Wait for the dashboard to load, then save.' : writeSavedFunnels(this.storage, this.siteId, result.list);
    if (refused) {
      this.setSaveError(refused);
      return;
    }
    this.saved = result.list;
    this.chosen = result.saved.name;
    this.nameInput.value = '';
    this.note.textContent = `Saved “${result.saved.name}”.`;
    this.apply(f);
  }

  private remove(name: string): void {
    if (this.siteId === null) return;
    const list = withoutSavedFunnel(this.saved, name);
    const refused = writeSavedFunnels(this.storage, this.siteId, list);
    if (refused) {
      this.note.textContent = refused;
      return;
    }
    this.saved = list;
    if (this.chosen === name) this.chosen = null;
    // The funnel stays shown: only its saved copy is gone.
    this.note.textContent = `Deleted “${name}”.`;
    this.renderSaved();
    (this.saved.length > 0 ? document.getElementById('funnel-saved') : this.nameInput)?.focus();
  }

  private setSaveError(message: string | null): void {
    this.saveError.textContent = message ?? '';
    if (message) {
      this.nameInput.setAttribute('aria-invalid', 'true');
      this.nameInput.setAttribute('aria-describedby', 'funnel-save-error');
    } else {
      this.nameInput.removeAttribute('aria-invalid');
      this.nameInput.removeAttribute('aria-describedby');
    }
  }

  /**
   * The period's top pages or custom events under the dashboard's other filters (`suggestions.ts`,
   * as the filter editor asks them). `pageview` is no custom event: its steps are pages.
   */
  private async suggest(kind: FunnelStepKind, typed: string, signal: AbortSignal): Promise<string[]> {
    const l = this.last;
    if (!l) return [];
    const dimension = kind === 'page' ? 'page' : 'event_name';
    const rows = (await l.client.query(suggestionQuery(l.ctx, dimension, typed), signal)).rows;
    return suggestionsOf(dimension, rows)
      .map((s) => s.value)
      .filter((v) => kind === 'page' || v !== 'pageview');
  }
}
