import { connect, type NatsConnection } from 'nats';
import { EVENTS_STREAM } from '@pulse/protocol';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}

export function natsClient(servers: string[]): Promise<NatsConnection> {
  return connect({ servers, name: 'pulse-chaos', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
}

/** Server name ("n0".."n2") leading the EVENTS stream. */
export async function eventsLeader(nc: NatsConnection, timeoutMs = 30_000): Promise<string> {
  return until('an EVENTS leader', timeoutMs, async () => {
    const jsm = await nc.jetstreamManager({ timeout: 2000 });
    return (await jsm.streams.info(EVENTS_STREAM)).cluster?.leader || undefined;
  });
}

/** Every stream (and KV bucket) has a leader and all its replicas are online and current. */
export async function waitStreamsCurrent(nc: NatsConnection, replicas: number, timeoutMs = 60_000): Promise<void> {
  await until('every stream replica current', timeoutMs, async () => {
    const jsm = await nc.jetstreamManager({ timeout: 2000 });
    for await (const s of jsm.streams.list()) {
      const c = s.cluster;
      if (!c?.leader) return undefined;
      const peers = c.replicas ?? [];
      if (peers.length !== replicas - 1 || peers.some((p) => !p.current || p.offline)) return undefined;
    }
    const consumer = await jsm.consumers.info(EVENTS_STREAM, 'aggregator');
    const cc = consumer.cluster;
    if (!cc?.leader || (cc.replicas ?? []).some((p) => !p.current || p.offline)) return undefined;
    return true;
  });
}

/** Both aggregators ready with nothing pending or unacknowledged. */
export async function waitAggregatorsIdle(urls: string[], timeoutMs = 120_000): Promise<void> {
  await until('the aggregators to be idle', timeoutMs, async () => {
    for (const url of urls) {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { pending?: number; ackPending?: number };
      if (res.status !== 200 || body.pending !== 0 || body.ackPending !== 0) return undefined;
    }
    return true;
  });
}

/** Every server of HAProxy's `collectors` backend is UP (after a restart, before the next one goes down). */
export async function waitBackendsUp(statsUrl: string, count: number, timeoutMs = 30_000): Promise<void> {
  await until('every collector UP in HAProxy', timeoutMs, async () => {
    const csv = await (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2000) })).text();
    const up = csv.split('\n').filter((l) => l.startsWith('collectors,collector-') && l.split(',')[17] === 'UP');
    return up.length === count ? true : undefined;
  });
}

/** HAProxy's own counters for the collectors backend: requests it retried and redispatched to another server. */
export async function backendRetries(statsUrl: string): Promise<{ retries: number; redispatches: number }> {
  const csv = await (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2000) })).text();
  const row = csv.split('\n').find((l) => l.startsWith('collectors,BACKEND'))?.split(',') ?? [];
  return { retries: Number(row[15] ?? 0), redispatches: Number(row[16] ?? 0) };
}
