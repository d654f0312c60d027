import { MAX_PROP_KEY_LENGTH, isPlainObject } from '@pulse/protocol';

/**
 * GA's own naming and size rules for Measurement Protocol requests, as Google documents them
 * (README "GA4 Measurement Protocol ingest" lists the sources). Pure: a request breaking one is
 * described, never changed.
 */

/** GA's validation codes (the validation server's `validationCode`). */
export type ValidationCode =
  | 'VALUE_INVALID'
  | 'VALUE_REQUIRED'
  | 'NAME_INVALID'
  | 'NAME_RESERVED'
  | 'VALUE_OUT_OF_BOUNDS'
  | 'EXCEEDED_MAX_ENTITIES'
  | 'NAME_DUPLICATED';

/** One entry of the validation server's answer, `{validationMessages: [...]}`. */
export interface ValidationMessage {
  fieldPath: string;
  description: string;
  validationCode: ValidationCode;
}

/** "The post body must be smaller than 130kB": read as KiB, so that nothing GA takes is refused. */
export const GA4_MAX_BODY_BYTES = 130 * 1024;
const MAX_NAME = 40;
const MAX_PARAMS = 25;
const MAX_VALUE = 100;
/** The page params GA keeps longer than other values. */
const MAX_VALUE_OF: ReadonlyMap<string, number> = new Map([
  ['page_location', 1000],
  ['page_referrer', 420],
  ['page_title', 300],
]);
const MAX_USER_PROPERTIES = 25;
const MAX_USER_PROPERTY_NAME = 24;
const MAX_USER_PROPERTY_VALUE = 36;

/**
 * Names GA's own SDKs log, which the Measurement Protocol may not send (Firebase's list). GA's
 * automatically collected web events (`page_view`, `scroll`, …) are not among them: the protocol
 * takes those, and Pulse translates `page_view`.
 */
const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_impression',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_background',
  'app_clear_data',
  'app_exception',
  'app_install',
  'app_remove',
  'app_store_refund',
  'app_store_subscription_cancel',
  'app_store_subscription_convert',
  'app_store_subscription_renew',
  'app_update',
  'app_upgrade',
  'dynamic_link_app_open',
  'dynamic_link_app_update',
  'dynamic_link_first_open',
  'error',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'os_update',
  'session_start',
  'session_start_with_rollout',
  'user_engagement',
]);
const RESERVED_USER_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  'first_open_time',
  'first_visit_time',
  'last_deep_link_referrer',
  'user_id',
  'first_open_after_install',
]);
const NO_NAMES: ReadonlySet<string> = new Set();
/** For event, param and user property names alike; a leading `_` already fails "starts with a letter". */
const RESERVED_PREFIXES = ['firebase_', 'google_', 'ga_'] as const;
/** GA takes letters of any language ("English and non-English words and letters"), digits and `_`. */
const STARTS_WITH_LETTER = /^\p{L}/u;
const NAME_CHARACTERS = /^[\p{L}\p{M}\p{N}_]*$/u;

/** Reasons of GA's rules, as `/mp/collect` lists them in `rejected`: `ga4_<code>:<field>`. */
const REASON_PREFIX = 'ga4_';

/** A broken rule: where, GA's code, its words, and Pulse's reason for refusing the event. */
export interface Ga4Violation {
  fieldPath: string;
  validationCode: ValidationCode;
  /** What GA says, following "Event at index: [i] ". */
  says: string;
  reason: string;
}

export function isGa4RuleReason(reason: string): boolean {
  return reason.startsWith(REASON_PREFIX);
}

/** The validation server's message for a broken rule of the event at `index`. */
export function violationMessage(index: number, v: Ga4Violation): ValidationMessage {
  return { fieldPath: v.fieldPath, validationCode: v.validationCode, description: `Event at index: [${index}] ${v.says} Refused (${v.reason}).` };
}

function violation(field: string, validationCode: ValidationCode, says: string): Ga4Violation {
  const fieldPath = field === 'name' ? 'events' : field.startsWith('user_properties') ? field : `events.${field}`;
  return { fieldPath, validationCode, says, reason: `${REASON_PREFIX}${validationCode.toLowerCase()}:${field}` };
}

/** Characters as GA counts them (code points); `length` first, since it is never smaller. */
function longerThan(s: string, max: number): boolean {
  if (s.length <= max) return false;
  let n = 0;
  for (const _ of s) if (++n > max) return true;
  return false;
}

/** A key as it appears in a reason: bounded, as Pulse's other reasons bound theirs. */
const shown = (key: string): string => key.slice(0, MAX_PROP_KEY_LENGTH);

