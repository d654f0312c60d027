import { describe, expect, it } from 'vitest';
import { senderUserAgent } from './user-agent.js';

describe('senderUserAgent', () => {
  it("keeps a browser's agent and marks a library's as a server SDK's, named after the endpoint", () => {
    const browser = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36';
    expect(senderUserAgent('segment', browser, 512)).toBe(browser);
    expect(senderUserAgent('ga4', 'Opera/9.80 (Windows NT 6.0) Presto/2.12.388', 512)).toBe('Opera/9.80 (Windows NT 6.0) Presto/2.12.388');
    expect(senderUserAgent('segment', 'analytics-node-next/latest', 512)).toBe('pulse-sdk-segment (analytics-node-next/latest)');
    expect(senderUserAgent('ga4', 'python-requests/2.32.3', 512)).toBe('pulse-sdk-ga4 (python-requests/2.32.3)');
    expect(senderUserAgent('ga4', '', 512)).toBe('pulse-sdk-ga4 (unknown)');
    expect(senderUserAgent('segment', `python-requests/${'x'.repeat(600)}`, 512)).toHaveLength(512);
  });
});
