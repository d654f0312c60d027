import { describe, expect, it } from 'vitest';
import { silentLogger } from './log.js';
import { readinessCheck, type ReadinessCheckDeps } from './readiness-check.js';

function deps() {
  const calls = { nats: 0, storage: 0 };
  let natsUp = true;
  let since: number | undefined;
  const d = {
    opts: {
      nats: { isClosed: () => false },
      storage: {
        ping: async () => (calls.storage++, true),
        query: async () => [{ n: 1 }],
      },
      tenancyStaleMaxMs: 60_000,
    },
    tenancy: {
      ping: async () => {
        calls.nats++;
        await new Promise((r) => setTimeout(r, 20));
        if (natsUp) return (since = undefined);
        since ??= Date.now();
        throw new Error('no NATS');
      },
      natsUnreachableSince: () => since,
    },
    log: silentLogger,
  } as unknown as ReadinessCheckDeps;
  return { d, calls, setNats: (up: boolean) => (natsUp = up) };
}

describe('readinessCheck', () => {
  it('runs one probe for the callers that ask while it runs, and a new one after', async () => {
    const { d, calls } = deps();
    const check = readinessCheck(d);
    const [a, b] = await Promise.all([check(), check()]);
    expect(a).toBe(b);
    expect(calls).toEqual({ nats: 1, storage: 1 });
    expect((await check()).body.status).toBe('ready');
    expect(calls).toEqual({ nats: 2, storage: 2 });
  });

  it('says degraded while NATS is out of reach within the stale window, ready once it answers', async () => {
    const { d, setNats } = deps();
    const check = readinessCheck(d);
    setNats(false);
    expect(await check()).toMatchObject({ httpStatus: 200, body: { status: 'degraded', tenancy: 'stale' } });
    setNats(true);
    expect(await check()).toMatchObject({ httpStatus: 200, body: { status: 'ready', nats: true } });
  });
});
