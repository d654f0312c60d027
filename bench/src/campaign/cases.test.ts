import { expect, it } from 'vitest';
import { rng } from '../fixtures/web.js';
import { COLLECTOR_CASES } from './collector-cases.js';
import { QUERY_CASES } from './query-cases.js';
import type { CampaignTenancy, HostileRequest } from './request.js';

const t: CampaignTenancy = {
  adminToken: 'admin-token-0123456789',
  validSiteId: 's_VALIDVALIDVALID0',
  validWriteKey: `wk_${'v'.repeat(32)}`,
  validReadKey: `rk_${'v'.repeat(32)}`,
  hostileSiteId: 's_HOSTILEHOSTILE0',
  hostileWriteKey: `wk_${'h'.repeat(32)}`,
  hostileReadKeys: [`rk_${'h'.repeat(32)}`, `rk_${'i'.repeat(32)}`],
};

function generate(seed: number, n: number): HostileRequest[] {
  const r = rng(seed);
  const out: HostileRequest[] = [];
  for (let seq = 0; seq < n; seq++) for (const [g] of [...COLLECTOR_CASES, ...QUERY_CASES]) out.push(g({ r, t, seq }));
  return out;
}

it('is deterministic for a seed (a finding can be regenerated)', () => {
  const strip = (rs: HostileRequest[]) => rs.map((q) => `${q.method} ${q.path} ${q.family} ${q.body?.length ?? -1}`);
  expect(strip(generate(7, 20))).toEqual(strip(generate(7, 20)));
});

it('never touches the counted site: its write key, its read key, or its settings', () => {
  for (const q of generate(11, 300)) {
    const all = `${q.path} ${q.headers.map(([k, v]) => `${k}:${v}`).join(' ')}`;
    expect(all).not.toContain(t.validWriteKey);
    expect(all).not.toContain(t.validReadKey);
    if (q.method === 'PATCH') expect(q.path).not.toContain(t.validSiteId);
    if (q.body && q.target === 'collector') expect(new TextDecoder().decode(q.body)).not.toContain(t.validWriteKey);
  }
});

it('only a valid admin token may start a replay, and never with a valid range', () => {
  for (const q of generate(13, 300).filter((x) => x.path === '/v1/admin/replays' && x.method === 'POST' && x.body)) {
    let body: { from?: unknown; to?: unknown } = {};
    try {
      body = JSON.parse(new TextDecoder().decode(q.body)) as typeof body;
    } catch {
      continue;
    }
    const from = typeof body.from === 'string' ? Date.parse(body.from) : Number.NaN;
    const to = typeof body.to === 'string' ? Date.parse(body.to) : Number.NaN;
    expect(Number.isFinite(from) && Number.isFinite(to) && from < to).toBe(false);
  }
});

it('covers both services and every family a campaign reports', () => {
  const rs = generate(3, 100);
  expect(new Set(rs.map((q) => q.target))).toEqual(new Set(['collector', 'query']));
  expect(new Set(rs.map((q) => q.family)).size).toBeGreaterThan(25);
});
