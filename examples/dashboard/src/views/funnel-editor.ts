import { h, keepFocus } from '../dom.js';
import {
  MAX_FUNNEL_STEPS,
  addStep,
  blankFunnel,
  checkFunnel,
  cloneFunnel,
  moveStep,
  removeStep,
  sameFunnel,
  type FunnelDefinition,
  type FunnelProblem,
  type FunnelStepKind,
  type WindowUnit,
} from '../funnel-state.js';

export interface FunnelEditorOptions {
  /** A checked funnel to show ("Show funnel", or Enter in a field). */
  onApply(f: FunnelDefinition): void;
  /** "Clear": no funnel any more. */
  onClear(): void;
  /** Values to offer for a step of this kind, narrowed to those containing `typed`. */
  suggest(kind: FunnelStepKind, typed: string, signal: AbortSignal): Promise<string[]>;
}

const SUGGEST_DELAY_MS = 200;
const KIND_LABELS: Record<FunnelStepKind, string> = { page: 'Page', event: 'Event' };
const VALUE_NAMES: Record<FunnelStepKind, string> = { page: 'page path', event: 'event name' };
const LIST_IDS: Record<FunnelStepKind, string> = { page: 'funnel-pages', event: 'funnel-events' };

/**
 * The funnel's steps and scope, edited as a draft: nothing is asked until "Show funnel", and what
 * cannot be asked (a path without `/`, an empty step, a window over 30 days) is said next to the
 * field, which gets focus, as the filter editor does. Rebuilt from the draft on every change of its
 * shape, with fixed ids so focus stays where it was (`keepFocus`); typing only updates the draft.
 */
