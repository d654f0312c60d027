import { BenchConfigError } from '../lib/errors.js';
import { every, sleep } from '../lib/progress.js';
import { rng } from '../fixtures/web.js';
import { describe, judge, type Outcome, type Verdict } from './check.js';
import { COLLECTOR_CASES } from './collector-cases.js';
import type { Rand } from './mutate.js';
import { QUERY_CASES } from './query-cases.js';
import { RAW_REQUESTS, sendRaw } from './raw.js';
import type { CaseGenerator, HostileRequest, Target } from './request.js';
import { ClientRefusedError, send } from './send.js';
import { countEvents, createTenancy } from './setup.js';
import { slowClients, type SlowResult } from './slow.js';
import { runValidTraffic, type ValidStats } from './valid.js';

export const DEFAULT_REQUESTS = 100_000;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_COLLECTOR_SHARE = 0.6;
export const DEFAULT_VALID_EVENTS_PER_SEC = 200;
export const DEFAULT_SLOW_CLIENTS = 8;
export const DEFAULT_SEED = 20261126;
export const DEFAULT_SLOW_MAX_MS = 30_000;
/** One raw-socket request (framing fetch will not write) every this many hostile requests. */
export const RAW_EVERY = 100;
export const MAX_EXAMPLES = 20;
/** 503 is tolerated only with this code: the collector says it is genuinely overloaded. */
export const OVERLOAD_CODE = 'overloaded';

export interface CampaignOptions {
  collectorUrl: string;
  queryUrl: string;
  adminToken: string;
  requests?: number;
  concurrency?: number;
  collectorShare?: number;
  validEventsPerSec?: number;
  slowClients?: number;
  /** How long a slow client keeps trickling before it gives up (the server may cut it off sooner). */
  slowMaxMs?: number;
  seed?: number;
  /** How long counting may take after the campaign before the check fails. */
  countTimeoutMs?: number;
  log?: (msg: string) => void;
}

type FindingKind = Exclude<Verdict, { ok: true }>['kind'] | 'parser_5xx';
/** Reported with their inputs but not failing the run (see where each is recorded). */
const TOLERATED: ReadonlySet<string> = new Set(['parser_5xx', 'parser_plain_4xx']);

export interface CampaignSummary {
  ok: boolean;
  failures: string[];
  seed: number;
  durationMs: number;
  hostile: { sent: number; clientRefused: number; perSecond: number; collector: number; query: number };
  /** `target status code` → count, for every hostile answer (fetch-sent ones). */
  statuses: Record<string, number>;
  families: Record<string, { target: Target; sent: number; statuses: Record<string, number> }>;
  findings: Partial<Record<FindingKind, { count: number; examples: Array<{ outcome: Outcome; input: Record<string, unknown> }> }>>;
  overload503: number;
  raw: Record<string, Record<string, number>>;
  slow: SlowResult[];
  valid: ValidStats & { counted: number; countMs: number };
  health: { checks: number; failed: number; collectorUpAtEnd: boolean; queryUpAtEnd: boolean };
}

function resolve(o: CampaignOptions): Required<Omit<CampaignOptions, 'log'>> & Pick<CampaignOptions, 'log'> {
  const r = {
    ...o,
    requests: o.requests ?? DEFAULT_REQUESTS,
    concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
    collectorShare: o.collectorShare ?? DEFAULT_COLLECTOR_SHARE,
    validEventsPerSec: o.validEventsPerSec ?? DEFAULT_VALID_EVENTS_PER_SEC,
    slowClients: o.slowClients ?? DEFAULT_SLOW_CLIENTS,
    slowMaxMs: o.slowMaxMs ?? DEFAULT_SLOW_MAX_MS,
    seed: o.seed ?? DEFAULT_SEED,
    countTimeoutMs: o.countTimeoutMs ?? 120_000,
  };
  if (!Number.isInteger(r.requests) || r.requests < 1) throw new BenchConfigError('requests', `must be a positive integer, got ${r.requests}`);
  if (!Number.isInteger(r.concurrency) || r.concurrency < 1) throw new BenchConfigError('concurrency', `must be a positive integer, got ${r.concurrency}`);
  if (!(r.collectorShare >= 0 && r.collectorShare <= 1)) throw new BenchConfigError('collectorShare', `must be within 0..1, got ${r.collectorShare}`);
  if (!(r.validEventsPerSec > 0)) throw new BenchConfigError('validEventsPerSec', `must be > 0, got ${r.validEventsPerSec}`);
  if (!Number.isInteger(r.slowClients) || r.slowClients < 0) throw new BenchConfigError('slowClients', `must be an integer >= 0, got ${r.slowClients}`);
  return r;
}

