import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '@pulse/testkit';
import { HaproxyNotFoundError } from './errors.js';
import { findHaproxy, haproxyConfig } from './haproxy.js';

describe('haproxy', () => {
  it('writes a configuration HAProxy itself accepts (haproxy -c)', () => {
    const dir = tempDir('pulse-haproxy-');
    try {
      const file = join(dir.path, 'haproxy.cfg');
      const text = haproxyConfig({ host: '127.0.0.1', port: 18080, statsPort: 18404, backends: ['127.0.0.1:18180', '127.0.0.1:18181'] });
      writeFileSync(file, text);
      const out = execFileSync(findHaproxy(), ['-c', '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toMatch(/Configuration file is valid/);
      expect(text).toContain('server collector-1 127.0.0.1:18180 check');
      expect(text).toContain('server collector-2 127.0.0.1:18181 check');
      // The collector answers HTTP/1.0 health checks 505: the check must speak HTTP/1.1.
      expect(text).toMatch(/http-check send meth GET uri \/readyz ver HTTP\/1\.1/);
    } finally {
      dir.remove();
    }
  });

  it('says how to install HAProxy when it is missing', () => {
    expect(() => findHaproxy({ PATH: '/nonexistent' }, [])).toThrow(HaproxyNotFoundError);
    expect(() => findHaproxy({ PATH: '/nonexistent' }, [])).toThrow('apt-get install -y haproxy');
    expect(findHaproxy({ HAPROXY_BIN: '/opt/haproxy' })).toBe('/opt/haproxy');
  });
});
