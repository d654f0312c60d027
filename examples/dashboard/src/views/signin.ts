import { h } from '../dom.js';
import { readKeyError } from '../session.js';

export interface SignInOptions {
  /** Resolves when the key works; rejects with a message to show otherwise. */
  onSubmit(key: string): Promise<void>;
  /** Shown on arrival, e.g. after a key was revoked mid-session. */
  notice?: string | null;
}

export function signInView(opts: SignInOptions): HTMLElement {
  const error = h('p', { class: 'form-error', id: 'signin-error', role: 'alert', 'data-testid': 'signin-error' });
  if (opts.notice) error.textContent = opts.notice;
  const input = h('input', {
    id: 'read-key',
    name: 'read_key',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'rk_…',
    'aria-describedby': 'read-key-help signin-error',
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin card', 'aria-labelledby': 'signin-title', novalidate: true },
    h('h1', { id: 'signin-title' }, 'Pulse analytics'),
    h('label', { for: 'read-key' }, 'Read key'),
    input,
    h('p', { id: 'read-key-help', class: 'help' }, 'Ask your Pulse admin for a read key. It is kept in this browser tab only.'),
    error,
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const key = input.value.trim();
    const problem = readKeyError(key);
    if (problem) {
      error.textContent = problem;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    error.textContent = '';
    opts.onSubmit(key).then(
      () => undefined,
      (err: unknown) => {
        error.textContent = err instanceof Error ? err.message : String(err);
        input.setAttribute('aria-invalid', 'true');
        button.disabled = false;
        button.textContent = 'Sign in';
        input.focus();
      },
    );
  });
  queueMicrotask(() => input.focus());
  return h('main', { class: 'signin-page', id: 'main', tabindex: '-1' }, form);
}
