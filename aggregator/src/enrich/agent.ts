import { LRUCache } from 'lru-cache';
import { isBotUa, type BotVerdict } from './bot.js';
import { uaParts, type UaParts } from './ua.js';

export interface AgentInfo extends UaParts {
  is_bot: BotVerdict;
}

/** Distinct user agents are few next to events; parsing each once keeps enrichment cheap. */
export const UA_CACHE_SIZE = 10_000;

const cache = new LRUCache<string, AgentInfo>({ max: UA_CACHE_SIZE });

/** Browser/OS/device and the bot flag of a User-Agent, memoised. */
export function agentInfo(ua: string): AgentInfo {
  let info = cache.get(ua);
  if (!info) {
    info = { ...uaParts(ua), is_bot: isBotUa(ua) };
    cache.set(ua, info);
  }
  return info;
}
