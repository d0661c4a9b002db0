/**
 * A host: one Linux machine of the model, with its CPUs, interrupt vectors, softirqs,
 * tasklets, tasks, workqueues and timers, all charging costs from one platform profile.
 */
import { CostModel } from './costs.js';
import { Cpu, detachedContext } from './cpu.js';
import { KernelError } from './errors.js';
import { CallSingleQueue, cpuMaskError, IrqVector, type CallFunction, type IrqHandler } from './irq.js';
import type { PlatformProfile } from './profile/schema.js';
import type { Simulation } from './simulation.js';
import { Softirq, Tasklet, type SoftirqFn } from './softirq.js';
import { Kworker, Task, Workqueue, type TaskFn } from './task.js';
import { Hrtimer, Timer, type HrtimerMode, type TimerFn } from './timer.js';
import { NS_PER_SEC, type Ns } from './time.js';
import type { CpuUsage, ExecContext, HostOptions, IpiType, SoftirqVector } from './types.js';

/** Lines the kernel log buffer keeps (the model's log_buf; older lines are dropped first). */
export const LOG_BUF_LINES = 4096;

/** A kernel log line: the printk timestamp `[%5lu.%06lu] ` of `uptimeNs` (ns since boot), then `text`. */
export function formatPrintk(uptimeNs: Ns, text: string): string {
  const us = Math.floor(uptimeNs / 1000);
  return `[${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}] ${text}`;
}

/** Options of `requestIrq`. */
export interface IrqOptions {
  /** Initial smp_affinity mask (bit i = CPU i). Default: the host's `irqDefaultAffinity` (all CPUs at boot: delivers to CPU 0). */
  readonly affinity?: number;
  /** A chained parent (irq_set_chained_handler): no irqaction; /proc/interrupts shows it without a name, once it has counts. Default false. */
  readonly chained?: boolean;
  /** Its chip cannot steer it (no irq_set_affinity, as a DWC MSI before genirq's redirection): smp_affinity writes fail with EIO. Default false. */
  readonly noAffinity?: boolean;
}

/** Options of task creation. */
export interface TaskOptions {
  /** CPUs the task may run on (bit i = CPU i). Default: all CPUs. */
  readonly cpus?: number;
}

/** One simulated Linux host. */
export class Host {
  /** Host name. */
  readonly name: string;
  /** The host's CPUs. */
  readonly cpus: readonly Cpu[];
  /** Per-operation costs (ns) for this host. */
  readonly costs: CostModel;
  /** Length of one jiffy (ns) = 1 s / HZ. */
  readonly tickNs: Ns;
  /** Offset of this host's tick grid (ns), drawn from the run's RNG in [0, tickNs). */
  readonly tickPhase: Ns;
  /** Virtual time the host was created (ns). */
  readonly bootTime: Ns;
  /** Interrupt vectors by number. */
  readonly irqs = new Map<number, IrqVector>();
  /** CPUs per last-level cache domain (the profile's `cpu.llcCpus`). */
  readonly llcCpus: number;
  /** Per CPU, the other CPUs of its cache domain in select_idle_cpu's order (from the next one, wrapping). */
  private readonly llcScan: readonly (readonly Cpu[])[];
  /** @internal The CPU whose step is running (smp_processor_id() of the code now running), null between steps. */
  runningCpu: Cpu | null = null;
  private nextIrq: number;
  private readonly kworkers: Kworker[] = [];
  private readonly allMask: number;
  private defaultAffinity: number;
  private readonly logBuf: string[] = [];
  private readonly callQueues: (CallSingleQueue | undefined)[] = [];
  private forks = 0;

  /** A host in `sim` with the CPUs and costs of `options.profile`. */
  constructor(
    /** The simulation the host runs in. */
    readonly sim: Simulation,
    /** The platform profile (validated): CPU count, HZ, costs. */
    readonly profile: PlatformProfile,
    options: HostOptions,
  ) {
    this.name = options.name;
    const rng = sim.rng.fork();
    this.costs = new CostModel(profile, rng);
    const n = profile.cpu.count.value;
    this.cpus = Array.from({ length: n }, (_, i) => new Cpu(this, i));
    this.allMask = n >= 32 ? 0xffffffff : (1 << n) - 1;
    this.defaultAffinity = this.allMask;
    this.llcCpus = profile.cpu.llcCpus.value;
    this.llcScan = this.cpus.map((c) => {
      const domain = this.cpus.filter((o) => this.sharesCache(o, c));
      const at = domain.indexOf(c);
      return [...domain.slice(at + 1), ...domain.slice(0, at)];
    });
    this.tickNs = Math.round(NS_PER_SEC / profile.kernel.hz.value);
    this.tickPhase = rng.int(this.tickNs);
    this.bootTime = sim.now;
    this.nextIrq = options.firstIrq ?? 16;
  }

