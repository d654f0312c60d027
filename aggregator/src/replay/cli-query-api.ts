import { AggregatorError, QueryApiUnreachableError, ReplayConflictError, UnknownSiteError } from '../errors.js';
import { follow } from './cli-follow.js';
import { notQueryApi, queryApiUnreachable, reason, tokenHint, type QueryApiTarget } from './cli-target.js';
import type { ReplayStatus } from './types.js';

/** How long the check of what answered at the URL may take. */
const PROBE_TIMEOUT_MS = 5_000;

type Answer = { replay_id?: unknown; error?: { code?: string; message?: string } } | null;

/** The replay CLI's way through a running query API: POST /v1/admin/replays, then poll it. */
export async function viaQueryApi(target: QueryApiTarget, req: { from: string; to: string; site?: string }): Promise<ReplayStatus> {
  const headers = { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' };
  const url = target.url.replace(/\/+$/, '');
  const res = await fetch(`${url}/v1/admin/replays`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ from: req.from, to: req.to, ...(req.site ? { site_id: req.site } : {}) }),
  }).catch((err: unknown) => {
    throw queryApiUnreachable({ ...target, url }, err);
  });
  const body = parse(await res.text().catch(() => ''));
  if (!res.ok || typeof body?.replay_id !== 'string') {
    const answered = `POST ${url}/v1/admin/replays answered ${res.status}${body?.error?.message ? ` (${body.error.code}: ${body.error.message})` : ''}`;
    // Any web server answers this path 404 (the collector included, token or not), so a 404, or an
    // answer not in the query API's error shape, is checked against what serves the URL.
    if (res.status === 404 || res.status === 405 || typeof body?.error?.code !== 'string' || res.ok) {
      const notApi = await whyNotQueryApi(url);
      if (notApi) throw notQueryApi({ ...target, url }, { evidence: `${answered}, and ${notApi}`, collectorLike: collectorLike(body) });
      if (res.status === 404 && req.site && body?.error?.code === 'not_found') {
        throw new UnknownSiteError(req.site, `there is no site ${req.site} (${answered}): check --site, or leave it out to replay every site`);
      }
    }
    const code = body?.error?.code ?? `http_${res.status}`;
    const where = `POST ${url}/v1/admin/replays answered ${res.status}${res.status === 401 || res.status === 403 ? `; ${tokenHint(target)}` : ''}`;
    const message = body?.error?.message ? `${body.error.message} (${where})` : where;
    // Only a 409 replay_conflict is "refused, an overlapping replay runs" (exit 3); no_pipeline_state is a 409 too.
    throw res.status === 409 && code === 'replay_conflict' ? new ReplayConflictError('', message) : new AggregatorError(code, message);
  }
  const id = body.replay_id;
  const followAt = `${url}/v1/admin/replays/${encodeURIComponent(id)}`;
  process.on('SIGINT', () => {
    process.stderr.write(`\nthe replay ${id} goes on in the service; follow it at ${followAt}\n`);
    process.exit(130);
  });
  return follow(async () => {
    const r = await fetch(followAt, { headers }).catch((err: unknown) => {
      throw new QueryApiUnreachableError(url, `lost the query API at ${url} while following replay ${id} (${reason(err)}); once it is back, follow it at ${followAt}`, { cause: err });
    });
    if (!r.ok) throw new AggregatorError(`http_${r.status}`, `GET ${followAt} answered ${r.status}`);
    return (await r.json()) as ReplayStatus;
  });
}

function parse(text: string): Answer {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' ? (v as Answer) : null;
  } catch {
    return null;
  }
}

/** The edge collector's answer to a path it does not serve (edge-collector `collector-core.ts`). */
function collectorLike(body: Answer): boolean {
  return body?.error?.code === 'not_found' && body.error.message === 'no such route';
}

/** Null when `url` serves Pulse's query API (its OpenAPI document lists the replay endpoint); else what says it does not. */
async function whyNotQueryApi(url: string): Promise<string | null> {
  try {
    const r = await fetch(`${url}/openapi.json`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    if (!r.ok) return `GET ${url}/openapi.json answered ${r.status}`;
    const doc = (await r.json().catch(() => null)) as { paths?: Record<string, unknown> } | null;
    return doc?.paths?.['/v1/admin/replays'] ? null : `${url}/openapi.json does not list /v1/admin/replays`;
  } catch (err) {
    return `GET ${url}/openapi.json failed (${reason(err)})`;
  }
}
