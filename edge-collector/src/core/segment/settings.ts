/** Where analytics.js sends a site's calls: `${protocol}://${apiHost}/<letter>`. */
export interface SegmentApiLocation {
  protocol: 'http' | 'https';
  /** Host (and port) and path, without scheme: `collector.example.com/pulse/segment/v1`. */
  apiHost: string;
}

/**
 * The source settings analytics.js (analytics-next) loads before it sends anything, as Segment's
 * CDN answers them for a source with no destination: the `Segment.io` integration alone, pointed at
 * this collector. Every optional feature is off, so the library loads nothing else from a CDN:
 * no device-mode destinations (one integration means none), no remote plugins, middleware, routing
 * rules, edge function or legacy video plugins.
 */
export function segmentSettings(writeKey: string, api: SegmentApiLocation): Record<string, unknown> {
  return {
    integrations: {
      'Segment.io': {
        // The library's own key for its calls: it puts it in every body and its Basic header.
        apiKey: writeKey,
        apiHost: api.apiHost,
        protocol: api.protocol,
        unbundledIntegrations: [],
        maybeBundledConfigIds: {},
        // Its `_metadata` (bundled destinations) would only grow every body: Pulse never reads it.
        addBundledMetadata: false,
      },
    },
    plan: {},
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    // Usage counters about the library itself, not the site's events: a sample rate of 0 sends
    // none, and the host keeps any that an older setting asks for away from Segment.
    metrics: { sampleRate: 0, host: api.apiHost },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}
