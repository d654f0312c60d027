import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVENT_AGE_MS } from '@pulse/protocol';
import { validateTranslations, type Translation } from './translated.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

describe('validateTranslations', () => {
  it("validates the translated events with the items' own indexes: ids, rejections in order, ignored items", () => {
    const translations: Translation[] = [
      { ignored: true },
      { event: { name: 'a', ts: NOW - 1_000 } },
      { reason: 'not_an_object' },
      { event: { name: 'pageview' } },
      { event: { name: 'b', id: 'own' } },
      { ignored: true },
      { event: { name: 'c', ts: NOW - 30 * 86_400_000 } },
    ];
    const r = validateTranslations(translations, { receivedAt: NOW, maxEventAgeMs: DEFAULT_MAX_EVENT_AGE_MS, idAt: (i) => `gen.${i}` });
    expect(r).toEqual({
      accepted: [
        { id: 'gen.1', name: 'a', ts: NOW - 1_000 },
        { id: 'own', name: 'b', ts: NOW },
      ],
      rejected: [
        { index: 2, reason: 'not_an_object' },
        { index: 3, reason: 'pageview_without_url' },
        { index: 6, reason: 'too_old' },
      ],
      ignored: [0, 5],
    });
  });

  it('answers nothing for nothing', () => {
    expect(validateTranslations([], { receivedAt: NOW, maxEventAgeMs: 1, idAt: String })).toEqual({ accepted: [], rejected: [], ignored: [] });
  });
});
