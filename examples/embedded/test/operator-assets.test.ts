/**
 * The alert rules, scrape config and dashboard in deploy/ cannot rot: every metric name they read
 * must be exported by a running system, and every rule and panel must be complete. Renaming a
 * metric in a service fails this test until the operator assets follow.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from 'nats';
import { createAggregator, DEFAULT_AGGREGATOR_PORT, silentLogger } from '@pulse/aggregator';
import type { Storage } from '@pulse/aggregator/storage';
import { DEFAULT_COLLECTOR_PORT, DEFAULT_QUERY_PORT } from '@pulse/protocol';
import { killLeftovers, servicePorts, tempDir, type TempDir } from '@pulse/testkit';
import { startEmbedded, type Embedded } from '../src/index.js';
import { createTenant, eventually, query, sendBatch } from './helpers.js';
import { ALERTS_PATH, alertRules, dashboard, drawingPanels, headingAnchors, isObj, panelExprs, prometheusConfig, repoText, type Obj } from './operator-assets.js';
import { parseExposition, queryableNames, type Scrape } from './prom-exposition.js';
import { metricNames } from './promql-names.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
// Made by Prometheus itself for every target, not by a service.
const PROMETHEUS_NAMES = new Set(['up']);

const ruleName = (rule: Obj) => String(rule.alert ?? rule.record ?? '(unnamed)');

/** `where: name` for every metric name an expression reads that no service exports. */
function unexported(sources: Array<[where: string, expr: string]>, exported: Set<string>): string[] {
  return sources.flatMap(([where, expr]) => metricNames(expr).filter((n) => !exported.has(n) && !PROMETHEUS_NAMES.has(n)).map((n) => `${where}: ${n}`));
}

const ruleExprs = (): Array<[string, string]> => alertRules().map(({ rule }) => [ruleName(rule), String(rule.expr)]);
const panelSources = (): Array<[string, string]> => drawingPanels(dashboard()).flatMap((p) => panelExprs(p).map((e): [string, string] => [String(p.title), e]));

