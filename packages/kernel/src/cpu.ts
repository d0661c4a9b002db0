/**
 * A CPU: runs one context at a time, always picking the highest-priority queued work
 * (hardirq > softirq > kthread/user). Preemption rule: a step, once started, holds the CPU
 * until its charged cost has elapsed; higher-priority work queued meanwhile runs at the
 * next step boundary. kthreads and user tasks share one FIFO and rotate round-robin at step
 * boundaries (a simplification of CFS time slicing). Every step's cost is accounted to its
 * context kind.
 */
import { KernelError } from './errors.js';
import type { Host } from './host.js';
import type { ContextKind, CpuUsage, ExecContext, Runnable } from './types.js';
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
    this.time += ns;
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
 * CPU 0 of `host` when absent (tasklet_schedule, raise_softirq, queue_work_on, mod_timer).
 */
export function cpuOf(host: Host, on: Cpu | ExecContext | undefined): Cpu {
  return on === undefined ? host.cpu(0) : 'cpu' in on ? on.cpu : on;
}

/** Event trampolines (one function for every CPU, so V8 optimises them once per process). */
function cpuDispatch(cpu: unknown): void {
  (cpu as Cpu).dispatch();
}
function cpuStepDone(cpu: unknown): void {
  (cpu as Cpu).stepDone();
}

/** One CPU of a host. */
export class Cpu {
  private readonly hardq = new Deque<Runnable>();
  private readonly softq = new Deque<Runnable>();
  private readonly procq = new Deque<Runnable>();
  private readonly acct = new Float64Array(4);
  private readonly byName = new Map<string, number>();
  private readonly ctx: StepContext;
  private current: Runnable | null = null;
  /** Accounting slot (0 hardirq, 1 softirq, 2 kthread, 3 user) of `current`. */
  private slot = 0;
  private currentMore = false;
  private busyUntil: Ns = 0;
  private dispatchPending = false;
  private readonly accountByName: boolean;
  private readonly tracing: boolean;

  /** CPU `id` of `host`. */
  constructor(
    /** The host this CPU belongs to. */
    readonly host: Host,
    /** CPU number: bit `id` of an affinity mask. */
    readonly id: number,
  ) {
    this.ctx = new StepContext(host, this);
    this.accountByName = host.sim.accountByName;
    this.tracing = host.sim.trace !== null;
  }

  /** True when nothing runs or waits on this CPU. */
  get idle(): boolean {
    return this.current === null && !this.dispatchPending && this.queued === 0;
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
    this.queueOf(r.kind).push(r);
    this.kick();
  }

  private queueOf(kind: ContextKind): Deque<Runnable> {
    return kind === 'hardirq' ? this.hardq : kind === 'softirq' ? this.softq : this.procq;
  }

  private kick(): void {
    if (this.current === null && !this.dispatchPending) {
      this.dispatchPending = true;
      this.host.sim.at(this.host.sim.now, cpuDispatch, this);
    }
  }

  /**
   * Take the next context by priority, noting its accounting slot in `slot`. `again` is the
   * context whose step just ended with more to do, not yet re-queued: it runs next unless
   * something of higher priority waits (or, for a process context, anything else waits: kthreads
   * and user tasks rotate); otherwise it is re-queued first, at the front of its class for
   * hardirq and softirq, at the back for the others.
   */
  private pick(again: Runnable | null): Runnable | undefined {
    if (again !== null) {
      const slot = this.slot;
      if (slot === 0 || (slot === 1 && this.hardq.length === 0) || (this.hardq.length === 0 && this.softq.length === 0 && this.procq.length === 0)) return again;
      if (slot === 0) this.hardq.unshift(again);
      else if (slot === 1) this.softq.unshift(again);
      else this.procq.push(again);
    }
    if (this.hardq.length > 0) {
      this.slot = 0;
      return this.hardq.shift();
    }
    if (this.softq.length > 0) {
      this.slot = 1;
      return this.softq.shift();
    }
    const r = this.procq.shift();
    if (r !== undefined) this.slot = r.kind === 'kthread' ? 2 : 3;
    return r;
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
      ctx.kind = r.kind;
      ctx.start = now;
      ctx.time = now;
      this.current = r;
      const more = r.run(ctx);
      const cost = Math.round(ctx.time - now);
      const k = this.slot;
      this.acct[k] = (this.acct[k] as number) + cost;
      if (this.accountByName) this.byName.set(r.name, (this.byName.get(r.name) ?? 0) + cost);
      if (this.tracing) sim.record({ host: this.host.name, cpu: this.id, what: 'run', name: r.name, value: cost });
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
    if (this.currentMore) return r;
    r.finish?.(this);
    return null;
  }

  /** @internal Event: the running step's cost has elapsed. */
  stepDone(): void {
    this.runSteps(this.endStep());
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
    if (this.current !== null && this.busyUntil > now) u[this.current.kind] -= this.busyUntil - now;
    u.idle = Math.max(0, now - this.host.bootTime - u.hardirq - u.softirq - u.kthread - u.user);
    return u;
  }
}
