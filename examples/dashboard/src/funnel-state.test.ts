import { describe, expect, it } from 'vitest';
import {
  addStep,
  blankFunnel,
  checkFunnel,
  decodeFunnel,
  decodeStep,
  decodeWindow,
  funnelBody,
  funnelParams,
  moveStep,
  removeStep,
  sameFunnel,
  withFunnel,
  type FunnelDefinition,
} from './funnel-state.js';
import type { QueryContext } from './query.js';
import { decodeState, encodeState } from './state.js';

const SIGNUP: FunnelDefinition = {
  steps: [
    { kind: 'page', value: '/' },
    { kind: 'page', value: '/blog/*' },
    { kind: 'event', value: 'signup' },
  ],
  scope: 'visit',
  window: { amount: 1, unit: 'days' },
};

describe('funnels in the link', () => {
  it('round-trip steps, scope and window, with defaults left out', () => {
    const qs = withFunnel('', SIGNUP);
    expect(new URLSearchParams(qs).getAll('funnel')).toEqual(['page:/', 'page:/blog/*', 'event:signup']);
    expect([...new URLSearchParams(qs).keys()]).toEqual(['funnel', 'funnel', 'funnel']);
    expect(decodeFunnel(qs)).toEqual(SIGNUP);
    expect(decodeFunnel(`?${qs}`)).toEqual(SIGNUP);

    const byVisitor: FunnelDefinition = { ...SIGNUP, scope: 'visitor', window: { amount: 12, unit: 'hours' } };
    expect(funnelParams(byVisitor).slice(3)).toEqual([
      ['funnel_scope', 'visitor'],
      ['funnel_window', '12h'],
    ]);
    expect(decodeFunnel(withFunnel('', byVisitor))).toEqual(byVisitor);
    // A day is the default window: not in the link.
    expect(withFunnel('', { ...byVisitor, window: { amount: 1, unit: 'days' } })).not.toContain('funnel_window');
    // The window of a visit funnel is no part of the funnel: not in the link either.
    expect(withFunnel('', { ...SIGNUP, window: { amount: 7, unit: 'days' } })).not.toContain('funnel_window');
  });

  it('keep any character of a path or event name, colons and pipes included', () => {
    const odd: FunnelDefinition = {
      ...SIGNUP,
      steps: [
        { kind: 'page', value: '/a:b|c&d=e?f#g' },
        { kind: 'event', value: 'Sign up: pro|annual' },
      ],
    };
    expect(decodeFunnel(withFunnel('', odd))).toEqual(odd);
    expect(decodeStep('event:a:b')).toEqual({ kind: 'event', value: 'a:b' });
    expect(decodeStep('goal:signup')).toBeNull();
    expect(decodeStep('/pricing')).toBeNull();
  });

  it('sit after the rest of the dashboard\'s state, which still decodes as before', () => {
    const state = { ...decodeState(''), site: 's_abcdefghij012345', filters: [['is', 'country', ['DE']]] as ['is', 'country', string[]][] };
    const qs = withFunnel(encodeState(state), SIGNUP);
    expect(qs).toBe(`site=s_abcdefghij012345&f=country%7Cis%7CDE&funnel=page%3A%2F&funnel=page%3A%2Fblog%2F*&funnel=event%3Asignup`);
    expect(decodeState(qs)).toEqual(state);
    expect(decodeFunnel(qs)).toEqual(SIGNUP);
    // Replaced, not appended twice; and gone with no funnel.
    expect(withFunnel(withFunnel(qs, SIGNUP), SIGNUP)).toBe(qs);
    expect(withFunnel(qs, null)).toBe(encodeState(state));
    expect(withFunnel('', null)).toBe('');
  });

  it('drop a funnel with a step that cannot be asked, and fall back to defaults for a bad scope or window', () => {
    expect(decodeFunnel('')).toBeNull();
    expect(decodeFunnel('funnel=page:/')).toBeNull(); // one step
    expect(decodeFunnel('funnel=page:/&funnel=page:pricing')).toBeNull(); // no leading /
    expect(decodeFunnel('funnel=page:/&funnel=event:')).toBeNull();
    expect(decodeFunnel('funnel=page:/&funnel=signup')).toBeNull();
    expect(decodeFunnel(Array.from({ length: 9 }, (_, i) => `funnel=page:/${i}`).join('&'))).toBeNull();
    expect(decodeFunnel(Array.from({ length: 8 }, (_, i) => `funnel=page:/${i}`).join('&'))?.steps).toHaveLength(8);
    const scopeless = decodeFunnel('funnel=page:/&funnel=event:buy&funnel_scope=everyone&funnel_window=7d');
    expect(scopeless).toEqual({ steps: [{ kind: 'page', value: '/' }, { kind: 'event', value: 'buy' }], scope: 'visit', window: { amount: 7, unit: 'days' } });
    expect(decodeFunnel('funnel=page:/&funnel=event:buy&funnel_scope=visitor&funnel_window=31d')?.window).toEqual({ amount: 1, unit: 'days' });
    expect(decodeFunnel('funnel=page:/&funnel=event:buy&funnel_scope=visitor&funnel_window=720h')?.window).toEqual({ amount: 720, unit: 'hours' });
    // Spaces around a value are trimmed, as the editor trims them.
    expect(decodeFunnel('funnel=page:%20/a%20&funnel=event:buy%20')?.steps).toEqual([
      { kind: 'page', value: '/a' },
      { kind: 'event', value: 'buy' },
    ]);
  });

  it('read windows of whole hours or days up to 30 days', () => {
    expect(decodeWindow('30d')).toEqual({ amount: 30, unit: 'days' });
    expect(decodeWindow('720h')).toEqual({ amount: 720, unit: 'hours' });
    for (const bad of ['0d', '721h', '31d', '1.5d', 'd', '7', '-1d', '07d', '1w']) expect(decodeWindow(bad), bad).toBeNull();
  });
});

