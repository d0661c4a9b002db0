/**
 * Timers. `Timer` is a jiffies timer (kernel/time/timer.c): it expires at a tick boundary,
 * the first tick at which `jiffies >= expires` (a timer armed for a jiffy already reached
 * fires at the next tick), and its callback runs in softirq context (TIMER_SOFTIRQ) on the
 * CPU that armed it. A 1 µs timeout is `usecs_to_jiffies(1)` = 1 jiffy, so it fires at the next
 * tick, up to 1/HZ later. Each host's tick phase is drawn from the run's RNG. `Hrtimer` fires at
 * the exact ns, in hardirq (`hard`) or softirq (`soft`) context.
 */
import { cpuOf, type Cpu } from './cpu.js';
import type { SimEvent } from './eventQueue.js';
import type { Host } from './host.js';
import { Tasklet } from './softirq.js';
import type { ExecContext, Runnable } from './types.js';
import type { Ns } from './time.js';

/** A timer callback. */
export type TimerFn = (ctx: ExecContext) => void;

/** The softirq run of a timer callback: TIMER or HRTIMER softirq work, which irq exit leaves to a runnable ksoftirqd (not `syncSoftirq`). */
function timerRun(host: Host, name: string, fn: TimerFn): Tasklet {
  return new Tasklet(
    host,
    name,
    (ctx) => {
      fn(ctx);
      return false;
    },
    false,
  );
}

/** A jiffies timer (`struct timer_list`). */
export class Timer {
  private event: SimEvent | null = null;
  private cpu: Cpu;
  private readonly tasklet: Tasklet;
  /** The jiffy it expires at, while pending. */
  expires = 0;

  /** A timer running `fn` on expiry (timer_setup). */
  constructor(
    /** The host the timer belongs to. */
    readonly host: Host,
    /** Name shown in traces. */
    readonly name: string,
    fn: TimerFn,
  ) {
    this.cpu = host.cpu(0);
    this.tasklet = timerRun(host, `timer:${name}`, fn);
  }

  /** Whether it is armed (timer_pending). */
  get pending(): boolean {
    return this.event !== null;
  }

  /** (Re)arm to expire at jiffy `expires` on `on` (default: the CPU that armed it last); true if it was pending (mod_timer). */
  mod(expires: number, on?: Cpu | ExecContext): boolean {
    const was = this.del();
    if (on !== undefined) this.cpu = cpuOf(this.host, on);
    const host = this.host;
    const at = Math.max(expires, host.jiffies + 1);
    this.expires = at;
    this.event = host.sim.at(host.jiffyStart(at), timerExpire, this);
    return was;
  }

  /** Disarm; true if it was pending (del_timer). */
  del(): boolean {
    if (this.event === null) return false;
    this.host.sim.cancel(this.event);
    this.event = null;
    return true;
  }

  /** @internal Event: the timer expired; run its callback in the timer softirq. */
  expire(): void {
    this.event = null;
    this.tasklet.schedule(this.cpu);
  }
}

/** hrtimer modes: callback in hardirq or softirq context. */
export type HrtimerMode = 'hard' | 'soft';

/** A high-resolution timer (`struct hrtimer`). */
export class Hrtimer implements Runnable {
  /** Context the callback runs in. */
  readonly kind: 'hardirq' | 'softirq';
  private event: SimEvent | null = null;
  private cpu: Cpu;
  private readonly tasklet: Tasklet | null;

  /** An hrtimer running `fn` on expiry (hrtimer_setup). */
  constructor(
    /** The host the timer belongs to. */
    readonly host: Host,
    /** Name shown in traces. */
    readonly name: string,
    private readonly fn: TimerFn,
    mode: HrtimerMode,
  ) {
    this.kind = mode === 'hard' ? 'hardirq' : 'softirq';
    this.cpu = host.cpu(0);
    this.tasklet = mode === 'soft' ? timerRun(host, `hrtimer:${name}`, fn) : null;
  }

  /** Whether it is armed (hrtimer_active). */
  get pending(): boolean {
    return this.event !== null;
  }

  /** Arm to fire `delay` ns from now on `on` (hrtimer_start, HRTIMER_MODE_REL); re-arms if pending. */
  start(delay: Ns, on?: Cpu | ExecContext): void {
    this.cancel();
    if (on !== undefined) this.cpu = cpuOf(this.host, on);
    this.event = this.host.sim.after(Math.max(0, Math.round(delay)), hrtimerExpire, this);
  }

  /** Disarm; true if it was pending (hrtimer_cancel). */
  cancel(): boolean {
    if (this.event === null) return false;
    this.host.sim.cancel(this.event);
    this.event = null;
    return true;
  }

  /** @internal Event: the hrtimer expired. */
  expire(): void {
    this.event = null;
    if (this.tasklet !== null) this.tasklet.schedule(this.cpu);
    else this.cpu.enqueue(this);
  }

  /** @internal Runnable step (hard mode). */
  run(ctx: ExecContext): boolean {
    ctx.charge(this.host.costs.irqEntryExit());
    this.fn(ctx);
    return false;
  }
}

/** Event trampolines, shared by every timer (so V8 optimises one function per process). */
function timerExpire(t: unknown): void {
  (t as Timer).expire();
}
function hrtimerExpire(t: unknown): void {
  (t as Hrtimer).expire();
}
