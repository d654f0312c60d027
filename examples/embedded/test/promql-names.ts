/**
 * The metric names a PromQL expression reads, so the alert rules and dashboard shipped in deploy/
 * can be checked against what the services really export. Not a PromQL parser: it removes what
 * cannot be a metric name (strings, label matchers, ranges, grouping clauses, numbers, Grafana
 * variables), then keeps the identifiers that are neither keywords nor called like functions.
 */

// Binary operators, modifiers and literals spelled like identifiers.
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
// Grafana's `$var`, `${var}` and `${var:format}`: dashboards put them in ranges and matchers.
const GRAFANA_VARIABLES = /\$\{[^}]*\}|\$\w+/g;
const MATCHERS = /\{[^{}]*\}/g;
const RANGES = /\[[^\]]*\]/g;
// Their parentheses hold label names, which look exactly like metric names.
const LABEL_LISTS = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/gi;
// Numbers first, so the unit of `5m` or the exponent of `1e9` is not read as an identifier.
const TOKENS = /(0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?(?:ms|[smhdwy])*)|([a-z_:][a-z0-9_:]*)(\s*\()?/gi;

export class PromqlNameError extends Error {}

/** Every metric name `expr` selects, once each, in order of appearance. */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(STRINGS, '""');
  // A `{__name__=…}` selector would read a metric this check cannot see: refuse rather than pass it.
  if (/__name__/.test(withoutStrings)) throw new PromqlNameError(`selects a metric by __name__, which cannot be checked: ${expr}`);
  const bare = withoutStrings.replace(GRAFANA_VARIABLES, ' ').replace(MATCHERS, ' ').replace(RANGES, ' ').replace(LABEL_LISTS, ' ');
  if (/[{}[\]]/.test(bare)) throw new PromqlNameError(`unbalanced braces or brackets: ${expr}`);
  const names: string[] = [];
  for (const [, number, ident, call] of bare.matchAll(TOKENS)) {
    if (number !== undefined || ident === undefined || call !== undefined) continue;
    if (KEYWORDS.has(ident.toLowerCase()) || names.includes(ident)) continue;
    names.push(ident);
  }
  return names;
}
