import { createHash } from 'node:crypto';

/**
 * insert_deduplication_token of a batch: derived from the stream sequences it holds, so retrying
 * the same batch (e.g. after a timeout whose insert actually landed) is dropped by ClickHouse.
 * Sequences of one batch need not be contiguous when several aggregators share the consumer,
 * hence the range plus a digest of the exact set.
 */
export function batchToken(stream: string, seqs: readonly number[]): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const last = sorted[sorted.length - 1] ?? 0;
  const digest = createHash('sha256').update(sorted.join(',')).digest('hex').slice(0, 16);
  return `${stream}:${first}-${last}:${sorted.length}:${digest}`;
}
