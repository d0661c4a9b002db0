/**
 * The kernel's CPU, interrupt and scheduler statistics as /proc shows them: `/proc/stat`
 * (fs/proc/stat.c show_stat), `/proc/softirqs` (fs/proc/softirqs.c) and `/proc/uptime`
 * (fs/proc/uptime.c), read from the model's per-CPU accounting. Times are USER_HZ ticks
 * (nsec_to_clock_t: whole 10 ms); the `cpu` line converts the CPUs' summed nanoseconds, so it
 * can exceed the sum of the `cpuN` lines by a tick or so, as on Linux.
 *
 * How the model's contexts map onto the kernel's cputime fields: hardirq → irq, softirq and
 * tasklets (ksoftirqd's runs included, as irqtime accounting charges them) → softirq, kthreads,
 * workqueues and the user tasks → system (the lab's tools — iperf3, ping, sockperf — are charged
 * only their system calls, as `top` shows them), idle → idle; user, nice, iowait, steal and the
 * guest fields stay 0.
 */
import { SOFTIRQ_VECTORS, type CpuUsage, type IpiType } from '@ntbsim/kernel';
import type { Board } from '../lab/lab.js';
import { boardMachine, wallClockAt } from './net/host.js';

/** USER_HZ: the unit of /proc/stat's times (ticks per second). */
export const USER_HZ = 100;

/** A CPU's times in USER_HZ ticks, the fields of a /proc/stat `cpu` line in its order. */
export interface CpuTimes {
  /** Normal processes in user mode. */
  readonly user: number;
  /** Niced processes in user mode. */
  readonly nice: number;
  /** Kernel mode: the model's kthreads, workqueues and its user tasks' system calls. */
  readonly system: number;
  /** Idle. */
  readonly idle: number;
  /** Idle waiting for I/O. */
  readonly iowait: number;
  /** Servicing hardirqs. */
  readonly irq: number;
  /** Servicing softirqs (tasklets and ksoftirqd included). */
  readonly softirq: number;
  /** Stolen by a hypervisor. */
  readonly steal: number;
  /** Running a guest. */
  readonly guest: number;
  /** Running a niced guest. */
  readonly guestNice: number;
}

/** Everything /proc/stat, /proc/softirqs and /proc/uptime show of a board at one instant. */
export interface Kstat {
  /** The `cpu` line: the CPUs' summed times. */
  readonly total: CpuTimes;
  /** A `cpuN` line per CPU. */
  readonly cpus: readonly CpuTimes[];
  /** Interrupts per IRQ number 0 … nr_irqs − 1, all CPUs (the `intr` line after its sum). */
  readonly intr: readonly number[];
  /** Context switches since boot (`ctxt`). */
  readonly ctxt: number;
  /** Boot time, seconds since the Unix epoch (`btime`). */
  readonly btime: number;
  /** Tasks started since boot (`processes`). */
  readonly processes: number;
  /** Tasks running or runnable, the reader included (`procs_running`). */
  readonly procsRunning: number;
  /** Softirq runs per CPU, per vector in SOFTIRQ_VECTORS order. */
  readonly softirqs: readonly (readonly number[])[];
  /** Time since boot (ns). */
  readonly uptimeNs: number;
  /** The CPUs' summed idle time (ns). */
  readonly idleNs: number;
}

/** nsec_to_clock_t: whole USER_HZ ticks in `ns`. */
const ticks = (ns: number): number => Math.floor(ns / (1e9 / USER_HZ));

function times(u: CpuUsage): CpuTimes {
  return { user: 0, nice: 0, system: ticks(u.kthread + u.user), idle: ticks(u.idle), iowait: 0, irq: ticks(u.hardirq), softirq: ticks(u.softirq), steal: 0, guest: 0, guestNice: 0 };
}

/** One of arm64's IPI rows: per-CPU counts and the IPI's name. */
export interface IpiRow {
  /** Received IPIs per online CPU. */
  readonly counts: readonly number[];
  /** Its ipi_types name (`Rescheduling interrupts`). */
  readonly name: string;
}

/**
 * arm64's IPIs in the order /proc/interrupts lists them, IPI0 to IPI7 (arch/arm64/kernel/smp.c
 * ipi_types, MAX_IPI), with the model's IPI type where it sends one. The others stay 0: the
 * model has no wakeup preemption (a woken task waits for the running one's slice), no load
 * balancer kicks, no tick broadcast, no CPU stop, backtrace or KGDB.
 */
export const ARM64_IPIS: readonly { readonly name: string; readonly type?: IpiType }[] = [
  { name: 'Rescheduling interrupts' },
  { name: 'Function call interrupts', type: 'call-function' },
  { name: 'CPU stop interrupts' },
  { name: 'CPU stop NMIs' },
  { name: 'Timer broadcast interrupts' },
  { name: 'IRQ work interrupts', type: 'irq-work' },
  { name: 'CPU backtrace interrupts' },
  { name: 'KGDB roundup interrupts' },
];

