import { spawn, type ChildProcess } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, type JetStreamManager, type KV, type NatsConnection } from 'nats';
import { DLQ_STREAM, EVENTS_STREAM, KV_WRITE_KEYS, encodeRecord, type AnyStreamMessage, type StreamRecord, type WriteKeyRecord } from '@pulse/protocol';
import { decodeMsgpack, decodeStreamMessage, encodeMsgpack, eventRecordOf } from '@pulse/protocol/codec';
import { freePort, servicePorts } from '@pulse/testkit';
import { assertPortFree } from '../src/metrics-listener.js';

export type Runtime = 'node' | 'bun';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const BUN = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));

export interface RunningCollector {
  url: string;
  port: number;
  child: ChildProcess;
  logs: string[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns the built collector (dist/main-<runtime>.js) on a free port and waits for /readyz. */
export async function startCollector(runtime: Runtime, natsUrl: string, env: Record<string, string> = {}): Promise<RunningCollector> {
  const port = await freePort();
  const bin = runtime === 'bun' ? BUN : process.execPath;
  const child = spawn(bin, [`dist/main-${runtime}.js`], {
    cwd: PKG,
    env: { ...process.env, NATS_URL: natsUrl, COLLECTOR_PORT: String(port), COLLECTOR_HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (b: Buffer) => logs.push(...b.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const prefix = env.COLLECTOR_PATH_PREFIX ?? '';
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}:\n${logs.join('\n')}`);
    const r = await fetch(`${url}${prefix}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`collector not ready in time:\n${logs.join('\n')}`);
    }
    await sleep(50);
  }
  return {
    url,
    port,
    child,
    logs,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The first of `n` consecutive free ports (COLLECTOR_METRICS_PORT: one per process). */
export async function freePortRange(n: number): Promise<number> {
  for (;;) {
    const [first = 0] = await servicePorts(1);
    const free = async (port: number) => assertPortFree({ host: '127.0.0.1', port, setting: 'test' }).then(() => true, () => false);
    let ok = true;
    for (let p = first + 1; ok && p < first + n; p++) ok = await free(p);
    if (ok) return first;
  }
}

export interface NatsTools {
  nc: NatsConnection;
  jsm: JetStreamManager;
  kv: KV;
}

export async function natsTools(url: string): Promise<NatsTools> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const jsm = await nc.jetstreamManager();
  const kv = await nc.jetstream().views.kv(KV_WRITE_KEYS, { history: 1 });
  return { nc, jsm, kv };
}

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomId(prefix: string, n: number): string {
  let s = prefix;
  for (let i = 0; i < n; i++) s += B62[Math.floor(Math.random() * 62)];
  return s;
}

/** Registers a write key the way the query API's admin call does: a PUT in PULSE_WRITE_KEYS. */
export async function createWriteKey(kv: KV, siteId = randomId('s_', 16)): Promise<{ key: string; siteId: string }> {
  const key = randomId('wk_', 32);
  const rec: WriteKeyRecord = { site_id: siteId, merchant_id: 'm_test000000000000', created_at: Date.now() };
  await kv.put(key, encodeRecord(rec));
  return { key, siteId };
}

export async function lastSeq(jsm: JetStreamManager, stream = EVENTS_STREAM): Promise<number> {
  return (await jsm.streams.info(stream)).state.last_seq;
}

/** Every record in EVENTS after `afterSeq`, decoded (raw records expanded) as the aggregator would. */
export async function recordsAfter(jsm: JetStreamManager, afterSeq: number): Promise<StreamRecord[]> {
  const last = await lastSeq(jsm);
  const out: StreamRecord[] = [];
  for (let seq = afterSeq + 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq });
    out.push(...decodeStreamMessage(m.data).records.map(eventRecordOf));
  }
  return out;
}

/** Every message in EVENTS after `afterSeq` as stored (raw records not expanded). */
export async function messagesAfter(jsm: JetStreamManager, afterSeq: number): Promise<AnyStreamMessage[]> {
  const last = await lastSeq(jsm);
  const out: AnyStreamMessage[] = [];
  for (let seq = afterSeq + 1; seq <= last; seq++) out.push(decodeStreamMessage((await jsm.streams.getMessage(EVENTS_STREAM, { seq })).data));
  return out;
}

export async function deadLettersAfter(jsm: JetStreamManager, afterSeq: number): Promise<Array<Record<string, unknown>>> {
  const last = await lastSeq(jsm, DLQ_STREAM);
  const out: Array<Record<string, unknown>> = [];
  for (let seq = afterSeq + 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(DLQ_STREAM, { seq });
    out.push(decodeMsgpack(m.data) as Record<string, unknown>);
  }
  return out;
}

export interface PostOptions {
  key?: string;
  keyInQuery?: boolean;
  contentType?: string | null;
  path?: string;
  headers?: Record<string, string>;
}

export async function postBatch(base: string, body: Uint8Array | string, o: PostOptions = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.contentType !== null) headers['content-type'] = o.contentType ?? (typeof body === 'string' ? 'application/json' : 'application/msgpack');
  let path = o.path ?? '/v1/batch';
  if (o.key && o.keyInQuery) path += `?key=${encodeURIComponent(o.key)}`;
  else if (o.key) headers.authorization = `Bearer ${o.key}`;
  const res = await fetch(base + path, { method: 'POST', headers, body: body as ConstructorParameters<typeof Response>[0] });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

export function pageviews(n: number, extra: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ id: randomId('e_', 20), name: 'pageview', url: `https://shop.example/p/${i}`, ts: Date.now(), ...extra }));
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A hand-written HTTP/1.1 request on a raw socket, for what fetch cannot do:
 * bodies that lie about their size, trickle in, or are cut off by the server.
 * Stops writing as soon as an answer starts arriving.
 */
