import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { ddlContext, stepSql } from './ddl.js';
import { MIGRATIONS } from './migrations.js';

describe('DDL for one node and for a cluster', () => {
  it('uses plain engines with a dedup window on one node', () => {
    const sql = MIGRATIONS.flatMap((m) => m.statements(ddlContext()).map(stepSql)).join('\n');
    expect(sql).not.toContain('ON CLUSTER');
    expect(sql).not.toContain('Replicated');
    expect(sql).toContain('ENGINE = ReplacingMergeTree(received_at)');
    expect(sql).toContain('non_replicated_deduplication_window = 10000');
  });

  it('renders ON CLUSTER and Replicated engines for a cluster, and nothing else differs', () => {
    const one = MIGRATIONS.flatMap((m) => m.statements(ddlContext()).map(stepSql));
    const many = MIGRATIONS.flatMap((m) => m.statements(ddlContext({ cluster: 'pulse' })).map(stepSql));
    expect(many).toHaveLength(one.length);
    for (const s of many.filter((x) => /^(CREATE|ALTER|TRUNCATE)/.test(x))) expect(s).toContain(' ON CLUSTER `pulse`');
    const joined = many.join('\n');
    expect(joined).toContain('ENGINE = ReplicatedReplacingMergeTree(received_at)');
    expect(joined).toContain('ENGINE = ReplicatedAggregatingMergeTree()');
    expect(joined).not.toContain('non_replicated_deduplication_window');
  });

  it('refuses a cluster name that could inject SQL', () => {
    expect(() => ddlContext({ cluster: 'x` ; DROP TABLE events; --' })).toThrow(ConfigError);
  });
});
