import { etagOf, type CachedAnswer } from '../cache.js';
import { reportCsv, reportFilename, type ReportRow } from '../query/csv.js';

/** An answer's CSV representation: its bytes, ETag and the headers that carry what JSON has in `meta`. */
export interface CsvAnswer {
  bytes: Buffer;
  etag: string;
  headers: Record<string, string>;
}

/** What of an answer's `meta` its CSV carries in headers and its file name: every answer that has a CSV has these. */
export interface CsvMeta {
  site_id: string;
  date_range: { from: string; to: string };
  complete_through: string | null;
  /** Paged answers only (reports). */
  has_more?: boolean;
  warnings?: string[];
}

/** Writes the CSV body of a route's JSON answer, parsed. */
export type CsvWriter<P extends { meta: CsvMeta }> = (payload: P) => string;

/** The writer of some route's answers, whichever: the route that cached an answer hands its own. */
export type AnyCsvWriter = CsvWriter<never>;

interface ReportPayload {
  results: ReportRow[];
  meta: CsvMeta & { metrics: string[]; dimensions: string[]; compare_range?: unknown };
}

/** `POST /v1/query`'s CSV: the report's rows (query/csv.ts). */
export const writeReportCsv: CsvWriter<ReportPayload> = ({ results, meta }) =>
  reportCsv({ dimensions: meta.dimensions, metrics: meta.metrics, compared: meta.compare_range !== undefined, rows: results });

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

/** The CSV of a cached JSON answer, its body written by the route's `write` (every answer of one cache key comes from one route). */
export function csvAnswer<P extends { meta: CsvMeta }>(json: CachedAnswer, write: CsvWriter<P>): CsvAnswer {
  const done = rendered.get(json);
  if (done) return done;
  const payload = JSON.parse(json.body) as P;
  const { meta } = payload;
  const headers: Record<string, string> = {
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="${reportFilename(meta.site_id, meta.date_range.from, meta.date_range.to)}"`,
  };
  // A CSV has no room for `meta`: what a reader of the file must know goes in headers.
  if (meta.has_more !== undefined) headers['x-pulse-has-more'] = String(meta.has_more);
  if (meta.complete_through !== null) headers['x-pulse-complete-through'] = meta.complete_through;
  if (meta.warnings && meta.warnings.length > 0) headers['x-pulse-warnings'] = headerSafeJson(meta.warnings);
  const answer = { bytes: Buffer.from(write(payload), 'utf8'), etag: csvEtag(json), headers };
  rendered.set(json, answer);
  return answer;
}
