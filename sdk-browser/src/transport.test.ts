// The transport on Node with stand-ins for fetch and web storage, and fake
// timers: when it retries (Retry-After in both forms, garbage, backoff) and
// which storage area its outbox lives in, per build and per consent. The same
// behaviour in Chromium: test/transport.test.ts and test/privacy.test.ts.
import { unpack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FLUSH_DELAY_MS, PERSIST } from './config.js';
import type { SdkEvent } from './types.js';

type Area = Record<string, string>;
/** What the stand-in collector does with one request: answer, or fail like a network that is down. */
type Answer = { status: number; retryAfter?: (now: number) => string } | 'down';

const URL_ = 'https://collector.example/v1/batch?key=wk_test';
// A whole second, so an HTTP-date (second resolution) names an exact delay.
const START = Date.UTC(2030, 0, 1, 12, 0, 0);

let answers: Answer[];
/** `Date.now()` at each request, and the event ids it carried. */
let requests: { at: number; ids: string[] }[];
let local: Area;
let session: Area;
/** Every property name read or written on localStorage (the core build must leave it alone). */
let localTouched: string[];

const event = (id: string): SdkEvent => ({ id, name: 'e', ts: START, url: 'https://shop.example/' });
const outbox = (area: Area): string[] | undefined => (area.pulse_q === undefined ? undefined : (JSON.parse(area.pulse_q) as SdkEvent[]).map((e) => e.id));

