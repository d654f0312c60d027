/**
 * The page URL under hash routing: the route joins the path and its query joins
 * the page's, since the server reads pathname and query ("utm_*") separately:
 * "https://h/app/?utm_campaign=x#/cart?step=2" → "https://h/app/cart?utm_campaign=x&step=2".
 * Only the hash build carries this (PULSE_HASH).
 */
export function hashRoute(href: string): string {
  // Split at the first "#" and at the first "?" only: what follows may hold more.
  const [page, route = ''] = href.split(/#\/?(.*)/);
  const [path, query] = page!.split(/\?(.*)/);
  const [routePath, routeQuery] = route.split(/\?(.*)/);
  const q = [query, routeQuery].filter(Boolean).join('&');
  return (routePath ? path!.replace(/\/?$/, '/') + routePath : path) + (q && '?' + q);
}
