import { describe, expect, it } from 'vitest';
import type { NatsServerHandle } from '@pulse/testkit';
import type { ServiceProcess } from './process.js';
import { superviseCluster } from './supervision.js';

const INTERVAL_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

/** A service the test kills behind the watch's back with `die()`; its start takes `startMs`. */
function fakeService(name: string, startMs = 0) {
  let up = true;
  let inFlight = 0;
  const f = {
    starts: 0,
    maxInFlight: 0,
    die: () => void (up = false),
    handle: {
      name,
      pid: 1,
      running: () => up,
      async start() {
        if (up) throw new Error(`${name}: already running`);
        f.maxInFlight = Math.max(f.maxInFlight, ++inFlight);
        await sleep(startMs);
        inFlight--;
        f.starts++;
        up = true;
      },
      stop: async () => ((up = false), 0),
      kill: async () => void (up = false),
      pause: () => {},
      resume: () => {},
      waitReady: async () => {},
    } satisfies ServiceProcess,
  };
  return f;
}

/** NATS nodes that, like a JetStream cluster, get healthy only with every peer running; one that does not within 300 ms is killed. */
function fakeNatsCluster(size: number) {
  const up = Array.from({ length: size }, () => true);
  const handles = up.map(
    (_, i): NatsServerHandle => ({
      url: `nats://127.0.0.1:${4000 + i}`,
      port: 4000 + i,
      monitorPort: 8000 + i,
      pid: 1,
      storeDir: `/store/n${i}`,
      running: () => up[i] as boolean,
      stop: async () => void (up[i] = false),
      kill: async () => void (up[i] = false),
      async restart() {
        up[i] = true;
        try {
          await until(() => up.every(Boolean), 300);
        } catch (err) {
          up[i] = false;
          throw err;
        }
      },
    }),
  );
  return { up, handles };
}

function parts() {
  const entries: Array<{ level: string; msg: string }> = [];
  const nats = fakeNatsCluster(3);
  const core = fakeService('core', 50);
  const collector = fakeService('collector-1');
  const lb = fakeService('haproxy');
  const watched = superviseCluster({
    nats: nats.handles,
    core: core.handle,
    collectors: [collector.handle],
    lb: lb.handle,
    logger: { log: (level, msg) => void entries.push({ level, msg }) },
    intervalMs: INTERVAL_MS,
  });
  return { entries, nats, core, collector, lb, watched };
}

describe('superviseCluster', () => {
  it('starts a service that dies behind its back again, and leaves one stopped through its handle down until its handle starts it', async () => {
    const { entries, core, collector, watched } = parts();
    try {
      collector.die();
      await until(() => collector.starts === 1);
      expect(entries.filter((e) => e.level === 'error').map((e) => e.msg)).toEqual(['collector-1 exited unexpectedly; starting it again']);

      await watched.core.kill();
      await watched.collectors[0]?.stop();
      await sleep(INTERVAL_MS * 6);
      expect([core.handle.running(), collector.handle.running(), core.starts, collector.starts]).toEqual([false, false, 0, 1]);

      await watched.core.start();
      expect(core.handle.running()).toBe(true);
      // Started through its handle, it is watched again.
      core.die();
      await until(() => core.starts === 2);
      expect(collector.handle.running()).toBe(false);
    } finally {
      await watched.supervisor.stop();
    }
  });

  it('never starts one part twice at once: a caller starting what the watch is already starting finds it running', async () => {
    const { core, watched } = parts();
    try {
      core.die();
      // The watch takes it within an interval; its start lasts 50 ms.
      await sleep(INTERVAL_MS * 2);
      await expect(watched.core.start()).rejects.toThrow('already running');
      expect([core.starts, core.maxInFlight]).toEqual([1, 1]);
    } finally {
      await watched.supervisor.stop();
    }
  });

  it('brings a whole dead NATS cluster back, whether the watch or the caller restarts the nodes', async () => {
    const { entries, nats, watched } = parts();
    try {
      // Killed behind its back: every node found dead at one look starts at once.
      nats.up.fill(false);
      await until(() => entries.filter((e) => e.msg.endsWith('started again')).length === 3);
      expect(entries.filter((e) => e.msg.includes('could not be started again'))).toEqual([]);

      // Through the handles: held down, then all restarted together by the caller.
      await Promise.all(watched.nats.map((n) => n.kill()));
      await sleep(INTERVAL_MS * 6);
      expect(nats.up).toEqual([false, false, false]);
      await Promise.all(watched.nats.map((n) => n.restart()));
      expect(nats.up).toEqual([true, true, true]);
    } finally {
      await watched.supervisor.stop();
    }
  });

  it('stops watching: what exits after stop() stays down', async () => {
    const { collector, watched } = parts();
    await watched.supervisor.stop();
    collector.die();
    await sleep(INTERVAL_MS * 6);
    expect(collector.starts).toBe(0);
  });
});
