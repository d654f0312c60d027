import { createRequire } from 'node:module';

/** The part of ua-parser-js@1's result we read (the package ships no types). */
interface UaResult {
  browser: { name?: string; version?: string; major?: string };
  os: { name?: string; version?: string };
  device: { type?: string; vendor?: string; model?: string };
}
type UaParserFn = (ua: string) => UaResult;

const uaParser = createRequire(import.meta.url)('ua-parser-js') as UaParserFn;

export interface UaParts {
  browser: string;
  /** Major version only: keeps the dimension's cardinality low. */
  browser_version: string;
  os: string;
  /** `desktop`, `mobile`, `tablet`, or another ua-parser device type (`smarttv`, `console`, …). */
  device: string;
}

const EMPTY: UaParts = { browser: '', browser_version: '', os: '', device: '' };

/** Browser, OS and device class of a User-Agent header. */
export function uaParts(ua: string | undefined): UaParts {
  if (!ua) return EMPTY;
  const r = uaParser(ua);
  const browser = r.browser.name ?? '';
  const os = r.os.name ?? '';
  // ua-parser leaves `device.type` unset for desktops; only say so when it recognised something.
  const device = r.device.type ?? (browser !== '' || os !== '' ? 'desktop' : '');
  return { browser, browser_version: r.browser.major ?? '', os, device };
}
