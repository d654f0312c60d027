import type { ReplayRequest } from '@pulse/aggregator';
import { START_REPLAY_SCHEMA } from '../admin/schemas.js';
import type { ReplayAdmin } from '../config.js';
import type { Deps } from '../deps.js';
import { BadRequestError, HttpError, NotFoundError, ReplayFinishedError, ReplayStateUnavailableError, UnavailableError, isNatsUnavailable } from '../errors.js';
import { readJson, sendJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { validate } from '../schema/json-schema.js';
import { adminGuard } from './admin-auth.js';

/** The replay manager's failures a client can act on, by their stable `code` (see `@pulse/aggregator` errors). */
export function replayHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'replay_conflict': {
      const other = (err as { conflictingReplayId?: unknown }).conflictingReplayId;
      // The manager's message names the running replay; make sure the id is there whatever its wording.
      const text = typeof other === 'string' && !message.includes(other) ? `replay ${other} overlaps this range: ${message}` : message;
      return new HttpError(409, 'replay_conflict', text, { cause: err });
    }
    case 'replay_not_found':
      return new HttpError(404, 'replay_not_found', message, { cause: err });
    case 'invalid_range':
      return new BadRequestError('', message, 'invalid_range');
    case 'no_pipeline_state':
      return new HttpError(409, 'no_pipeline_state', message, { cause: err });
    case 'unsupported_layout':
      return new HttpError(501, 'unsupported_layout', message, { cause: err });
    // The aggregator's retryable StorageError: ClickHouse out of reach, not a fault of the request.
    case 'storage_unavailable':
      return new UnavailableError('storage is unavailable, retry shortly', { cause: err });
    default:
      // Replay state lives in NATS KV: a timeout or a dropped connection is worth a retry.
      if (isNatsUnavailable(err)) return new ReplayStateUnavailableError({ cause: err });
      return new HttpError(500, 'internal', 'replay request failed', { cause: err });
  }
}

export function registerReplays(router: Router, d: Deps): void {
  const requireAdmin = adminGuard(d.opts.adminToken);
  const manager = (): ReplayAdmin => {
    if (!d.opts.replays) throw new HttpError(503, 'replays_unavailable', 'replays are not enabled on this query API (no replay manager configured)');
    return d.opts.replays;
  };
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw replayHttpError(err);
    }
  };

  router.add('POST', '/v1/admin/replays', async ({ req, res }) => {
    requireAdmin(req);
    const replays = manager();
    const input = await readJson(req, d.opts.maxBodyBytes);
    validate(START_REPLAY_SCHEMA, input);
    const siteId = (input as { site_id?: string }).site_id;
    // A replay of a site that does not exist would swap every site's partitions for nothing.
    if (siteId !== undefined && !(await d.tenancy.getSite(siteId, { fresh: true }))) throw new NotFoundError('site');
    const { replay_id } = await run(() => replays.start(input as ReplayRequest));
    d.log.log('info', 'replay started', { replay_id, ...(input as object) });
    sendJson(res, 202, { replay_id }, { location: `/v1/admin/replays/${replay_id}` });
  });

  router.add('GET', '/v1/admin/replays/:replay_id', async ({ req, res, params }) => {
    requireAdmin(req);
    const replays = manager();
    sendJson(res, 200, await run(() => replays.get(params.replay_id ?? '')));
  });

  router.add('DELETE', '/v1/admin/replays/:replay_id', async ({ req, res, params }) => {
    requireAdmin(req);
    const replays = manager();
    // The manager asks for a cancel only while the replay runs, and answers the status it saw either way.
    const status = await run(() => replays.cancel(params.replay_id ?? ''));
    if (status.state !== 'running') throw new ReplayFinishedError(status.replay_id, status.error ? `${status.state}: ${status.error.code}` : status.state);
    d.log.log('info', 'replay cancel requested', { replay_id: status.replay_id, state: status.state });
    sendJson(res, 200, status);
  });
}
