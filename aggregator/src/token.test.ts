import { describe, expect, it } from 'vitest';
import { batchToken } from './token.js';

describe('batchToken', () => {
  it('depends on the set of sequences, not their order', () => {
    expect(batchToken('EVENTS', [7, 3, 5])).toBe(batchToken('EVENTS', [3, 5, 7]));
    expect(batchToken('EVENTS', [3, 5, 7])).toMatch(/^EVENTS:3-7:3:[0-9a-f]{16}$/);
  });

  it('differs for different sets with the same range', () => {
    expect(batchToken('EVENTS', [3, 5, 7])).not.toBe(batchToken('EVENTS', [3, 4, 7]));
    expect(batchToken('EVENTS', [3, 7])).not.toBe(batchToken('EVENTS', [3, 5, 7]));
  });
});
