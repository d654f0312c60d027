/** How clients reach the collector: the scheme and host they put in its URLs. */
export interface PublicOrigin {
  protocol: 'http' | 'https';
  /** Host name or address, with a port when not the scheme's default, as the client sent it. */
  host: string;
}

/** A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** The first value of a header a chain of proxies may have appended to: the one the client's side set. */
function firstValue(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const comma = v.indexOf(',');
  return (comma === -1 ? v : v.slice(0, comma)).trim() || undefined;
}

/**
 * The origin clients use to reach the collector, for answers that name its URL (analytics.js's
 * settings). The collector itself speaks plain HTTP, so a direct client used `http` and the `Host`
 * it sent. Behind a proxy that terminates TLS or rewrites the host, `X-Forwarded-Proto` and
 * `X-Forwarded-Host` say what the client used, but they are believed only from a trusted proxy, as
 * `X-Forwarded-For` is: anyone else could point the answer elsewhere. Undefined when the host is
 * missing or is no host.
 */
export function publicOrigin(headers: Readonly<Record<string, string>>, viaTrustedProxy: boolean): PublicOrigin | undefined {
  const host = (viaTrustedProxy ? firstValue(headers['x-forwarded-host']) : undefined) ?? headers['host']?.trim();
  if (host === undefined || !HOST.test(host)) return undefined;
  const proto = viaTrustedProxy ? firstValue(headers['x-forwarded-proto'])?.toLowerCase() : undefined;
  return { protocol: proto === 'https' ? 'https' : 'http', host };
}
