/**
 * The optional event trace: a bounded ring buffer of what ran where and when. When it is
 * full the oldest records are overwritten; `dropped` counts them. `toChromeTrace` turns the
 * records into the Trace Event Format that Perfetto (ui.perfetto.dev) and chrome://tracing
 * open: the timeline KernelShark draws from a board's `trace-cmd record -e irq -e sched`.
 */
import type { Ns } from './time.js';
import type { ContextKind } from './types.js';

/** One trace record. */
export interface TraceRecord {
  /** Virtual time (ns). */
  readonly t: Ns;
  /** Host name, or '' for simulation-wide records. */
  readonly host: string;
  /** CPU index, or -1. */
  readonly cpu: number;
  /** What happened: `run` (a step ran; `value` its cost), `wake` (a task woke onto `cpu`, as sched_wakeup; `value` the waking CPU, -1 for a timeout), `ipi` (an IPI of type `name` reached `cpu`, as ipi_raise; `value` the sending CPU) or `counter` (a host's counter `name` read `value`). */
  readonly what: string;
  /** Which context or object. */
  readonly name: string;
  /** Cost charged (ns) or another number, 0 when unused. */
  readonly value: number;
  /** The context kind a `run` record's step ran in (its accounting bucket). */
  readonly kind?: ContextKind;
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

/** One event of the Trace Event Format: a complete slice (`X`), an instant (`i`), a counter value (`C`) or metadata (`M`); times in µs. */
export interface ChromeTraceEvent {
  /** Slice name (the context that ran), or the metadata's name (`process_name`, `thread_name`, …). */
  readonly name: string;
  /** Phase: `X` complete slice, `i` instant, `C` counter, `M` metadata. */
  readonly ph: 'X' | 'i' | 'C' | 'M';
  /** Process id: one per host, from 1 in the order hosts first appear. */
  readonly pid: number;
  /** Thread id: the CPU index (-1, a track named `global`, for a record without a CPU); absent on a counter, which is the process's. */
  readonly tid?: number;
  /** Start (µs, ns precision); absent on metadata. */
  readonly ts?: number;
  /** Duration (µs) of an `X` slice. */
  readonly dur?: number;
  /** Category: the context kind of a slice (`hardirq`, `softirq`, `kthread`, `user`), or the record's `what`. */
  readonly cat?: string;
  /** Scope of an instant: `t`, the thread (CPU) track. */
  readonly s?: 't';
  /** Metadata values, an instant's value, or a counter's (`value`). */
  readonly args?: Readonly<Record<string, string | number>>;
}

/** A whole trace in the Trace Event Format's JSON object form. */
export interface ChromeTrace {
  /** The events: metadata first, then slices and instants in time order. */
  readonly traceEvents: ChromeTraceEvent[];
  /** How viewers show times. */
  readonly displayTimeUnit: 'ns';
  /** Where the trace came from and how many of its oldest records the ring dropped. */
  readonly otherData: { readonly source: string; readonly records: number; readonly dropped: number };
}

/** One run of a context on a CPU: its consecutive steps there merged (ns). */
export interface RunSlice {
  /** Host name ('' for simulation-wide records). */
  readonly host: string;
  /** CPU index. */
  readonly cpu: number;
  /** The context that ran. */
  readonly name: string;
  /** Its context kind (`run` when the record carries none). */
  readonly kind: string;
  /** Start (ns). */
  readonly start: Ns;
  /** End (ns). */
  end: Ns;
}

/**
 * The `run` records as slices in start order: steps of one context (same name and kind) that
 * follow each other without a gap on a CPU are one slice (a long tasklet run charged in
 * chunks); steps of no cost are left out.
 */
export function runSlices(records: readonly TraceRecord[]): RunSlice[] {
  const out: RunSlice[] = [];
  /** The slice still open on each host/CPU track, extended while the same context runs on. */
  const open = new Map<string, RunSlice>();
  for (const r of records) {
    if (r.what !== 'run' || r.value <= 0) continue;
    const key = `${r.host}/${r.cpu}`;
    const kind = r.kind ?? 'run';
    const o = open.get(key);
    if (o !== undefined && o.name === r.name && o.kind === kind && o.end === r.t) {
      o.end = r.t + r.value;
      continue;
    }
    const slice: RunSlice = { host: r.host, cpu: r.cpu, name: r.name, kind, start: r.t, end: r.t + r.value };
    open.set(key, slice);
    out.push(slice);
  }
  return out;
}

/** ns → µs at ns precision (Trace Event Format times are µs). */
const usOf = (ns: Ns): number => ns / 1000;

/**
 * The records as a Trace Event Format trace: a process per host, a thread per CPU (named
 * `cpuN`; `global` for records without a CPU), a slice per run of a context (`runSlices`),
 * categorised by its kind. A `counter` record is a value of its host's counter track; other
 * records are instants on their CPU's track (a `wake` with the waking CPU as `waker_cpu`, so a
 * wake-up's latency is the gap to its task's next slice; an `ipi` with the sender as `from_cpu`).
 * `dropped` is the ring's count of records lost before the first one given.
 */
export function toChromeTrace(records: readonly TraceRecord[], dropped = 0): ChromeTrace {
  const pids = new Map<string, number>();
  const tids = new Map<string, Set<number>>();
  const body: ChromeTraceEvent[] = [];
  const hostName = (host: string): string => (host === '' ? 'simulation' : host);
  for (const r of records) {
    const name = hostName(r.host);
    let pid = pids.get(name);
    if (pid === undefined) {
      pid = pids.size + 1;
      pids.set(name, pid);
      tids.set(name, new Set());
    }
    if (r.what === 'counter') {
      body.push({ name: r.name, ph: 'C', ts: usOf(r.t), pid, args: { value: r.value } });
      continue;
    }
    tids.get(name)?.add(r.cpu);
    if (r.what !== 'run') body.push({ name: r.name, cat: r.what, ph: 'i', s: 't', ts: usOf(r.t), pid, tid: r.cpu, args: r.what === 'wake' ? { waker_cpu: r.value } : r.what === 'ipi' ? { from_cpu: r.value } : { value: r.value } });
  }
  for (const x of runSlices(records)) body.push({ name: x.name, cat: x.kind, ph: 'X', ts: usOf(x.start), dur: usOf(x.end - x.start), pid: pids.get(hostName(x.host)) ?? 0, tid: x.cpu });
  body.sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0) || a.pid - b.pid || (a.tid ?? -2) - (b.tid ?? -2));
  const meta: ChromeTraceEvent[] = [];
  for (const [hostName, pid] of pids) {
    meta.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: hostName } });
    meta.push({ name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: pid } });
    for (const tid of [...(tids.get(hostName) ?? [])].sort((a, b) => a - b)) {
      meta.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: tid < 0 ? 'global' : `cpu${tid}` } });
      meta.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: tid } });
    }
  }
  return { traceEvents: [...meta, ...body], displayTimeUnit: 'ns', otherData: { source: 'ntbsim', records: records.length, dropped } };
}
