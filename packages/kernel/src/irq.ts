/**
 * Hardware interrupt vectors (kernel/irq). A vector delivers to one CPU picked from its
 * `smp_affinity` mask: the lowest-numbered CPU in the mask, as GICv3 routes an SPI or a
 * single-target MSI after `irq_set_affinity` (`cpumask_any_and` takes the first CPU);
 * there is no IRQ balancing. A vector raised again before its handler has started is
 * coalesced into the pending one (one pending bit, as in the interrupt controller) and
 * counted in `coalesced`. `counts[cpu]` are the /proc/interrupts columns.
 */
import type { Cpu } from './cpu.js';
import { KernelError } from './errors.js';
import type { Host } from './host.js';
import type { ExecContext, Runnable } from './types.js';

/** An interrupt handler (irq_handler_t); runs in hardirq context. */
export type IrqHandler = (ctx: ExecContext, irq: IrqVector) => void;

/** One interrupt vector (an `irq_desc` with its handler). */
export class IrqVector implements Runnable {
  /** Always hardirq. */
  readonly kind = 'hardirq' as const;
  /** Handled interrupts per CPU (/proc/interrupts). */
  readonly counts: number[];
  /** Raises merged into an already pending interrupt. */
  coalesced = 0;
  private mask: number;
  private targetCpu: Cpu;
  private pending = false;

  /** Name shown in /proc/interrupts. */
  readonly name: string;
  /** A chained parent (irq_set_chained_handler): no irqaction, its handler demultiplexes children. */
  readonly chained: boolean;
  /** Its chip cannot steer it (irq_can_set_affinity false): smp_affinity writes fail with EIO. */
  readonly noAffinity: boolean;
  private readonly handler: IrqHandler;

  /** Vector `num` on `host`, delivering to the CPUs in `spec.affinity` (bit i = CPU i). */
  constructor(
    /** The host the vector belongs to. */
    readonly host: Host,
    /** IRQ number, as in `/proc/interrupts` and `/proc/irq/N/`. */
    readonly num: number,
    spec: { readonly name: string; readonly handler: IrqHandler; readonly affinity: number; readonly chained?: boolean; readonly noAffinity?: boolean },
  ) {
    this.name = spec.name;
    this.handler = spec.handler;
    this.chained = spec.chained ?? false;
    this.noAffinity = spec.noAffinity ?? false;
    this.counts = host.cpus.map(() => 0);
    this.mask = host.checkCpuMask(spec.affinity, `irq ${num} smp_affinity`);
    this.targetCpu = this.lowestCpu();
  }

  private lowestCpu(): Cpu {
    return this.host.cpu(31 - Math.clz32(this.mask & -this.mask));
  }

  /** The smp_affinity mask (bit i = CPU i). */
  get affinity(): number {
    return this.mask;
  }

  /** The CPU the next interrupt goes to. */
  get target(): Cpu {
    return this.targetCpu;
  }

  /** Set smp_affinity (write to /proc/irq/N/smp_affinity); EIO for a vector its chip cannot steer, EINVAL if no online CPU is in the mask. */
  setAffinity(mask: number): void {
    if (this.noAffinity) throw new KernelError('EIO', `irq ${this.num} smp_affinity: its interrupt chip cannot set affinity`);
    this.mask = this.host.checkCpuMask(mask, `irq ${this.num} smp_affinity`);
    this.targetCpu = this.lowestCpu();
  }

  /** Raise the interrupt now (the device asserts it); false if it was already pending (coalesced). */
  raise(): boolean {
    if (this.pending) {
      this.coalesced++;
      return false;
    }
    this.pending = true;
    this.targetCpu.enqueue(this);
    return true;
  }

  /**
   * Handle it now, inside the hardirq context `ctx` of a chained parent's demultiplexing
   * (generic_handle_domain_irq): counted on that CPU, its handler run there; the entry/exit
   * cost is the parent's.
   */
  handleIn(ctx: ExecContext): void {
    this.counts[ctx.cpu.id] = (this.counts[ctx.cpu.id] ?? 0) + 1;
    this.handler(ctx, this);
  }

  /** @internal Runnable step: entry/exit cost plus the handler. */
  run(ctx: ExecContext): boolean {
    this.pending = false;
    ctx.charge(this.host.costs.irqEntryExit());
    this.handleIn(ctx);
    return false;
  }
}

/** Validate a CPU mask against a host's CPUs. */
export function cpuMaskError(mask: number, cpuCount: number, what: string): KernelError | null {
  const online = cpuCount >= 32 ? 0xffffffff : (1 << cpuCount) - 1;
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffffffff || ((mask >>> 0) & online) === 0) {
    return new KernelError('EINVAL', `${what}: mask ${String(mask)} has no online CPU (online mask 0x${(online >>> 0).toString(16)})`);
  }
  return null;
}

/** A function run on another CPU by `Host.callFunctionSingle` (smp_call_func_t); runs in hardirq context there. */
export type CallFunction = (ctx: ExecContext) => void;

/**
 * A CPU's call_single_queue and the handler of its function call IPI: the functions queued for
 * the CPU run in one hardirq step, after one interrupt entry/exit, in the order queued. A
 * function queued while the queue is not empty rides on the IPI already sent (llist_add).
 */
export class CallSingleQueue implements Runnable {
  /** Always hardirq. */
  readonly kind = 'hardirq' as const;
  /** The handler's name (the IPIs' irqaction, as irq_handler_entry shows it). */
  readonly name = 'IPI';
  private queue: CallFunction[] = [];

  /** The queue of `cpu`. */
  constructor(private readonly cpu: Cpu) {}

  /** Queue `fn`; true when the queue was empty, so the sender raises the IPI. */
  add(fn: CallFunction): boolean {
    this.queue.push(fn);
    if (this.queue.length > 1) return false;
    this.cpu.enqueue(this);
    return true;
  }

  /** @internal Runnable step: the IPI's entry/exit, then every queued function (flush_smp_call_function_queue). */
  run(ctx: ExecContext): boolean {
    ctx.charge(this.cpu.host.costs.irqEntryExit());
    const fns = this.queue;
    this.queue = [];
    for (const fn of fns) fn(ctx);
    return false;
  }
}
