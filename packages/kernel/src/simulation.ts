/**
 * The simulation: one virtual clock, one event queue and one seeded RNG shared by every host
 * of a run. Nothing in a model reads wall-clock time; `now` only moves when `run` pops events.
 * Events due at the current time go to a FIFO instead of the heap (a cheaper path for the
 * many zero-delay wakeups). Every FIFO event is due now, and heap events due now were
 * scheduled before the clock reached now, so they precede the FIFO in (time, seq) order: `run`
 * takes heap events due now first, then the FIFO, then advances the clock. The order is
 * exactly that of a single heap.
 */
import { KernelError } from './errors.js';
import { EventQueue, type SimEvent } from './eventQueue.js';
import { Rng } from './rng.js';
import type { Ns } from './time.js';
import { TraceBuffer, type TraceRecord } from './trace.js';
import type { RunOptions, SimulationOptions } from './types.js';

/** The error for scheduling at `time` before `now` (kept out of `at` so it stays small enough to inline). */
function pastError(time: Ns, now: Ns): KernelError {
  return new KernelError('EINVAL', `cannot schedule at ${time} ns: now is ${now} ns (no travel back in time)`);
}

/** The shared virtual clock and event loop of a run. */
export class Simulation {
  /** Current virtual time (ns). */
  now: Ns = 0;
  /** The run's RNG (xoshiro128**). */
  readonly rng: Rng;
  /** The seed the RNG was created with. */
  readonly seed: number;
  /** The trace buffer, when tracing is on (`traceCapacity`, or `startTrace` until `stopTrace`). */
  get trace(): TraceBuffer | null {
    return this.traceBuf;
  }
  private traceBuf: TraceBuffer | null;
  /** Whether CPUs account time per context name too. */
  readonly accountByName: boolean;
  /** Events executed so far (cancelled ones not counted). */
  eventsRun = 0;
  private readonly queue = new EventQueue();
  private immediate: (SimEvent | undefined)[] = new Array<SimEvent | undefined>(256);
  private immHead = 0;
  private immTail = 0;
  private stopRequested = false;
  /** The heap event whose callback is running, still at the heap's top until reused or popped. */
  private firing: SimEvent | null = null;

