import { createHash } from 'node:crypto';

/** Prefix that tells a server-made (cookieless) visitor id from an SDK-made one. */
export const COOKIELESS_PREFIX = 'c_';

/**
 * A visitor id that needs no cookie: a hash of the day's secret salt, the site, the IP and the
 * user agent. The salt changes every day and is deleted after the stream retention, so the id
 * cannot be linked across days nor reversed to an IP once the salt is gone.
 */
export function cookielessVisitorId(salt: string, siteId: string, ip: string, ua: string): string {
  const h = createHash('sha256');
  for (const part of [salt, siteId, ip, ua]) h.update(part).update('\u0000');
  return COOKIELESS_PREFIX + h.digest('hex').slice(0, 32);
}

/** The UTC day a salt belongs to: `YYYY-MM-DD`. */
export function saltDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
