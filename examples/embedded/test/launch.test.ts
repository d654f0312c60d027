import { describe, expect, it } from 'vitest';
import { NatsServerNotFoundError } from '@pulse/testkit';
import { rateLimitFromEnv } from '@pulse/query-api';
import { adminTokenText, EmbeddedConfigError, hostProblem, PortInUseError, resolveFromInvocation, resolveOptions, startErrorReport } from '../src/index.js';

/** What resolveOptions throws for these options; a test fails if it accepts them. */
function err(o: object): unknown {
  try {
    resolveOptions({ dataDir: '/d', ...o });
  } catch (e) {
    return e;
  }
  throw new Error('accepted');
}

describe('launcher helpers', () => {
  it('resolves a relative path against where npm was run (INIT_CWD), else the cwd', () => {
    expect(resolveFromInvocation('./data-cluster', '/home/me/pulse', '/home/me/pulse/examples/cluster')).toBe('/home/me/pulse/data-cluster');
    expect(resolveFromInvocation('./data', undefined, '/srv')).toBe('/srv/data');
    expect(resolveFromInvocation('/var/lib/pulse', '/home/me', '/srv')).toBe('/var/lib/pulse');
  });

  it('shows the admin token only when this start made it, and where it is kept otherwise', () => {
    expect(adminTokenText('generated', 'at_x', '/d/admin-token')).toBe('at_x   (generated; kept in /d/admin-token)');
    expect(adminTokenText('file', 'at_x', '/d/admin-token')).toBe('kept in /d/admin-token');
    expect(adminTokenText('given', 'at_x', '/d/admin-token')).toBe('the one in ADMIN_TOKEN');
  });

  it('reports a bad option by the variable that set it, quoting what it said unless secret', () => {
    const sources = { collectorPort: { name: 'COLLECTOR_PORT', raw: 'eighty' }, adminToken: { name: 'ADMIN_TOKEN' } };
    expect(err({ collectorPort: Number.NaN })).toBeInstanceOf(EmbeddedConfigError);
    expect(startErrorReport(err({ collectorPort: Number.NaN }), sources)).toEqual({
      line: 'COLLECTOR_PORT must be a port number 0..65535 (it is "eighty")',
      exitCode: 2,
    });
    expect(startErrorReport(err({ adminToken: 'short-secret' }), sources)).toEqual({ line: 'ADMIN_TOKEN must be at least 16 characters', exitCode: 2 });
    // An option no variable sets keeps its own name.
    expect(startErrorReport(err({ queryPort: -1 }), sources)?.line).toBe('queryPort must be a port number 0..65535, got -1');
  });

  it('reports a variable read by a service\'s own helpers (the query API\'s rate limit) by its name, exit 2', () => {
    const bad = (() => {
      try {
        rateLimitFromEnv({ QUERY_RATE_LIMIT_PER_SEC: '0' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(startErrorReport(bad, {})).toEqual({ line: 'QUERY_RATE_LIMIT_PER_SEC: must be an integer from 1 to 1000000, got "0"', exitCode: 2 });
  });

  it('refuses two parts on one port, and a collector on "any free port"', () => {
    const sources = { queryPort: { name: 'QUERY_PORT', raw: '18481' }, collectorPort: { name: 'COLLECTOR_PORT', raw: '0' } };
    expect(startErrorReport(err({ collectorPort: 18481, queryPort: 18481 }), sources)).toEqual({
      line: `QUERY_PORT must differ from the collector's port 18481 (it is "18481")`,
      exitCode: 2,
    });
    expect(startErrorReport(err({ collectorPort: 0 }), sources)?.line).toBe('COLLECTOR_PORT must be a port number 1..65535 (it is "0")');
    // With NATS_URL no nats-server is started, so its port is free for another part; 0 is "any".
    expect(() => resolveOptions({ dataDir: '/d', natsUrl: 'nats://x:4222', natsPort: 8081 })).not.toThrow();
    expect(() => resolveOptions({ dataDir: '/d', natsPort: 0, aggregatorPort: 0 })).not.toThrow();
  });

  it('refuses a CLICKHOUSE_URL that is not an http(s) URL', () => {
    const sources = { clickhouseUrl: { name: 'CLICKHOUSE_URL', raw: 'garbage' } };
    expect(startErrorReport(err({ clickhouseUrl: 'garbage' }), sources)).toEqual({ line: 'CLICKHOUSE_URL must be an http:// or https:// URL of a ClickHouse server (it is "garbage")', exitCode: 2 });
    expect(() => resolveOptions({ dataDir: '/d', clickhouseUrl: 'http://ch:8123' })).not.toThrow();
  });

  it('tells a HOST that does not resolve, or is not this machine, from one it can listen on', async () => {
    expect(await hostProblem('127.0.0.1')).toBeUndefined();
    expect(await hostProblem('0.0.0.0')).toBeUndefined();
    const unresolved = await hostProblem('no-such-host.invalid');
    expect(unresolved?.reason).toBe('must be a name or address of this machine; it does not resolve');
    expect((unresolved?.cause as NodeJS.ErrnoException | undefined)?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
    expect((await hostProblem('192.0.2.7'))?.reason).toBe('must be a name or address of this machine; it is not one of its addresses');
  });

  it('says what to do about a taken port, and gives known errors as their message, others not at all', () => {
    const port = startErrorReport(new PortInUseError(8080, '0.0.0.0', 'collector', 'collectorPort'), { collectorPort: { name: 'COLLECTOR_PORT' } });
    expect(port).toEqual({
      line: "port 8080 (collector) is already in use by another process. Stop that process (find it with: ss -ltnp 'sport = :8080'), or set COLLECTOR_PORT to use another port.",
      exitCode: 1,
    });
    expect(startErrorReport(new NatsServerNotFoundError(['/usr/sbin']), {})?.line).toContain('apt-get install -y nats-server');
    expect(startErrorReport(new TypeError('a bug'), {})).toBeUndefined();
  });
});
