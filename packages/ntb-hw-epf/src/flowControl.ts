/**
 * Posted-write flow control of CPU copies into a PCIe window. A CPU's `memcpy_toio` issues
 * its stores evenly over the copy (its write-combining rate); the root port or endpoint
 * controller queues them and the link drains them at its payload rate. Stores beyond what the
 * controller's posted queue and the link partner's posted credits hold (`bufferBytes`) stall
 * the CPU until the link has drained enough.
 *
 * The model is a fluid FIFO per link direction: every copy is a stream of `bytes` its CPU
 * wants to issue evenly over [t0, t1]; the link serves the sum of the streams at
 * `bytesPerNs`; the backlog Q(t) is what has been wanted and not yet sent (in the buffer, or
 * held at a stalled CPU). A copy whose last store finds Q(t1) above the buffer stalls for
 * (Q(t1) − buffer) / rate, the time the link takes to make room for it behind everything
 * ahead. A stalled CPU starts its next copy after the stall, so the demand follows the link.
 * Streams are known when their copy runs, so a copy sees those that started before it ended,
 * not later ones (first come, first served): a copy that runs later but ends earlier does not
 * delay the tail of one that ran before it.
 *
 * The fabric's TLP timing (when the bytes land) is unchanged: this decides only how long the
 * issuing CPU is busy. DMA transfers and single MMIO writes do not count as streams.
 */
import type { Ns } from '@ntbsim/kernel';

interface Stream {
  readonly t0: Ns;
  readonly t1: Ns;
  readonly bytes: number;
}

/** The CPU-copy backlog of one link direction. */
export class CpuWriteQueue {
  /** Time up to which `q` is known: no stream can start before it. */
  private t = 0;
  /** Backlog at `t` (bytes). */
  private q = 0;
  /** Streams still issuing after `t`. */
  private streams: Stream[] = [];

  /** A queue draining `bytesPerNs` with `bufferBytes` of posted buffering. */
  constructor(
    private readonly bytesPerNs: number,
    private readonly bufferBytes: number,
  ) {}

  /**
   * Backlog at `until` (bytes) from the state at `t` with the recorded streams: the link drains
   * `bytesPerNs` between their start and end points; an instant write (t0 = t1) counts at its
   * time, after the drain before it.
   */
  private backlogAt(until: Ns): number {
    const streams = this.streams;
    const drain = (q: number, from: Ns, to: Ns): number => Math.max(0, q - this.bytesPerNs * (to - from));
    if (streams.length === 0) return drain(this.q, this.t, until);
    const one = streams.length === 1 ? streams[0] : undefined;
    // One stream that has ended by `until` (the usual case: one CPU copying): drain up to its
    // start, add its bytes less what the link sends meanwhile, drain to `until`.
    if (one !== undefined && until >= one.t1) return drain(Math.max(0, drain(this.q, this.t, one.t0) + one.bytes - this.bytesPerNs * (one.t1 - one.t0)), one.t1, until);
    const points = new Set<number>([until]);
    for (const s of streams) {
      if (s.t0 > this.t && s.t0 < until) points.add(s.t0);
      if (s.t1 > this.t && s.t1 < until) points.add(s.t1);
    }
    const instantAt = (time: Ns): number => streams.reduce((sum, s) => (s.t1 === s.t0 && s.t0 === time ? sum + s.bytes : sum), 0);
    let q = this.q + instantAt(this.t);
    let a = this.t;
    for (const b of [...points].sort((x, y) => x - y)) {
      if (b <= a) continue;
      let issued = 0;
      for (const s of streams) {
        const lo = Math.max(a, s.t0);
        const hi = Math.min(b, s.t1);
        if (hi > lo) issued += (s.bytes * (hi - lo)) / (s.t1 - s.t0);
      }
      q = Math.max(0, q + issued - this.bytesPerNs * (b - a)) + instantAt(b);
      a = b;
    }
    return q;
  }

  /** Fold the streams up to `now` into the backlog (nothing can start before `now` any more). */
  private advance(now: Ns): void {
    if (now <= this.t) return;
    this.q = this.backlogAt(now);
    this.t = now;
    if (this.streams.some((s) => s.t1 <= now)) this.streams = this.streams.filter((s) => s.t1 > now);
  }

  /** A CPU copy of `bytes` issued over [t0, t1] at simulation time `now` (≤ t0): how long the CPU stalls after t1 (ns, 0 when the buffer absorbs it). */
  copy(now: Ns, t0: Ns, t1: Ns, bytes: number): Ns {
    this.advance(now);
    const s: Stream = { t0: Math.max(t0, this.t), t1: Math.max(t1, t0, this.t), bytes };
    this.streams.push(s);
    const q = this.backlogAt(s.t1);
    return q > this.bufferBytes ? (q - this.bufferBytes) / this.bytesPerNs : 0;
  }

  /** Forget every stream (link loss: what was queued is dropped). */
  reset(now: Ns): void {
    this.t = now;
    this.q = 0;
    this.streams = [];
  }
}