function nameProblem(name: string, max: number, reserved: ReadonlySet<string>): { code: ValidationCode; why: string } | undefined {
  if (longerThan(name, max)) return { code: 'NAME_INVALID', why: `Names must be ${max} characters or fewer.` };
  if (!STARTS_WITH_LETTER.test(name)) return { code: 'NAME_INVALID', why: 'Names must start with an alphabetic character.' };
  if (!NAME_CHARACTERS.test(name)) return { code: 'NAME_INVALID', why: 'Names may only contain alpha-numeric characters and underscores.' };
  if (reserved.has(name)) return { code: 'NAME_RESERVED', why: 'The name is reserved.' };
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  return prefix ? { code: 'NAME_RESERVED', why: `Names may not start with ${prefix}.` } : undefined;
}

/** Params a value of which is set (null is no value, as everywhere in Pulse). */
const setKeys = (o: Record<string, unknown>): string[] => Object.keys(o).filter((k) => o[k] != null);

/** A param's name and text value, judged alike for an event's params and its items' (`where`: " in item [i]"). */
function judgeParam(key: string, value: unknown, kind: 'param' | 'item param', where: string, out: Ga4Violation[]): void {
  const field = kind === 'param' ? `params.${shown(key)}` : `params.items.${shown(key)}`;
  const bad = nameProblem(key, MAX_NAME, NO_NAMES);
  if (bad) out.push(violation(field, bad.code, `has invalid ${kind} name [${key}]${where}. ${bad.why}`));
  const max = kind === 'param' ? (MAX_VALUE_OF.get(key) ?? MAX_VALUE) : MAX_VALUE;
  if (typeof value === 'string' && longerThan(value, max)) {
    const whose = kind === 'param' ? 'Its values' : 'Item param values';
    out.push(violation(field, 'VALUE_OUT_OF_BOUNDS', `has ${kind} [${key}]${where} with a value over ${max} characters. ${whose} must be ${max} characters or fewer.`));
  }
}

function paramViolations(params: Record<string, unknown>, out: Ga4Violation[]): void {
  const keys = setKeys(params);
  if (keys.length > MAX_PARAMS) out.push(violation('params', 'EXCEEDED_MAX_ENTITIES', `has ${keys.length} params. Events can have a maximum of ${MAX_PARAMS} parameters.`));
  for (const key of keys) judgeParam(key, params[key], 'param', '', out);
  const items = params.items;
  if (!Array.isArray(items)) return;
  items.forEach((item, i) => {
    if (!isPlainObject(item)) return;
    for (const key of setKeys(item)) judgeParam(key, item[key], 'item param', ` in item [${i}]`, out);
  });
}

/**
 * GA's rules an event breaks by itself: its name, and its params' names, values and number
 * (`items` included). Nested params are Pulse's own extension (flattened into dotted props), so
 * only a param's own name and text are judged. A name that is no text, or empty, is validation's
 * (`missing_name`, `invalid_type:name`).
 */
export function eventViolations(ev: unknown): Ga4Violation[] {
  const out: Ga4Violation[] = [];
  if (!isPlainObject(ev)) return out;
  const name = ev.name;
  if (typeof name === 'string' && name !== '') {
    const bad = nameProblem(name, MAX_NAME, RESERVED_EVENT_NAMES);
    if (bad) out.push(violation('name', bad.code, `has invalid name [${name}]. ${bad.why}`));
  }
  if (isPlainObject(ev.params)) paramViolations(ev.params, out);
  return out;
}

/**
 * GA's rules the request's `user_properties` break: they reach every event of the request, so each
 * of them breaks the rule. A property is `{value}` or, read by Pulse as well, a bare value.
 */
export function userPropertyViolations(userProperties: unknown): Ga4Violation[] {
  const out: Ga4Violation[] = [];
  if (!isPlainObject(userProperties)) return out;
  const names = setKeys(userProperties);
  if (names.length > MAX_USER_PROPERTIES) {
    out.push(violation('user_properties', 'EXCEEDED_MAX_ENTITIES', `has ${names.length} user properties. Events can have a maximum of ${MAX_USER_PROPERTIES} user properties.`));
  }
  for (const name of names) {
    const field = `user_properties.${shown(name)}`;
    const bad = nameProblem(name, MAX_USER_PROPERTY_NAME, RESERVED_USER_PROPERTY_NAMES);
    if (bad) out.push(violation(field, bad.code, `has invalid user property name [${name}]. ${bad.why}`));
    const p = userProperties[name];
    const value = isPlainObject(p) ? p.value : p;
    if (typeof value === 'string' && longerThan(value, MAX_USER_PROPERTY_VALUE)) {
      out.push(
        violation(field, 'VALUE_OUT_OF_BOUNDS', `has user property [${name}] with a value over ${MAX_USER_PROPERTY_VALUE} characters. User property values must be ${MAX_USER_PROPERTY_VALUE} characters or fewer.`),
      );
    }
  }
  return out;
}
