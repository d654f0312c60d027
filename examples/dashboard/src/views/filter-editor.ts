import { FILTER_OP_LABELS, type Filter, type FilterDimension, type FilterOp } from '../dimensions.js';
import { h, keepFocus } from '../dom.js';
import {
  DIMENSION_GROUPS,
  applyDraft,
  choiceLabel,
  draftOf,
  opHint,
  opsFor,
  duplicateOf,
  type DimensionChoice,
  type DraftProblem,
  type FilterDraft,
} from '../filter-draft.js';
import { valueLabel } from '../labels.js';
import { noMatchText, type Suggestion } from '../suggestions.js';
import { filterText } from './filters.js';

export interface FilterEditorSession {
  filters: readonly Filter[];
  /** The index in `filters` of the filter being edited (its chip was clicked); null adds a new one. */
  editing: number | null;
  /** Gets focus back when the editor is closed without applying. */
  opener: HTMLElement | null;
  /** Values to offer for a dimension, narrowed to those containing `typed`. */
  suggest(dimension: FilterDimension, typed: string, signal: AbortSignal): Promise<Suggestion[]>;
  /** The filters with the draft applied, and the filter it became. */
  apply(filters: Filter[], filter: Filter): void;
  /** Removes the edited filter (its index in `filters`). */
  remove(index: number): void;
}

const SUGGEST_DELAY_MS = 200;

/**
 * The filter editor, as Plausible's "Filter" menu: a dimension, an operator (is, is not, contains,
 * matches) and one or more values, or a property key and its values. A modal dialog (focus stays in
 * it, Escape and the backdrop cancel), built once and filled for each opening: the URL stays the only
 * state, the editor only turns a draft into the next filters. What it cannot turn into a valid filter
 * (no value, a property without a key, an unknown country) is said next to the field, and nothing is
 * applied.
 */
export class FilterEditor {
  readonly el: HTMLDialogElement;
  private readonly form: HTMLFormElement;
  private readonly suggestions: HTMLDataListElement;
  private session: FilterEditorSession | null = null;
  private draft: FilterDraft = draftOf(null);
  private problem: DraftProblem | null = null;
  /** Said when the typed value matches no value of the period, or one only in another case with is / is not (`noMatchText`). */
  private noMatch = '';
  /** The last suggestions and the text they were asked for, so an operator change can say the above again. */
  private suggested: { dimension: FilterDimension; typed: string; list: Suggestion[] } | null = null;
  private suggestLoad: AbortController | null = null;
  private suggestTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * Whether closing hands focus back to the opener: not after applying or removing, when focus goes
   * to the chip (or where removing a chip sends it). Read by the `close` event, which comes later.
   */
  private returnFocus = true;

  constructor() {
    this.suggestions = h('datalist', { id: 'filter-suggestions', 'data-testid': 'filter-suggestions' });
    this.form = h('form', { class: 'filter-form', novalidate: true });
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.el = h(
      'dialog',
      { class: 'filter-editor', 'aria-labelledby': 'filter-editor-title', 'data-testid': 'filter-editor' },
      this.form,
      this.suggestions,
    );
    // A click on the backdrop lands on the dialog itself (the form fills it): cancel, as Escape does.
    // Only one that also began there: selecting a value's text and letting go outside is no cancel.
    let downOnBackdrop = false;
    this.el.addEventListener('pointerdown', (e) => {
      downOnBackdrop = e.target === this.el;
    });
    this.el.addEventListener('click', (e) => {
      if (e.target === this.el && downOnBackdrop) this.el.close();
    });
    this.el.addEventListener('close', () => this.closed());
  }

  open(session: FilterEditorSession): void {
    if (this.el.open) this.el.close();
    this.session = session;
    this.returnFocus = true;
    this.draft = draftOf(session.editing === null ? null : (session.filters[session.editing] ?? null));
    if (this.draft.values.length === 0 && !this.draft.none) this.draft.values = [''];
    // A link may hold an operator the editor does not offer for the dimension ("Country contains"):
    // the operator menu shows what will be applied.
    if (!opsFor(this.draft.dimension).includes(this.draft.op)) this.draft.op = 'is';
    this.problem = null;
    this.noMatch = '';
    this.suggested = null;
    this.suggestions.replaceChildren();
    this.render();
    if (this.el.isConnected) this.el.showModal();
    // Adding starts at the dimension; editing at the values, the usual change.
    const first = session.editing !== null ? this.form.querySelector<HTMLElement>('[data-testid="filter-value"]') : null;
    (first ?? this.form.querySelector<HTMLElement>('#filter-dimension'))?.focus();
    this.loadSuggestions('');
  }

