/** Byte-level mutations of valid bodies: what a flaky proxy, a fuzzer or a half-written client sends. */
export type Rand = () => number;

export const randInt = (r: Rand, n: number): number => Math.floor(r() * n);

export function pickOf<T>(r: Rand, items: readonly T[]): T {
  return items[randInt(r, items.length)] as T;
}

export function randomBytes(r: Rand, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = randInt(r, 256);
  return out;
}

export function bitFlips(r: Rand, src: Uint8Array, flips = 1 + randInt(r, 8)): Uint8Array {
  const out = Uint8Array.from(src);
  if (out.length === 0) return out;
  for (let i = 0; i < flips; i++) {
    const at = randInt(r, out.length);
    out[at] = (out[at] as number) ^ (1 << randInt(r, 8));
  }
  return out;
}

export function truncate(r: Rand, src: Uint8Array): Uint8Array {
  return src.slice(0, randInt(r, Math.max(1, src.length)));
}

/** The head of one body glued to the tail of another: framing that lies about what follows. */
export function splice(r: Rand, a: Uint8Array, b: Uint8Array): Uint8Array {
  const head = a.slice(0, randInt(r, a.length + 1));
  const tail = b.slice(randInt(r, b.length + 1));
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Overwrites a run of bytes with one "interesting" byte (0x00, 0xff, msgpack markers for huge lengths). */
export function smear(r: Rand, src: Uint8Array): Uint8Array {
  const out = Uint8Array.from(src);
  if (out.length === 0) return out;
  const at = randInt(r, out.length);
  const len = 1 + randInt(r, 6);
  const v = pickOf(r, [0x00, 0xff, 0x7f, 0x80, 0xc1, 0xdb, 0xdd, 0xdf, 0xc6, 0xd9]);
  out.fill(v, at, Math.min(out.length, at + len));
  return out;
}

export function mutateBytes(r: Rand, src: Uint8Array, other: Uint8Array): { kind: string; bytes: Uint8Array } {
  switch (randInt(r, 4)) {
    case 0:
      return { kind: 'bit_flip', bytes: bitFlips(r, src) };
    case 1:
      return { kind: 'truncate', bytes: truncate(r, src) };
    case 2:
      return { kind: 'splice', bytes: splice(r, src, other) };
    default:
      return { kind: 'smear', bytes: smear(r, src) };
  }
}
