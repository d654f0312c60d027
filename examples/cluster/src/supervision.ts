import type { Logger } from '@pulse/protocol';
import type { NatsServerHandle } from '@pulse/testkit';
import { supervise, type Supervised, type Supervisor } from '@pulse/embedded';
import type { ServiceProcess } from './process.js';

export interface ClusterSupervisionOptions {
  nats: readonly NatsServerHandle[];
  core: ServiceProcess;
  collectors: readonly ServiceProcess[];
  lb: ServiceProcess;
  logger: Logger;
  /** How often the services are looked at (default: the embedded launcher's SUPERVISE_INTERVAL_MS). */
  intervalMs?: number;
}

/** The watch, and the parts again as handles that tell it what is stopped on purpose. */
export interface ClusterSupervision {
  supervisor: Supervisor;
  nats: NatsServerHandle[];
  core: ServiceProcess;
  collectors: ServiceProcess[];
  lb: ServiceProcess;
}

/** A NATS node's name in logs and pid files: its server name. */
export const natsPart = (i: number): string => `nats-n${i}`;

/**
 * One thing at a time per part: the watch's start of a part and a caller's start of the same part
 * run one after the other (the second then finds it running), while different parts start at the
 * same time: `Promise.all(cluster.nats.map((n) => n.restart()))` must bring a dead NATS cluster
 * back, and no node of it is healthy alone.
 */
function partLocks(): <T>(part: string, fn: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (part, fn) => {
    const next = (tails.get(part) ?? Promise.resolve()).then(fn, fn);
    tails.set(part, next.catch(() => undefined));
    return next;
  };
}

/**
 * What the watch leaves alone. A part stopped or killed through its handle stays down until its
 * handle starts it again, since a fault test decides how long a fault lasts and the watch must not
 * cut it short; the caller's latest call says what it wants. A part is left alone while its handle
 * starts it too; if that start fails, the part was still asked to run, so the watch tries again.
 */
class Holds {
  private readonly down = new Set<string>();
  private readonly starting = new Map<string, number>();
  readonly exclusive = partLocks();
  has(part: string): boolean {
    return this.down.has(part) || (this.starting.get(part) ?? 0) > 0;
  }
  stop<T>(part: string, fn: () => Promise<T>): Promise<T> {
    this.down.add(part);
    return fn();
  }
  start<T>(part: string, fn: () => Promise<T>): Promise<T> {
    this.down.delete(part);
    this.starting.set(part, (this.starting.get(part) ?? 0) + 1);
    return this.exclusive(part, fn).finally(() => this.starting.set(part, (this.starting.get(part) ?? 1) - 1));
  }
}

function heldService(s: ServiceProcess, holds: Holds): ServiceProcess {
  return {
    name: s.name,
    get pid() {
      return s.pid;
    },
    running: () => s.running(),
    start: () => holds.start(s.name, () => s.start()),
    stop: () => holds.stop(s.name, () => s.stop()),
    kill: () => holds.stop(s.name, () => s.kill()),
    pause: () => s.pause(),
    resume: () => s.resume(),
    waitReady: (timeoutMs) => s.waitReady(timeoutMs),
  };
}

function heldNats(part: string, n: NatsServerHandle, holds: Holds): NatsServerHandle {
  return {
    get url() {
      return n.url;
    },
    get port() {
      return n.port;
    },
    get monitorPort() {
      return n.monitorPort;
    },
    get pid() {
      return n.pid;
    },
    storeDir: n.storeDir,
    running: () => n.running(),
    stop: () => holds.stop(part, () => n.stop()),
    kill: () => holds.stop(part, () => n.kill()),
    restart: () => holds.start(part, () => n.restart()),
  };
}

/**
 * Starts any service of the cluster again when it dies, as `npm start` does for its collector and
 * nats-server: a NATS node on its own store and routes (it rejoins and catches up), the core
 * process until its aggregators are ready, a collector, HAProxy.
 */
export function superviseCluster(o: ClusterSupervisionOptions): ClusterSupervision {
  const holds = new Holds();
  const child = (part: string, running: () => boolean, start: () => Promise<void>): Supervised => ({
    part,
    alive: () => holds.has(part) || running(),
    start: () => holds.exclusive(part, start),
  });
  const children: Supervised[] = [
    ...o.nats.map((n, i) => child(natsPart(i), () => n.running(), () => n.restart())),
    ...[o.core, ...o.collectors, o.lb].map((s) => child(s.name, () => s.running(), () => s.start())),
  ];
  const supervisor = supervise({ children, logger: o.logger, ...(o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs }) });
  return {
    supervisor,
    nats: o.nats.map((n, i) => heldNats(natsPart(i), n, holds)),
    core: heldService(o.core, holds),
    collectors: o.collectors.map((c) => heldService(c, holds)),
    lb: heldService(o.lb, holds),
  };
}
