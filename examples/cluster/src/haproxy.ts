import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HaproxyNotFoundError } from './errors.js';

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];

/** HAPROXY_BIN, else PATH, else the sbin dirs a non-root PATH often lacks (Debian installs it in /usr/sbin). */
export function findHaproxy(env: { HAPROXY_BIN?: string; PATH?: string } = process.env, extraDirs: readonly string[] = EXTRA_DIRS): string {
  if (env.HAPROXY_BIN) return env.HAPROXY_BIN;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, 'haproxy');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new HaproxyNotFoundError([...new Set(dirs)]);
}

export interface HaproxyConfigInput {
  host: string;
  port: number;
  statsPort: number;
  /** host:port of each collector. */
  backends: string[];
}

/**
 * The collectors' part of deploy/haproxy.cfg, with this machine's addresses (the query API here is
 * the core process, without a balancer). Health checks hit /readyz, so a
 * collector that is draining (SIGTERM) or has lost NATS leaves the rotation; `retry-on conn-failure`
 * plus `redispatch` sends a request whose connection was refused (a killed collector) to the other one.
 * A request already inside a dying collector is not replayed by the balancer: the SDK retries it,
 * and the event ids make that harmless.
 */
export function haproxyConfig(c: HaproxyConfigInput): string {
  const servers = c.backends.map((b, i) => `    server collector-${i + 1} ${b} check inter 500ms fall 2 rise 2`);
  return [
    'global',
    '    maxconn 4096',
    '',
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    timeout http-keep-alive 10s',
    '    retries 3',
    '    option redispatch 1',
    '    retry-on conn-failure empty-response',
    '',
    'frontend ingest',
    `    bind ${c.host}:${c.port}`,
    '    option forwardfor',
    // With every collector out (NATS down), HAProxy's own 503 should pace clients like the collectors' do.
    '    http-after-response set-header Retry-After 2 if { status 503 } !{ res.hdr(retry-after) -m found }',
    '    default_backend collectors',
    '',
    'backend collectors',
    '    balance roundrobin',
    // HTTP/1.1 explicitly: the uWS collector answers HTTP/1.0 requests 505.
    '    option httpchk',
    '    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host collector',
    '    http-check expect status 200',
    ...servers,
    '',
    'frontend stats',
    `    bind ${c.host}:${c.statsPort}`,
    '    stats enable',
    '    stats uri /stats',
    '    http-request return status 200 content-type text/plain string ok if { path /healthz }',
    '',
  ].join('\n');
}
