import { AGENTS, CAMPAIGNS, COUNTRIES, REFERRERS, SITE_HOST } from '../fixtures/web.js';

/** A synthetic site's history, written straight into `events` (the rollups fill through their views). */
export interface SiteData {
  siteId: string;
  /** Total events of the site; a chunk writes rows [start, start + count). */
  total: number;
  fromMs: number;
  days: number;
  pages: number;
  visitors: number;
}

const lit = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const arr = (xs: readonly string[]): string => `[${xs.map(lit).join(', ')}]`;

/** Cumulative weights as fractions: `arrayFirstIndex(c -> c > u, cum)` is then a weighted pick. */
function cumulative(weights: readonly number[]): string {
  const total = weights.reduce((s, w) => s + w, 0);
  let acc = 0;
  const cum = weights.map((w, i) => (i === weights.length - 1 ? 1.000001 : (acc += w) / total));
  return `[${cum.map((c) => c.toFixed(6)).join(', ')}]`;
}

/** Most visits open at once (see insertChunkSql). */
const MAX_VISIT_SLOTS = 64;
/** Time between two events of a visit, at most (when the site has events that often). */
const VISIT_GAP_MS = 60_000;
/**
 * The lengths of a slot's visits, repeated: 2.4 events on average, 3 visits in 8 a single event
 * (nearly all of them bounces). Event k of a cycle belongs to its visit VISIT_OF_EVENT[k].
 */
const VISIT_CYCLE = [1, 1, 1, 2, 2, 3, 4, 5] as const;
const VISIT_OF_EVENT = VISIT_CYCLE.flatMap((len, v) => Array.from({ length: len }, () => v));

/** u_k: a uniform [0, 1) per row and stream k, reproducible run to run. */
const u = (k: number, of = 'number'): string => `(cityHash64(${of}, ${k}) % 1000000) / 1000000`;

function weighted(values: readonly string[], weights: readonly number[], uniform: string): string {
  return `arrayElement(${arr(values)}, arrayFirstIndex(c -> c > ${uniform}, ${cumulative(weights)}))`;
}

/**
 * `INSERT … SELECT … FROM numbers(start, count)`: events spread evenly over `days` days, 70%
 * pageviews, pages skewed (a few hubs, a long tail of products), visits of 1 to 5 events (2.4 on
 * average, 3 in 8 a single event) by visitors who come back for several visits, real
 * agents/referrers/countries/UTM shares from the fixtures, ~3% bots.
 */
