/** Talks to the query API like an operator and a merchant would. */
export interface Tenant {
  siteId: string;
  writeKey: string;
  readKey: string;
}

async function call<T>(url: string, token: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export async function createTenant(queryUrl: string, adminToken: string, name: string): Promise<Tenant> {
  const { merchant_id } = await call<{ merchant_id: string }>(`${queryUrl}/v1/admin/merchants`, adminToken, { name });
  const { site_id, write_key } = await call<{ site_id: string; write_key: string }>(`${queryUrl}/v1/admin/sites`, adminToken, {
    merchant_id,
    domain: `${name}.example`,
  });
  const { read_key } = await call<{ read_key: string }>(`${queryUrl}/v1/admin/keys`, adminToken, { merchant_id });
  return { siteId: site_id, writeKey: write_key, readKey: read_key };
}

const HOUR = 3_600_000;
let nonce = 0;

/**
 * The `events` count of a site through POST /v1/query. The range is whole UTC hours around the
 * test, so the query API may answer from a rollup (where a double insert would show as well).
 * `limit` varies per call so the answer cache never hands back an older count.
 */
export async function countEvents(queryUrl: string, tenant: Tenant, sinceMs: number): Promise<number | undefined> {
  const from = new Date(Math.floor(sinceMs / HOUR) * HOUR - HOUR).toISOString();
  const to = new Date(Math.ceil(Date.now() / HOUR) * HOUR + HOUR).toISOString();
  const res = await fetch(`${queryUrl}/v1/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tenant.readKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ site_id: tenant.siteId, metrics: ['events'], date_range: { from, to }, limit: 1000 + (nonce++ % 5000) }),
    signal: AbortSignal.timeout(10_000),
  }).catch(() => undefined);
  if (!res?.ok) {
    await res?.arrayBuffer();
    return undefined;
  }
  const body = (await res.json()) as { results: Array<{ metrics: number[] }> };
  return body.results.reduce((sum, r) => sum + (r.metrics[0] ?? 0), 0);
}
