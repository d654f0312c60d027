/** A JSON object (not an array, not null): what an answer or a stored entry must be before its fields are read. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
