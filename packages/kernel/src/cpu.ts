/**
 * A CPU: runs one context at a time, always picking the highest-priority queued work
 * (hardirq > softirq > kthread/user). Preemption rule: a step, once started, holds the CPU
 * until its charged cost has elapsed; higher-priority work queued meanwhile runs at the
 * next step boundary. A softirq or tasklet run is never preempted but by hardirqs.
 *
 * Process contexts (kthreads, user tasks) are scheduled fairly, a simplification of EEVDF:
 * each has a virtual runtime (its CPU time on this CPU, equal weights); the one with the
 * smallest runs, keeps the CPU for a slice (EEVDF's base slice, 0.75 ms × (1 + log2 CPUs),
 * at most 8) while others wait, and a waking one starts at the CPU's min_vruntime plus the
 * lead it had over min_vruntime where it last ran (never behind it, so a long sleeper gets no
 * burst).
 *
 * Softirq overload (kernel/softirq.c handle_softirqs): softirq and tasklet runs go in passes,
 * a pass handling the vectors pending when it began in vector order (HI, TIMER, NET_TX,
 * NET_RX, …, TASKLET, …, RCU), each vector's handler taking the work queued on it as it starts
 * (see SoftirqQueue). After a pass, if work is pending again, __do_softirq restarts unless
 * MAX_SOFTIRQ_TIME (2 ms, rounded up to whole jiffies as msecs_to_jiffies does) has passed since
 * the first, or MAX_SOFTIRQ_RESTART (10) passes ran, or a process context waits here
 * (need_resched); then the pending work is handed to `ksoftirqd/N`, a process context that then
 * competes fairly with the others until no softirq work is left (its runs are still accounted
 * as softirq time, in the same passes). Softirqs raised meanwhile go to ksoftirqd, except at irq
 * exit (invoke_softirq): when the last hardirq ends with softirq work pending, a __do_softirq
 * stretch runs there over all of it, ahead of the task the interrupt hit, whether or not
 * ksoftirqd is runnable (v6.5 reverted "softirq: Let ksoftirqd do its job", which had left all
 * but HI and TASKLET to a runnable ksoftirqd); it ends like any stretch, after one pass, as that
 * task waits (need_resched). An interrupt that hits ksoftirqd in the middle of a softirq run
 * starts none (in_interrupt).
 *
 * Every step's cost is accounted to its context kind.
 */
import { KernelError } from './errors.js';
import type { Host } from './host.js';
import { CONTEXT_KINDS, SOFTIRQ_VECTORS, type ContextKind, type CpuUsage, type ExecContext, type IpiType, type Runnable } from './types.js';
import type { Ns } from './time.js';

/** A FIFO with O(1) push/shift at both ends (ring buffer). */
class Deque<T> {
  private buf: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  /** Number of items. */
  length = 0;