describe('checking a funnel before asking', () => {
  const steps = (...values: [string, string][]) => ({ ...SIGNUP, steps: values.map(([kind, value]) => ({ kind: kind as 'page' | 'event', value })) });

  it('takes 2 to 8 steps, pages starting with / and non-empty event names, trimmed', () => {
    expect(checkFunnel(steps(['page', ' /pricing '], ['event', ' signup']))).toEqual({ ok: true, funnel: steps(['page', '/pricing'], ['event', 'signup']) });
    expect(checkFunnel(steps(['page', '/']))).toEqual({ ok: false, problem: { field: 'steps', message: 'A funnel needs at least 2 steps.' } });
    expect(checkFunnel(steps(...Array.from({ length: 9 }, (): [string, string] => ['page', '/'])))).toEqual({
      ok: false,
      problem: { field: 'steps', message: 'A funnel has at most 8 steps.' },
    });
  });

  it('names the first step to fix and what is wrong with it', () => {
    expect(checkFunnel(steps(['page', '/'], ['page', 'pricing'], ['event', '']))).toEqual({
      ok: false,
      problem: { field: 'step', index: 1, message: 'Step 2: a page path starts with / (e.g. /pricing).' },
    });
    expect(checkFunnel(steps(['page', '/'], ['page', '  ']))).toMatchObject({ problem: { index: 1, message: 'Step 2: enter a page path, e.g. /pricing.' } });
    expect(checkFunnel(steps(['page', '/'], ['event', ' ']))).toMatchObject({ problem: { index: 1, message: 'Step 2: enter an event name, e.g. signup.' } });
    expect(checkFunnel(steps(['page', `/${'a'.repeat(1024)}`], ['event', 'x']))).toMatchObject({
      problem: { index: 0, message: 'Step 1 is too long: at most 1024 characters.' },
    });
    expect(checkFunnel(steps(['page', '/'], ['event', 'a\tb']))).toMatchObject({ problem: { index: 1, field: 'step' } });
    // An event name may be anything else, a leading / included.
    expect(checkFunnel(steps(['page', '/'], ['event', '/odd']))).toMatchObject({ ok: true });
  });

  it('checks the window only when counting visitors', () => {
    const twoSteps = steps(['page', '/'], ['event', 'buy']);
    expect(checkFunnel({ ...twoSteps, window: { amount: 0, unit: 'days' } })).toEqual({ ok: true, funnel: { ...twoSteps, window: { amount: 1, unit: 'days' } } });
    for (const window of [
      { amount: 0, unit: 'days' as const },
      { amount: 31, unit: 'days' as const },
      { amount: 721, unit: 'hours' as const },
      { amount: 1.5, unit: 'hours' as const },
      { amount: Number.NaN, unit: 'hours' as const },
    ]) {
      expect(checkFunnel({ ...twoSteps, scope: 'visitor', window }), JSON.stringify(window)).toEqual({
        ok: false,
        problem: { field: 'window', message: 'The window is a whole number of hours or days, from 1 hour to 30 days.' },
      });
    }
    expect(checkFunnel({ ...twoSteps, scope: 'visitor', window: { amount: 720, unit: 'hours' } }).ok).toBe(true);
    expect(checkFunnel({ ...twoSteps, scope: 'visitor', window: { amount: 30, unit: 'days' } }).ok).toBe(true);
  });

  it('compares funnels by what they ask', () => {
    expect(sameFunnel(SIGNUP, { ...SIGNUP, window: { amount: 9, unit: 'days' } })).toBe(true);
    expect(sameFunnel({ ...SIGNUP, scope: 'visitor' }, { ...SIGNUP, scope: 'visitor', window: { amount: 24, unit: 'hours' } })).toBe(true);
    expect(sameFunnel({ ...SIGNUP, scope: 'visitor' }, { ...SIGNUP, scope: 'visitor', window: { amount: 2, unit: 'days' } })).toBe(false);
    expect(sameFunnel(SIGNUP, { ...SIGNUP, scope: 'visitor' })).toBe(false);
    expect(sameFunnel(SIGNUP, moveStep(SIGNUP, 0, 1))).toBe(false);
    expect(sameFunnel(SIGNUP, { ...SIGNUP, steps: SIGNUP.steps.map((s) => (s.kind === 'event' ? { kind: 'page', value: s.value } : s)) })).toBe(false);
  });
});

