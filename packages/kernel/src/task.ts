/**
 * Tasks: kthreads (kernel/kthread.c) and user tasks, plus workqueues (kernel/workqueue.c).
 * A task's body runs one step at a time and says what comes next (`TaskStep`). Waking a
 * sleeping task charges the profile's wakeup cost on the CPU it runs on.
 *
 * CPU choice, as the fair scheduler's select_task_rq_fair, over the CPUs of the task's mask,
 * with "idle" meaning available_idle_cpu (no task runs or waits there: a CPU busy with
 * interrupt or softirq work on the idle task counts as idle, one running ksoftirqd does not):
 * - start (wake_up_new_task): the previous CPU if idle, else the first idle CPU, else the one
 *   with the fewest tasks;
 * - wake: `prev` is the CPU it last ran on, `this` the CPU whose code wakes it (none for a
 *   timeout). If `this` is another CPU, wake_affine picks between them: `this` when it is
 *   idle and shares the last-level cache with `prev` and `prev` is not idle; `this` on a sync
 *   wake (a socket's data-ready or write-space) when it runs exactly one task; `prev` when
 *   idle; otherwise the lighter by wake_affine_weight with runnable-task counts as loads
 *   (equal weights; `prev` weighted by the MC domain's 117 % imbalance, halved). Then
 *   select_idle_sibling: the chosen CPU if idle, else `prev` if it shares that CPU's cache and
 *   is idle, else the first idle CPU of that cache domain after it (wrapping), else the chosen
 *   CPU. (The recent_used_cpu and wake_wide heuristics are left out.)
 *
 * A wake onto another CPU goes through that CPU's wakelist (ttwu_queue_cond) when the two do
 * not share a last-level cache or the target is idle, and then costs the target a function
 * call IPI (`Cpu.ipis`; the waker of a timed-out sleep is the CPU it slept on, where its timer
 * fires). A wake onto a busy CPU of the waker's cache domain needs none: the woken task waits
 * for the running one's slice (no wakeup preemption, so no rescheduling IPI).
 *
 * A wake that arrives while the task is running is remembered, so its next `'sleep'` returns
 * at once (no lost wakeup, as with `set_current_state` + `schedule`). A task that went to
 * sleep is still on its CPU until its last step's cost has elapsed; a wake or timeout in that
 * window takes effect when it leaves, so a task never overlaps itself on two CPUs.
 */
import { cpuOf, type Cpu } from './cpu.js';
import { KernelError } from './errors.js';
import type { Host } from './host.js';
import type { SimEvent } from './eventQueue.js';
import type { Timer } from './timer.js';
import type { ExecContext, Runnable, TaskStep } from './types.js';

/** A task body: one step; returns what to do next. */
export type TaskFn = (ctx: ExecContext, task: Task) => TaskStep;

/** Task states. */
export type TaskState = 'runnable' | 'sleeping' | 'exited';

/** Event trampoline for sleep timeouts, shared by every task. */
function taskTimeout(t: unknown): void {
  (t as Task).timeoutExpired();
}

/** A kthread or a user task (`task_struct`). */
export class Task implements Runnable {
  /** Current state. */
  state: TaskState = 'runnable';
  /** Set by `stop()`; the body should return 'exit' when it sees it (kthread_should_stop). */
  shouldStop = false;
  /** True when the last timed sleep ended by timeout rather than a wake. */
  timedOut = false;
  /** @internal The fair scheduler's lead over min_vruntime when it last left a CPU (ns). */
  schedLag = 0;
  private lastCpu: Cpu;
  private started = false;
  private wakePending = false;
  private justWoken = false;
  private onCpu = false;
  private resumeAfterStep: boolean | null = null;
  private resumeSync = false;
  private timeout: SimEvent | null = null;
  private readonly exitWaiters: (() => void)[] = [];

