// Debian's Chromium driven by playwright-core, launched the way the project
// does everywhere (CHROMIUM_PATH overrides the binary).
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Headless Chromium says "HeadlessChrome", which the aggregator rightly counts as
 * a bot (left out of reports). Tests that count through the whole system look
 * like a person's browser instead; set at launch, since a context's override
 * does not reach keepalive requests that outlive their page.
 */
export const HUMAN_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

export function launchChromium(options: { userAgent?: string } = {}): Promise<Browser> {
  const args = options.userAgent ? [...CHROMIUM_ARGS, `--user-agent=${options.userAgent}`] : CHROMIUM_ARGS;
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args });
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
