import { MAX_SCREEN_WIDTH, MAX_STRING_LENGTH } from '@pulse/protocol';

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * An ambient string (a url, title or locale the sender's library collected on its own), cut to the
 * string limit as our SDKs cut them: what a library adds by itself never refuses an event. Not a
 * string, or empty: none.
 */
export function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v.slice(0, MAX_STRING_LENGTH) : undefined;
}

/**
 * An id (visitor, user, session): senders send numbers too (GA4's session ids are numbers), which
 * become their decimal text; '' and null are no id. Other types pass on, for validation to name
 * (`invalid_type:<field>`).
 */
export function idOf(v: unknown): unknown {
  if (v === null || v === undefined || v === '') return undefined;
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
}

/** A money amount: a number, or the decimal text some clients send; anything else passes on for validation to refuse. */
export function amountOf(v: unknown): unknown {
  return typeof v === 'string' && DECIMAL.test(v) ? Number(v) : v;
}

/**
 * A revenue as validation judges it: the amount read by `amountOf`, the currency upper-cased when
 * it is a string (senders write "eur"); a missing or wrong currency passes on to be refused
 * (`invalid_type:revenue.currency`), not guessed.
 */
export function revenueOf(amount: unknown, currency: unknown): { amount: unknown; currency: unknown } {
  return { amount: amountOf(amount), currency: typeof currency === 'string' ? currency.toUpperCase() : currency };
}

/** A screen width Pulse can store (an integer from 0 to 100000); anything else is left out, never refused. */
export function screenWidthOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SCREEN_WIDTH ? v : undefined;
}
