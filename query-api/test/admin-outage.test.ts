import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReplayManager, silentLogger, type ReplayManager } from '@pulse/aggregator';
import { freezeProcess, thawProcess } from '@pulse/testkit';
import { ADMIN_TOKEN, call, createTenant, startHarness, type Harness, type Reply, type Tenant } from './harness.js';

/**
 * Admin calls read and write NATS directly (never from cached records): while NATS is out of reach,
 * frozen (SIGSTOP: connections open, nothing answered) or gone (killed: the client reconnecting),
 * every admin route answers a typed 503 with Retry-After, never a 500.
 */

let h: Harness;
let manager: ReplayManager;
let t: Tenant;
let writeKeyId: string;
let readKeyId: string;
let frozen: number | undefined;

beforeAll(async () => {
  h = await startHarness(({ nc, storage }) => {
    manager = createReplayManager({ nats: nc, storage, logger: silentLogger });
    return { replays: manager };
  });
  t = await createTenant(h.url);
  const listed = await admin('GET', `/v1/admin/sites/${t.siteId}/keys`);
  writeKeyId = listed.body.keys[0].key_id;
  readKeyId = (await admin('GET', `/v1/admin/merchants/${t.merchantId}/keys`)).body.keys[0].key_id;
  // Answered from NATS while it is there: the manager has bound its buckets.
  const unknown = await admin('GET', '/v1/admin/replays/rp_0123456789abcdef');
  expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 404, code: 'replay_not_found' });
});

afterAll(async () => {
  if (frozen !== undefined) thawProcess(frozen);
  await manager?.close();
  await h?.close();
});

function admin(method: string, path: string, body?: unknown): Promise<Reply> {
  return call(h.url, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });
}

/** Every admin route, with arguments that would succeed were NATS there. */
function everyAdminCall(): Array<[string, Promise<Reply>]> {
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const now = new Date().toISOString();
  const calls: Array<[string, string, unknown?]> = [
    ['POST', '/v1/admin/merchants', { name: 'During the outage' }],
    ['GET', `/v1/admin/merchants/${t.merchantId}`],
    ['GET', `/v1/admin/merchants/${t.merchantId}/sites`],
    ['POST', '/v1/admin/sites', { merchant_id: t.merchantId, domain: 'outage.example' }],
    ['GET', `/v1/admin/sites/${t.siteId}`],
    ['PATCH', `/v1/admin/sites/${t.siteId}`, { settings: { excluded_paths: ['/admin/*'] } }],
    ['POST', '/v1/admin/keys', { merchant_id: t.merchantId }],
    ['DELETE', `/v1/admin/keys/${t.readKey}`],
    ['POST', `/v1/admin/sites/${t.siteId}/keys`],
    ['GET', `/v1/admin/sites/${t.siteId}/keys`],
    ['DELETE', `/v1/admin/sites/${t.siteId}/keys/${writeKeyId}`],
    ['GET', `/v1/admin/merchants/${t.merchantId}/keys`],
    ['DELETE', `/v1/admin/merchants/${t.merchantId}/keys/${readKeyId}`],
    ['POST', '/v1/admin/replays', { from: hourAgo, to: now }],
    ['POST', '/v1/admin/replays', { from: hourAgo, to: now, site_id: t.siteId }],
    ['GET', '/v1/admin/replays/rp_0123456789abcdef'],
    ['DELETE', '/v1/admin/replays/rp_0123456789abcdef'],
  ];
  return calls.map(([method, path, body]) => [`${method} ${path}${body && (body as { site_id?: string }).site_id ? ' (site)' : ''}`, admin(method, path, body)]);
}

async function expectTyped503s(): Promise<void> {
  const replies = await Promise.all(everyAdminCall().map(async ([what, reply]) => [what, await reply] as const));
  const seen = replies.map(([what, r]) => [what, r.status, r.body?.error?.code, r.headers.get('retry-after')]);
  expect(seen).toEqual(replies.map(([what]) => [what, 503, 'unavailable', '1']));
  for (const [, r] of replies) expect(typeof r.body.error.message).toBe('string');
}

describe('admin routes while NATS is out of reach', () => {
  it('answer a typed 503 with Retry-After while NATS is frozen', async () => {
    frozen = h.nats.pid as number;
    await freezeProcess(frozen);
    try {
      await expectTyped503s();
    } finally {
      thawProcess(frozen);
      frozen = undefined;
    }
    // And work again once it answers.
    const back = await admin('GET', `/v1/admin/sites/${t.siteId}`);
    expect(back.status).toBe(200);
  });

  it('answer a typed 503 with Retry-After while NATS is down (the client reconnecting)', async () => {
    await h.nats.kill();
    try {
      await expectTyped503s();
    } finally {
      await h.nats.restart();
    }
    const until = Date.now() + 15_000;
    let r = await admin('GET', '/v1/admin/replays/rp_0123456789abcdef');
    while (r.status !== 404 && Date.now() < until) {
      await new Promise((ok) => setTimeout(ok, 250));
      r = await admin('GET', '/v1/admin/replays/rp_0123456789abcdef');
    }
    expect({ status: r.status, code: r.body.error.code }).toEqual({ status: 404, code: 'replay_not_found' });
  });
});
