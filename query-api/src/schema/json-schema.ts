import { BadRequestError } from '../errors.js';

/**
 * The subset of JSON Schema 2020-12 (the dialect of OpenAPI 3.1) this service validates with.
 * Request schemas are written once in this form: the validator below enforces them and the
 * OpenAPI document embeds them verbatim, so the docs cannot drift from what is accepted.
 */
export interface JsonSchema {
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';
  description?: string;
  enum?: readonly (string | number)[];
  const?: string | number | boolean;
  pattern?: string;
  format?: 'date-time';
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema | false;
  prefixItems?: readonly JsonSchema[];
  minItems?: number;
  maxItems?: number;
  /** Every item differs from the others (compared as JSON text: meant for arrays of strings or numbers). */
  uniqueItems?: boolean;
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  additionalProperties?: JsonSchema | false;
  anyOf?: readonly JsonSchema[];
  default?: unknown;
  examples?: readonly unknown[];
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const patternCache = new Map<string, RegExp>();

function re(pattern: string): RegExp {
  let r = patternCache.get(pattern);
  if (!r) {
    r = new RegExp(pattern, 'u');
    patternCache.set(pattern, r);
  }
  return r;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(t: NonNullable<JsonSchema['type']>, v: unknown): boolean {
  const actual = typeOf(v);
  if (t === 'number') return actual === 'number' || actual === 'integer';
  return actual === t;
}

function fieldPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** Throws a BadRequestError naming the first offending field (`metrics[2]`, `date_range.from`). */
export function validate(schema: JsonSchema, value: unknown, path = ''): void {
  if (schema.anyOf) {
    const errors: BadRequestError[] = [];
    for (const branch of schema.anyOf) {
      try {
        validate(branch, value, path);
        return;
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        errors.push(err);
      }
    }
    // The branch of the same JSON type explains the problem best; otherwise list what is allowed.
    const sameType = schema.anyOf.findIndex((b) => b.type !== undefined && typeMatches(b.type, value));
    const onlyOne = schema.anyOf.filter((b) => b.type !== undefined && typeMatches(b.type, value)).length === 1;
    if (sameType >= 0 && onlyOne && errors[sameType]) throw errors[sameType];
    throw new BadRequestError(path, `${show(value)} is not allowed${schema.description ? ` (${schema.description})` : ''}`);
  }
  if (schema.type && !typeMatches(schema.type, value)) {
    throw new BadRequestError(path, `must be ${/^[aeiou]/.test(schema.type) ? 'an' : 'a'} ${schema.type}`);
  }
  if (schema.const !== undefined && value !== schema.const) {
    throw new BadRequestError(path, `must be ${show(schema.const)}`);
  }
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    throw new BadRequestError(path, `${show(value)} is not one of ${schema.enum.map((e) => show(e)).join(', ')}`);
  }
  if (typeof value === 'string') checkString(schema, value, path);
  else if (typeof value === 'number') checkNumber(schema, value, path);
  else if (Array.isArray(value)) checkArray(schema, value, path);
  else if (value !== null && typeof value === 'object') checkObject(schema, value as Record<string, unknown>, path);
}

function checkString(schema: JsonSchema, value: string, path: string): void {
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    throw new BadRequestError(path, schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`);
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    throw new BadRequestError(path, `must be at most ${schema.maxLength} characters`);
  }
  if (schema.pattern !== undefined && !re(schema.pattern).test(value)) {
    throw new BadRequestError(path, `${show(value)} has an invalid format`);
  }
  if (schema.format === 'date-time' && (!ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value)))) {
    throw new BadRequestError(path, `${show(value)} is not an ISO-8601 instant with a timezone (e.g. 2026-01-01T00:00:00Z)`);
  }
}

function checkNumber(schema: JsonSchema, value: number, path: string): void {
  if (!Number.isFinite(value)) throw new BadRequestError(path, 'must be a finite number');
  if (schema.minimum !== undefined && value < schema.minimum) throw new BadRequestError(path, `must be >= ${schema.minimum}`);
  if (schema.maximum !== undefined && value > schema.maximum) throw new BadRequestError(path, `must be <= ${schema.maximum}`);
}

function checkArray(schema: JsonSchema, value: unknown[], path: string): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    throw new BadRequestError(path, `must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`);
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    throw new BadRequestError(path, `must have at most ${schema.maxItems} items`);
  }
  const prefix = schema.prefixItems ?? [];
  value.forEach((item, i) => {
    const s = i < prefix.length ? prefix[i] : schema.items;
    if (s === false) throw new BadRequestError(fieldPath(path, i), 'unexpected item');
    if (s) validate(s, item, fieldPath(path, i));
  });
  if (schema.uniqueItems) {
    const seen = new Map<string, number>();
    value.forEach((item, i) => {
      const key = JSON.stringify(item) ?? String(item);
      const first = seen.get(key);
      if (first !== undefined) throw new BadRequestError(fieldPath(path, i), `repeats ${fieldPath(path, first)}`);
      seen.set(key, i);
    });
  }
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: string): void {
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) throw new BadRequestError(fieldPath(path, key), 'is required');
  }
  const props = schema.properties ?? {};
  for (const [key, v] of Object.entries(value)) {
    const s = Object.hasOwn(props, key) ? props[key] : schema.additionalProperties;
    if (s === false) throw new BadRequestError(fieldPath(path, key), 'is not a known field');
    if (s && v !== undefined) validate(s, v, fieldPath(path, key));
  }
}
