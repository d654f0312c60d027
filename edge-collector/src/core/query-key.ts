/** The `key` parameter of a query string; plain `a=b&c=d` strings skip URLSearchParams. */
export function keyFromQuery(query: string): string | undefined {
  // URLSearchParams drops one leading "?"; so must this.
  if (query.startsWith('?')) query = query.slice(1);
  if (query.includes('%') || query.includes('+')) return new URLSearchParams(query).get('key') ?? undefined;
  for (const part of query.split('&')) {
    if (part === 'key') return '';
    if (part.startsWith('key=')) return part.slice(4);
  }
  return undefined;
}
