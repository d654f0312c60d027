import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// 248 = 4 * 62: bytes at or above it are rejected so every character is equally likely.
const LIMIT = 248;

export function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < LIMIT) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const newMerchantId = (): string => `m_${base62(16)}`;
export const newSiteId = (): string => `s_${base62(16)}`;
export const newWriteKey = (): string => `wk_${base62(32)}`;
export const newReadKey = (): string => `rk_${base62(32)}`;

export const MERCHANT_ID = /^m_[0-9A-Za-z]{16}$/;
export const SITE_ID = /^s_[0-9A-Za-z]{16}$/;
export const WRITE_KEY = /^wk_[0-9A-Za-z]{32}$/;
export const READ_KEY = /^rk_[0-9A-Za-z]{32}$/;
