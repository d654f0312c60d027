import type { JetStreamClient, KV } from 'nats';
import { describe, expect, it } from 'vitest';
import { openBucket } from './kv-bucket.js';

/** A client whose bucket opens fail with the scripted messages, then succeed. */
function scripted(failures: string[]): { js: JetStreamClient; calls: () => number } {
  let calls = 0;
  const bucket = { bucket: 'B' } as unknown as KV;
  const js = {
    views: {
      kv: async () => {
        const failure = failures[calls++];
        if (failure !== undefined) throw new Error(failure);
        return bucket;
      },
    },
  } as unknown as JetStreamClient;
  return { js, calls: () => calls };
}

describe('openBucket', () => {
  it('opens again after losing a create race', async () => {
    const { js, calls } = scripted(['subjects overlap with an existing stream']);
    await expect(openBucket(js, 'B', { history: 1 })).resolves.toMatchObject({ bucket: 'B' });
    expect(calls()).toBe(2);
  });

  it('gives up after three lost races', async () => {
    const { js, calls } = scripted(['stream name already in use', 'stream name already in use', 'stream name already in use']);
    await expect(openBucket(js, 'B', {})).rejects.toThrow('already in use');
    expect(calls()).toBe(3);
  });

  it('does not retry other failures', async () => {
    const { js, calls } = scripted(['insufficient resources']);
    await expect(openBucket(js, 'B', {})).rejects.toThrow('insufficient resources');
    expect(calls()).toBe(1);
  });
});
