import { renderProgress } from './progress.js';
import type { ReplayStatus } from './types.js';

const POLL_MS = 500;

function progressPrinter(): { show(s: ReplayStatus): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  return {
    show(s) {
      const line = renderProgress(s);
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (Date.now() - lastLine >= 2000 || s.state !== 'running') {
        process.stderr.write(`${line}\n`);
        lastLine = Date.now();
      }
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** Polls `get` until the replay is no longer running, with a progress bar on stderr. */
export async function follow(get: () => Promise<ReplayStatus>): Promise<ReplayStatus> {
  const out = progressPrinter();
  for (;;) {
    const s = await get();
    out.show(s);
    if (s.state !== 'running') {
      out.end();
      return s;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
