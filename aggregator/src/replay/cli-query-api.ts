import { AggregatorError, QueryApiUnreachableError, ReplayConflictError } from '../errors.js';
import { follow } from './cli-follow.js';
import { queryApiUnreachable, reason, tokenHint, type QueryApiTarget } from './cli-target.js';
import type { ReplayStatus } from './types.js';

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
  const body = (await res.json().catch(() => ({}))) as { replay_id?: string; error?: { code?: string; message?: string } };
  if (!res.ok || typeof body.replay_id !== 'string') {
    const code = body.error?.code ?? `http_${res.status}`;
    const where = `POST ${url}/v1/admin/replays answered ${res.status}${res.status === 401 || res.status === 403 ? `; ${tokenHint(target)}` : ''}`;
    const message = body.error?.message ? `${body.error.message} (${where})` : where;
    throw res.status === 409 ? new ReplayConflictError('', message) : new AggregatorError(code, message);
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
