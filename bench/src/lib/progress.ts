/** Progress goes to stderr (stdout stays clean for whoever pipes a result). */
export function progress(scope: string, msg: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${scope}: ${msg}\n`);
}

/** Runs `fn` every `ms` until stopped; long phases report their state while they run. */
export function every(ms: number, fn: () => void): () => void {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function rssMb(): number {
  return Math.round(process.memoryUsage.rss() / 2 ** 20);
}
