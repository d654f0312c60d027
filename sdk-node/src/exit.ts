/** The part of the client the exit hooks drive. */
export interface Closable {
  hasPending(): boolean;
  close(options: { timeoutMs: number }): Promise<unknown>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * 'beforeExit' fires when the event loop has nothing left (the flush timer is
 * unref'd, so queued events alone do not hold the process): send them, within the
 * budget. Signals are opt-in, since a listener changes what a signal does: when ours
 * is the only one, it closes and then re-raises the signal so the process still dies
 * of it. Returns the uninstaller.
 */
export function installExitHooks(client: Closable, opts: { flushOnExit: boolean; handleSignals: boolean; timeoutMs: number }): () => void {
  const removers: Array<() => void> = [];
  if (opts.flushOnExit) {
    const onBeforeExit = (): void => {
      if (client.hasPending()) void client.close({ timeoutMs: opts.timeoutMs });
    };
    process.on('beforeExit', onBeforeExit);
    removers.push(() => process.removeListener('beforeExit', onBeforeExit));
  }
  if (opts.handleSignals) {
    for (const signal of SIGNALS) {
      const onSignal = (): void => {
        const alone = process.listenerCount(signal) === 1;
        void client.close({ timeoutMs: opts.timeoutMs }).finally(() => {
          if (alone && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
      };
      process.on(signal, onSignal);
      removers.push(() => process.removeListener(signal, onSignal));
    }
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const r of removers) r();
  };
}
