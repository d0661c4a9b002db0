/**
 * Contracts of the kernel substrate: execution contexts, schedulable work and accounting.
 */
import type { Cpu } from './cpu.js';
import type { Host } from './host.js';
import type { PlatformProfile } from './profile/schema.js';
import type { Ns } from './time.js';

/** Kernel execution context kinds, highest priority first. Workqueue items run as `kthread`. */
export type ContextKind = 'hardirq' | 'softirq' | 'kthread' | 'user';

/** All context kinds, highest priority first. */
export const CONTEXT_KINDS: readonly ContextKind[] = ['hardirq', 'softirq', 'kthread', 'user'];

/** The softirq vectors in the kernel's order (softirq_to_name, include/linux/interrupt.h): a vector's index is its number. */
export const SOFTIRQ_VECTORS = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU'] as const;

/** A softirq vector's name (`NET_RX_SOFTIRQ` is `NET_RX`). */
export type SoftirqVector = (typeof SOFTIRQ_VECTORS)[number];

/**
 * The inter-processor interrupts the model sends: `call-function` (IPI_CALL_FUNC, the IPI of
 * smp_call_function_single, which try_to_wake_up's wakelist uses to have a remote CPU activate
 * a woken task) and `irq-work` (IPI_IRQ_WORK, irq_work queued on another CPU).
 */
export const IPI_TYPES = ['call-function', 'irq-work'] as const;

/** An inter-processor interrupt the model sends (see IPI_TYPES). */
export type IpiType = (typeof IPI_TYPES)[number];

/**
 * What a running step sees: where it runs and a cost cursor. A step's state changes take
 * effect at `start`; `charge(ns)` advances `time`, and the CPU stays busy until `time`.
 * Work meant to happen after a cost belongs in the next step.
 */
export interface ExecContext {
  /** The host the step runs on. */
  readonly host: Host;
  /** The CPU the step runs on. */
  readonly cpu: Cpu;
  /** The context kind of the step. */
  readonly kind: ContextKind;
  /** Virtual time the step started (ns). */
  readonly start: Ns;
  /** Start plus the cost charged so far (ns): the issue time of anything done now. */
  readonly time: Ns;
  /** Charge `ns` (≥ 0, rounded to the nearest ns) of CPU time to this step. */
  charge(ns: Ns): void;
}

/**
 * Something a CPU can run, one step at a time. `run` returns true when it has more steps
 * (the CPU re-queues it: at the front for hardirq/softirq, at the back for process kinds).
 * Higher-priority work runs between steps: steps are the preemption points.
 */
export interface Runnable {
  /** Context kind (priority class and accounting bucket). */
  readonly kind: ContextKind;
  /** Name shown in traces. */
  readonly name: string;
  /** Run one step on `ctx.cpu`; true if more steps follow. */
  run(ctx: ExecContext): boolean;
  /** Called when the last step's cost has elapsed (the context has left the CPU). */
  finish?(cpu: Cpu): void;
  /** Softirq work: its vector's index in SOFTIRQ_VECTORS, the order a __do_softirq pass handles them in (TASKLET when absent). */
  readonly softirqNr?: number;
  /**
   * Process contexts: how far (ns of virtual runtime) it was ahead of its CPU's min_vruntime
   * when it last left a CPU; kept by the CPUs' fair scheduler (the normalised vruntime a
   * migrating task carries), 0 when absent.
   */
  schedLag?: number;
}

/** Cumulative CPU time by context kind (ns); `idle` is the rest of elapsed time. */
export interface CpuUsage {
  /** Hardirq time (ns). */
  hardirq: Ns;
  /** Softirq and tasklet time (ns). */
  softirq: Ns;
  /** Kthread and workqueue time (ns). */
  kthread: Ns;
  /** User task time (ns). */
  user: Ns;
  /** Idle time (ns). */
  idle: Ns;
}

/**
 * What a task step asks for next: `'run'` to stay runnable, `'sleep'` to sleep until woken
 * (TASK_INTERRUPTIBLE), a number of ns to sleep with a timeout (`schedule_timeout`), or
 * `'exit'` to end the task.
 */
export type TaskStep = 'run' | 'sleep' | 'exit' | Ns;

/** Options of `createHost`. */
export interface HostOptions {
  /** Host name (`rc`, `ep`), used in traces. */
  readonly name: string;
  /** The platform profile (validated). */
  readonly profile: PlatformProfile;
  /** First IRQ number handed out by `requestIrq`. Default 16. */
  readonly firstIrq?: number;
}

/** Options of `createSimulation`. */
export interface SimulationOptions {
  /** RNG seed (unsigned 32-bit); the same seed gives the same run. Default 1. */
  readonly seed?: number;
  /** Capacity of the trace ring buffer in records; 0 or absent disables tracing. */
  readonly traceCapacity?: number;
  /** Also account CPU time per context name (tasklet, kthread, IRQ…): `cpu.usageByName()`. Default false. */
  readonly accountByName?: boolean;
}

/** Limits of one `run` call. */
export interface RunOptions {
  /** Stop after the events due at or before this time (ns); `now` is then set to it. */
  readonly until?: Ns;
  /** Stop after this many events. */
  readonly maxEvents?: number;
}
