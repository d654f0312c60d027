import type { GeneratedRecord } from './stream-data.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The rows the aggregator would store for these requests, built without parsing anything: the
 * fixtures already know each agent's browser/OS and each referrer's source. The baseline inserts
 * exactly these, so the ratio isolates the pipeline (NATS, decode, enrichment, sessions, dedup).
 */
export function baselineRows(generated: readonly GeneratedRecord[], seq: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const g of generated) {
    const rec = g.record;
    for (const [i, e] of rec.events.entries()) {
      const path = g.paths[i] ?? '/';
      const first = i === 0;
      rows.push({
        site_id: rec.site_id,
        ts: iso(e.ts),
        event_id: e.id,
        name: e.name,
        visitor_id: e.visitor_id ?? `c_${rec.ip}`,
        session_id: e.session_id ?? `ss_${rec.ip}_${Math.floor(e.ts / 1_800_000)}`,
        user_id: '',
        url: e.url ?? '',
        hostname: 'shop.example',
        path,
        title: e.title ?? '',
        referrer: e.referrer ?? '',
        referrer_host: first ? g.referrer.host : 'shop.example',
        utm_source: first ? g.campaign.source : '',
        utm_medium: first ? g.campaign.medium : '',
        utm_campaign: first ? g.campaign.campaign : '',
        utm_term: '',
        utm_content: '',
        source: first ? g.campaign.source || g.referrer.source : '',
        medium: first ? g.campaign.medium || g.referrer.medium : 'direct',
        country: rec.country,
        browser: g.agent.browser,
        browser_version: g.agent.browserVersion,
        os: g.agent.os,
        device: g.agent.device,
        is_bot: g.agent.bot,
        screen_width: e.screen_width ?? 0,
        lang: e.lang ?? '',
        props: Object.fromEntries(Object.entries(e.props ?? {}).map(([k, v]) => [k, String(v)])),
        revenue_amount: 0,
        revenue_currency: '',
        received_at: iso(rec.received_at),
        stream_seq: seq,
      });
    }
  }
  return rows;
}
