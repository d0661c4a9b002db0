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

/**
 * The softirq run of a timer callback: TIMER or HRTIMER softirq work, which irq exit leaves to a
 * runnable ksoftirqd (not `syncSoftirq`). `take` is the timer leaving the queue as its callback
 * starts (__run_timers' detach_timer): false when it was deleted or re-armed in the meantime,
 * and then nothing runs.
 */
function timerRun(host: Host, name: string, take: () => boolean, fn: TimerFn): Tasklet {
  return new Tasklet(
    host,
    name,
    (ctx) => {
      if (take()) fn(ctx);
      return false;
    },
    false,
  );
}

/**
 * A jiffies timer (`struct timer_list`). Pending from `mod` until its callback starts: an
 * expired timer whose TIMER_SOFTIRQ run waits for its CPU (behind a long tasklet, say) is still
 * queued, so `del` removes it (true, no callback) and `mod` moves it (true, one callback, at the
 * new expiry), as del_timer and mod_timer do before __run_timers detaches it.
 */
export class Timer {
  private event: SimEvent | null = null;
  /** Expired, its callback's softirq run not started yet (still in the timer wheel). */
  private expired = false;
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
    this.tasklet = timerRun(host, `timer:${name}`, () => this.take(), fn);
  }

  /** Whether it is armed, or expired with its callback not started yet (timer_pending). */
  get pending(): boolean {
    return this.event !== null || this.expired;
  }

  /**
   * (Re)arm to expire at jiffy `expires` on `on` (default: the CPU running the caller, else the
   * one that armed it last); true if it was pending (mod_timer).
   */
  mod(expires: number, on?: Cpu | ExecContext): boolean {
    const was = this.del();
    this.cpu = on !== undefined ? cpuOf(this.host, on) : (this.host.runningCpu ?? this.cpu);
    const host = this.host;
    const at = Math.max(expires, host.jiffies + 1);
    this.expires = at;
    this.event = host.sim.at(host.jiffyStart(at), timerExpire, this);
    return was;
  }

  /** Disarm, also after expiry while its callback has not started; true if it was pending (del_timer). */
  del(): boolean {
    if (this.expired) {
      this.expired = false;
      return true;
    }
    if (this.event === null) return false;
    this.host.sim.cancel(this.event);
    this.event = null;
    return true;
  }

  /** @internal Event: the timer expired; run its callback in the timer softirq. */
  expire(): void {
    this.event = null;
    this.expired = true;
    this.tasklet.schedule(this.cpu);
  }

  private take(): boolean {
    if (!this.expired) return false;
    this.expired = false;
    return true;
  }
}

/** hrtimer modes: callback in hardirq or softirq context. */
export type HrtimerMode = 'hard' | 'soft';

/** A high-resolution timer (`struct hrtimer`). */
export class Hrtimer implements Runnable {
  /** Context the callback runs in. */
  readonly kind: 'hardirq' | 'softirq';
  private event: SimEvent | null = null;
  /** Expired, its callback not started yet (still enqueued, HRTIMER_STATE_ENQUEUED). */
  private expired = false;
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
    this.tasklet = mode === 'soft' ? timerRun(host, `hrtimer:${name}`, () => this.take(), fn) : null;
  }

  /** Whether it is armed, or expired with its callback not started yet (hrtimer_active). */
  get pending(): boolean {
    return this.event !== null || this.expired;
  }

  /**
   * Arm to fire `delay` ns from now on `on` (default: the CPU running the caller, else the one
   * that armed it last) (hrtimer_start, HRTIMER_MODE_REL); re-arms if pending, an expired one
   * whose callback has not started included (it then runs once, at the new time).
   */
  start(delay: Ns, on?: Cpu | ExecContext): void {
    this.cancel();
    this.cpu = on !== undefined ? cpuOf(this.host, on) : (this.host.runningCpu ?? this.cpu);
    this.event = this.host.sim.after(Math.max(0, Math.round(delay)), hrtimerExpire, this);
  }

  /** Disarm, also after expiry while its callback has not started; true if it was pending (hrtimer_cancel). */
  cancel(): boolean {
    if (this.expired) {
      this.expired = false;
      return true;
    }
    if (this.event === null) return false;
    this.host.sim.cancel(this.event);
    this.event = null;
    return true;
  }

  /** @internal Event: the hrtimer expired. */
  expire(): void {
    this.event = null;
    this.expired = true;
    if (this.tasklet !== null) this.tasklet.schedule(this.cpu);
    else this.cpu.enqueue(this);
  }

  /** @internal Runnable step (hard mode): nothing when cancelled or restarted since it expired. */
  run(ctx: ExecContext): boolean {
    if (!this.take()) return false;
    ctx.charge(this.host.costs.irqEntryExit());
    this.fn(ctx);
    return false;
  }

  private take(): boolean {
    if (!this.expired) return false;
    this.expired = false;
    return true;
  }
}

/** Event trampolines, shared by every timer (so V8 optimises one function per process). */
function timerExpire(t: unknown): void {
  (t as Timer).expire();
}
function hrtimerExpire(t: unknown): void {
  (t as Hrtimer).expire();
}
