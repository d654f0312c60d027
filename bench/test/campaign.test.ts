// The short form of the bad-input campaign (CI): 3,000 hostile requests against the embedded
// system while valid traffic runs; the same checks as `npm run campaign`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Embedded } from '@pulse/embedded';
import { benchDir } from '../src/lib/temp.js';
import { startSystem } from '../src/lib/embedded.js';
import { renderCampaign } from '../src/campaign/report.js';
import { runCampaign } from '../src/campaign/run.js';

const dir = benchDir('campaign-test');
let sys: Embedded;

beforeAll(async () => {
  sys = await startSystem({ dataDir: dir.path, runtime: 'bun', bodyTimeoutMs: 2_000 });
}, 120_000);

afterAll(async () => {
  await sys?.stop();
  dir.remove();
}, 60_000);

it('3,000 hostile requests: no crash, no 5xx, JSON 4xx errors, every valid event counted once', async () => {
  const s = await runCampaign({
    collectorUrl: sys.collectorUrl,
    queryUrl: sys.queryUrl,
    adminToken: sys.adminToken,
    requests: 3_000,
    concurrency: 8,
    validEventsPerSec: 100,
    slowClients: 4,
    slowMaxMs: 8_000,
    log: (m) => process.stderr.write(`campaign: ${m}\n`),
  });
  if (!s.ok) process.stderr.write(renderCampaign(s, { command: 'vitest', date: new Date().toISOString(), runtime: 'bun' }));
  expect(s.failures).toEqual([]);
  expect(s.hostile.sent + s.hostile.clientRefused + Object.values(s.raw).reduce((a, m) => a + Object.values(m).reduce((b, c) => b + c, 0), 0)).toBe(3_000);
  expect(s.hostile.collector).toBeGreaterThan(1_000);
  expect(s.hostile.query).toBeGreaterThan(700);
  // The generator reaches every kind of abuse even in the short form.
  for (const fam of ['random_bytes', 'wrong_types', 'bad_authorization', 'content_type_lie', 'query_injection', 'admin_bad_token', 'realtime_bad_site']) expect(s.families[fam]?.sent ?? 0).toBeGreaterThan(0);
  expect(s.valid.acknowledged).toBeGreaterThan(0);
  expect(s.valid.counted).toBe(s.valid.acknowledged);
  expect(s.slow.find((c) => c.name === 'collector_body_trickle')?.closedByServer).toBe(true);
}, 240_000);
