/**
 * Client clocks are often wrong by minutes or hours. The client stamps `sent_at`
 * with the same wrong clock as `ts`, so `received_at - sent_at` is the skew
 * (plus network time, which is small) and shifting `ts` by it recovers true time.
 */
export function correctTimestamp(ts: number | undefined, sentAt: number | undefined, receivedAt: number): number {
  if (ts === undefined) return receivedAt;
  if (sentAt === undefined) return Math.round(ts);
  return Math.round(ts + (receivedAt - sentAt));
}