/** The module as a script build with (`persist`) or without the persist feature compiles it. */
async function load(persist: boolean): Promise<typeof import('./transport.js')> {
  vi.resetModules();
  vi.stubGlobal('PULSE_PERSIST', persist);
  return import('./transport.js');
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
  answers = [];
  requests = [];
  local = {};
  session = {};
  localTouched = [];
  const record = (name: string | symbol) => typeof name === 'string' && localTouched.push(name);
  vi.stubGlobal(
    'localStorage',
    new Proxy(local, {
      get: (t, k) => (record(k), Reflect.get(t, k)),
      set: (t, k, v) => (record(k), Reflect.set(t, k, v)),
      deleteProperty: (t, k) => (record(k), Reflect.deleteProperty(t, k)),
    }),
  );
  vi.stubGlobal('sessionStorage', session);
  vi.stubGlobal('addEventListener', () => {});
  vi.stubGlobal('fetch', async (_url: string, init: { body: Blob }) => {
    const batch = unpack(new Uint8Array(await init.body.arrayBuffer())) as { events: SdkEvent[] };
    requests.push({ at: Date.now(), ids: batch.events.map((e) => e.id) });
    const answer = answers.shift() ?? { status: 202 };
    if (answer === 'down') throw new TypeError('Failed to fetch');
    const headers: Record<string, string> = answer.retryAfter ? { 'Retry-After': answer.retryAfter(Date.now()) } : {};
    return new Response(null, { status: answer.status, headers });
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Queues one event, lets the transport work through `failures` refusals, and returns the waits between its requests. */
async function retryGaps(failures: Answer[]): Promise<number[]> {
  const { createTransport } = await load(false);
  answers = [...failures];
  createTransport(URL_, 0)[0](event('1'));
  await vi.advanceTimersByTimeAsync(FLUSH_DELAY_MS + failures.length * 61_000);
  expect(requests).toHaveLength(failures.length + 1);
  return requests.slice(1).map((r, i) => r.at - requests[i]!.at);
}

const refused = (retryAfter?: (now: number) => string): Answer => ({ status: 503, retryAfter });
const httpDate = (ms: number) => (now: number) => new Date(now + ms).toUTCString();

describe('transport: Retry-After', () => {
  it('waits the delta-seconds the server names', async () => {
    expect(await retryGaps([refused(() => '2'), refused(() => '45')])).toEqual([2000, 45_000]);
  });

  it('waits until the HTTP-date the server names', async () => {
    expect(await retryGaps([refused(httpDate(30_000)), refused(httpDate(5000))])).toEqual([30_000, 5000]);
  });

  it('caps either form at the backoff maximum of 60 s, huge values included', async () => {
    const gaps = await retryGaps([refused(() => '120'), refused(httpDate(2 * 3_600_000)), refused(() => '1e10'), refused(() => 'Infinity')]);
    expect(gaps).toEqual([60_000, 60_000, 60_000, 60_000]);
  });

  it('backs off exponentially when the header is missing, garbage, zero, negative or a date past', async () => {
    const cases: (((now: number) => string) | undefined)[] = [undefined, () => 'soon', () => '', () => '0', () => '-5', httpDate(-60_000), httpDate(0)];
    for (const header of cases) {
      vi.setSystemTime(START);
      requests = [];
      expect(await retryGaps([refused(header), refused(header), refused(header)]), String(header?.(START))).toEqual([1000, 2000, 4000]);
    }
  });

  it('takes a date under a second ahead as no hint: never a retry sooner than the backoff', async () => {
    // 300 ms past a second, so the date (whole seconds) lands 700 ms ahead.
    vi.setSystemTime(START + 300);
    expect(await retryGaps([refused(httpDate(700)), refused(httpDate(700))])).toEqual([1000, 2000]);
  });
});

describe('transport: where the outbox lives', () => {
  it('without the persist feature, keeps it in sessionStorage and never touches localStorage', async () => {
    local.pulse_c = '1'; // consent cannot be given in this build: it must not read it either
    const { createTransport } = await load(false);
    answers = ['down'];
    const [add] = createTransport(URL_, PERSIST);
    add(event('a'));
    add(event('b'));
    expect(outbox(session)).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(FLUSH_DELAY_MS + 1000);
    expect(requests.map((r) => r.ids)).toEqual([['a', 'b'], ['a', 'b']]);
    expect(outbox(session)).toEqual([]);
    expect(localTouched).toEqual([]);
  });

  it('cookieless in a persist build: sessionStorage, and what an earlier version left in localStorage moves there', async () => {
    local.pulse_q = JSON.stringify([event('old')]);
    const { createTransport } = await load(true);
    answers = ['down'];
    const [add] = createTransport(URL_, 0);
    add(event('a'));
    expect(outbox(session)).toEqual(['old', 'a']);
    expect(local).toEqual({});
    await vi.advanceTimersByTimeAsync(FLUSH_DELAY_MS + 1000);
    expect(requests.map((r) => r.ids)).toEqual([['old', 'a'], ['old', 'a']]);
    expect(outbox(session)).toEqual([]);
    expect(local).toEqual({});
  });

  it('with data-persist or consent: localStorage, shared with the site\'s other tabs', async () => {
    const { createTransport } = await load(true);
    session.pulse_q = JSON.stringify([event('before')]); // queued in this tab before consent was given
    local.pulse_q = JSON.stringify([event('other-tab')]);
    answers = ['down'];
    const [add] = createTransport(URL_, PERSIST);
    add(event('a'));
    expect(outbox(local)).toEqual(['other-tab', 'before', 'a']);
    expect(session).toEqual({});
    // This tab's reply settles its own events; the other tab's stay for it to send.
    local.pulse_q = JSON.stringify([...(JSON.parse(local.pulse_q) as SdkEvent[]), event('other-tab-2')]);
    await vi.advanceTimersByTimeAsync(FLUSH_DELAY_MS + 1000);
    expect(requests.at(-1)!.ids).toEqual(['other-tab', 'before', 'a']);
    expect(outbox(local)).toEqual(['other-tab-2']);

    local.pulse_c = '1';
    const consented = await load(true);
    consented.createTransport(URL_, 0)[0](event('b'));
    expect(outbox(local)).toEqual(['other-tab-2', 'b']);
  });

  it('moves pending events out of localStorage when consent is withdrawn, and still delivers them', async () => {
    const { createTransport, saveOutbox } = await load(true);
    answers = ['down', 'down'];
    const [add] = createTransport(URL_, PERSIST);
    add(event('a'));
    add(event('b'));
    await vi.advanceTimersByTimeAsync(FLUSH_DELAY_MS);
    expect(outbox(local)).toEqual(['a', 'b']);
    local.pulse_c = '0';
    saveOutbox(undefined, undefined, PERSIST); // what consent(false) does after storing "0"
    expect(local).toEqual({ pulse_c: '0' });
    expect(outbox(session)).toEqual(['a', 'b']);
    add(event('c'));
    expect(local).toEqual({ pulse_c: '0' });
    await vi.advanceTimersByTimeAsync(3000 + FLUSH_DELAY_MS);
    expect(requests.map((r) => r.ids)).toEqual([['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
    expect(outbox(session)).toEqual([]);
    expect(local).toEqual({ pulse_c: '0' });
  });
});
