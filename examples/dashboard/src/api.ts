import { ApiError } from './errors.js';
import { parseFunnelResponse, type FunnelResult } from './funnel-result.js';
import type { FunnelBody } from './funnel-state.js';
import type { QueryBody } from './query.js';
import { isObject } from './is-object.js';

/** One site a read key can see (`GET /v1/sites`). */
export interface Site {
  site_id: string;
  domain: string;
  timezone: string;
  /**
   * When the site was made (ms since the epoch): where "All time" starts, as the API's
   * `date_range: "all"` does. Null when the list did not say (an older query API).
   */
  created_at: number | null;
}

export type Cell = string | number | null;

export interface QueryRow {
  dimensions: Cell[];
  metrics: (number | null)[];
  /** The same row's metrics in the comparison period, when the query asked for `compare`. */
  comparison: (number | null)[] | null;
  /**
   * The dimension values of the row the comparison came from, where the API names them: for a
   * time series, the compared bucket (the API pairs bucket i of the period with bucket i of the
   * compared span).
   */
  comparisonDimensions?: Cell[];
}

export interface QueryResult {
  rows: QueryRow[];
  /** `meta.complete_through`: numbers are final up to this instant (ms), null when the API did not say. */
  completeThrough: number | null;
  /**
   * `meta.revenue_currencies`: the currencies (ISO 4217 codes, sorted) a `revenue` answer adds up,
   * as sent and never converted. Absent when the API did not name them: no `revenue` asked, the
   * query already split or filtered by one currency, or an API whose aggregator has not made its
   * table of currencies yet.
   */
  revenueCurrencies?: string[];
}

export interface Realtime {
  /** Visitors in the last 5 minutes. */
  visitors: number;
  /** Pageviews a minute, oldest first, one entry per minute the API reported. */
  perMinute: { minute: number; pageviews: number }[];
  /** `meta.complete_through`, as on query answers. */
  completeThrough: number | null;
}

/** A report as the API wrote it for `Accept: text/csv`, ready to be saved. */
export interface CsvFile {
  blob: Blob;
  /** The server's name for it (`Content-Disposition`), or null when it gave none usable. */
  filename: string | null;
}

export interface ApiClientOptions {
  readKey: string;
  /** Same origin by default: the query API serves the dashboard. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
}

export interface ApiClient {
  sites(signal?: AbortSignal): Promise<Site[]>;
  query(body: QueryBody, signal?: AbortSignal): Promise<QueryResult>;
  /** The same query as CSV (the API's `text/csv` answer); errors as `query`'s. */
  queryCsv(body: QueryBody, signal?: AbortSignal): Promise<CsvFile>;
  realtime(siteId: string, signal?: AbortSignal): Promise<Realtime>;
  /** `POST /v1/funnel`; errors as `query`'s (a 400 carries the API's message). */
  funnel(body: FunnelBody, signal?: AbortSignal): Promise<FunnelResult>;
  /** The same funnel as CSV (one row per step); errors as `query`'s. */
  funnelCsv(body: FunnelBody, signal?: AbortSignal): Promise<CsvFile>;
}

export function createApiClient(opts: ApiClientOptions): ApiClient {
  if (!opts.readKey) throw new TypeError('createApiClient: readKey is required');
  const baseUrl = (opts.baseUrl ?? '').replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);

  async function send(path: string, init: RequestInit, accept: string): Promise<Response> {
    try {
      return await doFetch(`${baseUrl}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${opts.readKey}`, accept },
      });
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new ApiError('network', 'The query API could not be reached.', 0, null, { cause });
    }
  }

  async function call(path: string, init: RequestInit): Promise<unknown> {
    const res = await send(path, init, 'application/json');
    const text = await res.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch (cause) {
        if (res.ok) throw new ApiError('bad_response', `The query API answered ${path} with something that is not JSON.`, res.status, null, { cause });
      }
    }
    if (!res.ok) throw errorFrom(res, json);
    return json;
  }

  /** `path`'s answer as CSV (`Accept: text/csv`), ready to be saved; errors as `call`'s. */
  async function csv(path: string, body: unknown, signal: AbortSignal | undefined): Promise<CsvFile> {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: signal ?? null };
    const res = await send(path, init, 'text/csv');
    if (!res.ok) {
      // Errors are JSON whatever was asked.
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: errorFrom says the status
      }
      throw errorFrom(res, json);
    }
    if (!/^text\/csv\b/i.test(res.headers.get('content-type') ?? '')) {
      throw new ApiError('bad_response', 'The query API answered the CSV download with something that is not CSV.', res.status);
    }
    return { blob: await res.blob(), filename: filenameFromDisposition(res.headers.get('content-disposition')) };
  }

  return {
    async sites(signal) {
      return parseSites(await call('/v1/sites', { method: 'GET', signal: signal ?? null }));
    },
    async query(body, signal) {
      const json = await call('/v1/query', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: signal ?? null,
      });
      return parseQueryResponse(json);
    },
    queryCsv: (body, signal) => csv('/v1/query', body, signal),
    funnelCsv: (body, signal) => csv('/v1/funnel', body, signal),
    async realtime(siteId, signal) {
      const json = await call(`/v1/realtime?site_id=${encodeURIComponent(siteId)}`, { method: 'GET', signal: signal ?? null });
      return parseRealtime(json);
    },
    async funnel(body, signal) {
      const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: signal ?? null };
      return parseFunnelResponse(await call('/v1/funnel', init));
    },
  };
}