export function rawRequest(
  port: number,
  head: string,
  chunks: Iterable<Uint8Array | string>,
  o: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    let answered = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      const text = got.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = text.slice(0, end).split('\r\n');
      const status = Number(lines[0]?.split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const len = Number(headers['content-length'] ?? NaN);
      const body = got.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
      if (!Number.isNaN(len) && body.length < len) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ status, headers, body: body.toString('utf8') });
    };
    const timer = setTimeout(() => {
      s.destroy();
      if (!settled) reject(new Error(`no answer within ${o.timeoutMs ?? 10_000} ms; got ${JSON.stringify(got.toString('latin1').slice(0, 200))}`));
    }, o.timeoutMs ?? 10_000);
    s.on('data', (d: Buffer) => {
      answered = true;
      got = Buffer.concat([got, d]);
      finish();
    });
    s.on('error', () => finish());
    s.on('close', () => {
      finish();
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`connection closed without a full answer: ${JSON.stringify(got.toString('latin1').slice(0, 200))}`));
      }
    });
    s.on('connect', async () => {
      s.write(head);
      for (const c of chunks) {
        if (answered || s.destroyed) return;
        const ok = s.write(c);
        if (o.intervalMs) await sleep(o.intervalMs);
        else if (!ok) await new Promise((r) => s.once('drain', r));
      }
    });
  });
}

export function* repeatChunks(chunk: Uint8Array, times: number): Generator<Uint8Array> {
  for (let i = 0; i < times; i++) yield chunk;
}

/** Chunked transfer encoding framing of one chunk. */
export function chunked(data: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${data.byteLength.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}

/** Reads one counter or gauge sample (with labels, if given) from /metrics. */
export async function metricValue(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

export interface TrafficResult {
  /** Ids of events whose request was answered 202. */
  acceptedIds: string[];
  statuses: Map<number | string, number>;
}

/** `concurrency` loops posting small msgpack batches with fresh event ids until stopped. */
export function validTraffic(base: string, key: string, concurrency = 4, eventsPerBatch = 5): { stop(): Promise<TrafficResult> } {
  let running = true;
  const result: TrafficResult = { acceptedIds: [], statuses: new Map() };
  const count = (k: number | string) => result.statuses.set(k, (result.statuses.get(k) ?? 0) + 1);
  const loop = async () => {
    while (running) {
      const events = pageviews(eventsPerBatch);
      try {
        const r = await postBatch(base, encodeMsgpack({ sent_at: Date.now(), events }), { key });
        count(r.status);
        if (r.status === 202) {
          if (r.json?.accepted !== eventsPerBatch) count('bad_202_body');
          result.acceptedIds.push(...events.map((e) => e.id as string));
        } else await sleep(20);
      } catch {
        count('network_error');
        await sleep(20);
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
