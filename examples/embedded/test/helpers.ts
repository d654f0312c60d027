import { encodeMsgpack } from '@pulse/protocol/codec';
import { api } from '@pulse/testkit';

export { api };

/** Requests without a browser user agent are flagged as bots and left out of default metrics. */
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

export interface Tenant {
  merchantId: string;
  siteId: string;
  writeKey: string;
  readKey: string;
}

export async function createTenant(queryUrl: string, adminToken: string, name: string): Promise<Tenant> {
  const m = await api<{ merchant_id: string }>(`${queryUrl}/v1/admin/merchants`, { token: adminToken, body: { name } });
  if (m.status !== 200 && m.status !== 201) throw new Error(`create merchant: ${m.status} ${JSON.stringify(m.body)}`);
  const s = await api<{ site_id: string; write_key: string }>(`${queryUrl}/v1/admin/sites`, {
    token: adminToken,
    body: { merchant_id: m.body.merchant_id, domain: `${name}.example.com`, timezone: 'UTC' },
  });
  if (s.status !== 200 && s.status !== 201) throw new Error(`create site: ${s.status} ${JSON.stringify(s.body)}`);
  const k = await api<{ read_key: string }>(`${queryUrl}/v1/admin/keys`, { token: adminToken, body: { merchant_id: m.body.merchant_id } });
  if (k.status !== 200 && k.status !== 201) throw new Error(`create key: ${k.status} ${JSON.stringify(k.body)}`);
  return { merchantId: m.body.merchant_id, siteId: s.body.site_id, writeKey: s.body.write_key, readKey: k.body.read_key };
}

export async function sendBatch(
  collectorUrl: string,
  writeKey: string | undefined,
  batch: unknown,
  format: 'json' | 'msgpack',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${collectorUrl}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': format === 'json' ? 'application/json' : 'application/msgpack',
      'user-agent': BROWSER_UA,
      ...(writeKey ? { authorization: `Bearer ${writeKey}` } : {}),
    },
    body: format === 'json' ? JSON.stringify(batch) : encodeMsgpack(batch),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface QueryResult {
  results: Array<{ dimensions: Array<string | number>; metrics: number[] }>;
  meta: Record<string, unknown>;
}

export async function query(queryUrl: string, readKey: string, body: unknown) {
  return api<QueryResult>(`${queryUrl}/v1/query`, { token: readKey, body });
}

/** Polls until `check` passes or the timeout elapses; returns the last value. */
export async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!check(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await fn();
  }
  return last;
}
