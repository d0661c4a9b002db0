/**
 * The optional event trace: a bounded ring buffer of what ran where and when. When it is
 * full the oldest records are overwritten; `dropped` counts them.
 */
import type { Ns } from './time.js';

/** One trace record. */
export interface TraceRecord {
  /** Virtual time (ns). */
  readonly t: Ns;
  /** Host name, or '' for simulation-wide records. */
  readonly host: string;
  /** CPU index, or -1. */
  readonly cpu: number;
  /** What happened (`run`, `irq`, `wake`, …). */
  readonly what: string;
  /** Which context or object. */
  readonly name: string;
  /** Cost charged (ns) or another number, 0 when unused. */
  readonly value: number;
}

/** A bounded ring buffer of trace records. */
export class TraceBuffer {
  private readonly records: (TraceRecord | undefined)[];
  private head = 0;
  private count = 0;
  /** Records overwritten because the buffer was full. */
  dropped = 0;

  /** A buffer holding at most `capacity` records. */
  constructor(/** Maximum number of records kept. */ readonly capacity: number) {
    this.records = new Array<TraceRecord | undefined>(capacity);
  }

  /** Append a record, overwriting the oldest when full. */
  push(record: TraceRecord): void {
    if (this.capacity === 0) return;
    this.records[(this.head + this.count) % this.capacity] = record;
    if (this.count < this.capacity) this.count++;
    else {
      this.head = (this.head + 1) % this.capacity;
      this.dropped++;
    }
  }

  /** The records held, oldest first. */
  toArray(): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.records[(this.head + i) % this.capacity] as TraceRecord);
    return out;
  }

  /** Records held. */
  get length(): number {
    return this.count;
  }
}