  /**
   * An execution context for a call made now from a process the model does not schedule (a
   * syscall of a lab command: `ip link`, `ethtool -L`, `rmmod`), running in process context on
   * CPU 0. Work it does is issued at `now` plus what it has charged so far; the charges are
   * not accounted to any CPU.
   */
  syscallContext(): ExecContext {
    return detachedContext(this.cpu(0), 'user', this.sim.now);
  }

  /**
   * printk: append `text`, stamped with the uptime, to the kernel's log buffer (at most
   * `LOG_BUF_LINES`, the oldest dropped first) and return the stamped line.
   */
  printk(text: string): string {
    const line = formatPrintk(this.sim.now - this.bootTime, text);
    this.logBuf.push(line);
    if (this.logBuf.length > LOG_BUF_LINES) this.logBuf.splice(0, this.logBuf.length - LOG_BUF_LINES);
    return line;
  }

  /** The kernel log buffer, oldest line first, as `dmesg` prints it (each line `[%5lu.%06lu] text`). */
  kmsg(): readonly string[] {
    return [...this.logBuf];
  }

  /** CPU `id`; EINVAL if there is no such CPU. */
  cpu(id: number): Cpu {
    const c = this.cpus[id];
    if (c === undefined) throw new KernelError('EINVAL', `${this.name}: no cpu${id} (cpus 0..${this.cpus.length - 1})`);
    return c;
  }

  /** Whether CPUs `a` and `b` share a last-level cache (cpus_share_cache). */
  sharesCache(a: Cpu, b: Cpu): boolean {
    return Math.floor(a.id / this.llcCpus) === Math.floor(b.id / this.llcCpus);
  }

  /**
   * Send the IPI `type` from `from` to `target` (smp_cross_call): counted on `target` and, when
   * tracing, an `ipi` record. Its handling cost is the receiving work's own (the woken task's
   * wakeup cost, the redirected vector's interrupt entry).
   */
  sendIpi(from: Cpu, target: Cpu, type: IpiType): void {
    target.ipis[type]++;
    const sim = this.sim;
    if (sim.trace !== null) sim.record({ host: this.name, cpu: target.id, what: 'ipi', name: type, value: from.id });
  }

  /**
   * smp_call_function_single_async: run `fn` on `target` in hardirq context, from the step
   * `ctx`. On its own CPU it runs at once; on another it is queued on that CPU's
   * call_single_queue, and the first function queued there sends a function call IPI (the SGI
   * register write charged to `ctx`), whose handler costs the target an interrupt entry/exit.
   */
  callFunctionSingle(ctx: ExecContext, target: Cpu, fn: CallFunction): void {
    if (target === ctx.cpu) {
      fn(ctx);
      return;
    }
    const queue = (this.callQueues[target.id] ??= new CallSingleQueue(target));
    if (!queue.add(fn)) return;
    ctx.charge(this.costs.mmioWrite());
    this.sendIpi(ctx.cpu, target, 'call-function');
  }

  /** The other CPUs sharing `cpu`'s last-level cache, from the one after it, wrapping (select_idle_cpu's scan). */
  cacheSiblings(cpu: Cpu): readonly Cpu[] {
    return this.llcScan[cpu.id] ?? [];
  }

  /** The mask of all CPUs. */
  get cpuMask(): number {
    return this.allMask;
  }

  /** Check a CPU mask, returning it restricted to online CPUs; EINVAL if none is online. */
  checkCpuMask(mask: number, what: string): number {
    const err = cpuMaskError(mask, this.cpus.length, what);
    if (err !== null) throw err;
    return (mask & this.allMask) >>> 0;
  }

  /** Current jiffies (ticks since boot at the profile's HZ). */
  get jiffies(): number {
    return Math.floor((this.sim.now - this.bootTime + this.tickPhase) / this.tickNs);
  }

  /** Virtual time (ns) at which `jiffies` reaches `j`. */
  jiffyStart(j: number): Ns {
    return this.bootTime + j * this.tickNs - this.tickPhase;
  }

  /** usecs_to_jiffies: rounds up, so any non-zero timeout is at least one jiffy. */
  usecsToJiffies(usecs: number): number {
    return Math.ceil((usecs * this.profile.kernel.hz.value) / 1e6);
  }

