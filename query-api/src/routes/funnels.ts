import type { CachedAnswer } from '../cache.js';
import type { Deps } from '../deps.js';
import { readJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { planFunnel, validateFunnelRequest, type FunnelPlan } from '../query/funnel-plan.js';
import { funnelSteps, runFunnel } from '../query/funnel-run.js';
import { EVENTS_TABLE } from '../query/sql.js';
import { answerCached, authenticate, siteOf, storageSettings } from './reports.js';

/** Apart from report keys (`['q', …]`), so no plan of one route can ever answer the other. */
function cacheKey(plan: FunnelPlan): string {
  return JSON.stringify(['f', plan]);
}

/**
 * `POST /v1/funnel`: the read key, rate limit, tenancy, answer cache (emptied with the reports'
 * after a replay swap), ETags and time limit of `/v1/query`, through the same helpers.
 */
export function registerFunnels(router: Router, d: Deps): void {
  // Identical funnels asked at the same moment run once.
  const inflight = new Map<string, Promise<CachedAnswer>>();

  router.add('POST', '/v1/funnel', async ({ req, res }) => {
    const caller = await authenticate(req, d);
    const body = await readJson(req, d.opts.maxBodyBytes);
    const request = validateFunnelRequest(body);
    const site = await siteOf(caller, request.site_id, d);
    const now = d.opts.now();
    const plan = planFunnel(request, site.timezone, now);
    const key = cacheKey(plan);
    await answerCached({ req, res, caller, d, headers: caller.headers }, key, inflight, () => compute(plan, key, now));
  });

  async function compute(plan: FunnelPlan, key: string, now: number): Promise<CachedAnswer> {
    const stop = d.metrics.storageQueries.startTimer({ kind: 'funnel' });
    const [counts, completeThrough] = await Promise.all([
      d.schema.get().then((schema) => runFunnel(d.opts.storage, plan, { settings: storageSettings(d), schema })),
      d.freshness.completeThrough(),
    ]);
    stop();
    const payload = {
      steps: funnelSteps(plan, counts),
      meta: {
        site_id: plan.siteId,
        scope: plan.scope,
        window_seconds: plan.windowMs === null ? null : plan.windowMs / 1000,
        timezone: plan.timezone,
        date_range: { from: new Date(plan.range.fromMs).toISOString(), to: new Date(plan.range.toMs).toISOString() },
        complete_through: completeThrough,
        source_table: EVENTS_TABLE,
      },
    };
    return d.cache.set(key, JSON.stringify(payload), plan.range.toMs, now, completeThrough === null ? undefined : Date.parse(completeThrough));
  }
}
