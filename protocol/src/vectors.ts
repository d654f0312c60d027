import vectors from '../test-vectors/msgpack.json' with { type: 'json' };

export interface MsgpackVector {
  name: string;
  input: unknown;
  /** The exact bytes msgpackr (useRecords: false) produces, as hex. */
  hex: string;
}

/** Shared msgpack test vectors: every encoder in the project must reproduce `hex` from `input`. */
export const msgpackVectors: readonly MsgpackVector[] = vectors as MsgpackVector[];

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
