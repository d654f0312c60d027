import { describe, expect, it } from 'vitest';
import { clusterDdl } from './ddl.js';

describe('clusterDdl', () => {
  it('captures the replicated ON CLUSTER schema the aggregator would apply', async () => {
    const ddl = await clusterDdl('pulse');
    const creates = ddl.filter((s) => /^CREATE TABLE/.test(s));
    expect(creates.length).toBeGreaterThan(3);
    for (const s of ddl.filter((x) => /^(CREATE|ALTER)/.test(x))) expect(s).toContain('ON CLUSTER `pulse`');
    for (const s of creates) expect(s).toMatch(/ENGINE = Replicated\w*MergeTree/);
    expect(ddl.join('\n')).toContain('CREATE TABLE IF NOT EXISTS events ON CLUSTER `pulse`');
  });

  it('captures the sharded schema: local tables under Distributed ones, placed by site', async () => {
    const ddl = await clusterDdl('pulse', { sharded: true, database: 'analytics' });
    const joined = ddl.join('\n');
    expect(joined).toContain('CREATE TABLE IF NOT EXISTS events_local ON CLUSTER `pulse`');
    expect(joined).toContain("CREATE TABLE IF NOT EXISTS events ON CLUSTER `pulse` AS events_local\nENGINE = Distributed('pulse', 'analytics', events_local, cityHash64(site_id))");
    for (const s of ddl.filter((x) => /ENGINE = Replicated/.test(x))) expect(s).toMatch(/^CREATE TABLE IF NOT EXISTS \w+_local /);
  });

  it('refuses a cluster name that is not an identifier', async () => {
    await expect(clusterDdl('x`; DROP TABLE events')).rejects.toThrow(/cluster/);
  });
});
