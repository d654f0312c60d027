import { isPlainObject, type BodyError } from '@pulse/protocol';
import type { TranslatedOptions } from '../compat/translated.js';
import { ga4BodyProblem, readGa4Body } from './body.js';
import { GA4_MAX_BODY_BYTES, eventViolations, isGa4RuleReason, userPropertyViolations, violationMessage, type ValidationCode, type ValidationMessage } from './rules.js';

/** A body that is not JSON, as GA's validation server reports one. */
export function unreadableBodyMessage(e: BodyError): ValidationMessage {
  return { fieldPath: '', description: `Unable to parse the body as JSON: ${e.message}`, validationCode: 'VALUE_INVALID' };
}

/** A body over GA's size limit, which `/mp/collect` refuses whole. */
export function oversizeBodyMessage(bytes: number): ValidationMessage {
  return { fieldPath: '', description: `The post body must be smaller than 130kB (${GA4_MAX_BODY_BYTES} bytes), got ${bytes} bytes.`, validationCode: 'VALUE_OUT_OF_BOUNDS' };
}

/**
 * What `/mp/collect` would refuse of a decoded body, as GA's validation server words it: one
 * message for a body that is no GA4 request, else, for each event refused for GA's rules, one per
 * rule it breaks (GA's words); for each event refused for Pulse's, one (its index and Pulse's
 * reason, as `/mp/collect` lists it in `rejected`, in the description); and one per event Pulse
 * does not store (GA's automatically collected ones, `NAME_RESERVED` as GA says of them). None:
 * `/mp/collect` would accept every event.
 */
export function validationMessages(body: unknown, o: TranslatedOptions): ValidationMessage[] {
  const problem = ga4BodyProblem(body);
  if (problem) return [{ fieldPath: problem.fieldPath, description: `${problem.message}.`, validationCode: problem.validationCode }];
  const request = body as Record<string, unknown>;
  const read = readGa4Body(body, o);
  const shared = userPropertyViolations(request.user_properties);
  const messages: Array<{ index: number; message: ValidationMessage }> = [];
  for (const r of read.rejected) {
    if (isGa4RuleReason(r.reason)) {
      for (const v of [...eventViolations(read.events[r.index]), ...shared]) messages.push({ index: r.index, message: violationMessage(r.index, v) });
    } else messages.push({ index: r.index, message: rejectionMessage(r.index, r.reason, request, read.events[r.index]) });
  }
  for (const i of read.ignored) {
    const name = String((read.events[i] as { name: unknown }).name);
    messages.push({
      index: i,
      message: {
        fieldPath: 'events.name',
        description: `Event at index: [${i}] has name [${name}], an event Pulse derives from the others: it is not stored.`,
        validationCode: 'NAME_RESERVED',
      },
    });
  }
  // Stable: by event index (a refused and an ignored event never share one), each event's in the order found.
  return messages.sort((a, b) => a.index - b.index).map((m) => m.message);
}

