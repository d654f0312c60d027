import { etagOf, type CachedAnswer } from '../cache.js';
import { reportCsv, reportFilename, type ReportRow } from '../query/csv.js';

/** A report's CSV representation: its bytes, ETag and the headers that carry what JSON has in `meta`. */
export interface CsvAnswer {
  bytes: Buffer;
  etag: string;
  headers: Record<string, string>;
}

interface ReportPayload {
  results: ReportRow[];
  meta: {
    site_id: string;
    metrics: string[];
    dimensions: string[];
    date_range: { from: string; to: string };
    compare_range?: unknown;
    has_more: boolean;
    complete_through: string | null;
    warnings?: string[];
  };
}

/**
 * Made from the cached JSON answer, once per cached answer: the cache holds one entry per query
 * whatever the representation, so an invalidation or expiry drops both, and neither can be served
 * for the other.
 */
const rendered = new WeakMap<CachedAnswer, CsvAnswer>();

/**
 * The CSV's ETag, from the JSON answer's: it changes whenever the JSON does (its `meta` too, which
 * the CSV's headers carry), never equals it, and a 304 is answered without writing the CSV.
 */
export function csvEtag(json: CachedAnswer): string {
  return etagOf(`text/csv\n${json.etag}`);
}

/**
 * Printable ASCII only: header values must be Latin-1 without controls, and a warning may quote
 * anything. Other characters become JSON's `\uXXXX` escapes, so the value is still valid JSON.
 */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function csvAnswer(json: CachedAnswer): CsvAnswer {
  const done = rendered.get(json);
  if (done) return done;
  const { results, meta } = JSON.parse(json.body) as ReportPayload;
  const text = reportCsv({ dimensions: meta.dimensions, metrics: meta.metrics, compared: meta.compare_range !== undefined, rows: results });
  const headers: Record<string, string> = {
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="${reportFilename(meta.site_id, meta.date_range.from, meta.date_range.to)}"`,
    // A CSV has no room for `meta`: what a reader of the file must know goes in headers.
    'x-pulse-has-more': String(meta.has_more),
  };
  if (meta.complete_through !== null) headers['x-pulse-complete-through'] = meta.complete_through;
  if (meta.warnings && meta.warnings.length > 0) headers['x-pulse-warnings'] = headerSafeJson(meta.warnings);
  const answer = { bytes: Buffer.from(text, 'utf8'), etag: csvEtag(json), headers };
  rendered.set(json, answer);
  return answer;
}