export function insertChunkSql(d: SiteData, start: number, count: number): string {
  const spanMs = d.days * 86_400_000;
  // Event n belongs to one of `slots` visits open at a time (slot n % slots); each slot runs
  // visits of the VISIT_CYCLE lengths back to back, so a visit's events are `slots` events apart
  // in time (at most VISIT_GAP_MS on a site with an event a minute or more) and its visitor comes
  // back in other slots and visits.
  const slots = Math.max(1, Math.min(MAX_VISIT_SLOTS, Math.floor(VISIT_GAP_MS / (spanMs / d.total))));
  const slot = `(number % ${slots})`;
  const round = `intDiv(number, ${slots})`;
  const visit = `(intDiv(${round}, ${VISIT_OF_EVENT.length}) * ${VISIT_CYCLE.length} + [${VISIT_OF_EVENT.join(', ')}][1 + ${round} % ${VISIT_OF_EVENT.length}])`;
  const visitor = `cityHash64(${slot}, ${visit}, 2) % ${d.visitors}`;
  const agentIdx = `arrayFirstIndex(c -> c > ${u(3, visitor)}, ${cumulative(AGENTS.map((a) => a.weight))})`;
  const refIdx = `arrayFirstIndex(c -> c > ${u(4)}, ${cumulative(REFERRERS.map((r) => r.weight))})`;
  const campIdx = `arrayFirstIndex(c -> c > ${u(5)}, ${cumulative(CAMPAIGNS.map((c) => c.weight))})`;
  const page = `toUInt32(floor(pow(${u(6)}, 3) * ${d.pages}))`;
  const hubs = arr(['/collections/sale', '/collections/new', '/cart', '/checkout', '/account', '/search', '/blog']);
  return `INSERT INTO events (site_id, ts, event_id, name, visitor_id, session_id, user_id, url, hostname, path, title,
  referrer, referrer_host, utm_source, utm_medium, utm_campaign, utm_term, utm_content, source, medium,
  country, browser, browser_version, os, device, is_bot, screen_width, lang, props, revenue_amount, revenue_currency,
  received_at, stream_seq)
SELECT
  ${lit(d.siteId)} AS site_id,
  fromUnixTimestamp64Milli(toInt64(${d.fromMs} + intDiv(number * ${spanMs}, ${d.total})), 'UTC') AS ts,
  concat('q', toString(number)) AS event_id,
  if(${u(1)} < 0.7, 'pageview', ${arr(['click', 'add_to_cart', 'signup', 'purchase'])}[1 + cityHash64(number, 7) % 4]) AS name,
  concat('v', toString(${visitor})) AS visitor_id,
  concat('v', toString(${visitor}), '-', toString(${slot}), '-', toString(${visit})) AS session_id,
  '' AS user_id,
  concat('https://${SITE_HOST}', path, ${arr(CAMPAIGNS.map((c) => c.query))}[ci]) AS url,
  '${SITE_HOST}' AS hostname,
  multiIf(pi = 0, '/', pi < 8, ${hubs}[pi], pi % 10 = 0, concat('/blog/post-', toString(pi)), concat('/products/item-', toString(pi))) AS path,
  concat('Shop – ', path) AS title,
  ${arr(REFERRERS.map((r) => r.url))}[ri] AS referrer,
  ${arr(REFERRERS.map((r) => r.host))}[ri] AS referrer_host,
  ${arr(CAMPAIGNS.map((c) => c.source))}[ci] AS utm_source,
  ${arr(CAMPAIGNS.map((c) => c.medium))}[ci] AS utm_medium,
  ${arr(CAMPAIGNS.map((c) => c.campaign))}[ci] AS utm_campaign,
  '' AS utm_term,
  '' AS utm_content,
  if(utm_source != '', utm_source, ${arr(REFERRERS.map((r) => r.source))}[ri]) AS source,
  if(utm_medium != '', utm_medium, ${arr(REFERRERS.map((r) => r.medium))}[ri]) AS medium,
  ${weighted(COUNTRIES.map((c) => c.code), COUNTRIES.map((c) => c.weight), u(8, visitor))} AS country,
  ${arr(AGENTS.map((a) => a.browser))}[ai] AS browser,
  ${arr(AGENTS.map((a) => a.browserVersion))}[ai] AS browser_version,
  ${arr(AGENTS.map((a) => a.os))}[ai] AS os,
  ${arr(AGENTS.map((a) => a.device))}[ai] AS device,
  [${AGENTS.map((a) => a.bot).join(', ')}][ai] AS is_bot,
  multiIf(device = 'mobile', 390, device = 'tablet', 820, 1440) AS screen_width,
  if(country = 'DE', 'de-DE', 'en-US') AS lang,
  if(name = 'pageview', map(), map('sku', concat('sku-', toString(cityHash64(number, 9) % 500)))) AS props,
  if(name = 'purchase', round(10 + ${u(10)} * 190, 2), 0) AS revenue_amount,
  if(name = 'purchase', 'EUR', '') AS revenue_currency,
  ts + toIntervalMillisecond(50) AS received_at,
  number AS stream_seq
FROM (SELECT number, ${agentIdx} AS ai, ${refIdx} AS ri, ${campIdx} AS ci, ${page} AS pi FROM numbers(${start}, ${count}))`;
}

/** Whole UTC days, oldest first: the `[from, to)` of every `days`-long window inside the data. */
export function windows(d: Pick<SiteData, 'fromMs' | 'days'>, length: number): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (let i = 0; i + length <= d.days; i++) {
    out.push({ from: new Date(d.fromMs + i * 86_400_000).toISOString(), to: new Date(d.fromMs + (i + length) * 86_400_000).toISOString() });
  }
  return out;
}