function weighted(r: Rand, cases: ReadonlyArray<[CaseGenerator, number]>): CaseGenerator {
  const total = cases.reduce((s, [, w]) => s + w, 0);
  let u = r() * total;
  for (const [g, w] of cases) if ((u -= w) < 0) return g;
  return (cases.at(-1) as [CaseGenerator, number])[0];
}

const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

async function up(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Hostile traffic against a running system while valid traffic flows, then the checks. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignSummary> {
  const o = resolve(options);
  const log = o.log ?? (() => {});
  const started = Date.now();
  const t = await createTenancy({ collectorUrl: o.collectorUrl, queryUrl: o.queryUrl, adminToken: o.adminToken, hostileReadKeys: 16 });
  log(`tenancy ready: counted site ${t.validSiteId}, hostile site ${t.hostileSiteId}`);
  const summary: CampaignSummary = {
    ok: false,
    failures: [],
    seed: o.seed,
    durationMs: 0,
    hostile: { sent: 0, clientRefused: 0, perSecond: 0, collector: 0, query: 0 },
    statuses: {},
    families: {},
    findings: {},
    overload503: 0,
    raw: {},
    slow: [],
    valid: { batches: 0, acknowledged: 0, retries: 0, failures: [], counted: 0, countMs: 0 },
    health: { checks: 0, failed: 0, collectorUpAtEnd: false, queryUpAtEnd: false },
  };
  const finding = (kind: FindingKind, outcome: Outcome, req: HostileRequest) => {
    const f = (summary.findings[kind] ??= { count: 0, examples: [] });
    f.count++;
    if (f.examples.length < MAX_EXAMPLES) f.examples.push({ outcome, input: describe(req) });
  };

  const valid = runValidTraffic({ collectorUrl: o.collectorUrl, writeKey: t.validWriteKey, eventsPerSec: o.validEventsPerSec, batchSize: 10, runId: `c${o.seed}-${started}` });
  const slowDone = slowClients({ collectorUrl: o.collectorUrl, queryUrl: o.queryUrl, writeKey: t.hostileWriteKey, readKey: t.hostileReadKeys[0] as string, count: o.slowClients, maxMs: o.slowMaxMs });
  const stopHealth = every(2_000, () => {
    void Promise.all([up(o.collectorUrl), up(o.queryUrl)]).then(([a, b]) => {
      summary.health.checks++;
      if (!a || !b) summary.health.failed++;
    });
  });
  const stopProgress = every(5_000, () => {
    const fs = Object.values(summary.findings).reduce((s, f) => s + f.count, 0);
    log(`${summary.hostile.sent.toLocaleString('en-US')} / ${o.requests.toLocaleString('en-US')} hostile requests, ${fs} findings, ${summary.overload503} overload 503s`);
  });

  const r = rng(o.seed);
  let next = 0;
  const worker = async () => {
    while (next < o.requests) {
      const seq = next++;
      if (seq % RAW_EVERY === RAW_EVERY - 1) {
        const raw = RAW_REQUESTS[(seq / RAW_EVERY) % RAW_REQUESTS.length | 0] as (typeof RAW_REQUESTS)[number];
        const base = seq % (2 * RAW_EVERY) < RAW_EVERY ? o.collectorUrl : o.queryUrl;
        const res = await sendRaw(base, raw.bytes(new URL(base).host));
        bump((summary.raw[raw.name] ??= {}), `${base === o.collectorUrl ? 'collector' : 'query'} ${res.status || 'closed'} ${res.code}`);
        // Answers to unparseable HTTP come from the runtime's HTTP parser, not from our code: listed, not failed.
        if (res.status >= 500) finding('parser_5xx', { status: res.status, code: res.code, jsonError: res.jsonError }, { target: base === o.collectorUrl ? 'collector' : 'query', family: `raw_${raw.name}`, method: 'RAW', path: '', headers: [], body: new TextEncoder().encode(raw.bytes('HOST')), mayAccept: false });
        continue;
      }
      const target: Target = r() < o.collectorShare ? 'collector' : 'query';
      const req = weighted(r, target === 'collector' ? COLLECTOR_CASES : QUERY_CASES)({ r, t, seq });
      let outcome: Outcome;
      try {
        outcome = await send(target === 'collector' ? o.collectorUrl : o.queryUrl, req);
      } catch (err) {
        if (!(err instanceof ClientRefusedError)) throw err;
        summary.hostile.clientRefused++;
        continue;
      }
      summary.hostile.sent++;
      summary.hostile[target]++;
      const key = `${outcome.transportError !== undefined ? 'no answer' : outcome.status} ${outcome.code}`;
      bump(summary.statuses, `${target} ${key}`);
      const fam = (summary.families[req.family] ??= { target, sent: 0, statuses: {} });
      fam.sent++;
      bump(fam.statuses, key);
      const v = judge(req, outcome);
      if (v.ok) continue;
      if (v.kind === 'overloaded_503' && outcome.code === OVERLOAD_CODE && target === 'collector') summary.overload503++;
      else finding(v.kind === 'overloaded_503' ? 'server_error' : v.kind, outcome, req);
    }
  };
  const hostileStart = Date.now();
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  summary.hostile.perSecond = Math.round((summary.hostile.sent * 1000) / (Date.now() - hostileStart));
  stopProgress();
  log(`hostile requests done (${summary.hostile.perSecond}/s); waiting for slow clients and valid traffic`);
  summary.slow = await slowDone;
  const v = await valid.stop();
  stopHealth();

  const countStart = Date.now();
  let counted = -1;
  for (;;) {
    counted = await countEvents(o.queryUrl, t);
    if (counted >= v.acknowledged || Date.now() - countStart > o.countTimeoutMs) break;
    await sleep(500);
  }
  // A few more polls: duplicates could land after the count first matched.
  await sleep(2_000);
  counted = await countEvents(o.queryUrl, t);
  summary.valid = { ...v, counted, countMs: Date.now() - countStart };
  summary.health.collectorUpAtEnd = await up(o.collectorUrl);
  summary.health.queryUpAtEnd = await up(o.queryUrl);
  summary.durationMs = Date.now() - started;

  const f = summary.failures;
  if (!summary.health.collectorUpAtEnd) f.push('the collector does not answer /healthz');
  if (!summary.health.queryUpAtEnd) f.push('the query API does not answer /healthz');
  if (summary.health.failed > 0) f.push(`${summary.health.failed} of ${summary.health.checks} health checks during the campaign failed`);
  for (const [kind, x] of Object.entries(summary.findings)) if (!TOLERATED.has(kind)) f.push(`${x.count} hostile requests judged ${kind}`);
  if (v.failures.length) f.push(`${v.failures.length} valid batches never answered 202 with every event accepted`);
  if (counted !== v.acknowledged) f.push(`valid events: ${v.acknowledged} acknowledged (202), ${counted} counted by /v1/query`);
  if (v.acknowledged === 0) f.push('no valid event was acknowledged');
  // The collector bounds body time (COLLECTOR_BODY_TIMEOUT_MS): a trickled body must be cut off.
  for (const s of summary.slow) if (s.name === 'collector_body_trickle' && !s.closedByServer) f.push(`a slow client (${s.name}) was never cut off by the collector`);
  summary.ok = f.length === 0;
  log(summary.ok ? 'campaign passed' : `campaign FAILED: ${f.join('; ')}`);
  return summary;
}

