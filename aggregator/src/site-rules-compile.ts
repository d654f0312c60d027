import type { EventRow } from './rows.js';

/**
 * The site settings that drop events, in the order a row is checked: the first that matches is
 * the one counted (`pulse_aggregator_excluded_events_total{rule}`). A page on a foreign host is
 * counted as such even when its path is excluded too: that is what the operator needs to see.
 */
export const EXCLUSION_RULES = ['allowed_hostnames', 'excluded_countries', 'excluded_paths'] as const;
export type ExclusionRule = (typeof EXCLUSION_RULES)[number];

/** What the rules read of a row. */
export type RuleFields = Pick<EventRow, 'hostname' | 'country' | 'path'>;

/** One site's rules, compiled once per settings change; asked once per event. */
export interface CompiledSiteRules {
  /** The rule that drops this row, or undefined to keep it. */
  excluded(row: RuleFields): ExclusionRule | undefined;
}

const globBody = (glob: string): string =>
  glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');

/** `*` matches any run of characters (slashes and dots included); everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${globBody(glob)}$`);
}

/** All the globs as one anchored alternation: one test per event however many patterns a site has. */
function anyGlob(globs: readonly string[], flags = ''): RegExp | null {
  if (globs.length === 0) return null;
  return new RegExp(`^(?:${[...new Set(globs)].map(globBody).join('|')})$`, flags);
}

/** The non-empty strings of a settings list; anything else is ignored (a record written by hand). */
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}

class SiteRuleSet implements CompiledSiteRules {
  constructor(
    private readonly hosts: RegExp | null,
    private readonly countries: ReadonlySet<string> | null,
    private readonly paths: RegExp | null,
  ) {}

  // Runs per event: no allocation, at most one regex test per rule.
  excluded(row: RuleFields): ExclusionRule | undefined {
    // An event without a page host (a server SDK's custom event, a path-only url) is no copied script tag.
    if (this.hosts !== null && row.hostname !== '' && !this.hosts.test(row.hostname)) return 'allowed_hostnames';
    if (this.countries !== null && this.countries.has(row.country)) return 'excluded_countries';
    if (this.paths !== null && row.path !== '' && this.paths.test(row.path)) return 'excluded_paths';
    return undefined;
  }
}

/**
 * A site's processing rules from its record's `settings` (read leniently: the admin API validates
 * what it writes, but the bucket may hold older or hand-written records). Undefined when the site
 * has none, so sites without rules cost one map lookup an event.
 */
export function compileSiteRules(settings: unknown): CompiledSiteRules | undefined {
  const s = (settings !== null && typeof settings === 'object' ? settings : {}) as Record<string, unknown>;
  // The stored hostname never has a port (enrich/url.ts), so a port in a hand-written entry is dropped.
  const hostnames = strings(s.allowed_hostnames).map((h) => h.replace(/:\d*$/, '')).filter((h) => h !== '');
  // Unknown countries are '' and always kept, so '' is never an entry.
  const countries = strings(s.excluded_countries).map((c) => c.toUpperCase());
  const paths = strings(s.excluded_paths);
  if (hostnames.length === 0 && countries.length === 0 && paths.length === 0) return undefined;
  return new SiteRuleSet(anyGlob(hostnames, 'i'), countries.length > 0 ? new Set(countries) : null, anyGlob(paths));
}