  push(v: T): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & (this.buf.length - 1)] = v;
    this.length++;
  }

  unshift(v: T): void {
    if (this.length === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = v;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.length--;
    return v;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}

/** TASKLET's number in SOFTIRQ_VECTORS: the vector of softirq work that names none. */
const TASKLET_NR = SOFTIRQ_VECTORS.indexOf('TASKLET');

/**
 * The softirq work pending on a CPU, one FIFO per vector, taken in __do_softirq's passes: a
 * pass handles the vectors pending when it began in ascending vector number (HI, TIMER, …,
 * RCU), and a vector's handler takes the work queued on it when the handler starts (as
 * tasklet_action takes its list); work raised on a vector the pass has already handled, or
 * left out of it, or queued while its handler runs, waits for the next pass. Each handler
 * entry counts once for its vector (kstat_incr_softirqs_this_cpu), however much work it takes.
 */
class SoftirqQueue {
  private readonly q = SOFTIRQ_VECTORS.map(() => new Deque<Runnable>());
  /** Handler entries per vector (the CPU's kstat softirqs[]). */
  constructor(private readonly counts: Float64Array) {}

  /** Number of runs pending, every vector. */
  length = 0;
  /** Vectors of the current pass not yet handled (bit n: vector n). */
  private passMask = 0;
  /** The vector whose handler the pass is in, -1 between handlers. */
  private vec = -1;
  /** Runs the current handler still takes. */
  private vecLeft = 0;

  /** Queue `r` on its vector. */
  push(r: Runnable): void {
    (this.q[r.softirqNr ?? TASKLET_NR] as Deque<Runnable>).push(r);
    this.length++;
  }

  /** Put back a run interrupted mid-way (its handler resumes it first). */
  unshift(r: Runnable): void {
    const nr = r.softirqNr ?? TASKLET_NR;
    (this.q[nr] as Deque<Runnable>).unshift(r);
    this.length++;
    if (nr === this.vec) this.vecLeft++;
  }

  /** Begin a pass over the vectors pending now (`set_softirq_pending(0)` at `restart:`). */
  startPass(): void {
    let mask = 0;
    for (let nr = 0; nr < this.q.length; nr++) if ((this.q[nr] as Deque<Runnable>).length > 0) mask |= 1 << nr;
    this.passMask = mask;
    this.vec = -1;
    this.vecLeft = 0;
  }

  /** Whether the current pass has a run left, entering the next pending vector's handler when the current one is done. */
  inPass(): boolean {
    while (this.vecLeft === 0) {
      if (this.vec >= 0) this.passMask &= ~(1 << this.vec);
      if (this.passMask === 0) {
        this.vec = -1;
        return false;
      }
      this.vec = 31 - Math.clz32(this.passMask & -this.passMask);
      this.vecLeft = (this.q[this.vec] as Deque<Runnable>).length;
      this.counts[this.vec] = (this.counts[this.vec] as number) + 1;
    }
    return true;
  }

  /** The next run of the current pass (after `inPass` said there is one). */
  take(): Runnable {
    this.vecLeft--;
    this.length--;
    return (this.q[this.vec] as Deque<Runnable>).shift() as Runnable;
  }
}

const MAX_ZERO_COST_STEPS = 1_000_000;

/** The error for a negative or NaN charge (out of line, so `charge` inlines). */
function chargeError(ns: Ns): KernelError {
  return new KernelError('EINVAL', `charge: cost must be a number ≥ 0 ns, got ${ns}`);
}

class StepContext implements ExecContext {
  kind: ContextKind = 'hardirq';
  start: Ns = 0;
  time: Ns = 0;
  constructor(
    readonly host: Host,
    readonly cpu: Cpu,
  ) {}

  charge(ns: Ns): void {
    if (!(ns >= 0)) throw chargeError(ns);
    this.time += Math.round(ns);
  }
}

/**
 * @internal A context of `kind` on `cpu` that starts at `now` and is run by no CPU (what it
 * charges is accounted nowhere): `Host.syscallContext`. The same class as the CPUs' step
 * contexts, so `charge` call sites stay monomorphic.
 */
export function detachedContext(cpu: Cpu, kind: ContextKind, now: Ns): ExecContext {
  const ctx = new StepContext(cpu.host, cpu);
  ctx.kind = kind;
  ctx.start = now;
  ctx.time = now;
  return ctx;
}

/**
 * @internal The CPU a deferred context goes to: `on` itself, the CPU of the context `on`, or
 * when absent the CPU running the caller (`Host.runningCpu`: tasklet_schedule, raise_softirq and
 * queue_work use this_cpu), or CPU 0 of `host` outside any context (a hardware model's event).
 */
export function cpuOf(host: Host, on: Cpu | ExecContext | undefined): Cpu {
  return on === undefined ? (host.runningCpu ?? host.cpu(0)) : 'cpu' in on ? on.cpu : on;
}

/** Event trampolines (one function for every CPU, so V8 optimises them once per process). */
function cpuDispatch(cpu: unknown): void {
  (cpu as Cpu).dispatch();
}
function cpuStepDone(cpu: unknown): void {
  (cpu as Cpu).stepDone();
}

/** MAX_SOFTIRQ_TIME of kernel/softirq.c (ms): how long one __do_softirq may restart before handing over to ksoftirqd. */
const MAX_SOFTIRQ_TIME_MS = 2;
/** MAX_SOFTIRQ_RESTART of kernel/softirq.c: passes one __do_softirq makes at most. */
const MAX_SOFTIRQ_RESTART = 10;

/**
 * `ksoftirqd/N`: the per-CPU kthread that runs softirq work once `__do_softirq` has handed it
 * over (kernel/softirq.c run_ksoftirqd). It competes with the CPU's kthreads and user tasks
 * as a process context; the softirq runs it executes are still accounted as softirq time
 * (IRQ time accounting), under their own names.
 */
class Ksoftirqd implements Runnable {
  readonly kind = 'kthread' as const;
  /** The softirq run in progress (a tasklet or softirq handler runs to completion). */
  inner: Runnable | null = null;
  /** A run that ended in the last step: its `finish` is due when that step's cost has elapsed. */
  ended: Runnable | null = null;

  constructor(private readonly cpu: Cpu) {}

  get name(): string {
    return this.inner?.name ?? this.ended?.name ?? `ksoftirqd/${this.cpu.id}`;
  }

  run(ctx: ExecContext): boolean {
    return this.cpu.runDeferred(ctx, this);
  }
}

/** One CPU of a host. */
export class Cpu {
  /** Inter-processor interrupts received since boot, by type (the arm64 IPIn rows of /proc/interrupts). */
  readonly ipis: Record<IpiType, number> = { 'call-function': 0, 'irq-work': 0 };
  private readonly hardq = new Deque<Runnable>();
  /** Softirq handler entries per vector (kstat_cpu's softirqs[], indexed as SOFTIRQ_VECTORS). */
  private readonly softirqRuns = new Float64Array(SOFTIRQ_VECTORS.length);
  private readonly softq = new SoftirqQueue(this.softirqRuns);
  /** Queued process contexts (kthreads, user tasks, ksoftirqd), in arrival order, and their vruntimes. */
  private readonly procq: Runnable[] = [];
  private readonly procV: number[] = [];
  private readonly acct = new Float64Array(4);
  private readonly byName = new Map<string, number>();
  private readonly byTask = new Map<string, number>();
  private readonly ctx: StepContext;
  private current: Runnable | null = null;
  /** Accounting slot (0 hardirq, 1 softirq, 2 kthread, 3 user) of `current`. */
  private slot = 0;
  private currentMore = false;
  private busyUntil: Ns = 0;
  private dispatchPending = false;
  private readonly accountByName: boolean;
  /** Virtual runtime (ns) of the running process context. */
  private curV = 0;
  /** The CPU's min_vruntime: never decreases; a waking context starts no earlier. */
  private minVruntime = 0;
  /** CPU time (ns) the current process context has had since it was picked. */
  private sliceUsed = 0;
  /** The time slice of a process context (ns), EEVDF's base slice for this CPU count. */
  private readonly slice: Ns;
  /** The jiffy at which the current stretch of softirq runs must hand over to ksoftirqd; -1 outside a stretch. */
  private softirqEnd = -1;
  /** A softirq run is in progress (its steps continue, whatever else waits but hardirqs). */
  private softirqMidRun = false;
  /** Passes restarted in the current stretch. */
  private restarts = 0;
  /** Softirq work is handed over to ksoftirqd until none is pending. */
  private deferred = false;
  /** ksoftirqd was interrupted by a hardirq in the middle of a softirq run. */
  private resumeKsoftirqd = false;
  /** The last step was a hardirq's: the next pick is an irq exit. */
  private irqExit = false;
  /** A stretch started at irq exit runs while the softirq work is handed over to ksoftirqd. */
  private irqExitStretch = false;
  private ksoftirqd: Ksoftirqd | null = null;
  /** The task that last held the CPU (ksoftirqd included), null for the idle task. */
  private lastTask: Runnable | null = null;
  private switches = 0;

  /** CPU `id` of `host`. */
  constructor(
    /** The host this CPU belongs to. */
    readonly host: Host,
    /** CPU number: bit `id` of an affinity mask. */
    readonly id: number,
  ) {
    this.ctx = new StepContext(host, this);
    this.accountByName = host.sim.accountByName;
    const n = Math.min(8, host.profile.cpu.count.value);
    this.slice = 750_000 * (1 + Math.floor(Math.log2(n)));
  }

  /** True when nothing runs or waits on this CPU. */
  get idle(): boolean {
    return this.current === null && !this.dispatchPending && this.queued === 0;
  }

  /**
   * available_idle_cpu: no task runs or waits here (ksoftirqd included). A CPU busy with
   * hardirq or softirq work that interrupted the idle task is idle to the scheduler.
   */
  get schedIdle(): boolean {
    return this.nrRunning === 0;
  }

  /** rq->nr_running: the process contexts running or waiting here (ksoftirqd included). */
  get nrRunning(): number {
    return (this.runsTask ? 1 : 0) + this.procq.length + (this.resumeKsoftirqd ? 1 : 0);
  }

  /** Whether the context holding the CPU is a task (a kthread, a user task or ksoftirqd), not an interrupt or a softirq on the idle task. */
  get runsTask(): boolean {
    return this.current !== null && (this.slot >= 2 || this.current === this.ksoftirqd);
  }

  /** Contexts waiting to run on this CPU. */
  get queued(): number {
    return this.hardq.length + this.softq.length + this.procq.length;
  }

  /** The context currently holding the CPU, if any. */
  get running(): Runnable | null {
    return this.current;
  }

  /** Queue `r` to run on this CPU (at the back of its priority class). */
  enqueue(r: Runnable): void {
    const kind = r.kind;
    if (kind === 'hardirq') this.hardq.push(r);
    else if (kind === 'softirq') this.softq.push(r);
    else this.enqueueProcess(r);
    this.kick();
  }

  /** Queue a process context at the CPU's min_vruntime plus its lead (place_entity). */
  private enqueueProcess(r: Runnable): void {
    this.updateMinVruntime();
    this.procq.push(r);
    this.procV.push(this.minVruntime + (r.schedLag ?? 0));
  }

  /** update_min_vruntime: the least vruntime of the running and queued process contexts, never decreasing. */
  private updateMinVruntime(): void {
    const cur = this.current;
    let m = cur !== null && (cur === this.ksoftirqd || this.slot >= 2) ? this.curV : Infinity;
    for (const v of this.procV) if (v < m) m = v;
    if (m !== Infinity && m > this.minVruntime) this.minVruntime = m;
  }

  private kick(): void {
    if (this.current === null && !this.dispatchPending) {
      this.dispatchPending = true;
      this.host.sim.at(this.host.sim.now, cpuDispatch, this);
    }
  }

  /**
   * Take the next context, noting its accounting slot in `slot`. `again` is the context whose
   * step just ended with more to do, not yet re-queued: it runs next when it may (see
   * `keeps`), otherwise it is re-queued first — at the front of its class for hardirq and
   * softirq, with the other process contexts for kthreads, user tasks and ksoftirqd.
   */
  private pick(again: Runnable | null): Runnable | undefined {
    if (again !== null) {
      if (this.keeps(again)) return again;
      this.requeue(again);
    }
    if (this.hardq.length > 0) {
      this.slot = 0;
      return this.hardq.shift();
    }
    if (this.irqExit) {
      this.irqExit = false;
      if (this.deferred && !this.resumeKsoftirqd && !this.irqExitStretch && this.softq.length > 0) {
        this.irqExitStretch = true;
        this.softirqEnd = -1;
      }
    }
    if (this.resumeKsoftirqd) {
      this.resumeKsoftirqd = false;
      this.slot = 1;
      return this.ksoftirqd as Ksoftirqd;
    }
    if (this.softq.length > 0 && (!this.deferred || this.irqExitStretch) && this.softirqMayRun()) {
      this.slot = 1;
      return this.softq.take();
    }
    this.irqExitStretch = false;
    return this.pickProcess();
  }

  /** Put `again` back: at the front of its class for hardirq and softirq, with the process contexts otherwise. */
  private requeue(again: Runnable): void {
    if (again === this.ksoftirqd && this.ksoftirqd.inner !== null) {
      // Interrupted in the middle of a softirq run: it resumes right after the hardirqs.
      this.resumeKsoftirqd = true;
    } else if (again === this.ksoftirqd || this.slot >= 2) {
      this.procq.push(again);
      this.procV.push(this.curV);
    } else if (this.slot === 0) {
      this.hardq.unshift(again);
    } else {
      this.softq.unshift(again);
    }
  }

  /**
   * Whether the next softirq run starts here now (__do_softirq), or the pending softirq work is
   * handed to ksoftirqd: a run in progress goes on; the first run of a stretch starts a pass
   * over what is pending; after a pass, __do_softirq restarts unless out of time or restarts,
   * or a task waits here (need_resched).
   */
  private softirqMayRun(): boolean {
    const q = this.softq;
    if (this.softirqMidRun) return q.inPass();
    if (this.softirqEnd < 0) {
      this.softirqEnd = this.host.jiffies + this.host.msecsToJiffies(MAX_SOFTIRQ_TIME_MS);
      this.restarts = 0;
      q.startPass();
    } else if (!q.inPass()) {
      if (this.host.jiffies >= this.softirqEnd || ++this.restarts >= MAX_SOFTIRQ_RESTART || this.procq.length > 0) {
        // An irq-exit stretch hands back to the ksoftirqd that already has the work.
        if (this.irqExitStretch) return false;
        this.deferred = true;
        this.ksoftirqd ??= new Ksoftirqd(this);
        this.enqueueProcess(this.ksoftirqd);
        return false;
      }
      q.startPass();
    }
    return q.inPass();
  }

  /**
   * Whether `again` keeps the CPU for its next step: a hardirq always; a softirq run unless a
   * hardirq waits; ksoftirqd in the middle of a softirq run likewise; a process context while
   * nothing of higher priority waits and it has time left in its slice or no one else waits.
   */
  private keeps(again: Runnable): boolean {
    const slot = this.slot;
    if (slot === 0) return true;
    if (this.hardq.length > 0) return false;
    if (again === this.ksoftirqd) {
      if (this.ksoftirqd.inner !== null) return true;
    } else if (slot === 1) {
      return true;
    }
    if (this.softq.length > 0 && !this.deferred) return false;
    return this.procq.length === 0 || this.sliceUsed < this.slice;
  }

  /**
   * Take the queued process context with the smallest vruntime (the earliest queued among
   * equals), its vruntime into `curV`; none means the CPU goes idle, which ends a softirq stretch.
   */
  private pickProcess(): Runnable | undefined {
    const q = this.procq;
    const vs = this.procV;
    const n = q.length;
    if (n === 0) {
      this.softirqEnd = -1;
      this.switchTo(null);
      return undefined;
    }
    let best = 0;
    let bestV = Infinity;
    for (let i = 0; i < n; i++) {
      const v = vs[i] as number;
      if (v < bestV) {
        bestV = v;
        best = i;
      }
    }
    const r = q[best] as Runnable;
    const v = vs[best] as number;
    for (let i = best; i < n - 1; i++) {
      q[i] = q[i + 1] as Runnable;
      vs[i] = vs[i + 1] as number;
    }
    q.pop();
    vs.pop();
    this.curV = v;
    if (v > this.minVruntime) this.minVruntime = v;
    this.sliceUsed = 0;
    this.switchTo(r);
    if (r === this.ksoftirqd) {
      this.slot = 1;
    } else {
      this.softirqEnd = -1;
      this.slot = r.kind === 'kthread' ? 2 : 3;
    }
    return r;
  }

  /** __schedule's context switch to `next` (null: the idle task), counted when it is another task (rq->nr_switches). */
  private switchTo(next: Runnable | null): void {
    if (next === this.lastTask) return;
    this.lastTask = next;
    this.switches++;
  }

  /** Context switches on this CPU since boot (rq->nr_switches; the `ctxt` of /proc/stat sums them): a task, ksoftirqd or the idle task taking the CPU from another. */
  get nrSwitches(): number {
    return this.switches;
  }

  /** Softirq handler entries on this CPU since boot, once per vector per __do_softirq pass that handles it, per vector in SOFTIRQ_VECTORS order (kstat_softirqs_cpu: a row of /proc/softirqs is one index across the CPUs). */
  softirqCounts(): number[] {
    return Array.from(this.softirqRuns);
  }

  /** @internal ksoftirqd's step: the next step of the deferred softirq work, in softirq context. */
  runDeferred(ctx: StepContext, k: Ksoftirqd): boolean {
    let r = k.inner;
    if (r === null) {
      const q = this.softq;
      if (!q.inPass()) q.startPass();
      if (!q.inPass()) {
        this.deferred = false;
        return false;
      }
      r = q.take();
      k.inner = r;
    }
    ctx.kind = 'softirq';
    if (!r.run(ctx)) {
      k.inner = null;
      k.ended = r;
    }
    return true;
  }

  /** @internal Event: pick and run queued work. */
  dispatch(): void {
    this.dispatchPending = false;
    if (this.current !== null) return;
    this.runSteps(null);
  }

  /** Run steps until one has a cost (its end is then scheduled) or nothing is left; `again` as for `pick`. */
  private runSteps(again: Runnable | null): void {
    const sim = this.host.sim;
    const ctx = this.ctx;
    for (let zeroCost = 0; zeroCost < MAX_ZERO_COST_STEPS; zeroCost++) {
      const r = this.pick(again);
      if (r === undefined) return;
      const now = sim.now;
      ctx.start = now;
      ctx.time = now;
      this.current = r;
      const k = this.slot;
      const deferredRun = r === this.ksoftirqd;
      let more: boolean;
      const host = this.host;
      host.runningCpu = this;
      try {
        if (deferredRun) {
          more = this.runDeferred(ctx, r as Ksoftirqd);
        } else {
          ctx.kind = r.kind;
          more = r.run(ctx);
        }
      } finally {
        // A step that throws leaves no CPU marked running (wake placement reads it).
        host.runningCpu = null;
      }
      const cost = ctx.time - now;
      this.acct[k] = (this.acct[k] as number) + cost;
      if (k === 0) this.irqExit = true;
      if (k >= 2 || deferredRun) {
        this.curV += cost;
        this.sliceUsed += cost;
      } else if (k === 1) {
        this.softirqMidRun = more;
      }
      if (this.accountByName) this.accountName(r, k, cost);
      if (sim.trace !== null) sim.record({ host: this.host.name, cpu: this.id, what: 'run', name: r.name, value: cost, kind: CONTEXT_KINDS[k] as ContextKind });
      this.currentMore = more;
      if (cost > 0) {
        this.busyUntil = now + cost;
        sim.at(this.busyUntil, cpuStepDone, this);
        return;
      }
      again = this.endStep();
    }
    throw new KernelError('EBUSY', `cpu${this.id} of ${this.host.name}: ${MAX_ZERO_COST_STEPS} zero-cost steps at ${sim.now} ns (livelock)`);
  }

  /** The running step has ended: the context if it has more steps (for `pick`), else null after its `finish`. */
  private endStep(): Runnable | null {
    const r = this.current as Runnable;
    this.current = null;
    const k = this.ksoftirqd;
    if (r === k) {
      const ended = k.ended;
      if (ended !== null) {
        k.ended = null;
        ended.finish?.(this);
      }
      return this.currentMore ? r : null;
    }
    if (this.currentMore) return r;
    if (this.slot >= 2) r.schedLag = Math.max(0, this.curV - this.minVruntime);
    r.finish?.(this);
    return null;
  }

  /** @internal Event: the running step's cost has elapsed. */
  stepDone(): void {
    this.runSteps(this.endStep());
  }

  /** Add a step's cost to its context's name and, for a process context, to its task (comm). */
  private accountName(r: Runnable, slot: number, cost: Ns): void {
    this.byName.set(r.name, (this.byName.get(r.name) ?? 0) + cost);
    if (slot < 2 && r !== this.ksoftirqd) return;
    const comm = r === this.ksoftirqd ? `ksoftirqd/${this.id}` : r.name;
    this.byTask.set(comm, (this.byTask.get(comm) ?? 0) + cost);
  }

  /**
   * Cumulative time of the process contexts that ran here, by task name (comm; ns, whole
   * steps), when the simulation accounts by name: what `top` lists. Softirq work run by
   * ksoftirqd counts as `ksoftirqd/N` here (and under its own name in `usageByName`).
   */
  usageByTask(): Map<string, number> {
    return new Map(this.byTask);
  }

  /** Cumulative time per context name (ns, whole steps), when the simulation accounts by name. */
  usageByName(): Map<string, number> {
    return new Map(this.byName);
  }

  /** Cumulative time by context kind up to now (ns); the running step counts only its elapsed part. */
  usage(): CpuUsage {
    const a = this.acct;
    const u: CpuUsage = { hardirq: a[0] as number, softirq: a[1] as number, kthread: a[2] as number, user: a[3] as number, idle: 0 };
    const now = this.host.sim.now;
    if (this.current !== null && this.busyUntil > now) u[CONTEXT_KINDS[this.slot] as ContextKind] -= this.busyUntil - now;
    u.idle = Math.max(0, now - this.host.bootTime - u.hardirq - u.softirq - u.kthread - u.user);
    return u;
  }
}
