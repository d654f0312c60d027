import { MAX_PROP_KEY_LENGTH, MAX_PROPS, MAX_STRING_LENGTH, isPlainObject } from '@pulse/protocol';

export type Flattened = { props: Record<string, unknown> } | { reason: string };

/** Sets a key as an own, enumerable property: "__proto__" must not reach the prototype. */
export function setProp(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A sender's free-form properties (Segment's `properties`, GA4's `params` and `user_properties`) as
 * Pulse props (string | number | boolean):
 * - a nested object is flattened into dotted keys (`{order: {id: 7}}` → `order.id: 7`), at any depth;
 * - an array becomes its JSON text (`[1,2]` → `"[1,2]"`), nulls inside included; a text over the
 *   string limit (1024 characters) is left out alone: an order's `products` list is often longer,
 *   and refusing the event for it would lose the order and its revenue (cut, the text is no JSON);
 * - a null (at any depth) is dropped, as validation drops a null prop; an empty object leaves nothing;
 * - when two paths give one key (`"a.b"` next to `{a: {b}}`), the later in the object wins.
 * Keys in `omit` (top level only) are fields the translation took elsewhere (a page's url, revenue).
 *
 * The limits are validation's, with its reasons: a key (the dotted path) over 64 characters is
 * `invalid_prop_key:<key>`, more than 64 keys `too_many_props`; checking them here also bounds the
 * walk over hostile nesting (a path grows a character a level). Other values are judged by
 * `validateEvent` afterwards (a string over 1024 characters refuses the event, as for Pulse's own).
 */
export function flattenProperties(properties: Record<string, unknown>, omit?: ReadonlySet<string>): Flattened {
  const out: Record<string, unknown> = {};
  let count = 0;
  const walk = (obj: Record<string, unknown>, prefix: string | undefined): string | undefined => {
    for (const k of Object.keys(obj)) {
      if (prefix === undefined && omit?.has(k)) continue;
      const v = obj[k];
      if (v === null || v === undefined) continue;
      const key = prefix === undefined ? k : `${prefix}.${k}`;
      if (key.length === 0 || key.length > MAX_PROP_KEY_LENGTH) return `invalid_prop_key:${key.slice(0, MAX_PROP_KEY_LENGTH)}`;
      if (isPlainObject(v)) {
        const r = walk(v, key);
        if (r) return r;
        continue;
      }
      let value: unknown = v;
      if (Array.isArray(v)) {
        try {
          value = JSON.stringify(v);
        } catch {
          // Nesting too deep for the stack: no text to keep.
          return `invalid_prop_value:${key}`;
        }
        if ((value as string).length > MAX_STRING_LENGTH) continue;
      }
      if (!Object.prototype.hasOwnProperty.call(out, key) && ++count > MAX_PROPS) return 'too_many_props';
      setProp(out, key, value);
    }
    return undefined;
  };
  const reason = walk(properties, undefined);
  return reason === undefined ? { props: out } : { reason };
}
