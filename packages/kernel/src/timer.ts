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
 * The softirq run of a timer callback: TIMER or HRTIMER softirq work. `take` is the timer leaving the queue as its callback
 * starts (__run_timers' detach_timer): false when it was deleted or re-armed in the meantime,
 * and then nothing runs.
 */
function timerRun(host: Host, name: string, vector: 'TIMER' | 'HRTIMER', run: { take: () => boolean; fn: TimerFn }): Tasklet {
  return new Tasklet(
    host,
    name,
    (ctx) => {
      if (run.take()) run.fn(ctx);
      return false;
    },
    vector,
  );
}

/**
 * What a jiffies timer and an hrtimer share: the expiry event while armed, then the expired
 * state until the callback starts (still queued: cancel removes it, re-arming moves it), and the
 * CPU the callback runs on.
 */
abstract class QueuedTimer {
  private event: SimEvent | null = null;
  /** Expired, its callback's run not started yet (still in the timer wheel or hrtimer base). */
  private expired = false;
  /** The CPU the callback runs on: the one that armed it last. */
  protected cpu: Cpu;

  constructor(
    /** The host the timer belongs to. */
    readonly host: Host,
  ) {
    this.cpu = host.cpu(0);
  }

  /** Whether it is armed, or expired with its callback not started yet (timer_pending / hrtimer_active). */
  get pending(): boolean {
    return this.event !== null || this.expired;
  }

  /** Disarm, also after expiry while its callback has not started; true if it was pending. */
  protected disarm(): boolean {
    if (this.expired) {
      this.expired = false;
      return true;
    }
    if (this.event === null) return false;
    this.host.sim.cancel(this.event);
    this.event = null;
    return true;
  }

  /** Armed with expiry `event`: the callback's CPU is `on`, else the CPU running the caller, else the last one. */
  protected arm(on: Cpu | ExecContext | undefined, event: SimEvent): void {
    this.cpu = on !== undefined ? cpuOf(this.host, on) : (this.host.runningCpu ?? this.cpu);
    this.event = event;
  }

  /** The expiry event: the callback's run is queued; returns its CPU. */
  protected fire(): Cpu {
    this.event = null;
    this.expired = true;
    return this.cpu;
  }

  /** The callback starts: false when it was cancelled or re-armed since it expired (nothing runs). */
  protected take(): boolean {
    if (!this.expired) return false;
    this.expired = false;
    return true;
  }
}

/**
 * A jiffies timer (`struct timer_list`). Pending from `mod` until its callback starts: an
 * expired timer whose TIMER_SOFTIRQ run waits for its CPU (behind a long tasklet, say) is still
 * queued, so `del` removes it (true, no callback) and `mod` moves it (true, one callback, at the
 * new expiry), as del_timer and mod_timer do before __run_timers detaches it.
 */
export class Timer extends QueuedTimer {
  private readonly tasklet: Tasklet;
  /** The jiffy it expires at, while pending. */
  expires = 0;

  /** A timer running `fn` on expiry (timer_setup). */
  constructor(
    host: Host,
    /** Name shown in traces. */
    readonly name: string,
    fn: TimerFn,
  ) {
    super(host);
    this.tasklet = timerRun(host, `timer:${name}`, 'TIMER', { take: () => this.take(), fn });
  }

  /**
   * (Re)arm to expire at jiffy `expires` on `on` (default: the CPU running the caller, else the
   * one that armed it last); true if it was pending (mod_timer).
   */
  mod(expires: number, on?: Cpu | ExecContext): boolean {
    const was = this.disarm();
    const at = Math.max(expires, this.host.jiffies + 1);
    this.expires = at;
    this.arm(on, this.host.sim.at(this.host.jiffyStart(at), timerExpire, this));
    return was;
  }

  /** Disarm, also after expiry while its callback has not started; true if it was pending (del_timer). */
  del(): boolean {
    return this.disarm();
  }

  /** @internal Event: the timer expired; run its callback in the timer softirq. */
  expire(): void {
    this.tasklet.schedule(this.fire());
  }
}

/** hrtimer modes: callback in hardirq or softirq context. */
export type HrtimerMode = 'hard' | 'soft';

/** A high-resolution timer (`struct hrtimer`). */
export class Hrtimer extends QueuedTimer implements Runnable {
  /** Context the callback runs in. */
  readonly kind: 'hardirq' | 'softirq';
  private readonly tasklet: Tasklet | null;

  /** An hrtimer running `fn` on expiry (hrtimer_setup). */
  constructor(
    host: Host,
    /** Name shown in traces. */
    readonly name: string,
    private readonly fn: TimerFn,
    mode: HrtimerMode,
  ) {
    super(host);
    this.kind = mode === 'hard' ? 'hardirq' : 'softirq';
    this.tasklet = mode === 'soft' ? timerRun(host, `hrtimer:${name}`, 'HRTIMER', { take: () => this.take(), fn }) : null;
  }

  /**
   * Arm to fire `delay` ns from now on `on` (default: the CPU running the caller, else the one
   * that armed it last) (hrtimer_start, HRTIMER_MODE_REL); re-arms if pending, an expired one
   * whose callback has not started included (it then runs once, at the new time).
   */
  start(delay: Ns, on?: Cpu | ExecContext): void {
    this.disarm();
    this.arm(on, this.host.sim.after(Math.max(0, Math.round(delay)), hrtimerExpire, this));
  }

  /** Disarm, also after expiry while its callback has not started; true if it was pending (hrtimer_cancel). */
  cancel(): boolean {
    return this.disarm();
  }

  /** @internal Event: the hrtimer expired. */
  expire(): void {
    const cpu = this.fire();
    if (this.tasklet !== null) this.tasklet.schedule(cpu);
    else cpu.enqueue(this);
  }

  /** @internal Runnable step (hard mode): nothing when cancelled or restarted since it expired. */
  run(ctx: ExecContext): boolean {
    if (!this.take()) return false;
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
