/** Address parsing and CIDR matching without runtime-specific modules (Bun and Node alike). */

export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | undefined {
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon !== -1 && s.indexOf('.', lastColon) !== -1) {
    tail = parseIpv4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groupsOf(halves[0] as string);
  const rest = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] as string;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** 4 bytes for IPv4 and IPv4-mapped IPv6, 16 for other IPv6; undefined if not an address. */
export function parseIp(s: string): Uint8Array | undefined {
  const t = s.trim();
  if (t.length === 0 || t.length > 64) return undefined;
  if (t.includes(':')) {
    const v6 = parseIpv6(t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t);
    if (!v6) return undefined;
    const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
    return mapped ? v6.slice(12) : v6;
  }
  return parseIpv4(t);
}

/** Canonical text: dotted quad for IPv4 (mapped ones too), compressed lower-case for IPv6. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return b.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function normalizeIp(s: string): string {
  const b = parseIp(s);
  return b ? formatIp(b) : '';
}

export function parseCidr(s: string): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  const bytes = parseIp(slash === -1 ? s : s.slice(0, slash));
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  let prefix = max;
  if (slash !== -1) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    // "::ffff:10.0.0.0/104" names an IPv4 range in mapped form.
    if (bytes.length === 4 && s.slice(0, slash).includes(':')) prefix -= 96;
    if (prefix < 0 || prefix > max) return undefined;
  }
  return { bytes, prefix };
}

export function cidrContains(c: Cidr, ip: Uint8Array): boolean {
  if (c.bytes.length !== ip.length) return false;
  let bits = c.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((c.bytes[i] as number) & mask) !== ((ip[i] as number) & mask)) return false;
  }
  return true;
}

export class TrustedProxies {
  private readonly cidrs: Cidr[];
  constructor(list: readonly string[]) {
    this.cidrs = list.map((s) => parseCidr(s)).filter((c): c is Cidr => c !== undefined);
  }

  get empty(): boolean {
    return this.cidrs.length === 0;
  }

  trusts(ip: Uint8Array | undefined): boolean {
    return ip !== undefined && this.cidrs.some((c) => cidrContains(c, ip));
  }

  /**
   * The client address: the peer, unless the peer is a trusted proxy; then the
   * right-most X-Forwarded-For hop that is not itself trusted (hops left of it
   * are client-supplied and can be forged).
   */
  clientIp(peer: string, xff: string | undefined): { ip: string; viaTrustedProxy: boolean } {
    const peerBytes = parseIp(peer);
    if (!this.trusts(peerBytes)) return { ip: peerBytes ? formatIp(peerBytes) : '', viaTrustedProxy: false };
    if (!xff) return { ip: peerBytes ? formatIp(peerBytes) : '', viaTrustedProxy: true };
    const hops = xff.split(',');
    let candidate = peerBytes;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseIp(hops[i] as string);
      if (!hop) break;
      candidate = hop;
      if (!this.trusts(hop)) break;
    }
    return { ip: candidate ? formatIp(candidate) : '', viaTrustedProxy: true };
  }
}