/**
 * The file name a `Content-Disposition` header gives (RFC 6266: `filename*` in UTF-8 over
 * `filename`), as a bare name: no directory, no control characters. Null when there is none.
 */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  let name: string | null = null;
  const extended = /(?:^|;)\s*filename\*\s*=\s*UTF-8''([^;\s]+)/i.exec(header);
  if (extended?.[1]) {
    try {
      name = decodeURIComponent(extended[1]);
    } catch {
      name = null;
    }
  }
  if (name === null) {
    const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
    name = plain ? (plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : (plain[2] ?? null)) : null;
  }
  if (name === null) return null;
  const bare = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return bare === '' || bare === '.' || bare === '..' ? null : bare;
}

function errorFrom(res: Response, json: unknown): ApiError {
  const retry = Number(res.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  const e = isObject(json) && isObject(json.error) ? json.error : null;
  const code = e && typeof e.code === 'string' ? e.code : `http_${res.status}`;
  const message = e && typeof e.message === 'string' ? e.message : `${res.status} ${res.statusText}`.trim();
  return new ApiError(code, message, res.status, retryAfter);
}


function bad(what: string): ApiError {
  return new ApiError('bad_response', `Unexpected answer from the query API: ${what}.`, 200);
}

export function parseSites(json: unknown): Site[] {
  if (!isObject(json) || !Array.isArray(json.sites)) throw bad('no "sites" list');
  return json.sites.filter(isObject).flatMap((s) =>
    typeof s.site_id === 'string'
      ? [
          {
            site_id: s.site_id,
            domain: typeof s.domain === 'string' ? s.domain : s.site_id,
            timezone: typeof s.timezone === 'string' && s.timezone ? s.timezone : 'UTC',
            created_at: typeof s.created_at === 'number' && Number.isFinite(s.created_at) ? s.created_at : null,
          },
        ]
      : [],
  );
}

const toNumber = (v: unknown): number | null => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
};

/** An instant from the API: ISO-8601 text or epoch milliseconds. */
export function parseInstant(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

function metricList(v: unknown): (number | null)[] | null {
  return Array.isArray(v) ? v.map(toNumber) : null;
}

const cell = (d: unknown): Cell => (typeof d === 'string' || typeof d === 'number' ? d : d === null ? null : String(d));

export function parseQueryResponse(json: unknown): QueryResult {
  if (!isObject(json) || !Array.isArray(json.results)) throw bad('no "results" list');
  const rows = json.results.map((r, i): QueryRow => {
    if (!isObject(r) || !Array.isArray(r.metrics)) throw bad(`results[${i}] has no metrics`);
    const dims = Array.isArray(r.dimensions) ? r.dimensions : [];
    const cmp = isObject(r.comparison) ? metricList(r.comparison.metrics) : metricList(r.comparison);
    const row: QueryRow = { dimensions: dims.map(cell), metrics: r.metrics.map(toNumber), comparison: cmp };
    if (cmp && isObject(r.comparison) && Array.isArray(r.comparison.dimensions)) row.comparisonDimensions = r.comparison.dimensions.map(cell);
    return row;
  });
  const meta = isObject(json.meta) ? json.meta : {};
  const currencies = Array.isArray(meta.revenue_currencies) ? meta.revenue_currencies.filter((c): c is string => typeof c === 'string' && c !== '') : null;
  return { rows, completeThrough: parseInstant(meta.complete_through), ...(currencies ? { revenueCurrencies: currencies } : {}) };
}

export function parseRealtime(json: unknown): Realtime {
  if (!isObject(json)) throw bad('realtime is not an object');
  const visitors = toNumber(json.visitors);
  if (visitors === null) throw bad('realtime has no "visitors" count');
  const list = Array.isArray(json.pageviews_per_minute) ? json.pageviews_per_minute : [];
  const perMinute = list
    .filter(isObject)
    .flatMap((p) => {
      const minute = parseInstant(p.minute);
      const pageviews = toNumber(p.pageviews);
      return minute !== null && pageviews !== null ? [{ minute, pageviews }] : [];
    })
    .sort((a, b) => a.minute - b.minute);
  const meta = isObject(json.meta) ? json.meta : {};
  return { visitors, perMinute, completeThrough: parseInstant(meta.complete_through) };
}
