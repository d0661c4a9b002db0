/**
 * The discrete-event queue: a binary min-heap of events ordered by (time, seq). `seq` is a
 * global insertion counter, so events due at the same nanosecond run in the order they were
 * scheduled (stable, hence deterministic). Cancellation is lazy: a cancelled event stays in
 * the heap with no callback and is skipped when it reaches the top. (Measured against a
 * typed-array heap with parallel key arrays, which was slower in V8 at our queue sizes.)
 */
import type { Ns } from './time.js';

/**
 * A scheduled event; keep it to cancel it. A handle is valid until its event has fired or
 * been cancelled: the queue reuses event objects after that (a firing event's own object may
 * come back as the handle of the first event its callback schedules), so drop the reference
 * when the event fires, before scheduling anything.
 */
export interface SimEvent {
  /** Due time (ns). */
  time: Ns;
  /** Insertion order, the tie-breaker for equal times. */
  seq: number;
  /** Callback, or null once cancelled or fired. */
  fn: ((arg: unknown) => void) | null;
  /** Argument passed to `fn`. */
  arg: unknown;
}

/** What a vacated heap slot holds (so the array keeps one element kind and no stale event). */
const DEAD: SimEvent = { time: 0, seq: 0, fn: null, arg: null };

/** Binary min-heap of events keyed by (time, seq). */
export class EventQueue {
  /** Slots 0..n-1 hold the heap; the array only grows (no push/pop on the hot path). */
  private heap: SimEvent[] = [];
  private n = 0;
  private nextSeq = 0;
  private readonly pool: SimEvent[] = [];
  private pooled = 0;

  /** Number of entries, cancelled ones included. */
  get size(): number {
    return this.n;
  }

  /** Insert an event due at `time`. */
  push(time: Ns, fn: (arg: unknown) => void, arg: unknown): SimEvent {
    const ev = this.make(time, fn, arg);
    this.insert(ev);
    return ev;
  }

  /** A new event with the next sequence number, not yet inserted (reusing a recycled object). */
  make(time: Ns, fn: (arg: unknown) => void, arg: unknown): SimEvent {
    if (this.pooled === 0) return { time, seq: this.nextSeq++, fn, arg };
    const ev = this.pool[--this.pooled] as SimEvent;
    ev.time = time;
    ev.seq = this.nextSeq++;
    ev.fn = fn;
    ev.arg = arg;
    return ev;
  }

  /** Give back an event that has fired or was cancelled and popped; its handle is now dead. */
  recycle(ev: SimEvent): void {
    ev.arg = null;
    if (this.pooled < 4096) this.pool[this.pooled++] = ev;
  }

  /** Insert an event made by `make`. */
  insert(ev: SimEvent): void {
    const time = ev.time;
    const heap = this.heap;
    let i = this.n++;
    heap[i] = ev;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as SimEvent;
      if (parent.time < time || (parent.time === time && parent.seq < ev.seq)) break;
      heap[i] = parent;
      i = p;
    }
    heap[i] = ev;
  }

  /** The earliest event without removing it, or undefined. */
  peek(): SimEvent | undefined {
    return this.n > 0 ? this.heap[0] : undefined;
  }

  /**
   * Reuse the earliest event (it has fired; its handle is dead) as a new event due at `time`,
   * with the next sequence number, moved to its place in one sift-down (heap replace-top).
   * `time` must not be before the old due time.
   */
  reuseTop(time: Ns, fn: (arg: unknown) => void, arg: unknown): SimEvent {
    const ev = this.heap[0] as SimEvent;
    ev.time = time;
    ev.seq = this.nextSeq++;
    ev.fn = fn;
    ev.arg = arg;
    this.siftDown(ev, this.n);
    return ev;
  }

  /** Remove and return the earliest event, or undefined when empty. */
  pop(): SimEvent | undefined {
    if (this.n === 0) return undefined;
    const heap = this.heap;
    const top = heap[0] as SimEvent;
    const n = --this.n;
    const last = heap[n] as SimEvent;
    heap[n] = DEAD;
    if (n > 0) this.siftDown(last, n);
    return top;
  }

  /** Put `last` at the root of the first `n` slots and sift it down. */
  private siftDown(last: SimEvent, n: number): void {
    const heap = this.heap;
    {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let child = heap[l] as SimEvent;
        if (r < n) {
          const right = heap[r] as SimEvent;
          if (right.time < child.time || (right.time === child.time && right.seq < child.seq)) {
            c = r;
            child = right;
          }
        }
        if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break;
        heap[i] = child;
        i = c;
      }
      heap[i] = last;
    }
  }
}
