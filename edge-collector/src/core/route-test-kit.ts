import { expect } from 'vitest';
import { BodyError, type AnyStreamRecord, type WriteKeyRecord } from '@pulse/protocol';
import { resolveOptions, type CollectorOptions } from '../config.js';
import { CollectorCore } from './collector-core.js';
import { createMetrics } from './metrics.js';
import type { CoreRequest, CoreResponse, DeadLetter, EventSink } from './types.js';

/** Shared by the core's route tests (segment-route.test.ts, ga4-route.test.ts). */
export const KEY = `wk_${'A'.repeat(24)}`;
export const SITE: WriteKeyRecord = { site_id: 's_1', merchant_id: 'm_1', created_at: 1 };
export const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const enc = new TextEncoder();

/** A sink that holds every publish until released, to see that the answer waits for the PubAck. */
export class HeldSink implements EventSink {
  records: AnyStreamRecord[] = [];
  letters: DeadLetter[] = [];
  fail: Error | undefined;
  private releases: Array<() => void> = [];

  publishRecord(record: AnyStreamRecord): Promise<void> {
    this.records.push(record);
    return this.held();
  }

  publishDeadLetter(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
    return this.held();
  }

  /** Publishes made and not yet acknowledged. */
  get holding(): number {
    return this.releases.length;
  }

  release(): void {
    for (const r of this.releases.splice(0)) r();
  }

  private held(): Promise<void> {
    if (this.fail) return Promise.reject(this.fail);
    return new Promise((resolve) => this.releases.push(resolve));
  }
}

/** A core at `NOW` whose registry knows `KEY`, publishing into a HeldSink. */
export function setup(o: Partial<CollectorOptions> = {}, keys: (key: string) => Promise<WriteKeyRecord | undefined> = async (k) => (k === KEY ? SITE : undefined)) {
  const sink = new HeldSink();
  const metrics = createMetrics({ defaultMetrics: false });
  const core = new CollectorCore({
    options: resolveOptions({ instanceId: 'test', ...o }),
    keys: { lookup: keys },
    sink,
    readiness: () => ({ ready: true }),
    metrics,
    now: () => NOW,
  });
  return { core, sink, metrics };
}

/** A POST (by default) of a JSON body, from a fixed peer. */
export function coreRequest(path: string, body: unknown, o: { headers?: Record<string, string>; query?: string; method?: string } = {}): CoreRequest {
  return {
    method: o.method ?? 'POST',
    path,
    query: o.query ?? '',
    headers: { 'content-type': 'application/json', ...o.headers },
    remoteAddress: '198.51.100.4',
    body: typeof body === 'string' ? enc.encode(body) : enc.encode(JSON.stringify(body)),
  };
}

/** Handles a request, releasing the sink's publishes once the core has made them (and checking it waited for them). */
export async function answer(core: CollectorCore, sink: HeldSink, req: CoreRequest): Promise<{ status: number; json: any; headers: Record<string, string> }> {
  const pending = core.handle(req);
  let settled = false;
  void pending.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 5));
  if (sink.holding > 0) expect(settled).toBe(false);
  sink.release();
  const res: CoreResponse = await pending;
  return { status: res.status, json: JSON.parse(String(res.body)), headers: res.headers };
}

/** The BodyError a body reader throws (its code and status), or undefined when it reads the body. */
export function bodyError(f: () => unknown): { code: string; status: number } | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof BodyError) return { code: e.code, status: e.status };
    throw e;
  }
  return undefined;
}
