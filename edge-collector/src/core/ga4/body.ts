import { BodyError, isPlainObject, type AcceptedEvent, type Rejection } from '@pulse/protocol';
import { validateTranslations, type TranslatedOptions, type Translation } from '../compat/translated.js';
import { eventViolations, userPropertyViolations, type Ga4Violation, type ValidationCode } from './rules.js';
import { GA4_DERIVED_EVENTS, ga4Scope, translateGa4Event, type Ga4Scope } from './translate.js';

/**
 * Events a GA4 request holds at most: the protocol's own limit, which every GA4 sender is written
 * against (GA drops a longer request whole). GA's other rules are `rules.ts`'s, then Pulse's limits
 * (body, event size, props, lengths) apply as to any event.
 */
export const GA4_MAX_EVENTS = 25;

/** Why a decoded body is no GA4 request at all: the collector's error, and the validation server's message. */
export interface Ga4BodyProblem {
  code: 'not_a_batch' | 'too_many_events';
  fieldPath: string;
  validationCode: ValidationCode;
  message: string;
}

export function ga4BodyProblem(body: unknown): Ga4BodyProblem | undefined {
  if (!isPlainObject(body)) {
    return { code: 'not_a_batch', fieldPath: '', validationCode: 'VALUE_INVALID', message: 'a GA4 Measurement Protocol body is a JSON object {client_id, events: [...]}' };
  }
  const events = body.events;
  if (events === undefined || events === null) return { code: 'not_a_batch', fieldPath: 'events', validationCode: 'VALUE_REQUIRED', message: 'events is required' };
  if (!Array.isArray(events)) return { code: 'not_a_batch', fieldPath: 'events', validationCode: 'VALUE_INVALID', message: 'events must be an array of events' };
  if (events.length > GA4_MAX_EVENTS) {
    return { code: 'too_many_events', fieldPath: 'events', validationCode: 'EXCEEDED_MAX_ENTITIES', message: `a request holds at most ${GA4_MAX_EVENTS} events, got ${events.length}` };
  }
  return undefined;
}

/** A GA4 body read into Pulse events; every index is the event's in the body's `events`. */
export interface Ga4Batch {
  accepted: AcceptedEvent[];
  rejected: Rejection[];
  /** Indexes of GA's automatically collected events (session_start, …), which Pulse derives itself. */
  ignored: number[];
  /** The body's events as decoded, for dead letters. */
  events: readonly unknown[];
}

/**
 * A decoded GA4 body as Pulse events: each event checked against GA's rules (one broken refuses
 * it, with the first rule's reason), translated, then all of them through `validateBatch`, the same
 * validation and limits as `POST /v1/batch`. A body that is not a GA4 request at all throws
 * BodyError. `idAt` takes the event's index in the body.
 */
export function readGa4Body(body: unknown, o: TranslatedOptions): Ga4Batch {
  const problem = ga4BodyProblem(body);
  if (problem) throw new BodyError(problem.code, problem.message);
  const request = body as Record<string, unknown> & { events: unknown[] };
  const scope = ga4Scope(request);
  const shared = userPropertyViolations(request.user_properties)[0];
  const events = request.events;
  return { ...validateTranslations(events.map((ev) => ruledTranslation(ev, scope, shared)), o), events };
}

/**
 * An event refused for a rule of GA's, else its translation. GA's automatically collected events
 * stay ignored rather than refused (their names are reserved, and Pulse derives their facts).
 */
function ruledTranslation(ev: unknown, scope: Ga4Scope, shared: Ga4Violation | undefined): Translation {
  if (!isPlainObject(ev) || (typeof ev.name === 'string' && GA4_DERIVED_EVENTS.has(ev.name))) return translateGa4Event(ev, scope);
  const broken = eventViolations(ev)[0] ?? shared;
  return broken ? { reason: broken.reason } : translateGa4Event(ev, scope);
}

/**
 * What a GA4 dead letter keeps of the request besides its refused events (client_id, user_id,
 * timestamp_micros, user_properties, …, once for all items), so that they can be sent again: not
 * `ip_override` (the stream never holds a raw IP) nor `user_data` (hashed e-mail addresses and
 * phone numbers for GA's ads matching, which Pulse has no use for).
 */
export function deadLetterRequest(body: Record<string, unknown>): Record<string, unknown> {
  const { events: _events, ip_override: _ip, user_data: _userData, ...rest } = body;
  return rest;
}
