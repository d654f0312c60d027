/**
 * Content negotiation for `POST /v1/query` (RFC 9110 §12.5.1): JSON unless the `Accept` header
 * prefers CSV. Only these two are produced; errors are JSON whatever was asked.
 */

export type ReportFormat = 'json' | 'csv';

export const REPORT_MEDIA_TYPES: Record<ReportFormat, string> = { json: 'application/json', csv: 'text/csv' };

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

/** RFC 9110's qvalue: at most three decimals, 0 to 1. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The header's media ranges; a malformed one is skipped (neither accepted nor refused). */
export function parseAccept(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim());
    const [type, subtype, extra] = range.toLowerCase().split('/');
    if (type === undefined || subtype === undefined || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) continue;
    if (type === '*' && subtype !== '*') continue;
    let q = 1;
    let ok = true;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const v = p.slice(eq + 1).trim();
      if (!QVALUE.test(v)) ok = false;
      else q = Number(v);
    }
    if (ok) out.push({ type, subtype, q });
  }
  return out;
}

/**
 * How much the ranges want `type/subtype`: the weight of the most specific range that matches it
 * (`text/csv` over `text/*` over the wildcard of every type), and that specificity (2, 1, 0; -1 when
 * none matches).
 */
function quality(ranges: readonly MediaRange[], mediaType: string): { q: number; specificity: number } {
  const [type, subtype] = mediaType.split('/');
  let best = { q: 0, specificity: -1 };
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' ? 0 : -1;
    if (specificity < 0) continue;
    // Among equally specific ranges (a type listed twice), the higher weight.
    if (specificity > best.specificity || (specificity === best.specificity && r.q > best.q)) best = { q: r.q, specificity };
  }
  return best;
}

/**
 * The format to answer in, or null when the header accepts neither (406). No header, an empty one,
 * or only malformed ranges: JSON. CSV when it weighs more than JSON, or as much while `text/csv`
 * itself is listed: `text/csv` with the wildcard of every type, or with `application/json` at the
 * same weight, is CSV; the wildcard alone, and `text/*, application/json`, stay JSON.
 */
export function negotiateReportFormat(accept: string | undefined): ReportFormat | null {
  if (accept === undefined || accept.trim() === '') return 'json';
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return 'json';
  const json = quality(ranges, REPORT_MEDIA_TYPES.json);
  const csv = quality(ranges, REPORT_MEDIA_TYPES.csv);
  if (json.q === 0 && csv.q === 0) return null;
  if (csv.q > json.q) return 'csv';
  if (csv.q === json.q && csv.specificity === 2) return 'csv';
  return 'json';
}