/** The Linux IRQ number of IPI0: the GICv3 driver allocates its 8 SGIs first, as IRQs 1-8 (hidden from /proc/interrupts' numbered rows, counted in /proc/stat's). */
export const ARM64_FIRST_IPI_IRQ = 1;

/** `board`'s IPI rows (arm64), or undefined on an x86 board, whose arch rows (NMI, LOC, RES, CAL …) the lab does not print. */
export function ipiRows(board: Board): IpiRow[] | undefined {
  if (boardMachine(board) !== 'aarch64') return undefined;
  const cpus = board.host.cpus;
  return ARM64_IPIS.map(({ name, type }) => ({ name, counts: cpus.map((c) => (type === undefined ? 0 : c.ipis[type])) }));
}

/** nr_irqs as /proc/interrupts and /proc/stat size it: one past the highest IRQ number in use. */
export function nrIrqs(board: Board): number {
  let max = -1;
  for (const n of board.host.irqs.keys()) max = Math.max(max, n);
  return max + 1;
}

/** The statistics of `board` now. */
export function kstat(board: Board): Kstat {
  const host = board.host;
  const usage = host.usage();
  const sum: CpuUsage = { hardirq: 0, softirq: 0, kthread: 0, user: 0, idle: 0 };
  for (const u of usage) for (const k of Object.keys(sum) as (keyof CpuUsage)[]) sum[k] += u[k];
  const intr = new Array<number>(nrIrqs(board)).fill(0);
  for (const irq of host.irqs.values()) intr[irq.num] = irq.counts.reduce((s, n) => s + n, 0);
  ipiRows(board)?.forEach((r, i) => (intr[ARM64_FIRST_IPI_IRQ + i] = r.counts.reduce((s, n) => s + n, 0)));
  return {
    total: times(sum),
    cpus: usage.map(times),
    intr,
    ctxt: host.cpus.reduce((s, c) => s + c.nrSwitches, 0),
    btime: wallClockAt(host.bootTime),
    processes: host.totalForks,
    procsRunning: 1 + host.cpus.reduce((s, c) => s + c.nrRunning, 0),
    softirqs: host.cpus.map((c) => c.softirqCounts()),
    uptimeNs: host.sim.now - host.bootTime,
    idleNs: sum.idle,
  };
}

const cpuFields = (t: CpuTimes): string => [t.user, t.nice, t.system, t.idle, t.iowait, t.irq, t.softirq, t.steal, t.guest, t.guestNice].map((v) => ` ${v}`).join('');

/** /proc/stat of `board` now, as show_stat prints it. */
export function procStat(board: Board): string {
  return formatProcStat(kstat(board));
}

/** The text of /proc/stat for the statistics `s` (show_stat). */
export function formatProcStat(s: Kstat): string {
  let out = `cpu ${cpuFields(s.total)}\n`;
  s.cpus.forEach((t, i) => (out += `cpu${i}${cpuFields(t)}\n`));
  out += `intr ${s.intr.reduce((a, b) => a + b, 0)}${s.intr.map((n) => ` ${n}`).join('')}\n`;
  out += `ctxt ${s.ctxt}\nbtime ${s.btime}\nprocesses ${s.processes}\nprocs_running ${s.procsRunning}\nprocs_blocked 0\n`;
  const perVector = SOFTIRQ_VECTORS.map((_, v) => s.softirqs.reduce((a, c) => a + (c[v] ?? 0), 0));
  out += `softirq ${perVector.reduce((a, b) => a + b, 0)}${perVector.map((n) => ` ${n}`).join('')}\n`;
  return out;
}

/** /proc/softirqs as show_softirqs prints it: a CPU header, then a row per vector of ` %10u` per CPU. */
export function procSoftirqs(board: Board): string {
  const s = kstat(board);
  let out = `${' '.repeat(20)}${s.softirqs.map((_, i) => `CPU${String(i).padEnd(8)}`).join('')}\n`;
  SOFTIRQ_VECTORS.forEach((name, v) => {
    out += `${name.padStart(12)}:${s.softirqs.map((c) => ` ${String(c[v] ?? 0).padStart(10)}`).join('')}\n`;
  });
  return out;
}

/** `seconds.centiseconds` of `ns`. */
const centis = (ns: number): string => `${Math.floor(ns / 1e9)}.${String(Math.floor((ns % 1e9) / 1e7)).padStart(2, '0')}`;

/** /proc/uptime as uptime_proc_show prints it: the time since boot and the CPUs' summed idle time. */
export function procUptime(board: Board): string {
  const s = kstat(board);
  return `${centis(s.uptimeNs)} ${centis(s.idleNs)}\n`;
}
