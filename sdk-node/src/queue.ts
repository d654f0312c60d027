/**
 * A bounded FIFO ring of encoded events. Full: `push` drops the oldest and says so.
 * Every event has an implicit sequence number (events ever pushed before it), so a
 * flush can wait for "everything up to seq N" without tagging each event.
 */
export class EventQueue {
  private ring: Array<Uint8Array | undefined>;
  private head = 0;
  private size = 0;
  /** Sequence number of the event at the head (= events ever removed). */
  private removed = 0;

  constructor(readonly capacity: number) {
    // Grows on demand up to capacity: a large maxQueueSize costs nothing until used.
    this.ring = new Array<Uint8Array | undefined>(Math.min(capacity, 1024));
  }

  get length(): number {
    return this.size;
  }

  /** Sequence number of the next event pushed. */
  get tailSeq(): number {
    return this.removed + this.size;
  }

  /** Sequence number of the oldest queued event (= tailSeq when empty). */
  get headSeq(): number {
    return this.removed;
  }

  /** Appends; returns the dropped oldest event when the queue was full. */
  push(item: Uint8Array): Uint8Array | undefined {
    let dropped: Uint8Array | undefined;
    if (this.size === this.capacity) dropped = this.shift();
    else if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) % this.ring.length] = item;
    this.size++;
    return dropped;
  }

  shift(): Uint8Array | undefined {
    if (this.size === 0) return undefined;
    const item = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    this.removed++;
    return item;
  }

  peek(): Uint8Array | undefined {
    return this.size === 0 ? undefined : this.ring[this.head];
  }

  /** Removes and returns everything. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  private grow(): void {
    const next = new Array<Uint8Array | undefined>(Math.min(this.capacity, this.ring.length * 2));
    for (let i = 0; i < this.size; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }
}