  /** Task name (comm). */
  readonly name: string;
  /** kthread or user task. */
  readonly kind: 'kthread' | 'user';
  /** CPUs it may run on (bit i = CPU i). */
  readonly mask: number;
  private readonly fn: TaskFn;

  /** A task of `spec.kind` running `spec.fn` on the CPUs of `spec.mask`. */
  constructor(
    /** The host the task runs on. */
    readonly host: Host,
    spec: { readonly name: string; readonly kind: 'kthread' | 'user'; readonly fn: TaskFn; readonly mask: number },
  ) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.fn = spec.fn;
    this.mask = spec.mask;
    this.lastCpu = host.cpu(31 - Math.clz32(spec.mask & -spec.mask));
  }

  /** The CPU it last ran on or will run on. */
  get cpu(): Cpu {
    return this.lastCpu;
  }

  /** Make it runnable on its CPU (kthread_run / wake_up_new_task); EINVAL if it was started before (it would run on two CPUs at once). */
  start(): this {
    if (this.started) throw new KernelError('EINVAL', `task ${this.name}: already started (wake it instead)`);
    this.started = true;
    this.host.forked();
    this.lastCpu = this.pickCpu();
    this.lastCpu.enqueue(this);
    return this;
  }

  /**
   * Wake it (wake_up_process; with `sync`, a WF_SYNC wake such as a socket's data-ready, whose
   * waker is about to sleep); false if it was not sleeping.
   */
  wake(sync = false): boolean {
    if (this.state === 'exited') return false;
    if (this.state === 'runnable') {
      this.wakePending = true;
      return false;
    }
    if (this.onCpu && this.resumeAfterStep !== null) return false;
    this.resume(false, sync);
    return true;
  }

  /** Ask it to exit and wake it (kthread_stop); `onExit` runs once it has exited. */
  stop(onExit?: () => void): void {
    this.shouldStop = true;
    if (onExit !== undefined) {
      if (this.state === 'exited') onExit();
      else this.exitWaiters.push(onExit);
    }
    this.wake();
  }

  private resume(timedOut: boolean, sync = false): void {
    if (this.timeout !== null) {
      this.host.sim.cancel(this.timeout);
      this.timeout = null;
    }
    if (this.onCpu) {
      this.resumeAfterStep = timedOut;
      this.resumeSync = sync;
      return;
    }
    this.timedOut = timedOut;
    this.state = 'runnable';
    this.justWoken = true;
    const host = this.host;
    const waker = timedOut ? null : host.runningCpu;
    // A timed sleep's timer fires on the CPU the task slept on, which then wakes it.
    const from = timedOut ? this.lastCpu : waker;
    const cpu = this.selectWakeCpu(waker, sync);
    if (from !== null && from !== cpu && (cpu.schedIdle || !host.sharesCache(from, cpu))) host.sendIpi(from, cpu, 'call-function');
    this.lastCpu = cpu;
    cpu.enqueue(this);
    const sim = host.sim;
    if (sim.trace !== null) sim.record({ host: this.host.name, cpu: this.lastCpu.id, what: 'wake', name: this.name, value: waker?.id ?? -1 });
  }

  private allows(c: Cpu): boolean {
    return ((this.mask >>> c.id) & 1) === 1;
  }

  /** The CPU it last ran on, or the first of its mask. */
  private prevCpu(): Cpu {
    const prev = this.lastCpu;
    return this.allows(prev) ? prev : this.host.cpu(31 - Math.clz32(this.mask & -this.mask));
  }

  /** wake_up_new_task's choice: `prev` if idle, else the first idle CPU, else the one with the fewest tasks. */
  private pickCpu(): Cpu {
    const prev = this.prevCpu();
    if (prev.schedIdle) return prev;
    let best = prev;
    for (const c of this.host.cpus) {
      if (!this.allows(c)) continue;
      if (c.schedIdle) return c;
      if (c.nrRunning < best.nrRunning) best = c;
    }
    return best;
  }

  /** select_task_rq_fair for a wake from `waker` (the CPU running the waking code; null for a timeout or from outside a CPU). */
  private selectWakeCpu(waker: Cpu | null, sync: boolean): Cpu {
    const prev = this.prevCpu();
    const target = waker !== null && waker !== prev && this.allows(waker) && this.wakeAffine(waker, prev, sync) ? waker : prev;
    return this.selectIdleSibling(prev, target);
  }

  /** wake_affine (wake_affine_idle, then wake_affine_weight): true to move to `thisCpu`. */
  private wakeAffine(thisCpu: Cpu, prev: Cpu, sync: boolean): boolean {
    const host = this.host;
    if (thisCpu.schedIdle && host.sharesCache(thisCpu, prev)) return !prev.schedIdle;
    const thisRunning = thisCpu.nrRunning;
    if (sync && thisRunning === 1) return true;
    if (prev.schedIdle) return false;
    // Loads as runnable counts (weight 1 each); the waker's own task comes off on a sync wake.
    const thisLoad = (thisRunning - (sync && thisCpu.runsTask ? 1 : 0) + 1) * 100;
    const prevLoad = prev.nrRunning * (100 + (117 - 100) / 2) + (sync ? 1 : 0);
    return thisLoad < prevLoad;
  }

  /** select_idle_sibling: `target` if idle, `prev` if idle and cache-affine, else an idle CPU of `target`'s cache domain. */
  private selectIdleSibling(prev: Cpu, target: Cpu): Cpu {
    if (target.schedIdle) return target;
    const host = this.host;
    if (prev !== target && host.sharesCache(prev, target) && prev.schedIdle) return prev;
    for (const c of host.cacheSiblings(target)) if (this.allows(c) && c.schedIdle) return c;
    return target;
  }

  /** @internal The last step's cost has elapsed: the task has left its CPU. */
  finish(): void {
    this.onCpu = false;
    const pending = this.resumeAfterStep;
    if (pending !== null && this.state === 'sleeping') {
      this.resumeAfterStep = null;
      this.resume(pending, this.resumeSync);
    }
  }

  /** @internal Event: a timed sleep ran out. */
  timeoutExpired(): void {
    this.timeout = null;
    if (this.state === 'sleeping') this.resume(true);
  }

  /** @internal Runnable step. */
  run(ctx: ExecContext): boolean {
    this.onCpu = true;
    this.resumeAfterStep = null;
    if (this.justWoken) {
      this.justWoken = false;
      ctx.charge(this.host.costs.wakeup());
    }
    const next = this.fn(ctx, this);
    if (next === 'run') {
      this.onCpu = false;
      return true;
    }
    if (next === 'exit') {
      this.state = 'exited';
      for (const w of this.exitWaiters.splice(0)) w();
      return false;
    }
    if (this.wakePending) {
      this.wakePending = false;
      this.onCpu = false;
      return true;
    }
    this.state = 'sleeping';
    if (typeof next === 'number') {
      this.timeout = this.host.sim.at(ctx.time + Math.max(0, Math.round(next)), taskTimeout, this);
    }
    return false;
  }
}