describe('the operator assets are complete', () => {
  it('every alert rule has alert, expr, for, a severity label and a summary', () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThan(10);
    const incomplete = rules.flatMap(({ group, rule }) => {
      const labels = isObj(rule.labels) ? rule.labels : {};
      const annotations = isObj(rule.annotations) ? rule.annotations : {};
      const problems = [
        typeof rule.alert === 'string' && /^Pulse[A-Z]\w+$/.test(rule.alert) ? '' : 'alert',
        typeof rule.expr === 'string' && rule.expr.trim() !== '' ? '' : 'expr',
        typeof rule.for === 'string' && /^\d+[smh]$/.test(rule.for) ? '' : 'for',
        labels.severity === 'critical' || labels.severity === 'warning' ? '' : 'labels.severity',
        typeof annotations.summary === 'string' && annotations.summary !== '' ? '' : 'annotations.summary',
        typeof annotations.description === 'string' && annotations.description !== '' ? '' : 'annotations.description',
      ].filter(Boolean);
      return problems.length ? [`${group}/${ruleName(rule)}: ${problems.join(', ')}`] : [];
    });
    expect(incomplete).toEqual([]);
    const names = rules.map(({ rule }) => ruleName(rule));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it("every rule's runbook_url is a heading of a document in this repository", () => {
    const broken = alertRules().flatMap(({ rule }) => {
      const url = isObj(rule.annotations) ? rule.annotations.runbook_url : undefined;
      if (typeof url !== 'string') return [`${ruleName(rule)}: no runbook_url`];
      const [file = '', anchor = ''] = url.split('#');
      let anchors: Set<string>;
      try {
        anchors = headingAnchors(repoText(file));
      } catch {
        return [`${ruleName(rule)}: ${file} does not exist`];
      }
      return anchors.has(anchor) ? [] : [`${ruleName(rule)}: ${file} has no heading #${anchor}`];
    });
    expect(broken).toEqual([]);
  });

  it('prometheus.yml loads alerts.yml and scrapes each service on its default port, under the job names the rules select', () => {
    const config = prometheusConfig();
    expect(config.rule_files).toEqual([ALERTS_PATH.split('/').pop()]);
    const jobs = new Map<string, string[]>();
    for (const job of Array.isArray(config.scrape_configs) ? config.scrape_configs : []) {
      if (!isObj(job)) continue;
      const targets = (Array.isArray(job.static_configs) ? job.static_configs : []).flatMap((s: unknown) => (isObj(s) && Array.isArray(s.targets) ? s.targets.map(String) : []));
      jobs.set(String(job.job_name), targets);
    }
    const ports = Object.fromEntries([...jobs].map(([name, targets]) => [name, [...new Set(targets.map((t) => Number(t.split(':').pop())))]]));
    // Several collector processes share one port, so each is scraped on its own metrics port.
    const collectorEnv = new Map([...repoText('deploy/env/collector.env').matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const metricsPort = Number(collectorEnv.get('COLLECTOR_METRICS_PORT'));
    const processes = Number(collectorEnv.get('COLLECTOR_PROCESSES') ?? 1);
    expect(metricsPort).toBeGreaterThan(0);
    expect(metricsPort).not.toBe(DEFAULT_COLLECTOR_PORT);
    const collectorPorts = Array.from({ length: processes }, (_, n) => metricsPort + n);
    expect(ports).toEqual({ 'pulse-collector': collectorPorts, 'pulse-aggregator': [DEFAULT_AGGREGATOR_PORT], 'pulse-query-api': [DEFAULT_QUERY_PORT] });
    const selected = ruleExprs().flatMap(([, expr]) => [...expr.matchAll(/\bjob=~?"([^"]*)"/g)].flatMap((m) => (m[1] ?? '').split('|')));
    expect(selected.length).toBeGreaterThan(0);
    expect(selected.filter((j) => !jobs.has(j))).toEqual([]);
  });

  it('every dashboard panel has the DS_PROMETHEUS datasource and a target with an expression', () => {
    const dash = dashboard();
    const variables = isObj(dash.templating) && Array.isArray(dash.templating.list) ? dash.templating.list : [];
    expect(variables.some((v: unknown) => isObj(v) && v.name === 'DS_PROMETHEUS' && v.type === 'datasource' && v.query === 'prometheus')).toBe(true);
    const panels = drawingPanels(dash);
    expect(panels.length).toBeGreaterThan(10);
    const incomplete = panels.flatMap((p) => {
      const ds = isObj(p.datasource) ? p.datasource : {};
      const targets = Array.isArray(p.targets) ? p.targets : [];
      const problems = [
        ds.uid === '${DS_PROMETHEUS}' && ds.type === 'prometheus' ? '' : 'datasource',
        targets.length > 0 && panelExprs(p).length === targets.length ? '' : 'targets',
      ].filter(Boolean);
      return problems.length ? [`${String(p.title)}: ${problems.join(', ')}`] : [];
    });
    expect(incomplete).toEqual([]);
    const ids = drawingPanels(dash).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the alerts the documentation names exist', () => {
    const alerts = new Set(ruleExprs().map(([name]) => name));
    const named = ['docs/RELIABILITY.md', 'deploy/README.md'].flatMap((f) => [...repoText(f).matchAll(/`(Pulse[A-Z]\w+)`/g)].map((m) => m[1] ?? ''));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => !alerts.has(n))).toEqual([]);
  });
});

/**
 * What a standalone aggregator (dist/main.js, `defaultMetrics: true`) exports beyond the embedded
 * one: its process's metrics, which in embedded mode the query API exports for the whole process.
 * Its registry exists from construction; never started, it touches neither NATS nor storage.
 */
async function standaloneAggregatorScrape(): Promise<Scrape> {
  const nats = { jetstream: () => ({}) } as unknown as NatsConnection;
  const storage = { insert: async () => {}, backend: 'chdb' } as unknown as Storage;
  const standalone = createAggregator({ nats, storage, logger: silentLogger, defaultMetrics: true });
  return parseExposition(await standalone.metrics.registry.metrics());
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`${url}/metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

describe.each(['bun', 'node'] as const)('every metric the operator assets read is exported (%s collector)', (runtime) => {
  let dir: TempDir;
  let system: Embedded | undefined;
  let scrapes: Record<'collector' | 'aggregator' | 'standaloneAggregator' | 'query', Scrape>;
  let exported: Set<string>;

  beforeAll(async () => {
    dir = tempDir('pulse-ops-');
    const [collectorPort, queryPort, aggregatorPort] = (await servicePorts(3)) as [number, number, number];
    system = await startEmbedded({ dataDir: join(dir.path, 'embedded'), host: '127.0.0.1', collectorRuntime: runtime, adminToken: ADMIN_TOKEN, collectorPort, queryPort, aggregatorPort, natsPort: 0, log: () => {} });

    // A little of everything, so labelled counters and histograms have series: one batch with a good
    // and a rejected event, one malformed body, one report once the aggregator stored the event.
    const t = await createTenant(system.queryUrl, system.adminToken, 'ops');
    const good = await sendBatch(system.collectorUrl, t.writeKey, { sent_at: Date.now(), events: [{ id: 'ops-1', name: 'pageview', url: 'https://ops.example.com/' }, { name: 'pageview' }] }, 'json');
    expect(good.status).toBe(202);
    expect(good.body).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
    const bad = await fetch(`${system.collectorUrl}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.writeKey}` }, body: '{"events": [' });
    expect(bad.status).toBe(400);
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    const counted = await eventually(
      () => query(system!.queryUrl, t.readKey, { site_id: t.siteId, metrics: ['pageviews'], date_range: range }),
      (r) => r.body.results?.[0]?.metrics[0] === 1,
    );
    expect(counted.status).toBe(200);

    scrapes = {
      collector: await scrape(system.collectorUrl),
      aggregator: await scrape(`http://127.0.0.1:${aggregatorPort}`),
      standaloneAggregator: await standaloneAggregatorScrape(),
      query: await scrape(system.queryUrl),
    };
    exported = new Set(Object.values(scrapes).flatMap((s) => [...queryableNames(s)]));
  });

  afterAll(async () => {
    await system?.stop();
    if (dir) {
      killLeftovers([], join(dir.path, 'embedded'));
      dir.remove();
    }
  });

  it('scraped a system that handled the traffic', () => {
    const has = (s: Scrape, names: string[]) => names.filter((n) => !s.samples.has(n));
    expect(has(scrapes.collector, ['pulse_collector_requests_total', 'pulse_collector_events_total', 'pulse_collector_publish_seconds_bucket', 'pulse_collector_process_resident_memory_bytes'])).toEqual([]);
    expect(has(scrapes.aggregator, ['pulse_aggregator_messages_total', 'pulse_aggregator_inserts_total', 'pulse_aggregator_insert_duration_seconds_bucket'])).toEqual([]);
    // Embedded, the aggregator leaves the process's metrics to the query API, so they are not doubled.
    expect(has(scrapes.aggregator, ['pulse_aggregator_process_resident_memory_bytes'])).toEqual(['pulse_aggregator_process_resident_memory_bytes']);
    expect(has(scrapes.standaloneAggregator, ['pulse_aggregator_process_resident_memory_bytes', 'pulse_aggregator_process_cpu_seconds_total'])).toEqual([]);
    expect(
      has(scrapes.query, [
        'pulse_query_http_requests_total',
        'pulse_query_http_request_duration_seconds_bucket',
        'pulse_query_cache_misses_total',
        'pulse_query_process_resident_memory_bytes',
        'pulse_query_process_cpu_seconds_total',
        'pulse_query_ready',
        'pulse_query_readiness_cause',
      ]),
    ).toEqual([]);
    // The replays run in the query API's process and are exported there before any has run.
    expect(has(scrapes.query, ['pulse_replay_running', 'pulse_replay_events_total', 'pulse_replay_finished_total', 'pulse_replay_messages_total'])).toEqual([]);
  });

  it('every metric an alert rule reads', () => {
    expect(unexported(ruleExprs(), exported)).toEqual([]);
  });

  it('every metric a dashboard panel reads', () => {
    expect(unexported(panelSources(), exported)).toEqual([]);
  });

  it('finds a renamed metric', () => {
    const renamed = new Set([...exported].filter((n) => !n.startsWith('pulse_aggregator_consumer_pending_messages')));
    expect(unexported(ruleExprs(), renamed)).toContain('PulseAggregatorConsumerLag: pulse_aggregator_consumer_pending_messages');
  });
});
