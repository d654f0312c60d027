import { DEFAULT_COLLECTOR_PORT, DEFAULT_EMBEDDED_NATS_PORT, DEFAULT_QUERY_PORT } from '@pulse/protocol';
import type { RateLimitOptions } from '@pulse/query-api';
import { EmbeddedConfigError } from './errors.js';

export type CollectorRuntime = 'bun' | 'node';

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_AGGREGATOR_PORT = 8082;
export const DEFAULT_COLLECTOR_RUNTIME: CollectorRuntime = 'bun';
export const DEFAULT_READY_TIMEOUT_MS = 30_000;

export interface EmbeddedOptions {
  /** Everything persistent lives here: nats/, clickhouse/, admin-token. */
  dataDir: string;
  collectorPort?: number;
  queryPort?: number;
  /** Port of the aggregator's /healthz, /readyz, /metrics. */
  aggregatorPort?: number;
  /** Client port of the embedded nats-server; 0 = any free port. */
  natsPort?: number;
  host?: string;
  /** When unset: read from `$dataDir/admin-token`, or generated and kept there. */
  adminToken?: string;
  /** Use this NATS instead of spawning nats-server. */
  natsUrl?: string;
  /** Use this ClickHouse server instead of chDB in `$dataDir/clickhouse`. */
  clickhouseUrl?: string;
  collectorRuntime?: CollectorRuntime;
  /** Where the built dashboard is; served at `/` of the query API when it exists. */
  dashboardDir?: string;
  readyTimeoutMs?: number;
  /** Extra environment for the collector process (its options are env vars: see edge-collector/README.md). */
  collectorEnv?: Record<string, string>;
  /** Each read key's rate limit on the query API; unset fields keep the API's defaults (20 a second, bursts of 100). */
  queryRateLimit?: Partial<RateLimitOptions>;
  /**
   * Run nats-server and the collector in process groups of their own, so a Ctrl-C in the
   * terminal (SIGINT to the whole foreground group) reaches only this process, which then stops
   * them in order after the drain. The launcher (`npm start`) sets it; off by default, so the
   * children of a test die with it.
   */
  ownProcessGroups?: boolean;
  /** Structured log sink (one JSON object per call). Default: stdout. */
  log?: (entry: Record<string, unknown>) => void;
}

type Optional = 'adminToken' | 'natsUrl' | 'clickhouseUrl' | 'dashboardDir' | 'collectorEnv' | 'queryRateLimit';
export type ResolvedOptions = Required<Omit<EmbeddedOptions, Optional>> & Pick<EmbeddedOptions, Optional>;

const PORT_PARTS: Record<string, string> = { collectorPort: 'the collector', queryPort: 'the query API', aggregatorPort: 'the aggregator', natsPort: 'nats-server' };

function urlProtocol(s: string): string {
  try {
    return new URL(s).protocol;
  } catch {
    return '';
  }
}

function port(field: string, v: number | undefined, dflt: number): number {
  const p = v ?? dflt;
  if (!Number.isInteger(p) || p < 0 || p > 65535) throw new EmbeddedConfigError(field, 'must be a port number 0..65535', String(v));
  return p;
}

export function resolveOptions(o: EmbeddedOptions): ResolvedOptions {
  if (!o.dataDir) throw new EmbeddedConfigError('dataDir', 'is required');
  const runtime = o.collectorRuntime ?? DEFAULT_COLLECTOR_RUNTIME;
  if (runtime !== 'bun' && runtime !== 'node') throw new EmbeddedConfigError('collectorRuntime', 'must be "bun" or "node"', `"${String(runtime)}"`);
  if (o.adminToken !== undefined && o.adminToken.length < 16) throw new EmbeddedConfigError('adminToken', 'must be at least 16 characters');
  if (o.clickhouseUrl !== undefined && !/^https?:$/.test(urlProtocol(o.clickhouseUrl))) {
    throw new EmbeddedConfigError('clickhouseUrl', 'must be an http:// or https:// URL of a ClickHouse server', JSON.stringify(o.clickhouseUrl));
  }
  const ports = {
    collectorPort: port('collectorPort', o.collectorPort, DEFAULT_COLLECTOR_PORT),
    queryPort: port('queryPort', o.queryPort, DEFAULT_QUERY_PORT),
    aggregatorPort: port('aggregatorPort', o.aggregatorPort, DEFAULT_AGGREGATOR_PORT),
    natsPort: port('natsPort', o.natsPort, DEFAULT_EMBEDDED_NATS_PORT),
  };
  // The launcher probes the collector on its port: "any free port" would leave it nothing to ask.
  if (ports.collectorPort === 0) throw new EmbeddedConfigError('collectorPort', 'must be a port number 1..65535', '0');
  // Two parts on one port: the second fails to bind while a probe may get its answer from the first.
  const taken = new Map<number, string>();
  for (const [field, p] of Object.entries(ports)) {
    if (p === 0 || (field === 'natsPort' && o.natsUrl)) continue;
    const other = taken.get(p);
    if (other) throw new EmbeddedConfigError(field, `must differ from ${PORT_PARTS[other]}'s port ${p}`);
    taken.set(p, field);
  }
  return {
    ...o,
    ...ports,
    host: o.host ?? DEFAULT_HOST,
    collectorRuntime: runtime,
    readyTimeoutMs: o.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    ownProcessGroups: o.ownProcessGroups ?? false,
    log: o.log ?? ((e) => process.stdout.write(JSON.stringify(e) + '\n')),
  };
}
