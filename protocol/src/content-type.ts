export type BodyFormat = 'json' | 'msgpack' | 'sniff';

/**
 * Maps a Content-Type header to how the body is read. `text/plain` (sendBeacon,
 * no-CORS fetch) and a missing header are sniffed: `{` means JSON, else msgpack.
 * Returns undefined for types the collector refuses.
 */
export function bodyFormatOf(contentType: string | undefined | null): BodyFormat | undefined {
  if (!contentType) return 'sniff';
  const semi = contentType.indexOf(';');
  const mime = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  switch (mime) {
    case 'application/json':
      return 'json';
    case 'application/msgpack':
    case 'application/x-msgpack':
    case 'application/vnd.msgpack':
      return 'msgpack';
    case 'text/plain':
    case '':
      return 'sniff';
    default:
      return undefined;
  }
}
