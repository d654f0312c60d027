import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { KV_WRITE_KEYS, type AnyStreamRecord, type WriteKeyRecord } from '@pulse/protocol';
import { streamPublisher, type StreamPublisher } from '@pulse/protocol/publisher';
import { openBucket } from '@pulse/protocol/streams';
import { USAGE_SUBJECT_COLLECTOR, UsageShare } from '@pulse/protocol/usage-share';
import { resolveOptions, type CollectorOptions } from './config.js';
import { CollectorCore } from './core/collector-core.js';
import { createMetrics, type CollectorMetrics } from './core/metrics.js';
import type { DeadLetter, EventSink, Logger, Readiness, WriteKeyLookup } from './core/types.js';
import { KeyLookupError, StreamUnavailableError } from './errors.js';
import { JetStreamSink } from './nats/jetstream-sink.js';
import { ensureStreams } from './nats/streams.js';
import { WriteKeyCache } from './nats/write-keys.js';

export interface CollectorServiceOptions {
  /** One or more NATS URLs (a cluster's seeds). */
  natsServers: string | string[];
  /** Extra NATS connection settings (credentials, TLS). */
  natsOptions?: Partial<ConnectionOptions>;
  collector?: Partial<CollectorOptions>;
  /** Browser SDK builds by file name, served at `<prefix>/<name>`. */
  scripts?: ReadonlyMap<string, Uint8Array>;
  log?: Logger;
  metrics?: CollectorMetrics;
}

/** NATS default max_payload; replaced by what the server announces. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const RECONNECT_WAIT_MS = 250;
/**
 * A server that stops answering without closing the connection (frozen, or a network path that
 * drops packets) is only noticed by the client's pings after several intervals. A ping of our own
 * every second, unanswered for 2 s, takes the collector out of readiness and makes batches fail
 * fast with 503 instead of waiting out the publish timeout.
 */
export const NATS_PROBE_INTERVAL_MS = 1_000;
export const NATS_PROBE_TIMEOUT_MS = 2_000;
const UNRESPONSIVE = `NATS has not answered a ping for ${NATS_PROBE_TIMEOUT_MS} ms`;

interface Live {
  nc: NatsConnection;
  publisher: StreamPublisher;
  sink: JetStreamSink;
  keys: WriteKeyCache;
  /** Shares the rate limits with every other collector; none while rate limiting is off. */
  usage: UsageShare | undefined;
}

/**
 * Wires the core to NATS. The HTTP side can run before NATS is reachable:
 * until it is, /readyz says 503 and batches get 503 with Retry-After.
 */
