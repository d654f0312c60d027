import type { CachedAnswer } from '../cache.js';
import type { Deps } from '../deps.js';
import { readJson } from '../http/respond.js';
import type { Router } from '../http/router.js';
import { planFunnel, validateFunnelRequest, type FunnelPlan } from '../query/funnel-plan.js';
import { funnelCsv } from '../query/funnel-csv.js';
import { funnelSteps, runFunnel } from '../query/funnel-run.js';
import type { Range } from '../query/date-range.js';
import { EVENTS_TABLE } from '../query/sql.js';
import { answerCached, authenticate, negotiateFormat, siteOf, storageSettings } from './reports.js';

/** Apart from report keys (`['q', …]`), so no plan of one route can ever answer the other. */
function cacheKey(plan: FunnelPlan): string {
  return JSON.stringify(['f', plan]);
}

/**
 * `POST /v1/funnel`: the read key, rate limit, tenancy, answer cache (emptied with the reports'
 * after a replay swap), ETags, time limit and CSV negotiation of `/v1/query`, through the same helpers.
 */
export function registerFunnels(router: Router, d: Deps): void {
  // Identical funnels asked at the same moment run once.
  const inflight = new Map<string, Promise<CachedAnswer>>();

  router.add('POST', '/v1/funnel', async ({ req, res }) => {
    const caller = await authenticate(req, d);
    const { format, headers } = negotiateFormat(req, caller);
    const body = await readJson(req, d.opts.maxBodyBytes);
    const request = validateFunnelRequest(body);
    const site = await siteOf(caller, request.site_id, d);
    const now = d.opts.now();
    const plan = planFunnel(request, site, now);
    // One entry per funnel, not per format: the CSV is made from the cached JSON answer.
    const key = cacheKey(plan);
    await answerCached({ req, res, caller, d, headers, format, writeCsv: funnelCsv }, key, inflight, () => compute(plan, key, now));
  });

  async function compute(plan: FunnelPlan, key: string, now: number): Promise<CachedAnswer> {
    const stop = d.metrics.storageQueries.startTimer({ kind: 'funnel' });
    const { compare } = plan;
    const [[counts, compared], completeThrough] = await Promise.all([
      d.schema.get().then((schema) => {
        const opts = { settings: storageSettings(d), schema };
        // One statement per range, both at once: the compared one is the same funnel over another span.
        return Promise.all([runFunnel(d.opts.storage, plan, opts), compare && runFunnel(d.opts.storage, plan, opts, compare)]);
      }),
      d.freshness.completeThrough(),
    ]);
    stop();
    const iso = (r: Range) => ({ from: new Date(r.fromMs).toISOString(), to: new Date(r.toMs).toISOString() });
    const payload = {
      steps: funnelSteps(plan, counts, compared),
      meta: {
        site_id: plan.siteId,
        scope: plan.scope,
        window_seconds: plan.windowMs === null ? null : plan.windowMs / 1000,
        timezone: plan.timezone,
        date_range: iso(plan.range),
        ...(compare ? { compare_range: iso(compare) } : {}),
        complete_through: completeThrough,
        source_table: EVENTS_TABLE,
      },
    };
    // Cached as long as the later of the two ranges allows (a compared range may be the recent one).
    return d.cache.set(key, JSON.stringify(payload), Math.max(plan.range.toMs, compare?.toMs ?? 0), now, completeThrough === null ? undefined : Date.parse(completeThrough));
  }
}
