import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Admin calls of the query API (DESIGN.md "Admin API"): a merchant, a site and a read key. */
export async function createTenant(queryUrl: string, adminToken: string, domain: string): Promise<{ siteId: string; writeKey: string; readKey: string }> {
  const admin = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${queryUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const { merchant_id } = await admin<{ merchant_id: string }>('/v1/admin/merchants', { name: `sdk-node e2e ${domain}` });
  const { site_id, write_key } = await admin<{ site_id: string; write_key: string }>('/v1/admin/sites', { merchant_id, domain });
  const { read_key } = await admin<{ read_key: string }>('/v1/admin/keys', { merchant_id });
  return { siteId: site_id, writeKey: write_key, readKey: read_key };
}

/** The `events` metric of a site over the last and next hour. */
export async function countEvents(queryUrl: string, readKey: string, siteId: string): Promise<number> {
  const now = Date.now();
  const res = await fetch(`${queryUrl}/v1/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
    // A `to` that moves with every call keeps a response cache from answering.
    body: JSON.stringify({ site_id: siteId, metrics: ['events'], date_range: { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000 + (now % 1000)).toISOString() } }),
  });
  if (!res.ok) throw new Error(`/v1/query: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { results: Array<{ metrics: unknown[] }> };
  return Number(body.results[0]?.metrics[0] ?? 0);
}

/** Polls until the count reaches `expected` (or time runs out); returns the last count. */
export async function waitForCount(queryUrl: string, readKey: string, siteId: string, expected: number, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  let n = -1;
  while (Date.now() < until) {
    n = await countEvents(queryUrl, readKey, siteId);
    if (n >= expected) return n;
    await new Promise((r) => setTimeout(r, 500));
  }
  return n;
}

const collectorMain = fileURLToPath(new URL('../../node_modules/@pulse/edge-collector/dist/main-node.js', import.meta.url));

/** A collector process of our own (Node runtime) next to the embedded one, so a test can SIGKILL it. */
export async function startCollector(port: number, natsUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [collectorMain], {
    env: { ...process.env, COLLECTOR_PORT: String(port), COLLECTOR_HOST: '127.0.0.1', NATS_URL: natsUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}`);
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (res?.status === 200) return child;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error('collector not ready within 30 s');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
