import { afterEach, describe, expect, it, vi } from 'vitest';
import { installExitHooks, type Closable } from './exit.js';

/** A stand-in client: records its exit closes, which settle when `finish` is called. */
function fake(pending = true): Closable & { closes: number[]; finish: () => void } {
  let finish = (): void => {};
  const c = {
    closes: [] as number[],
    finish: () => finish(),
    hasPending: () => pending,
    closeOnExit: (ms: number) => {
      c.closes.push(ms);
      return new Promise<void>((resolve) => (finish = resolve));
    },
  };
  return c;
}

const removers: Array<() => void> = [];
afterEach(() => {
  for (const r of removers.splice(0)) r();
  vi.restoreAllMocks();
});

function install(client: Closable, opts: Partial<{ flushOnExit: boolean; handleSignals: boolean; timeoutMs: number }>): () => void {
  const r = installExitHooks(client, { flushOnExit: false, handleSignals: false, timeoutMs: 1000, ...opts });
  removers.push(r);
  return r;
}

describe('installExitHooks', () => {
  it('shares one process listener per event between clients: no MaxListenersExceededWarning at 11+', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const before = ['beforeExit', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e));
      const uninstall = Array.from({ length: 25 }, () => install(fake(), { flushOnExit: true, handleSignals: true }));
      expect(['beforeExit', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e))).toEqual(before.map((n) => n + 1));
      // The listeners stay while any client is left, and go with the last one.
      uninstall.slice(1).forEach((u) => u());
      expect(['beforeExit', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e))).toEqual(before.map((n) => n + 1));
      uninstall[0]!();
      uninstall[0]!(); // twice is harmless
      expect(['beforeExit', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e))).toEqual(before);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it("on 'beforeExit' closes, within its budget, every client that has events pending", () => {
    const [a, b, idle, off] = [fake(), fake(), fake(false), fake()];
    install(a, { flushOnExit: true, timeoutMs: 300 });
    install(b, { flushOnExit: true, timeoutMs: 700 });
    install(idle, { flushOnExit: true });
    install(off, { flushOnExit: false });
    process.emit('beforeExit', 0);
    expect([a.closes, b.closes, idle.closes, off.closes]).toEqual([[300], [700], [], []]);
  });

  it('on a signal closes every client, then re-raises it once they are done when ours was the only listener', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    // Others' listeners (the test runner's) would make ours not alone: set them aside.
    const others = process.listeners('SIGTERM');
    process.removeAllListeners('SIGTERM');
    try {
      const [a, b] = [fake(), fake()];
      const ua = install(a, { handleSignals: true, timeoutMs: 100 });
      const ub = install(b, { handleSignals: true, timeoutMs: 200 });
      process.emit('SIGTERM', 'SIGTERM');
      expect([a.closes, b.closes]).toEqual([[100], [200]]);
      // close() uninstalls the client's hooks.
      ua();
      ub();
      a.finish();
      await new Promise((r) => setTimeout(r, 10));
      expect(kill).not.toHaveBeenCalled();
      b.finish();
      await vi.waitFor(() => expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM'));
      expect(kill).toHaveBeenCalledTimes(1);
    } finally {
      for (const l of others) process.on('SIGTERM', l);
    }
  });

  it('leaves a signal to the app when it has its own listener', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const own = (): void => {};
    process.on('SIGINT', own);
    try {
      const c = fake();
      const u = install(c, { handleSignals: true });
      process.emit('SIGINT', 'SIGINT');
      expect(c.closes).toEqual([1000]);
      u();
      c.finish();
      await new Promise((r) => setTimeout(r, 10));
      expect(kill).not.toHaveBeenCalled();
    } finally {
      process.off('SIGINT', own);
    }
  });
});
