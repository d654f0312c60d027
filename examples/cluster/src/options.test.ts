import { describe, expect, it } from 'vitest';
import { ClusterConfigError } from './errors.js';
import { DEFAULT_LB_PORT, DEFAULT_NATS_PORTS, resolveClusterOptions } from './options.js';

describe('resolveClusterOptions', () => {
  it('fills the defaults of a 3-node cluster at R3', () => {
    const o = resolveClusterOptions({ dataDir: '/tmp/x' });
    expect(o.lbPort).toBe(DEFAULT_LB_PORT);
    expect(o.natsPorts).toEqual(DEFAULT_NATS_PORTS);
    expect(o.replicas).toBe(3);
    expect(o.collectorPorts).toHaveLength(2);
    expect(o.aggregatorPorts).toHaveLength(2);
    expect(o.collectorRuntime).toBe('node');
  });

  it('names the field that is wrong', () => {
    const bad = (over: object) => {
      try {
        resolveClusterOptions({ dataDir: '/tmp/x', ...over });
      } catch (err) {
        expect(err).toBeInstanceOf(ClusterConfigError);
        return (err as ClusterConfigError).field;
      }
      return 'accepted';
    };
    expect(bad({ dataDir: '' })).toBe('dataDir');
    expect(bad({ replicas: 4 })).toBe('replicas');
    expect(bad({ natsPorts: [5001], natsRoutePorts: [6001, 6002] })).toBe('natsRoutePorts');
    expect(bad({ lbPort: 70_000 })).toBe('lbPort');
    // Not a number is named as such, not as "used twice" (NaN is never equal to itself).
    expect(bad({ lbPort: Number.NaN })).toBe('lbPort');
    expect(bad({ collectorPorts: [8101, Number.NaN] })).toBe('collectorPorts[1]');
    expect(bad({ queryPort: 8080 })).toBe('ports');
    expect(bad({ collectorRuntime: 'deno' })).toBe('collectorRuntime');
    expect(bad({ adminToken: 'short' })).toBe('adminToken');
    expect(bad({ readyTimeoutMs: 5 })).toBe('readyTimeoutMs');
  });

  it('caps the default replica count at the cluster size', () => {
    expect(resolveClusterOptions({ dataDir: '/tmp/x', natsPorts: [5001], natsRoutePorts: [6001] }).replicas).toBe(1);
  });
});