/** The GA4 field a refusal names, its code, and why, for a reason of the translation or of validation. */
function rejectionMessage(index: number, reason: string, request: Record<string, unknown>, event: unknown): ValidationMessage {
  const params = isPlainObject(event) && isPlainObject(event.params) ? event.params : {};
  const ownTime = isPlainObject(event) && event.timestamp_micros != null;
  const timePath = ownTime ? 'events.timestamp_micros' : 'timestamp_micros';
  const colon = reason.indexOf(':');
  const kind = colon === -1 ? reason : reason.slice(0, colon);
  const field = colon === -1 ? '' : reason.slice(colon + 1);
  const outOfBounds = kind === 'too_long';
  const say = (fieldPath: string, validationCode: ValidationCode, why: string): ValidationMessage => ({
    fieldPath,
    description: `Event at index: [${index}] is refused (${reason}): ${why}.`,
    validationCode,
  });

  switch (reason) {
    case 'not_an_object':
      return say('events', 'VALUE_INVALID', 'an event is an object {name, params}');
    case 'missing_name':
      return say('events.name', 'VALUE_REQUIRED', 'an event needs a name');
    case 'pageview_without_url':
      return say('events.params.page_location', 'VALUE_REQUIRED', 'a page_view needs page_location');
    case 'invalid_url:url':
      return say('events.params.page_location', 'VALUE_INVALID', "a page_view's page_location is an http(s) URL or a path starting with /");
    case 'too_old':
      return say(timePath, 'VALUE_OUT_OF_BOUNDS', 'the time is further back than Pulse keeps events (timestamp_micros is in microseconds)');
    case 'too_far_in_future':
      return say(timePath, 'VALUE_OUT_OF_BOUNDS', 'the time is more than 5 minutes ahead (timestamp_micros is in microseconds)');
    case 'too_many_props':
      return say('events.params', 'EXCEEDED_MAX_ENTITIES', 'at most 64 params and user properties an event, after flattening nested ones');
    case 'event_too_large':
      return say('events', 'VALUE_OUT_OF_BOUNDS', 'an event holds at most 32 KiB');
    case 'invalid_type:params':
      return say('events.params', 'VALUE_INVALID', 'params is an object');
    case 'invalid_type:user_properties':
      return say('user_properties', 'VALUE_INVALID', 'user_properties is an object');
    case 'invalid_type:timestamp_micros':
    case 'invalid_value:timestamp_micros':
      return say(timePath, 'VALUE_INVALID', 'timestamp_micros is a positive number of microseconds since the epoch');
    case 'invalid_type:revenue.amount':
      return say('events.params.value', 'VALUE_INVALID', 'value is a number');
    case 'invalid_type:revenue.currency':
      return params.currency == null
        ? say('events.params.currency', 'VALUE_REQUIRED', 'currency is required with value')
        : say('events.params.currency', 'VALUE_INVALID', 'currency is a 3-letter ISO 4217 code');
    case 'invalid_value:revenue.currency':
      return say('events.params.currency', 'VALUE_INVALID', 'currency is a 3-letter ISO 4217 code');
  }
  switch (kind) {
    case 'invalid_prop_key':
      return field.startsWith('user.')
        ? say('user_properties', 'NAME_INVALID', 'a user property name (user. and the path of nested names) holds at most 64 characters')
        : say('events.params', 'NAME_INVALID', 'a param name (the path of nested names) holds 1 to 64 characters');
    case 'invalid_prop_value':
      return field.startsWith('user.')
        ? say(`user_properties.${field.slice('user.'.length)}`, 'VALUE_OUT_OF_BOUNDS', 'a value holds at most 1024 characters')
        : say(`events.params.${field}`, 'VALUE_OUT_OF_BOUNDS', 'a value holds at most 1024 characters');
  }
  switch (field) {
    case 'name':
      return say('events.name', outOfBounds ? 'VALUE_OUT_OF_BOUNDS' : 'VALUE_INVALID', 'a name is text of at most 1024 characters');
    case 'visitor_id': {
      const path = request.client_id != null && request.client_id !== '' ? 'client_id' : request.app_instance_id != null && request.app_instance_id !== '' ? 'app_instance_id' : 'user_id';
      return say(path, outOfBounds ? 'VALUE_OUT_OF_BOUNDS' : 'VALUE_INVALID', 'an id is text (or a number) of at most 1024 characters');
    }
    case 'user_id':
      return say('user_id', outOfBounds ? 'VALUE_OUT_OF_BOUNDS' : 'VALUE_INVALID', 'an id is text (or a number) of at most 1024 characters');
    case 'session_id':
      return say('events.params.session_id', outOfBounds ? 'VALUE_OUT_OF_BOUNDS' : 'VALUE_INVALID', 'a session id is a number or text of at most 1024 characters');
  }
  return say('events', 'VALUE_INVALID', 'see the reason');
}