  close(): void {
    if (this.el.open) this.el.close();
  }

  private closed(): void {
    // The event comes a moment after close(): the editor may have been opened again since.
    if (this.el.open) return;
    this.suggestLoad?.abort();
    if (this.suggestTimer) clearTimeout(this.suggestTimer);
    const opener = this.session?.opener;
    this.session = null;
    if (!this.returnFocus) return;
    if (opener?.isConnected) opener.focus();
    else document.getElementById('filter-add')?.focus();
  }

  private dimension(): FilterDimension | null {
    if (this.draft.dimension !== 'prop') return this.draft.dimension;
    const key = this.draft.propKey.trim();
    return key ? `prop:${key}` : null;
  }

  /** Rebuilds the form from the draft, keeping focus on the control that has it (fixed ids). */
  private render(): void {
    keepFocus(() => this.form.replaceChildren(...this.fields()));
  }

  private fields(): HTMLElement[] {
    const s = this.session;
    const d = this.draft;
    const p = this.problem;
    const invalid = (field: DraftProblem['field'], index?: number) =>
      p && p.field === field && (index === undefined || p.index === undefined || p.index === index) ? 'true' : null;
    const described = (field: DraftProblem['field'], index?: number) => (invalid(field, index) ? 'filter-error' : null);

    const dimension = h(
      'select',
      {
        id: 'filter-dimension',
        'data-testid': 'filter-dimension',
        'aria-invalid': invalid('dimension'),
        'aria-describedby': described('dimension'),
        onchange: (e: Event) => this.setDimension((e.target as HTMLSelectElement).value as DimensionChoice),
      },
      DIMENSION_GROUPS.map((g) =>
        h(
          'optgroup',
          { label: g.label },
          g.dimensions.map((c) => h('option', { value: c, selected: c === d.dimension }, choiceLabel(c))),
        ),
      ),
    );
    const propKey =
      d.dimension === 'prop'
        ? h(
            'div',
            { class: 'control' },
            h('label', { for: 'filter-prop-key' }, 'Property key'),
            h('input', {
              type: 'text',
              id: 'filter-prop-key',
              'data-testid': 'filter-prop-key',
              value: d.propKey,
              placeholder: 'e.g. plan',
              autocomplete: 'off',
              spellcheck: 'false',
              maxlength: 64,
              'aria-invalid': invalid('key'),
              'aria-describedby': described('key'),
              oninput: (e: Event) => {
                this.draft.propKey = (e.target as HTMLInputElement).value;
                this.clearProblem('key');
                this.showDuplicate();
                this.loadSuggestions('');
              },
            }),
          )
        : null;
    const op = h(
      'select',
      {
        id: 'filter-op',
        'data-testid': 'filter-op',
        onchange: (e: Event) => {
          this.draft.op = (e.target as HTMLSelectElement).value as FilterOp;
          const last = this.suggested;
          if (last && last.dimension === this.dimension()) this.noMatch = noMatchText(this.draft.op, last.dimension, last.typed, last.list);
          this.render();
        },
      },
      opsFor(d.dimension).map((o) => h('option', { value: o, selected: o === d.op }, FILTER_OP_LABELS[o])),
    );

    const withNone = d.none && (d.op === 'is' || d.op === 'is_not');
    const rows = d.values.map((v, i) =>
      h(
        'li',
        { class: 'filter-value-row' },
        h('input', {
          type: 'text',
          id: `filter-value-${i}`,
          'data-testid': 'filter-value',
          value: v,
          list: 'filter-suggestions',
          autocomplete: 'off',
          spellcheck: 'false',
          'aria-label': d.values.length > 1 || withNone ? `Value ${i + 1}` : 'Value',
          'aria-invalid': invalid('values', i),
          'aria-describedby': described('values', i) ? 'filter-error filter-op-hint' : 'filter-op-hint',
          placeholder: d.dimension === 'country' ? 'Germany or DE' : d.op === 'matches' ? '/blog/*' : '',
          oninput: (e: Event) => {
            const value = (e.target as HTMLInputElement).value;
            this.draft.values[i] = value;
            this.clearProblem('values');
            this.showDuplicate();
            this.loadSuggestions(value);
          },
          onfocus: (e: Event) => this.loadSuggestions((e.target as HTMLInputElement).value),
        }),
        d.values.length > 1 || withNone
          ? h(
              'button',
              {
                type: 'button',
                class: 'value-remove',
                id: `filter-value-${i}-remove`,
                'aria-label': `Remove value ${i + 1}${v ? ` (${v})` : ''}`,
                title: 'Remove this value',
                onclick: () => this.removeValue(i),
              },
              '×',
            )
          : null,
      ),
    );
    if (withNone) {
      // The empty value has no text to type: it reads as its breakdown row does.
      const text = valueLabel(this.dimension() ?? 'page', '');
      rows.push(
        h(
          'li',
          { class: 'filter-value-row' },
          h('span', { class: 'value-token', 'data-testid': 'filter-value-none' }, text),
          h(
            'button',
            {
              type: 'button',
              class: 'value-remove',
              id: 'filter-value-none-remove',
              'aria-label': `Remove value ${text}`,
              title: 'Remove this value',
              onclick: () => {
                this.draft.none = false;
                if (this.draft.values.length === 0) this.draft.values = [''];
                this.render();
                this.form.querySelector<HTMLElement>('[data-testid="filter-value"]')?.focus();
              },
            },
            '×',
          ),
        ),
      );
    }
    const hint = opHint(d.dimension, d.op);
    const values = h(
      'fieldset',
      { class: 'filter-values' },
      h('legend', {}, 'Values'),
      h('ul', { class: 'filter-value-list' }, rows),
      h(
        'button',
        { type: 'button', class: 'link-button', id: 'filter-add-value', 'data-testid': 'filter-add-value', onclick: () => this.addValue() },
        '+ Or another value',
      ),
      h('p', { class: 'help', id: 'filter-op-hint' }, hint),
      h('p', { class: 'help filter-no-match', id: 'filter-no-match', 'data-testid': 'filter-no-match', 'aria-live': 'polite' }, this.noMatch),
    );

    return [
      h('h2', { id: 'filter-editor-title' }, s && s.editing !== null ? 'Edit filter' : 'Add a filter'),
      h('div', { class: 'filter-row' }, h('div', { class: 'control' }, h('label', { for: 'filter-dimension' }, 'Filter by'), dimension), propKey),
      h('div', { class: 'control' }, h('label', { for: 'filter-op' }, 'Operator'), op),
      values,
      h('p', { class: 'help filter-duplicate', id: 'filter-duplicate', 'data-testid': 'filter-duplicate', 'aria-live': 'polite' }, this.duplicateText()),
      h('p', { class: 'form-error', id: 'filter-error', role: 'alert', 'data-testid': 'filter-error' }, p?.message ?? ''),
      h(
        'div',
        { class: 'dialog-actions' },
        s && s.editing !== null
          ? h(
              'button',
              { type: 'button', class: 'link-button danger', id: 'filter-remove', 'data-testid': 'filter-remove', onclick: () => this.removeEdited() },
              'Remove filter',
            )
          : null,
        h('button', { type: 'button', class: 'secondary', id: 'filter-cancel', 'data-testid': 'filter-cancel', onclick: () => this.el.close() }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary', id: 'filter-apply', 'data-testid': 'filter-apply' }, s && s.editing !== null ? 'Update filter' : 'Apply filter'),
      ),
    ];
  }

  /**
   * "“Page is /a” is already a filter.": several filters may share a dimension (the API ANDs them),
   * but the same one twice adds nothing.
   */
  private duplicateText(): string {
    const s = this.session;
    if (!s) return '';
    const same = duplicateOf(s.filters, s.editing, this.draft);
    return same ? `“${filterText(same)}” is already a filter.` : '';
  }

  private showDuplicate(): void {
    const el = this.form.querySelector('#filter-duplicate');
    if (el) el.textContent = this.duplicateText();
  }

  private setDimension(choice: DimensionChoice): void {
    this.draft.dimension = choice;
    if (!opsFor(choice).includes(this.draft.op)) this.draft.op = 'is';
    if (this.draft.values.length === 0 && !this.draft.none) this.draft.values = [''];
    this.problem = null;
    this.render();
    if (choice === 'prop') this.form.querySelector<HTMLElement>('#filter-prop-key')?.focus();
    this.loadSuggestions('');
  }

  private addValue(): void {
    this.draft.values.push('');
    this.render();
    this.form.querySelector<HTMLElement>(`#filter-value-${this.draft.values.length - 1}`)?.focus();
  }

  private removeValue(i: number): void {
    this.draft.values.splice(i, 1);
    if (this.draft.values.length === 0 && !this.draft.none) this.draft.values = [''];
    this.render();
    const rows = this.draft.values.length;
    this.form.querySelector<HTMLElement>(`#filter-value-${Math.min(i, rows - 1)}`)?.focus();
  }

  private clearProblem(field: DraftProblem['field']): void {
    if (this.problem?.field !== field) return;
    this.problem = null;
    const error = this.form.querySelector('#filter-error');
    if (error) error.textContent = '';
    for (const el of this.form.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      if (el.getAttribute('aria-describedby')?.includes('filter-error')) {
        const rest = (el.getAttribute('aria-describedby') ?? '').replace('filter-error', '').trim();
        if (rest) el.setAttribute('aria-describedby', rest);
        else el.removeAttribute('aria-describedby');
      }
    }
  }

  private submit(): void {
    const s = this.session;
    if (!s) return;
    const result = applyDraft(s.filters, s.editing, this.draft);
    if (!result.ok) {
      this.problem = result.problem;
      this.render();
      const { field, index } = result.problem;
      const target =
        field === 'key'
          ? '#filter-prop-key'
          : field === 'dimension'
            ? '#filter-dimension'
            : `#filter-value-${index ?? 0}`;
      (this.form.querySelector<HTMLElement>(target) ?? this.form.querySelector<HTMLElement>('[data-testid="filter-value"]'))?.focus();
      return;
    }
    this.returnFocus = false;
    this.el.close();
    s.apply(result.filters, result.filter);
  }

  private removeEdited(): void {
    const s = this.session;
    const index = s?.editing ?? null;
    if (!s || index === null) return;
    this.returnFocus = false;
    this.el.close();
    s.remove(index);
  }

  private showNoMatch(text: string): void {
    this.noMatch = text;
    const el = this.form.querySelector('#filter-no-match');
    if (el) el.textContent = text;
  }

  /** Fills the suggestions list for the draft's dimension and `typed`, a moment after typing stops. */
  private loadSuggestions(typed: string): void {
    const s = this.session;
    const dimension = this.dimension();
    if (this.suggestTimer) clearTimeout(this.suggestTimer);
    this.suggestLoad?.abort();
    if (!s || !dimension) {
      this.suggestions.replaceChildren();
      this.showNoMatch('');
      return;
    }
    const load = new AbortController();
    this.suggestLoad = load;
    this.suggestions.dataset.state = 'loading';
    this.suggestTimer = setTimeout(() => {
      s.suggest(dimension, typed, load.signal).then(
        (list) => {
          if (load.signal.aborted) return;
          this.suggestions.replaceChildren(
            ...list.map((x) => h('option', { value: x.value, label: x.label === x.value ? null : x.label })),
          );
          this.suggestions.dataset.state = 'ready';
          this.suggestions.dataset.dimension = dimension;
          // Contains and matches ignore case, so does this search; is / is not compare exactly. Said, not refused.
          this.suggested = { dimension, typed, list };
          this.showNoMatch(noMatchText(this.draft.op, dimension, typed, list));
        },
        () => {
          // Suggestions are a help: without them the editor still takes typed values.
          if (!load.signal.aborted) this.suggestions.dataset.state = 'failed';
        },
      );
    }, SUGGEST_DELAY_MS);
  }
}