/** A work item (`struct work_struct`). */
export class Work {
  /** Queued and not yet started (WORK_STRUCT_PENDING). */
  pending = false;
  /** Completed executions. */
  runs = 0;
  /** @internal The kworker it is queued on while pending. */
  worker: Kworker | null = null;
  /** @internal The kworker that last ran it. */
  lastWorker: Kworker | null = null;
  /** @internal When (ns) its last run ends: until then it is running on `lastWorker`. */
  lastRunEnd = 0;

  /** A work item running `fn` in kthread (kworker) context. */
  constructor(
    /** Name shown in traces. */
    readonly name: string,
    /** The work function (`work_func_t`), run in the kworker's context. */
    readonly fn: (ctx: ExecContext) => void,
  ) {}
}

/** A delayed work item (`struct delayed_work`): a work plus its timer. */
export class DelayedWork extends Work {
  /** @internal The timer that queues the work. */
  timer: Timer | null = null;

  /** Its timer is armed or it is queued and not started (delayed_work_pending). */
  get delayedPending(): boolean {
    return this.pending || this.timer?.pending === true;
  }
}

/** A workqueue (alloc_workqueue): works run on per-CPU kworkers of the host. */
export class Workqueue {
  /** A workqueue named `name`. */
  constructor(
    /** The host whose kworkers run the works. */
    readonly host: Host,
    /** Workqueue name (alloc_workqueue). */
    readonly name: string,
  ) {}

