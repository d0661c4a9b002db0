/**
 * Tasklets and softirqs (kernel/softirq.c). A tasklet runs in softirq context on the CPU that
 * scheduled it and never runs concurrently with itself: scheduling it while it is pending does
 * nothing; scheduling it while it runs queues one more run after the current one (the SCHED
 * bit is cleared before the callback runs, as `tasklet_action` does); a tasklet picked up on
 * another CPU while it still runs elsewhere is deferred until that run ends. A softirq (such as
 * NET_RX) is one tasklet-like instance per CPU, so it may run on several CPUs at once.
 *
 * What /proc/softirqs shows is counted by the CPU: once per vector per __do_softirq pass that
 * handles it (kstat_incr_softirqs_this_cpu), however many of its tasklets the pass runs.
 */
import { cpuOf, type Cpu } from './cpu.js';
import { KernelError } from './errors.js';
import type { Host } from './host.js';
import { SOFTIRQ_VECTORS, type ExecContext, type Runnable, type SoftirqVector } from './types.js';

/** A tasklet or softirq body: one step; return true to continue in another step. */
export type SoftirqFn = (ctx: ExecContext) => boolean;

/** A tasklet (`struct tasklet_struct`). */
export class Tasklet implements Runnable {
  /** Always softirq. */
  readonly kind = 'softirq' as const;
  private scheduled = false;
  private runningOn: Cpu | null = null;
  private retryOn: Cpu | null = null;
  /** Completed runs (each run may span several steps). */
  runs = 0;
  /** Its vector's index in SOFTIRQ_VECTORS (the order a __do_softirq pass handles vectors in). */
  readonly softirqNr: number;

  /**
   * A tasklet named `name` running `fn` (tasklet_init / tasklet_setup) on softirq vector
   * `vector`: `TASKLET` (default) or `HI` for a tasklet, another vector for the work built on
   * it (a softirq's per-CPU instance, a timer callback).
   */
  constructor(
    /** The host the tasklet belongs to. */
    readonly host: Host,
    /** Name shown in traces. */
    readonly name: string,
    private readonly fn: SoftirqFn,
    /** The softirq vector it runs in. */
    readonly vector: SoftirqVector = 'TASKLET',
  ) {
    this.softirqNr = SOFTIRQ_VECTORS.indexOf(vector);
    if (this.softirqNr < 0) throw new KernelError('EINVAL', `tasklet ${name}: softirq vector '${String(vector)}' is not one of ${SOFTIRQ_VECTORS.join(', ')}`);
  }

  /** Whether it is scheduled and not yet started (TASKLET_STATE_SCHED). */
  get isScheduled(): boolean {
    return this.scheduled;
  }

  /** Whether it is running (TASKLET_STATE_RUN). */
  get isRunning(): boolean {
    return this.runningOn !== null;
  }

  /** Schedule on `on` (a CPU, the current context's CPU; default the CPU running the caller, else CPU 0); false if already pending (tasklet_schedule). */
  schedule(on?: Cpu | ExecContext): boolean {
    if (this.scheduled) return false;
    this.scheduled = true;
    const cpu = cpuOf(this.host, on);
    cpu.enqueue(this);
    return true;
  }

  /**
   * Drop a pending run (tasklet_kill); a run in progress completes, and it may be scheduled
   * again later. The kernel's tasklet_kill sleeps until a pending run has run; the model cannot
   * block its caller, so it drops that run instead: a caller that needs it (a last RX pass) runs
   * the work itself first.
   */
  kill(): void {
    this.scheduled = false;
  }

  /** @internal Runnable step. */
  run(ctx: ExecContext): boolean {
    if (this.runningOn === null) {
      if (!this.scheduled) return false;
      this.scheduled = false;
      this.runningOn = ctx.cpu;
      ctx.charge(this.host.costs.softirqEntry());
    } else if (this.runningOn !== ctx.cpu) {
      this.retryOn = ctx.cpu;
      return false;
    }
    return this.fn(ctx);
  }

  /** @internal The run has left the CPU. */
  finish(cpu: Cpu): void {
    if (cpu !== this.runningOn) return;
    this.runningOn = null;
    this.runs++;
    const retry = this.retryOn;
    if (retry !== null) {
      this.retryOn = null;
      retry.enqueue(this);
    }
  }
}

/** A softirq vector with a handler (open_softirq); raised per CPU (raise_softirq). */
export class Softirq {
  private readonly perCpu: Tasklet[];

  /** Softirq vector `name` whose handler is `fn`. */
  constructor(
    /** The host the softirq belongs to. */
    readonly host: Host,
    /** The vector (e.g. `NET_RX`), also the name shown in traces. */
    readonly name: SoftirqVector,
    fn: SoftirqFn,
  ) {
    this.perCpu = host.cpus.map((c) => new Tasklet(host, `${name}/${c.id}`, fn, name));
  }

  /** Mark it pending on `on` (a CPU, the current context's CPU; default the CPU running the caller, else CPU 0); false if already pending there. */
  raise(on?: Cpu | ExecContext): boolean {
    const cpu = cpuOf(this.host, on);
    return (this.perCpu[cpu.id] as Tasklet).schedule(cpu);
  }
}