describe('the funnel request', () => {
  const ctx: QueryContext = {
    siteId: 's_abcdefghij012345',
    range: { from: Date.parse('2026-11-20T00:00:00Z'), to: Date.parse('2026-11-27T00:00:00Z') },
    compare: { from: Date.parse('2026-11-13T00:00:00Z'), to: Date.parse('2026-11-20T00:00:00Z') },
    filters: [
      ['is', 'country', ['DE']],
      ['contains', 'source', ['goo']],
    ],
    timezone: 'Europe/Berlin',
  };

  it('asks over the dashboard\'s period, filters and comparison, as the cards do', () => {
    expect(funnelBody(ctx, SIGNUP)).toEqual({
      site_id: 's_abcdefghij012345',
      date_range: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' },
      steps: [{ page: '/' }, { page: '/blog/*' }, { event: 'signup' }],
      timezone: 'Europe/Berlin',
      filters: [
        ['is', 'country', ['DE']],
        ['contains', 'source', ['goo'], { case_sensitive: false }],
      ],
      compare: { from: '2026-11-13T00:00:00.000Z', to: '2026-11-20T00:00:00.000Z' },
    });
    expect(funnelBody({ ...ctx, filters: [] }, SIGNUP)).not.toHaveProperty('filters');
    // Comparison off (or nothing of the period elapsed yet): nothing compared.
    expect(funnelBody({ ...ctx, compare: null }, SIGNUP)).not.toHaveProperty('compare');
  });

  it('asks "all" for All time, with the same timezone and without a comparison', () => {
    const all = funnelBody({ ...ctx, allTime: true }, SIGNUP);
    expect(all).toMatchObject({ site_id: 's_abcdefghij012345', date_range: 'all', timezone: 'Europe/Berlin' });
    expect(all).not.toHaveProperty('compare');
  });

  it('sends the scope and the window in seconds for visitors only', () => {
    expect(funnelBody(ctx, { ...SIGNUP, scope: 'visitor', window: { amount: 12, unit: 'hours' } })).toMatchObject({ scope: 'visitor', window_seconds: 43_200 });
    expect(funnelBody(ctx, { ...SIGNUP, scope: 'visitor', window: { amount: 30, unit: 'days' } })).toMatchObject({ window_seconds: 2_592_000 });
    const visit = funnelBody(ctx, { ...SIGNUP, window: { amount: 3, unit: 'days' } });
    expect(visit).not.toHaveProperty('scope');
    expect(visit).not.toHaveProperty('window_seconds');
  });
});

describe('editing the draft', () => {
  it('adds steps up to 8, of the kind of the last one', () => {
    let f = blankFunnel();
    expect(f.steps).toEqual([{ kind: 'page', value: '' }, { kind: 'page', value: '' }]);
    f = addStep({ ...f, steps: [...f.steps.slice(0, 1), { kind: 'event', value: 'a' }] });
    expect(f.steps.at(-1)).toEqual({ kind: 'event', value: '' });
    for (let i = 0; i < 10; i++) f = addStep(f);
    expect(f.steps).toHaveLength(8);
  });

  it('moves and removes steps without touching the others', () => {
    expect(moveStep(SIGNUP, 2, -1).steps.map((s) => s.value)).toEqual(['/', 'signup', '/blog/*']);
    expect(moveStep(SIGNUP, 0, 1).steps.map((s) => s.value)).toEqual(['/blog/*', '/', 'signup']);
    expect(moveStep(SIGNUP, 0, -1)).toBe(SIGNUP);
    expect(moveStep(SIGNUP, 2, 1)).toBe(SIGNUP);
    expect(removeStep(SIGNUP, 1).steps.map((s) => s.value)).toEqual(['/', 'signup']);
    expect(SIGNUP.steps).toHaveLength(3);
  });
});