export class CollectorService implements EventSink, WriteKeyLookup {
  readonly core: CollectorCore;
  readonly options: CollectorOptions;
  readonly metrics: CollectorMetrics;
  private readonly log: Logger;
  private live: Live | undefined;
  private connected = false;
  private streamsReady = false;
  private stopping = false;
  private connecting: Promise<void> | undefined;
  /** Bumped on each disconnect, so a slow post-reconnect setup cannot mark a newer outage as healthy. */
  private epoch = 0;
  /** When the unanswered probe ping was sent; undefined while none is outstanding. */
  private probeSentAt: number | undefined;
  private probeTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly so: CollectorServiceOptions) {
    this.options = resolveOptions(so.collector);
    this.metrics = so.metrics ?? createMetrics();
    this.log = so.log ?? (() => undefined);
    this.core = new CollectorCore({
      options: this.options,
      keys: this,
      sink: this,
      readiness: () => this.readiness(),
      metrics: this.metrics,
      ...(so.scripts ? { scripts: so.scripts } : {}),
      usage: { record: (key, events) => this.live?.usage?.record(key, events) },
      log: this.log,
    });
  }

  /** Connects in the background, retrying until NATS answers; resolves once connected and set up. */
  start(): Promise<void> {
    this.connecting ??= this.connectLoop();
    return this.connecting;
  }

  readiness(): Readiness {
    if (!this.live) return { ready: false, reason: 'connecting to NATS' };
    if (!this.connected) return { ready: false, reason: 'NATS is unreachable' };
    if (this.unresponsive()) return { ready: false, reason: UNRESPONSIVE };
    if (!this.streamsReady) return { ready: false, reason: 'streams are not set up' };
    if (!this.live.keys.live) return { ready: false, reason: 'write key watch is not live' };
    return { ready: true };
  }

  private unresponsive(): boolean {
    return this.probeSentAt !== undefined && performance.now() - this.probeSentAt > NATS_PROBE_TIMEOUT_MS;
  }

  private startProbe(nc: NatsConnection): void {
    this.probeTimer = setInterval(() => {
      if (this.probeSentAt !== undefined || !this.connected) return;
      const sent = performance.now();
      this.probeSentAt = sent;
      const answered = (): void => {
        if (this.probeSentAt === sent) this.probeSentAt = undefined;
      };
      // A failed flush means a closed or lost connection, which the status watch reports.
      nc.flush().then(answered, answered);
    }, NATS_PROBE_INTERVAL_MS);
    this.probeTimer.unref?.();
  }

  lookup(key: string): Promise<WriteKeyRecord | undefined> {
    if (!this.live) return Promise.reject(new KeyLookupError('not connected to NATS yet'));
    // A key the watch cannot vouch for is read from KV, which would wait out its timeout.
    if (this.unresponsive()) return Promise.reject(new KeyLookupError(UNRESPONSIVE));
    return this.live.keys.lookup(key);
  }

  publishRecord(record: AnyStreamRecord): Promise<void> {
    if (!this.live) return Promise.reject(new StreamUnavailableError('not connected to NATS yet'));
    return this.live.sink.publishRecord(record);
  }

  publishDeadLetter(letter: DeadLetter): Promise<void> {
    if (!this.live) return Promise.reject(new StreamUnavailableError('not connected to NATS yet'));
    return this.live.sink.publishDeadLetter(letter);
  }

  /**
   * Graceful stop: batches get 503, requests inside finish, every queued record
   * gets its PubAck, then NATS is closed. Resolves false when the deadline hit first.
   */
  async drain(): Promise<boolean> {
    this.stopping = true;
    clearInterval(this.probeTimer);
    this.core.beginDrain();
    const deadline = new Promise<false>((r) => setTimeout(() => r(false), this.options.drainTimeoutMs).unref?.());
    const done = (async () => {
      await this.core.idle();
      await this.live?.sink.flush();
      return true as const;
    })();
    const clean = await Promise.race([done, deadline]);
    this.live?.keys.stop();
    this.live?.usage?.stop();
    if (this.live) {
      const nc = this.live.nc;
      await Promise.race([nc.drain().catch(() => nc.close()), new Promise((r) => setTimeout(r, 2_000).unref?.())]);
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
      this.live.publisher.close();
    }
    return clean;
  }

  private async connectLoop(): Promise<void> {
    const servers = Array.isArray(this.so.natsServers) ? this.so.natsServers : this.so.natsServers.split(',').map((s) => s.trim()).filter(Boolean);
    let attempt = 0;
    while (!this.stopping) {
      try {
        const nc = await connect({
          servers,
          name: `pulse-collector-${this.options.instanceId}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: RECONNECT_WAIT_MS,
          pingInterval: 5_000,
          // Async traces build an Error (a stack capture) for every request, so for every
          // publish; publish errors here carry their own context.
          noAsyncTraces: true,
          ...this.so.natsOptions,
        });
        try {
          await this.setup(nc);
        } catch (e) {
          await nc.close().catch(() => undefined);
          this.connected = false;
          throw e;
        }
        return;
      } catch (e) {
        if (attempt++ % 20 === 0) this.log('warn', 'NATS not reachable yet; retrying', { err: String((e as Error)?.message ?? e) });
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * attempt)));
      }
    }
  }

  private async setup(nc: NatsConnection): Promise<void> {
    this.connected = true;
    this.metrics.natsConnected.set(1);
    const jsm = await nc.jetstreamManager();
    await this.ensureStreams(jsm);
    const js = nc.jetstream();
    const kv = await openBucket(js, KV_WRITE_KEYS, { history: 1, replicas: this.options.streamReplicas });
    const keys = new WriteKeyCache(
      kv,
      { max: this.options.keyCacheMax, positiveTtlMs: this.options.keyPositiveTtlMs, negativeTtlMs: this.options.keyNegativeTtlMs },
      this.log,
      this.metrics,
    );
    await keys.start();
    const o = this.options;
    const publisher = streamPublisher(nc, { timeoutMs: this.options.publishTimeoutMs });
    const sink = new JetStreamSink(
      publisher,
      () => nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
      () => this.connected && !this.unresponsive(),
      {
        maxMessageBytes: o.maxMessageBytes,
        lingerMs: o.lingerMs,
        maxInFlight: o.maxInFlightPublishes,
        maxQueuedBytes: o.maxQueuedBytes,
        queueTimeoutMs: o.publishTimeoutMs,
        publishTimeoutMs: o.publishTimeoutMs,
        instanceId: o.instanceId,
        onNoStream: () => this.recreateStreams(jsm),
      },
      this.metrics,
    );
    let usage: UsageShare | undefined;
    if (o.rateLimitEventsPerSec > 0) {
      usage = new UsageShare({ nc, subject: USAGE_SUBJECT_COLLECTOR, onRemote: (key, events) => this.core.chargeRateLimit(key, events) });
      usage.start();
    }
    this.live = { nc, publisher, sink, keys, usage };
    this.startProbe(nc);
    this.log('info', 'connected to NATS', { server: nc.getServer(), max_payload: nc.info?.max_payload });
    void this.watchStatus(nc, jsm, keys);
  }

  private recreating = false;

  /** At most one attempt in flight; failures are retried by the next publish that finds no stream. */
  private recreateStreams(jsm: Awaited<ReturnType<NatsConnection['jetstreamManager']>>): void {
    if (this.recreating || this.stopping || !this.connected) return;
    this.recreating = true;
    this.log('warn', 'a publish found no stream; making sure EVENTS and EVENTS_DLQ exist');
    this.ensureStreams(jsm)
      .catch((e: unknown) => this.log('warn', 'could not create the streams', { err: String((e as Error)?.message ?? e) }))
      .finally(() => {
        this.recreating = false;
      });
  }

  private async ensureStreams(jsm: Awaited<ReturnType<NatsConnection['jetstreamManager']>>): Promise<void> {
    const o = this.options;
    await ensureStreams(jsm, { replicas: o.streamReplicas, maxAgeMs: o.streamMaxAgeMs, duplicateWindowMs: o.duplicateWindowMs });
    this.streamsReady = true;
  }

  private async watchStatus(nc: NatsConnection, jsm: Awaited<ReturnType<NatsConnection['jetstreamManager']>>, keys: WriteKeyCache): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.epoch++;
        this.connected = false;
        // The lost connection's ping will not be answered; a new one starts after the reconnect.
        this.probeSentAt = undefined;
        this.metrics.natsConnected.set(0);
        keys.suspend();
        this.log('warn', 'disconnected from NATS', { server: String(s.data) });
      } else if (s.type === 'reconnect') {
        this.log('info', 'reconnected to NATS', { server: String(s.data) });
        void this.afterReconnect(jsm, keys);
      }
    }
  }

  private async afterReconnect(jsm: Awaited<ReturnType<NatsConnection['jetstreamManager']>>, keys: WriteKeyCache): Promise<void> {
    const epoch = this.epoch;
    for (let attempt = 0; !this.stopping && epoch === this.epoch; attempt++) {
      try {
        // The server may have lost its store (a new node): make sure the streams exist again.
        await this.ensureStreams(jsm);
        await keys.rewatch();
        if (epoch !== this.epoch) return;
        this.connected = true;
        this.metrics.natsConnected.set(1);
        return;
      } catch (e) {
        if (attempt % 10 === 0) this.log('warn', 'setup after reconnect failed; retrying', { err: String((e as Error)?.message ?? e) });
        await new Promise((r) => setTimeout(r, Math.min(1_000, 100 * (attempt + 1))));
      }
    }
  }
}