  /** A simulation at time 0. */
  constructor(options: SimulationOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new KernelError('EINVAL', `seed: got ${seed}, allowed an integer in 0..4294967295`);
    }
    this.seed = seed;
    this.rng = new Rng(seed);
    this.accountByName = options.accountByName ?? false;
    const cap = options.traceCapacity ?? 0;
    this.traceBuf = cap > 0 ? new TraceBuffer(cap) : null;
  }

  /**
   * Start recording into a new trace ring of `capacity` records from now (a window of a long
   * run, as `trace-cmd start` / `stop` around the part of interest); any previous buffer is
   * let go. Tracing reads the model and changes nothing in it.
   */
  startTrace(capacity: number): TraceBuffer {
    if (!Number.isInteger(capacity) || capacity < 1) throw new KernelError('EINVAL', `trace capacity: got ${capacity}, allowed an integer ≥ 1`);
    this.traceBuf = new TraceBuffer(capacity);
    return this.traceBuf;
  }

  /** Stop recording; the buffer that was recording (null if none), its records kept. */
  stopTrace(): TraceBuffer | null {
    const buf = this.traceBuf;
    this.traceBuf = null;
    return buf;
  }

  /** Schedule `fn(arg)` at absolute time `time` (ns, ≥ now). */
  at(time: Ns, fn: (arg: unknown) => void, arg?: unknown): SimEvent {
    if (!(time >= this.now)) throw pastError(time, this.now);
    const queue = this.queue;
    if (time !== this.now && this.firing !== null) {
      this.firing = null;
      return queue.reuseTop(time, fn, arg);
    }
    const ev = queue.make(time, fn, arg);
    if (time === this.now) this.pushImmediate(ev);
    else queue.insert(ev);
    return ev;
  }

  /** Schedule `fn(arg)` after `delay` ns (≥ 0). */
  after(delay: Ns, fn: (arg: unknown) => void, arg?: unknown): SimEvent {
    return this.at(this.now + delay, fn, arg);
  }

  private pushImmediate(ev: SimEvent): void {
    const cap = this.immediate.length;
    if (this.immTail - this.immHead === cap) {
      const next = new Array<SimEvent | undefined>(cap * 2);
      for (let i = 0; i < cap; i++) next[i] = this.immediate[(this.immHead + i) & (cap - 1)];
      this.immediate = next;
      this.immHead = 0;
      this.immTail = cap;
    }
    this.immediate[this.immTail & (this.immediate.length - 1)] = ev;
    this.immTail++;
  }

  /**
   * Cancel a pending event. Event objects are reused once they have fired or been cancelled
   * (see `SimEvent`), so a handle kept past that may name a later event: pass the `seq` read
   * when it was scheduled to make a late cancel a no-op (nothing happens unless `ev.seq` still
   * equals it).
   */
  cancel(ev: SimEvent, seq: number = ev.seq): void {
    if (ev.seq === seq) ev.fn = null;
  }

  /**
   * A cancel of `ev` that stays safe to call however long it is kept: it cancels `ev` while it
   * is pending and does nothing once it has fired or been cancelled, whatever event its object
   * names by then (`cancel(ev, seq)` with the `seq` read now). The kernel's `hrtimer_cancel` on a
   * timer that already ran is no-op the same way.
   */
  canceller(ev: SimEvent): () => void {
    const seq = ev.seq;
    return () => this.cancel(ev, seq);
  }

  /** Add a trace record stamped with the current time, when tracing is on. */
  record(record: Omit<TraceRecord, 't'>): void {
    this.traceBuf?.push({ t: this.now, ...record });
  }

  /** Ask a running `run` to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Whether events are pending. */
  get pending(): boolean {
    return this.queue.size > 0 || this.immHead < this.immTail;
  }

  /** Run events in (time, seq) order until none are left or a limit is reached; returns events run. */
  run(options: RunOptions = {}): number {
    const until = options.until ?? Infinity;
    const maxEvents = options.maxEvents ?? Infinity;
    if (!(until >= this.now)) {
      throw new KernelError('EINVAL', Number.isNaN(until) ? 'run until NaN ns: allowed a time in ns ≥ now' : `run until ${until} ns: now is already ${this.now} ns`);
    }
    if (!(maxEvents >= 0)) {
      throw new KernelError('EINVAL', `run maxEvents ${maxEvents}: allowed a count ≥ 0`);
    }
    this.stopRequested = false;
    const queue = this.queue;
    let n = 0;
    try {
      while (n < maxEvents && !this.stopRequested) {
        let ev: SimEvent;
        const top = queue.peek();
        let fromHeap = true;
        if (top !== undefined && top.time === this.now) {
          ev = top;
        } else if (this.immHead < this.immTail) {
          const slot = this.immHead & (this.immediate.length - 1);
          ev = this.immediate[slot] as SimEvent;
          this.immediate[slot] = undefined;
          this.immHead++;
          fromHeap = false;
        } else {
          if (top === undefined || top.time > until) break;
          ev = top;
        }
        const fn = ev.fn;
        if (fn === null) {
          if (fromHeap) queue.pop();
          queue.recycle(ev);
          continue;
        }
        ev.fn = null;
        this.now = ev.time;
        if (fromHeap) {
          // The event stays at the heap's top while it fires: the first event its callback
          // schedules into the heap reuses it in place, in one sift-down (its time is later, so
          // it cannot sort before it); otherwise it is popped and recycled afterwards.
          this.firing = ev;
          fn(ev.arg);
          if (this.firing === ev) {
            this.firing = null;
            queue.pop();
            queue.recycle(ev);
          }
        } else {
          fn(ev.arg);
          queue.recycle(ev);
        }
        n++;
      }
    } catch (err) {
      // A callback threw: leave the queue as if its event had completed, then propagate.
      const ev = this.firing;
      if (ev !== null) {
        this.firing = null;
        queue.pop();
        queue.recycle(ev);
      }
      throw err;
    }
    this.eventsRun += n;
    if (until !== Infinity && !this.stopRequested && n < maxEvents) this.now = until;
    return n;
  }
}

/** Create a simulation (virtual clock at 0, seeded RNG). */
export function createSimulation(options: SimulationOptions = {}): Simulation {
  return new Simulation(options);
}
