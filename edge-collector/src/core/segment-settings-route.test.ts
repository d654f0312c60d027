import { describe, expect, it } from 'vitest';
import { KeyLookupError } from '../errors.js';
import { KEY, answer, coreRequest, setup } from './route-test-kit.js';
import { SETTINGS_MAX_AGE_SEC } from './segment-settings-route.js';

const settingsPath = (key: string, prefix = '') => `${prefix}/segment/v1/projects/${key}/settings`;
const get = (path: string, headers: Record<string, string> = { host: 'collector.example.com' }, method = 'GET') => coreRequest(path, '', { method, headers });

describe('CollectorCore: analytics.js settings (GET /segment/v1/projects/<key>/settings)', () => {
  it('points the Segment.io integration at this collector, with nothing else to load, cacheable', async () => {
    const { core, sink, metrics } = setup({ pathPrefix: '/pulse' });
    const r = await answer(core, sink, get(settingsPath(KEY, '/pulse'), { host: 'collector.example.com:8443' }));
    expect(r.status).toBe(200);
    const apiHost = 'collector.example.com:8443/pulse/segment/v1';
    expect(r.json).toEqual({
      integrations: {
        'Segment.io': { apiKey: KEY, apiHost, protocol: 'http', unbundledIntegrations: [], maybeBundledConfigIds: {}, addBundledMetadata: false },
      },
      plan: {},
      edgeFunction: {},
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0, host: apiHost },
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    });
    expect(r.headers['cache-control']).toBe(`public, max-age=${SETTINGS_MAX_AGE_SEC}`);
    expect(r.headers.vary).toBe('Host, X-Forwarded-Host, X-Forwarded-Proto');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(core.isBatchPath(settingsPath(KEY, '/pulse'))).toBe(false);
    const head = await core.handle(get(settingsPath(KEY, '/pulse'), { host: 'collector.example.com' }, 'HEAD'));
    expect([head.status, head.headOnly]).toEqual([200, true]);
    expect(sink.records).toEqual([]);
    expect(await metrics.registry.metrics()).toContain('pulse_collector_requests_total{route="segment_settings",status="200"} 2');
  });

  it('names the origin a trusted proxy forwarded, and only a trusted one', async () => {
    const forwarded = { host: '10.0.0.5:8080', 'x-forwarded-host': 'collector.example.com', 'x-forwarded-proto': 'https' };
    const trusted = setup({ trustedProxies: ['198.51.100.0/24'] });
    const viaProxy = await answer(trusted.core, trusted.sink, get(settingsPath(KEY), forwarded));
    expect(viaProxy.json.integrations['Segment.io']).toMatchObject({ apiHost: 'collector.example.com/segment/v1', protocol: 'https' });
    const untrusted = setup();
    const direct = await answer(untrusted.core, untrusted.sink, get(settingsPath(KEY), forwarded));
    expect(direct.json.integrations['Segment.io']).toMatchObject({ apiHost: '10.0.0.5:8080/segment/v1', protocol: 'http' });
  });

  it('refuses a bad, unknown or revoked key with 401, an unusable host with 400, other methods with 405, uncached', async () => {
    const { core, sink } = setup();
    for (const key of ['nope', `wk_${'Z'.repeat(24)}`, '']) {
      const r = await answer(core, sink, get(settingsPath(key)));
      expect([key, r.status, r.json.error.code, r.headers['cache-control']]).toEqual([key, 401, 'invalid_key', 'no-store']);
    }
    const noHost = await answer(core, sink, get(settingsPath(KEY), {}));
    expect([noHost.status, noHost.json.error.code]).toEqual([400, 'invalid_host']);
    const post = await answer(core, sink, coreRequest(settingsPath(KEY), {}));
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    expect((await answer(core, sink, get('/segment/v1/projects/a/b/settings'))).status).toBe(404);
  });

  it('answers 503 with Retry-After when the key registry is unreachable', async () => {
    const { core, sink } = setup({}, () => Promise.reject(new KeyLookupError('down')));
    const r = await answer(core, sink, get(settingsPath(KEY)));
    expect([r.status, r.json.error.code, r.headers['retry-after']]).toEqual([503, 'key_registry_unavailable', '2']);
  });
});

describe("CollectorCore: analytics.js's usage metrics (POST /segment/v1/m)", () => {
  it('answers 200 without a key and stores nothing, counting no event', async () => {
    const { core, sink, metrics } = setup();
    const body = { series: [{ type: 'Counter', metric: 'analytics_js.invoke.track', value: 1, tags: { library: 'analytics.js' } }] };
    const r = await answer(core, sink, coreRequest('/segment/v1/m', body, { headers: { 'content-type': 'text/plain' } }));
    expect([r.status, r.json]).toEqual([200, { success: true }]);
    expect(core.isBatchPath('/segment/v1/m')).toBe(true);
    expect([sink.records, sink.letters]).toEqual([[], []]);
    expect(await metrics.registry.metrics()).not.toContain('pulse_collector_events_total{');
  });
});
