/** The `key` parameter of a query string (the write key of beacons, which cannot set headers). */
export function keyFromQuery(query: string): string | undefined {
  // The prefix is a constant here: beacons read their key on every request.
  return param(query, 'key', 'key=');
}

/** One parameter of a query string, the first if repeated (GA4's `api_secret`). */
export function queryParam(query: string, name: string): string | undefined {
  return param(query, name, `${name}=`);
}

/** Plain `a=b&c=d` strings skip URLSearchParams. */
function param(query: string, name: string, prefix: string): string | undefined {
  // URLSearchParams drops one leading "?"; so must this.
  if (query.startsWith('?')) query = query.slice(1);
  if (query.includes('%') || query.includes('+')) return new URLSearchParams(query).get(name) ?? undefined;
  for (const part of query.split('&')) {
    if (part === name) return '';
    if (part.startsWith(prefix)) return part.slice(prefix.length);
  }
  return undefined;
}
