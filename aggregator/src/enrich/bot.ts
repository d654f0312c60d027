import { createRequire } from 'node:module';
import { SERVER_SDK_USER_AGENT_PREFIX } from '@pulse/protocol';

interface CrawlerEntry {
  pattern: string;
}

/**
 * crawler-user-agents (MIT, maintained, ~600 patterns) as one regular expression, plus
 * heuristics for what a list cannot enumerate: generic tool/library agents and headless browsers.
 */
const crawlerList = createRequire(import.meta.url)('crawler-user-agents') as CrawlerEntry[];

function compile(entries: CrawlerEntry[]): RegExp {
  const parts: string[] = [];
  for (const e of entries) {
    try {
      new RegExp(e.pattern);
      parts.push(`(?:${e.pattern})`);
    } catch {
      // A pattern JS cannot compile is skipped rather than breaking the whole list.
    }
  }
  return new RegExp(parts.join('|'), 'i');
}

const LIST = compile(crawlerList);

const HEURISTICS: RegExp[] = [
  /bot\b|crawl|spider|slurp|scrape|fetcher|monitor|preview|headless|phantomjs|puppeteer|playwright|selenium|lighthouse/i,
  /^(curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/|okhttp|apache-httpclient|libwww-perl|axios|node-fetch|undici|got\b|ruby|php\/)/i,
];

/** From "Android <version>" to the end of its parenthesised group: the device model's place. */
const ANDROID_DEVICE = /(Android[^;)]*)[^)]*/;

export type BotVerdict = 0 | 1;

/**
 * 1 when the user agent is a known crawler, an automation tool or not a browser at all.
 * An empty user agent is a bot: every browser sends one. Our server SDKs are trusted: their
 * user agent is the merchant's server, not the visitor's.
 */
export function isBotUa(ua: string | undefined): BotVerdict {
  if (!ua || ua.trim() === '') return 1;
  if (ua.startsWith(SERVER_SDK_USER_AGENT_PREFIX)) return 0;
  if (LIST.test(ua)) return 1;
  // An Android agent names the phone ("Android 10; CUBOT X30)"), and some brands end in "bot":
  // the generic words are looked for everywhere but there. The list above still reads it all.
  const generic = ua.replace(ANDROID_DEVICE, '$1');
  for (const h of HEURISTICS) if (h.test(generic)) return 1;
  // Real browsers all claim Mozilla/… (or Opera/…); anything else is a tool.
  if (!/^(Mozilla|Opera)\//.test(ua)) return 1;
  return 0;
}
