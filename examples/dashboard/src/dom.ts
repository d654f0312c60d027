/** A few lines of DOM building instead of a UI framework: the dashboard is small and must load fast. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === 'class') {
      el.className = String(v);
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c === null || c === undefined || c === false) continue;
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function replaceChildren(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

let idCounter = 0;
/** Unique ids for label/aria wiring. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** Moves focus among a tablist's tabs with the arrow keys, Home and End (WAI-ARIA tabs pattern). */
export function arrowKeyTabs(list: HTMLElement, onSelect: (tab: HTMLElement) => void): void {
  list.addEventListener('keydown', (e) => {
    const tabs = [...list.querySelectorAll<HTMLElement>('[role="tab"]')];
    const i = tabs.indexOf(document.activeElement as HTMLElement);
    if (i < 0) return;
    let next = -1;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = (i + 1) % tabs.length;
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = tabs.length - 1;
    if (next < 0) return;
    e.preventDefault();
    const tab = tabs[next];
    if (tab) {
      tab.focus();
      onSelect(tab);
    }
  });
}

/** Panel states share one look: a message with an optional retry. */
export function statusBox(kind: 'loading' | 'empty' | 'error', text: string, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: `status status-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-state': kind },
    kind === 'loading' ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
    h('span', {}, text),
    retry ? h('button', { type: 'button', class: 'link-button', onclick: () => retry() }, 'Retry') : null,
  );
}

/**
 * Runs `rerender`, then puts focus back on the element that has the focused element's id, when the
 * re-render replaced it: otherwise focus falls to <body> and a keyboard user starts over from the
 * top (the toolbar controls are rebuilt on every change, e.g. while arrowing through a select).
 */
export function keepFocus(rerender: () => void): void {
  const before = document.activeElement;
  const id = before instanceof HTMLElement && before !== document.body ? before.id : '';
  rerender();
  if (!id || (before?.isConnected && document.activeElement === before)) return;
  document.getElementById(id)?.focus();
}
