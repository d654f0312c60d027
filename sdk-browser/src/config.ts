import { PulseConfigError } from './errors.js';

/** Options of `init` (ESM). The script tag maps its `data-*` attributes onto the same fields. */
export interface PulseOptions {
  /** The site's write key (`wk_...`). */
  key: string;
  /** Base URL of the collector (or of a first-party proxy path), e.g. `https://collector.example.com`. */
  api: string;
  /** Send a pageview on init and on SPA navigations. */
  autoPageviews?: boolean;
  /** Count `#/route` changes as page views and put the route into the URL path. */
  hashRouting?: boolean;
  /** Record clicks on links to other hosts as `outbound_click` events. */
  outboundLinks?: boolean;
  /** Record clicks on file links as `file_download` events: `true` for the default extensions, or a list. */
  fileDownloads?: boolean | readonly string[];
  /**
   * Keep a visitor id, a 30-minute session id and the unsent events in localStorage
   * unless consent is withdrawn. Off (the default): cookieless, see the README.
   */
  persistIds?: boolean;
  /** Send nothing when the browser says Do Not Track or Global Privacy Control. */
  respectDnt?: boolean;
  /** Track on localhost, 127.0.0.0/8, [::1] and file: pages (ignored by default). */
  allowLocalhost?: boolean;
}

export const DEFAULT_AUTO_PAGEVIEWS = true;
export const DEFAULT_HASH_ROUTING = false;
export const DEFAULT_OUTBOUND_LINKS = false;
export const DEFAULT_FILE_DOWNLOADS = false;
export const DEFAULT_PERSIST_IDS = false;
export const DEFAULT_RESPECT_DNT = false;
export const DEFAULT_ALLOW_LOCALHOST = false;
// One string split, not an array literal: the smaller form in the script tag.
export const DEFAULT_DOWNLOAD_EXTENSIONS: readonly string[] =
  /* @__PURE__ */ 'pdf|csv|txt|rtf|doc|docx|xls|xlsx|ppt|pptx|odt|ods|zip|gz|tgz|rar|7z|dmg|exe|msi|pkg|apk|iso|mp3|wav|mp4|mov|avi|mkv|epub'.split('|');

/** Runtime constants of the transport (what issue 4 asks for). */
export const BATCH_SIZE = 10;
export const FLUSH_DELAY_MS = 2000;
/** Chromium caps in-flight keepalive bodies at 64 KiB per page; each request stays under this. */
export const MAX_REQUEST_BYTES = 61_440; // 60 KiB
export const OFFLINE_QUEUE_MAX = 100;
export const SESSION_TIMEOUT_MS = 1_800_000; // 30 minutes
export const RETRY_BASE_MS = 1000;
export const RETRY_MAX_MS = 60_000;
/** The server refuses longer strings (protocol MAX_STRING_LENGTH); cut rather than lose the event. */
export const MAX_STRING_LENGTH = 1024;

/** Switches of the normalised configuration, one bit each (small in the script tag). */
export const MANUAL = 1;
export const HASH = 2;
export const OUTBOUND = 4;
export const PERSIST = 8;
export const DNT = 16;
export const LOCALHOST = 32;

/** The normalised configuration the tracker runs on. */
export interface Config {
  key: string;
  /** Collector base URL without a trailing slash. */
  api: string;
  /** MANUAL | HASH | ... */
  flags: number;
  /** Matches a link path that is a file download; undefined when off. */
  files: RegExp | undefined;
}

/** `\.(pdf|zip|...)$`, case-insensitive, from a list of extensions. */
export function downloadPattern(extensions: readonly string[]): RegExp {
  return RegExp(`\\.(${extensions.join('|')})$`, 'i');
}

function flag(options: PulseOptions, field: keyof PulseOptions, fallback: boolean, bit: number): number {
  const v = options[field] ?? fallback;
  if (typeof v !== 'boolean') throw new PulseConfigError(field, 'must be a boolean');
  return v ? bit : 0;
}

/** The batch endpoint of a collector base URL, with the write key. */
export function batchUrl(cfg: Pick<Config, 'api' | 'key'>): string {
  return `${cfg.api}/v1/batch?key=${encodeURIComponent(cfg.key)}`;
}

/** Validates `init` options in one place, failing on the first bad field. */
export function resolveOptions(options: PulseOptions): Config {
  if (typeof options !== 'object' || options === null) throw new PulseConfigError('options', 'must be an object');
  if (typeof options.key !== 'string' || !/^wk_\w+$/.test(options.key)) {
    throw new PulseConfigError('key', 'must be a write key ("wk_...")');
  }
  if (typeof options.api !== 'string' || !/^https?:\/\/[^/]/.test(options.api)) {
    throw new PulseConfigError('api', 'must be an http(s) URL of the collector');
  }
  let files: RegExp | undefined;
  const fd = options.fileDownloads ?? DEFAULT_FILE_DOWNLOADS;
  if (fd === true) files = downloadPattern(DEFAULT_DOWNLOAD_EXTENSIONS);
  else if (Array.isArray(fd)) {
    if (fd.length === 0 || !fd.every((e) => typeof e === 'string' && /^\w+$/.test(e))) {
      throw new PulseConfigError('fileDownloads', 'must be a boolean or a non-empty list of extensions like "pdf"');
    }
    files = downloadPattern(fd);
  } else if (fd !== false) throw new PulseConfigError('fileDownloads', 'must be a boolean or a list of extensions');
  const auto = flag(options, 'autoPageviews', DEFAULT_AUTO_PAGEVIEWS, MANUAL);
  return {
    key: options.key,
    api: options.api.replace(/\/+$/, ''),
    flags:
      (MANUAL ^ auto) |
      flag(options, 'hashRouting', DEFAULT_HASH_ROUTING, HASH) |
      flag(options, 'outboundLinks', DEFAULT_OUTBOUND_LINKS, OUTBOUND) |
      flag(options, 'persistIds', DEFAULT_PERSIST_IDS, PERSIST) |
      flag(options, 'respectDnt', DEFAULT_RESPECT_DNT, DNT) |
      flag(options, 'allowLocalhost', DEFAULT_ALLOW_LOCALHOST, LOCALHOST),
    files,
  };
}