  /** Queue `work` on `on` (a CPU, the current context's CPU; default the CPU running the caller, else CPU 0), or on the kworker still running it (non-reentrant, as __queue_work); false if already pending (queue_work_on). */
  queue(work: Work, on?: Cpu | ExecContext): boolean {
    if (work.pending) return false;
    work.pending = true;
    // A work still running goes to the kworker running it, so that its runs never overlap.
    const worker = work.lastWorker !== null && work.lastRunEnd > this.host.sim.now ? work.lastWorker : this.host.kworker(cpuOf(this.host, on));
    work.worker = worker;
    worker.add(work);
    return true;
  }

  /** Take `work` off its kworker if it has not started (cancel_work); true if it was pending. */
  cancel(work: Work): boolean {
    return work.pending && (work.worker?.remove(work) ?? false);
  }

  /** Queue `work` after `delayJiffies` jiffies (queue_delayed_work); false if already pending. */
  queueDelayed(work: DelayedWork, delayJiffies: number, on?: Cpu | ExecContext): boolean {
    if (work.pending || work.timer?.pending === true) return false;
    if (delayJiffies <= 0) return this.queue(work, on);
    const cpu = cpuOf(this.host, on);
    work.timer ??= this.host.createTimer(`${this.name}/${work.name}`, (ctx) => {
      this.queue(work, ctx);
    });
    work.timer.mod(this.host.jiffies + delayJiffies, cpu);
    return true;
  }

  /**
   * Cancel a delayed work that has not started (cancel_delayed_work): its timer is stopped and,
   * if the timer already fired, the work is taken off its kworker; true if it was pending.
   */
  cancelDelayed(work: DelayedWork): boolean {
    const wasTimer = work.timer?.del() ?? false;
    return this.cancel(work) || wasTimer;
  }
}

/** @internal A per-CPU kworker (`kworker/N:1`, a worker of CPU N's bound pool): a kthread running queued works in order, one per step. */
export class Kworker {
  private readonly works: Work[] = [];
  private head = 0;
  readonly task: Task;

  constructor(host: Host, cpu: Cpu) {
    this.task = new Task(host, { name: `kworker/${cpu.id}:1`, kind: 'kthread', fn: (ctx) => this.step(ctx), mask: 1 << cpu.id });
    this.task.state = 'sleeping';
  }

  add(work: Work): void {
    this.works.push(work);
    this.task.wake();
  }

  /** Drop a queued work that has not started; false if it is not queued here. */
  remove(work: Work): boolean {
    const i = this.works.indexOf(work, this.head);
    if (i < 0) return false;
    this.works.splice(i, 1);
    work.pending = false;
    work.worker = null;
    return true;
  }

  private step(ctx: ExecContext): TaskStep {
    const work = this.works[this.head];
    if (work === undefined) return 'sleep';
    this.head++;
    if (this.head > 64 && this.head * 2 > this.works.length) {
      this.works.splice(0, this.head);
      this.head = 0;
    }
    work.pending = false;
    work.worker = null;
    work.fn(ctx);
    work.runs++;
    // The step's charged time is the run: it ends at ctx.time.
    work.lastWorker = this;
    work.lastRunEnd = ctx.time;
    return this.head < this.works.length ? 'run' : 'sleep';
  }
}