export class FunnelEditor {
  readonly el: HTMLFormElement;
  private draft: FunnelDefinition = blankFunnel();
  /** The funnel shown below, to say when the draft differs from it. */
  private applied: FunnelDefinition | null = null;
  private problem: FunnelProblem | null = null;
  private readonly lists: Record<FunnelStepKind, HTMLDataListElement> = {
    page: h('datalist', { id: LIST_IDS.page, 'data-testid': 'funnel-pages' }),
    event: h('datalist', { id: LIST_IDS.event, 'data-testid': 'funnel-events' }),
  };
  private suggestLoad: AbortController | null = null;
  private suggestTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: FunnelEditorOptions) {
    this.el = h('form', { class: 'funnel-form', novalidate: true, 'aria-label': 'Funnel steps', 'data-testid': 'funnel-editor' });
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = this.check();
      if (f) opts.onApply(f);
    });
    this.render();
  }

  /** Starts the draft over from `f` (a link, a saved funnel), or a blank one. */
  reset(f: FunnelDefinition | null): void {
    this.draft = f ? cloneFunnel(f) : blankFunnel();
    this.applied = f ? cloneFunnel(f) : null;
    this.problem = null;
    this.render();
  }

  /** The funnel now shown below (the draft was applied, or saved and applied). */
  setApplied(f: FunnelDefinition | null): void {
    this.applied = f ? cloneFunnel(f) : null;
    this.showEdited();
  }

  /** The draft, checked; on a problem it is said, the field marked and focused, and null returned. */
  check(): FunnelDefinition | null {
    const result = checkFunnel(this.draft);
    if (result.ok) {
      this.setProblem(null);
      return result.funnel;
    }
    this.setProblem(result.problem);
    const { field, index } = result.problem;
    const target = field === 'step' ? `#funnel-step-${index ?? 0}` : field === 'window' ? '#funnel-window' : '#funnel-add-step';
    this.el.querySelector<HTMLElement>(target)?.focus();
    return null;
  }

  stop(): void {
    this.suggestLoad?.abort();
    if (this.suggestTimer) clearTimeout(this.suggestTimer);
  }

  private setProblem(p: FunnelProblem | null): void {
    const had = this.problem;
    this.problem = p;
    if (p || had) this.render();
  }

  private render(): void {
    keepFocus(() => this.el.replaceChildren(...this.fields()));
  }

  private invalid(field: FunnelProblem['field'], index?: number): Record<string, string | null> {
    const p = this.problem;
    const on = p !== null && p.field === field && (index === undefined || p.index === index);
    return { 'aria-invalid': on ? 'true' : null, 'aria-describedby': on ? 'funnel-error' : null };
  }

  private fields(): HTMLElement[] {
    const d = this.draft;
    const last = d.steps.length - 1;
    const rows = d.steps.map((s, i) => {
      const n = i + 1;
      return h(
        'li',
        { class: 'funnel-step-row', 'data-testid': 'funnel-step-row' },
        h('label', { class: 'funnel-step-name', for: `funnel-step-${i}` }, `Step ${n}`),
        h(
          'select',
          {
            id: `funnel-step-${i}-kind`,
            'data-testid': 'funnel-step-kind',
            'aria-label': `Step ${n}: page or event`,
            onchange: (e: Event) => {
              const step = this.draft.steps[i];
              if (!step) return;
              step.kind = (e.target as HTMLSelectElement).value === 'event' ? 'event' : 'page';
              if (this.problem?.index === i) this.problem = null;
              this.render();
              this.showEdited();
            },
          },
          (['page', 'event'] as const).map((k) => h('option', { value: k, selected: k === s.kind }, KIND_LABELS[k])),
        ),
        h('input', {
          type: 'text',
          id: `funnel-step-${i}`,
          'data-testid': 'funnel-step-value',
          value: s.value,
          list: LIST_IDS[s.kind],
          autocomplete: 'off',
          spellcheck: 'false',
          'aria-label': `Step ${n}: ${VALUE_NAMES[s.kind]}`,
          placeholder: s.kind === 'page' ? '/pricing or /blog/*' : 'signup',
          ...this.invalid('step', i),
          oninput: (e: Event) => {
            const value = (e.target as HTMLInputElement).value;
            const step = this.draft.steps[i];
            if (step) step.value = value;
            if (this.problem?.field === 'step' && this.problem.index === i) this.clearProblem();
            this.showEdited();
            this.loadSuggestions(s.kind, value);
          },
          onfocus: (e: Event) => this.loadSuggestions(this.draft.steps[i]?.kind ?? 'page', (e.target as HTMLInputElement).value),
        }),
        h(
          'span',
          { class: 'funnel-step-tools' },
          // A step that cannot move that way has a blank instead, so the fields line up.
          i > 0 ? this.stepButton(i, 'up', `Move step ${n} up`, '↑', () => this.move(i, -1)) : h('span', { class: 'funnel-step-button', 'aria-hidden': 'true' }),
          i < last ? this.stepButton(i, 'down', `Move step ${n} down`, '↓', () => this.move(i, 1)) : h('span', { class: 'funnel-step-button', 'aria-hidden': 'true' }),
          this.stepButton(i, 'remove', `Remove step ${n}`, '×', () => this.remove(i)),
        ),
      );
    });
    const full = d.steps.length >= MAX_FUNNEL_STEPS;
    const steps = h(
      'fieldset',
      { class: 'funnel-steps' },
      h('legend', {}, 'Steps, in the order they must happen'),
      h('ol', { class: 'funnel-step-list' }, rows),
      full
        ? h('p', { class: 'help', id: 'funnel-full' }, `A funnel has at most ${MAX_FUNNEL_STEPS} steps.`)
        : h(
            'button',
            { type: 'button', class: 'link-button', id: 'funnel-add-step', 'data-testid': 'funnel-add-step', ...this.invalid('steps'), onclick: () => this.add() },
            '+ Add a step',
          ),
      h(
        'p',
        { class: 'help', id: 'funnel-help' },
        'A page is a path starting with /; * matches any run of characters, / included (/blog/* takes /blog/a/b, not /blog). An event is a custom event’s name, exactly.',
      ),
      this.lists.page,
      this.lists.event,
    );
    const visitor = d.scope === 'visitor';
    const scope = h(
      'fieldset',
      { class: 'funnel-scope' },
      h('legend', {}, 'Count'),
      h(
        'div',
        { class: 'funnel-scope-choices' },
        this.scopeRadio('visit', 'Visits: every step in one visit'),
        this.scopeRadio('visitor', 'Visitors: across visits, within a window'),
      ),
      visitor
        ? h(
            'div',
            { class: 'funnel-window' },
            h('label', { for: 'funnel-window' }, 'Window from step 1'),
            h('input', {
              type: 'number',
              id: 'funnel-window',
              'data-testid': 'funnel-window',
              min: 1,
              max: d.window.unit === 'hours' ? 720 : 30,
              step: 1,
              inputmode: 'numeric',
              value: String(d.window.amount),
              ...this.invalid('window'),
              oninput: (e: Event) => {
                const raw = (e.target as HTMLInputElement).value.trim();
                this.draft.window = { ...this.draft.window, amount: raw === '' ? NaN : Number(raw) };
                if (this.problem?.field === 'window') this.clearProblem();
                this.showEdited();
              },
            }),
            h(
              'select',
              {
                id: 'funnel-window-unit',
                'data-testid': 'funnel-window-unit',
                'aria-label': 'Window unit',
                onchange: (e: Event) => {
                  const unit: WindowUnit = (e.target as HTMLSelectElement).value === 'hours' ? 'hours' : 'days';
                  this.draft.window = { ...this.draft.window, unit };
                  if (this.problem?.field === 'window') this.problem = null;
                  this.render();
                  this.showEdited();
                },
              },
              (['hours', 'days'] as const).map((u) => h('option', { value: u, selected: u === d.window.unit }, u)),
            ),
          )
        : null,
    );
    return [
      steps,
      scope,
      h('p', { class: 'form-error', id: 'funnel-error', role: 'alert', 'data-testid': 'funnel-error' }, this.problem?.message ?? ''),
      h(
        'div',
        { class: 'funnel-actions' },
        h('button', { type: 'submit', class: 'primary', id: 'funnel-apply', 'data-testid': 'funnel-apply' }, 'Show funnel'),
        h('button', { type: 'button', class: 'secondary', id: 'funnel-clear', 'data-testid': 'funnel-clear', onclick: () => this.clear() }, 'Clear'),
        h('span', { class: 'help', id: 'funnel-edited', 'data-testid': 'funnel-edited', 'aria-live': 'polite' }, this.editedText()),
      ),
    ];
  }

  private stepButton(i: number, what: 'up' | 'down' | 'remove', label: string, text: string, onclick: () => void): HTMLButtonElement {
    return h('button', { type: 'button', class: 'funnel-step-button', id: `funnel-step-${i}-${what}`, 'aria-label': label, title: label, onclick }, text);
  }

  private scopeRadio(value: FunnelDefinition['scope'], text: string): HTMLElement {
    const id = `funnel-scope-${value}`;
    return h(
      'span',
      { class: 'funnel-scope-choice' },
      h('input', {
        type: 'radio',
        name: 'funnel-scope',
        id,
        value,
        'data-testid': id,
        checked: this.draft.scope === value,
        onchange: () => {
          this.draft.scope = value;
          if (this.problem?.field === 'window') this.problem = null;
          this.render();
          this.showEdited();
        },
      }),
      h('label', { for: id }, text),
    );
  }

  /** Said while the draft differs from the funnel shown, which only "Show funnel" changes. */
  private editedText(): string {
    if (!this.applied) return '';
    const checked = checkFunnel(this.draft);
    return checked.ok && sameFunnel(checked.funnel, this.applied) ? '' : 'Edited: “Show funnel” to see it.';
  }

  private showEdited(): void {
    const el = this.el.querySelector('#funnel-edited');
    if (el) el.textContent = this.editedText();
  }

  private clearProblem(): void {
    this.problem = null;
    const error = this.el.querySelector('#funnel-error');
    if (error) error.textContent = '';
    for (const el of this.el.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-describedby');
    }
  }

  private add(): void {
    this.draft = addStep(this.draft);
    if (this.problem?.field === 'steps') this.problem = null;
    this.render();
    this.showEdited();
    this.el.querySelector<HTMLElement>(`#funnel-step-${this.draft.steps.length - 1}`)?.focus();
  }

  private remove(i: number): void {
    this.draft = removeStep(this.draft, i);
    this.problem = null;
    this.render();
    this.showEdited();
    const next = Math.min(i, this.draft.steps.length - 1);
    (this.el.querySelector<HTMLElement>(`#funnel-step-${next}`) ?? this.el.querySelector<HTMLElement>('#funnel-add-step'))?.focus();
  }

  /** Focus follows the step: its same button where it landed, else its field. */
  private move(i: number, by: -1 | 1): void {
    this.draft = moveStep(this.draft, i, by);
    this.problem = null;
    this.render();
    this.showEdited();
    const to = i + by;
    (this.el.querySelector<HTMLElement>(`#funnel-step-${to}-${by < 0 ? 'up' : 'down'}`) ?? this.el.querySelector<HTMLElement>(`#funnel-step-${to}`))?.focus();
  }

  private clear(): void {
    this.reset(null);
    this.opts.onClear();
    this.el.querySelector<HTMLElement>('#funnel-step-0')?.focus();
  }

  /** Fills the kind's suggestions for `typed`, a moment after typing stops. */
  private loadSuggestions(kind: FunnelStepKind, typed: string): void {
    if (this.suggestTimer) clearTimeout(this.suggestTimer);
    this.suggestLoad?.abort();
    const load = new AbortController();
    this.suggestLoad = load;
    const list = this.lists[kind];
    list.dataset.state = 'loading';
    this.suggestTimer = setTimeout(() => {
      this.opts.suggest(kind, typed, load.signal).then(
        (values) => {
          if (load.signal.aborted) return;
          list.replaceChildren(...values.map((value) => h('option', { value })));
          list.dataset.state = 'ready';
        },
        () => {
          // Suggestions are a help: the editor still takes typed steps without them.
          if (!load.signal.aborted) list.dataset.state = 'failed';
        },
      );
    }, SUGGEST_DELAY_MS);
  }
}
