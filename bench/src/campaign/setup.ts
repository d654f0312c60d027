import { BenchFailedError } from '../lib/errors.js';
import { sleep } from '../lib/progress.js';
import type { CampaignTenancy } from './request.js';

async function admin<T>(queryUrl: string, token: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${queryUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new BenchFailedError(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Waits until the collector's KV watch knows a new write key (401 until then). */
export async function awaitWriteKey(collectorUrl: string, writeKey: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${collectorUrl}/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' }, body: '{"events":[]}' });
    await res.text();
    if (res.status !== 401) return;
    await sleep(100);
  }
  throw new BenchFailedError('the collector never accepted a new write key');
}

/** One merchant with one site (UTC) and one read key. */
export async function createSite(queryUrl: string, token: string, name: string, domain: string): Promise<{ merchantId: string; siteId: string; writeKey: string; readKey: string }> {
  const m = await admin<{ merchant_id: string }>(queryUrl, token, '/v1/admin/merchants', { name });
  const s = await admin<{ site_id: string; write_key: string }>(queryUrl, token, '/v1/admin/sites', { merchant_id: m.merchant_id, domain, timezone: 'UTC' });
  const k = await admin<{ read_key: string }>(queryUrl, token, '/v1/admin/keys', { merchant_id: m.merchant_id });
  return { merchantId: m.merchant_id, siteId: s.site_id, writeKey: s.write_key, readKey: k.read_key };
}

/**
 * Two merchants: the counted site (valid traffic only; its read key is used only for counting) and a
 * hostile merchant whose write key and read keys the campaign abuses. Several hostile read keys
 * spread the query API's per-key rate limit, so more hostile queries reach validation.
 */
export async function createTenancy(opts: { collectorUrl: string; queryUrl: string; adminToken: string; hostileReadKeys: number }): Promise<CampaignTenancy> {
  const { queryUrl, adminToken: token } = opts;
  const vs = await createSite(queryUrl, token, 'Campaign valid', 'valid.example');
  const hs = await createSite(queryUrl, token, 'Campaign hostile', 'hostile.example');
  const readKeys: string[] = [hs.readKey];
  for (let i = 1; i < opts.hostileReadKeys; i++) readKeys.push((await admin<{ read_key: string }>(queryUrl, token, '/v1/admin/keys', { merchant_id: hs.merchantId })).read_key);
  await awaitWriteKey(opts.collectorUrl, vs.writeKey);
  await awaitWriteKey(opts.collectorUrl, hs.writeKey);
  return {
    adminToken: token,
    validSiteId: vs.siteId,
    validWriteKey: vs.writeKey,
    validReadKey: vs.readKey,
    hostileSiteId: hs.siteId,
    hostileWriteKey: hs.writeKey,
    hostileReadKeys: readKeys,
  };
}

/** `events` of the counted site through `/v1/query`; `to` moves each call so the answer cache never serves it. */
let bump = 0;
export async function countEvents(queryUrl: string, t: Pick<CampaignTenancy, 'validSiteId' | 'validReadKey'>): Promise<number> {
  const res = await fetch(`${queryUrl}/v1/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.validReadKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      site_id: t.validSiteId,
      metrics: ['events'],
      date_range: { from: new Date(Date.now() - 3 * 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000 + bump++).toISOString() },
      include_bots: true,
    }),
  });
  if (!res.ok) throw new BenchFailedError(`counting query answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { results: Array<{ metrics: number[] }> };
  return Number(body.results[0]?.metrics[0] ?? 0);
}
