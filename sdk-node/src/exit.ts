/** The part of the client the exit hooks drive. */
export interface Closable {
  hasPending(): boolean;
  /** close() on the way out; nobody receives its result, so it reports what it leaves unsent. */
  closeOnExit(timeoutMs: number): Promise<unknown>;
}

interface Hooked {
  client: Closable;
  timeoutMs: number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];

/** Clients sharing process listeners: installed with the first member, removed with the last. */
interface Group {
  members: Set<Hooked>;
  listeners: Array<[event: string, listener: () => void]>;
}

// One process listener per event, shared by every live client: a listener each
// would trip MaxListenersExceededWarning at the 11th client, and with several of
// ours on a signal none of them could tell it was alone and re-raise it.
const flushing: Group = { members: new Set(), listeners: [['beforeExit', flushAll]] };
const signalled: Group = { members: new Set(), listeners: SIGNALS.map((s) => [s, () => closeAll(s)]) };

function flushAll(): void {
  // A copy: each close() takes its client out of the group.
  for (const h of [...flushing.members]) if (h.client.hasPending()) void h.client.closeOnExit(h.timeoutMs);
}

function closeAll(signal: Signal): void {
  const alone = process.listenerCount(signal) === 1;
  const closing = [...signalled.members].map((h) => h.client.closeOnExit(h.timeoutMs));
  void Promise.allSettled(closing).then(() => {
    if (alone && process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function join(group: Group, h: Hooked): () => void {
  if (group.members.size === 0) for (const [event, listener] of group.listeners) process.on(event, listener);
  group.members.add(h);
  return () => {
    if (group.members.delete(h) && group.members.size === 0) {
      for (const [event, listener] of group.listeners) process.removeListener(event, listener);
    }
  };
}

/**
 * 'beforeExit' fires when the event loop has nothing left (the flush timer is
 * unref'd, so queued events alone do not hold the process): send them, within the
 * budget. Signals are opt-in, since a listener changes what a signal does: when ours
 * is the only one, it closes every client that asked for it and then re-raises the
 * signal so the process still dies of it. Returns the uninstaller.
 */
export function installExitHooks(client: Closable, opts: { flushOnExit: boolean; handleSignals: boolean; timeoutMs: number }): () => void {
  const h: Hooked = { client, timeoutMs: opts.timeoutMs };
  const removers: Array<() => void> = [];
  if (opts.flushOnExit) removers.push(join(flushing, h));
  if (opts.handleSignals) removers.push(join(signalled, h));
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const r of removers) r();
  };
}
