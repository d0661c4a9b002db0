/** The FIFO the stack's queues share (TCP's write, retransmit and receive queues, the qdiscs' bands and flows, fq_codel's flow lists): an array with a moving head. */

/** A FIFO of items with O(1) push/shift and indexed access from the head. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Items queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** The item `i` places from the head, or undefined. */
  at(i: number): T | undefined {
    return i < 0 ? undefined : this.items[this.head + i];
  }

  /** The head item, or undefined. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The tail item, or undefined. */
  tail(): T | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Append at the tail. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Insert at the head. */
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  /** Insert after position `i` (0 = after the head); O(n), for rare splits. */
  insertAfter(i: number, item: T): void {
    this.items.splice(this.head + i + 1, 0, item);
  }

  /** Remove and return the head. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  /** Remove everything, returning the items in order. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}
