/**
 * Referrer → acquisition source and medium from a curated table of the search engines, social
 * networks and webmail hosts that send most traffic, written for this project (no maintained
 * list under a licence on our allowed list was adopted yet; see ARCHITECTURE.md).
 */
export type Medium = 'search' | 'social' | 'email' | 'direct' | 'other';

interface Known {
  source: string;
  medium: Exclude<Medium, 'direct' | 'other'>;
}

/**
 * Matched against the referrer host and each parent domain (`news.google.com` → `google.com`).
 * Maps, not object literals: a host or tag named `constructor` or `__proto__` must find nothing,
 * not Object.prototype's members.
 */
const KNOWN = new Map<string, Known>();
/** The same sources by lower-cased name, for link tags: `?ref=google` counts as Google. */
const NAMED = new Map<string, Known>();
function add(medium: Known['medium'], source: string, hosts: string[]): void {
  for (const h of hosts) KNOWN.set(h, { source, medium });
  if (!NAMED.has(source.toLowerCase())) NAMED.set(source.toLowerCase(), { source, medium });
}

add('search', 'Google', ['google.com', 'google.co.uk', 'google.de', 'google.fr', 'google.es', 'google.it', 'google.nl', 'google.ca', 'google.com.au', 'google.co.in', 'google.co.jp', 'google.com.br', 'google.pl', 'google.ch', 'google.at', 'google.be', 'google.se', 'google.dk', 'google.no', 'google.fi', 'google.pt', 'google.ie', 'google.com.mx', 'google.ru', 'google.com.tr', 'google.cz']);
add('search', 'Bing', ['bing.com', 'cn.bing.com']);
add('search', 'DuckDuckGo', ['duckduckgo.com']);
add('search', 'Yahoo!', ['search.yahoo.com', 'search.yahoo.co.jp', 'yahoo.co.jp']);
add('search', 'Yandex', ['yandex.ru', 'yandex.com', 'ya.ru', 'yandex.com.tr']);
add('search', 'Baidu', ['baidu.com']);
add('search', 'Ecosia', ['ecosia.org']);
add('search', 'Qwant', ['qwant.com']);
add('search', 'Brave Search', ['search.brave.com']);
add('search', 'Startpage', ['startpage.com']);
add('search', 'Naver', ['naver.com', 'search.naver.com']);
add('search', 'Seznam', ['seznam.cz', 'search.seznam.cz']);
add('search', 'Perplexity', ['perplexity.ai']);
add('search', 'ChatGPT', ['chatgpt.com', 'chat.openai.com']);
add('social', 'Facebook', ['facebook.com', 'm.facebook.com', 'l.facebook.com', 'lm.facebook.com', 'fb.me']);
add('social', 'Instagram', ['instagram.com', 'l.instagram.com']);
add('social', 'Twitter', ['twitter.com', 't.co', 'x.com']);
add('social', 'LinkedIn', ['linkedin.com', 'lnkd.in']);
add('social', 'Reddit', ['reddit.com', 'old.reddit.com', 'out.reddit.com']);
add('social', 'YouTube', ['youtube.com', 'm.youtube.com', 'youtu.be']);
add('social', 'Pinterest', ['pinterest.com', 'pin.it']);
add('social', 'TikTok', ['tiktok.com']);
add('social', 'Hacker News', ['news.ycombinator.com']);
add('social', 'Mastodon', ['mastodon.social']);
add('social', 'Bluesky', ['bsky.app']);
add('social', 'Threads', ['threads.net']);
add('social', 'VKontakte', ['vk.com']);
add('social', 'WhatsApp', ['whatsapp.com', 'web.whatsapp.com', 'wa.me']);
add('social', 'Telegram', ['t.me', 'web.telegram.org']);
add('social', 'Discord', ['discord.com']);
add('social', 'Quora', ['quora.com']);
add('email', 'Gmail', ['mail.google.com']);
add('email', 'Outlook.com', ['outlook.live.com', 'outlook.office.com', 'outlook.office365.com']);
add('email', 'Yahoo! Mail', ['mail.yahoo.com']);
add('email', 'Proton Mail', ['mail.proton.me']);
add('email', 'GMX', ['gmx.net', 'gmx.de', 'navigator.gmx.net']);
add('email', 'Web.de', ['web.de']);

function lookup(host: string): Known | undefined {
  let h = host.startsWith('www.') ? host.slice(4) : host;
  for (;;) {
    const k = KNOWN.get(h);
    if (k) return k;
    const dot = h.indexOf('.');
    if (dot < 0 || h.indexOf('.', dot + 1) < 0) return undefined;
    h = h.slice(dot + 1);
  }
}

const UTM_MEDIUM = new Map<string, Medium>([
  ['email', 'email'],
  ['e-mail', 'email'],
  ['newsletter', 'email'],
  ['social', 'social'],
  ['social-media', 'social'],
  ['social-network', 'social'],
  ['organic', 'search'],
  ['search', 'search'],
  ['cpc', 'search'],
  ['ppc', 'search'],
  ['paidsearch', 'search'],
]);

export interface Acquisition {
  source: string;
  medium: Medium;
}

/**
 * Where a visit came from. A link tag wins (`utmSource`: the page URL's `utm_source`, else its
 * `source`, else its `ref`, see url.ts), named as the known source it spells in any case
 * (`google` → Google), else kept as written, as Plausible does; a referrer from the site itself
 * is internal navigation, not acquisition, and counts as direct.
 */
export function acquisition(refHost: string, pageHost: string, utmSource: string, utmMedium: string): Acquisition {
  const stripWww = (h: string) => (h.startsWith('www.') ? h.slice(4) : h);
  const internal = refHost !== '' && pageHost !== '' && stripWww(refHost) === stripWww(pageHost);
  const known = refHost !== '' && !internal ? lookup(refHost) : undefined;
  const mediumFromUtm = utmMedium !== '' ? (UTM_MEDIUM.get(utmMedium.toLowerCase()) ?? 'other') : undefined;
  if (utmSource !== '') {
    const named = NAMED.get(utmSource.toLowerCase());
    return { source: named?.source ?? utmSource, medium: mediumFromUtm ?? named?.medium ?? known?.medium ?? 'other' };
  }
  if (known) return { source: known.source, medium: mediumFromUtm ?? known.medium };
  if (refHost !== '' && !internal) return { source: stripWww(refHost), medium: mediumFromUtm ?? 'other' };
  return { source: '', medium: mediumFromUtm ?? 'direct' };
}