  /** msecs_to_jiffies: rounds up. */
  msecsToJiffies(msecs: number): number {
    return Math.ceil((msecs * this.profile.kernel.hz.value) / 1e3);
  }

  /**
   * jiffies_to_msecs: `j` jiffies in milliseconds, rounded up (exact at HZ 100, 250 and 1000;
   * `DIV_ROUND_UP(j × 10, 3)` at HZ 300).
   */
  jiffiesToMsecs(j: number): number {
    return Math.ceil((j * 1e3) / this.profile.kernel.hz.value);
  }

  /**
   * irq_default_affinity (/proc/irq/default_smp_affinity): the smp_affinity a vector allocated
   * later starts with (desc_smp_init); the vectors already there keep theirs. All CPUs at boot.
   */
  get irqDefaultAffinity(): number {
    return this.defaultAffinity;
  }

  /** Set irq_default_affinity (a write to /proc/irq/default_smp_affinity); EINVAL if no online CPU is in the mask. */
  setIrqDefaultAffinity(mask: number): void {
    this.defaultAffinity = this.checkCpuMask(mask, 'irq default_smp_affinity');
  }

  /** smp_processor_id(): the CPU whose step is running now, CPU 0 outside any step (a hardware model's event). */
  thisCpu(): Cpu {
    return this.runningCpu ?? (this.cpus[0] as Cpu);
  }

  /** Allocate an interrupt vector with `handler` (request_irq). */
  requestIrq(name: string, handler: IrqHandler, options: IrqOptions = {}): IrqVector {
    const irq = new IrqVector(this, this.nextIrq++, { name, handler, affinity: options.affinity ?? this.defaultAffinity, ...(options.chained === true ? { chained: true } : {}), ...(options.noAffinity === true ? { noAffinity: true } : {}) });
    this.irqs.set(irq.num, irq);
    return irq;
  }

  /** Release an interrupt vector (free_irq). */
  freeIrq(irq: IrqVector): void {
    this.irqs.delete(irq.num);
  }

  /** A tasklet (tasklet_setup). */
  createTasklet(name: string, fn: SoftirqFn): Tasklet {
    return new Tasklet(this, name, fn);
  }

  /** Softirq vector `name`'s handler (open_softirq), e.g. NET_RX. */
  openSoftirq(name: SoftirqVector, fn: SoftirqFn): Softirq {
    return new Softirq(this, name, fn);
  }

  /** Tasks started on this host since boot, kthreads and user tasks (total_forks: the `processes` line of /proc/stat). */
  get totalForks(): number {
    return this.forks;
  }

  /** @internal A task was started (copy_process). */
  forked(): void {
    this.forks++;
  }

  /** Create and start a kthread (kthread_run). */
  createKthread(name: string, fn: TaskFn, options: TaskOptions = {}): Task {
    return new Task(this, { name, kind: 'kthread', fn, mask: this.checkCpuMask(options.cpus ?? this.allMask, `kthread ${name} cpus`) }).start();
  }

  /** Create and start a user task (a process of a userland tool). */
  createUserTask(name: string, fn: TaskFn, options: TaskOptions = {}): Task {
    return new Task(this, { name, kind: 'user', fn, mask: this.checkCpuMask(options.cpus ?? this.allMask, `task ${name} cpus`) }).start();
  }

  /** A workqueue (alloc_workqueue). */
  createWorkqueue(name: string): Workqueue {
    return new Workqueue(this, name);
  }

  /** A jiffies timer (timer_setup). */
  createTimer(name: string, fn: TimerFn): Timer {
    return new Timer(this, name, fn);
  }

  /** A high-resolution timer (hrtimer_setup). */
  createHrtimer(name: string, fn: TimerFn, mode: HrtimerMode = 'hard'): Hrtimer {
    return new Hrtimer(this, name, fn, mode);
  }

  /** @internal The kworker of `cpu`. */
  kworker(cpu: Cpu): Kworker {
    let k = this.kworkers[cpu.id];
    if (k === undefined) {
      k = new Kworker(this, cpu);
      this.kworkers[cpu.id] = k;
    }
    return k;
  }

  /** Cumulative per-CPU time by context kind (ns), readable at any time. */
  usage(): CpuUsage[] {
    return this.cpus.map((c) => c.usage());
  }
}

/** Create a host in `sim` (one board of the lab). */
export function createHost(sim: Simulation, options: HostOptions): Host {
  return new Host(sim, options.profile, options);
}
