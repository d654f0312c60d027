import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UnauthorizedError } from '../errors.js';
import { bearerToken } from '../http/respond.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A check that throws UnauthorizedError unless the request carries the admin token. */
export function adminGuard(adminToken: string): (req: IncomingMessage) => void {
  const expected = digest(adminToken);
  return (req) => {
    const token = bearerToken(req);
    // Digests have equal length, so the comparison time does not depend on the token.
    if (token === undefined || !timingSafeEqual(digest(token), expected)) throw new UnauthorizedError('admin token required');
  };
}
