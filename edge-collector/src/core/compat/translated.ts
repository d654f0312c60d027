import { validateBatch, type AcceptedEvent, type Rejection } from '@pulse/protocol';

/** One sent item (a Segment message, a GA4 event) as a Pulse event for validation to judge, or why there is none. */
export type Translation = { event: Record<string, unknown> } | { ignored: true } | { reason: string };

export interface ValidatedTranslations {
  accepted: AcceptedEvent[];
  /** Refused items by their index in the request, whether the translation or validation refused them. */
  rejected: Rejection[];
  /** Indexes of items that are valid but have no event in Pulse's model (Segment's identify, GA4's session_start). */
  ignored: number[];
}

export interface TranslatedOptions {
  /** Server receive time, ms epoch. */
  receivedAt: number;
  maxEventAgeMs: number;
  /** The id of an event sent without one, by its item's index in the request. */
  idAt: (index: number) => string;
}

/**
 * Translated items through `validateBatch`, the same validation and limits as `POST /v1/batch`,
 * with every index the item's in the request. The events carry their times already corrected:
 * no `sent_at` is given, so validation applies the correction at most once.
 */
export function validateTranslations(translations: readonly Translation[], o: TranslatedOptions): ValidatedTranslations {
  const events: Record<string, unknown>[] = [];
  /** The request index of each translated event. */
  const origins: number[] = [];
  const rejected: Rejection[] = [];
  const ignored: number[] = [];
  for (let i = 0; i < translations.length; i++) {
    const t = translations[i] as Translation;
    if ('event' in t) {
      events.push(t.event);
      origins.push(i);
    } else if ('reason' in t) rejected.push({ index: i, reason: t.reason });
    else ignored.push(i);
  }
  const originOf = (j: number): number => origins[j] as number;
  const validated = validateBatch({ events }, { receivedAt: o.receivedAt, maxEventAgeMs: o.maxEventAgeMs, idAt: (j) => o.idAt(originOf(j)) });
  if (validated.rejected.length > 0) {
    for (const r of validated.rejected) rejected.push({ index: originOf(r.index), reason: r.reason });
    rejected.sort((a, b) => a.index - b.index);
  }
  return { accepted: validated.accepted, rejected, ignored };
}
