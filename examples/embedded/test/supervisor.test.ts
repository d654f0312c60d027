import { describe, expect, it } from 'vitest';
import { supervise, type Supervised } from '../src/index.js';

const INTERVAL_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child whose life the test decides; `starts` counts the supervisor's starts. */
function child(part: string, start: (c: FakeChild) => Promise<void> = async (c) => void (c.up = true)) {
  const c: FakeChild = { part, up: true, starts: 0, alive: () => c.up, start: async () => (c.starts++, start(c)) };
  return c;
}
interface FakeChild extends Supervised {
  up: boolean;
  starts: number;
}

function recorder() {
  const entries: Array<{ level: string; msg: string }> = [];
  return { entries, logger: { log: (level: string, msg: string) => void entries.push({ level, msg }) } };
}

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

describe('supervise', () => {
  it('starts a dead child again and logs the death as an error', async () => {
    const { entries, logger } = recorder();
    const a = child('a');
    const b = child('b');
    const s = supervise({ children: [a, b], logger, intervalMs: INTERVAL_MS });
    try {
      a.up = false;
      await until(() => a.up);
      await until(() => entries.some((e) => e.msg === 'a started again'));
      expect(entries).toEqual([
        { level: 'error', msg: 'a exited unexpectedly; starting it again' },
        { level: 'info', msg: 'a started again' },
      ]);
      expect([a.starts, b.starts]).toEqual([1, 0]);
    } finally {
      await s.stop();
    }
  });

  it('starts children found dead together at once: a NATS node is healthy only with its peers up', async () => {
    const { entries, logger } = recorder();
    // Like spawnNatsServer in a cluster: a node is ready once its peers run too, and one that
    // never gets ready is killed. Started one after the other, no node ever gets ready.
    const peers: FakeChild[] = [];
    const joinPeers = async (c: FakeChild) => {
      c.up = true;
      try {
        await until(() => peers.every((p) => p.up), 200);
      } catch (err) {
        c.up = false;
        throw err;
      }
    };
    peers.push(child('n0', joinPeers), child('n1', joinPeers));
    const s = supervise({ children: peers, logger, intervalMs: INTERVAL_MS });
    try {
      for (const p of peers) p.up = false;
      await until(() => entries.filter((e) => e.msg.endsWith('started again')).length === 2);
    } finally {
      await s.stop();
    }
    expect(peers.map((p) => [p.up, p.starts])).toEqual([
      [true, 1],
      [true, 1],
    ]);
    expect(entries.filter((e) => e.msg.includes('could not be started again'))).toEqual([]);
  });

  it('tries a failed start again at the next look, saying so', async () => {
    const { entries, logger } = recorder();
    const flaky = child('flaky', async (c) => {
      if (c.starts === 1) throw new Error('port busy');
      c.up = true;
    });
    const s = supervise({ children: [flaky], logger, intervalMs: INTERVAL_MS });
    try {
      flaky.up = false;
      await until(() => flaky.up);
    } finally {
      await s.stop();
    }
    expect(flaky.starts).toBe(2);
    // The retry is not a second death.
    expect(entries.map((e) => `${e.level} ${e.msg}`)).toEqual([
      'error flaky exited unexpectedly; starting it again',
      'error flaky could not be started again; retrying',
      'info flaky started again',
    ]);
  });

  it('reports the next death of a child whose failed start was followed by one that worked', async () => {
    const { entries, logger } = recorder();
    const c = child('core', async (x) => {
      if (x.starts === 1) throw new Error('NATS timeout');
      x.up = true;
    });
    const s = supervise({ children: [c], logger, intervalMs: INTERVAL_MS });
    try {
      c.up = false;
      await until(() => c.up);
      c.up = false;
      await until(() => c.up && c.starts === 3);
    } finally {
      await s.stop();
    }
    expect(entries.filter((e) => e.msg === 'core exited unexpectedly; starting it again')).toHaveLength(2);
  });

  it('leaves alone what exits during serial() or after stop(): a deliberate restart or a drain', async () => {
    const { entries, logger } = recorder();
    const c = child('collector');
    const s = supervise({ children: [c], logger, intervalMs: INTERVAL_MS });
    await s.serial(async () => {
      c.up = false;
      await sleep(INTERVAL_MS * 5);
      c.up = true;
    });
    await s.stop();
    c.up = false;
    await sleep(INTERVAL_MS * 5);
    expect(c.starts).toBe(0);
    expect(entries).toEqual([]);
  });
});
