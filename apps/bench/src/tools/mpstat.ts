/**
 * `mpstat` (sysstat): per-CPU utilisation and interrupt rates from /proc/stat, /proc/interrupts
 * and /proc/softirqs, as sysstat's mpstat computes and prints them — the tool a driver
 * developer runs beside iperf3 to see which CPU the RX softirq saturates.
 *
 * `mpstat [-A] [-u] [-I SUM|CPU|SCPU|ALL[,…]] [-P CPU_LIST|ON|ALL] [-V] [INTERVAL [COUNT]]`:
 * without an interval, one report of the times since boot; with one, a first sample, then a
 * report per interval (times from USER_HZ tick deltas, percentages of the ticks that passed,
 * rates per second of uptime ticks), and after COUNT reports — or at SIGINT, when it prints a
 * new line first — the `Average:` of the whole run. Several activities, or `-P`, print the
 * header before every report; otherwise it is printed again every 23 reports (a terminal
 * of 25 rows).
 *
 * As ping does, an mpstat with an interval and no count runs as a job (`mpstat 1 &`, ended by
 * `kill -INT`) or in the interactive lab's foreground (Ctrl-C); a script's foreground one needs
 * a count. Its sampling task is a user task on the board, its reads charged as copies to user.
 * The times come from the board's clock: the lab's epoch plus virtual time, in UTC, printed as
 * the C locale's `%X` and `%x`. `-o JSON` is not modelled.
 */
import { SOFTIRQ_VECTORS, type TaskStep } from '@ntbsim/kernel';
import type { Board } from '../lab/lab.js';
import { result, type Command, type CommandResult } from '../types.js';
import { addJob, printJob, type JobStatus } from './jobs.js';
import { kstat, procStat, USER_HZ, type CpuTimes, type Kstat } from './kstat.js';
import { LAB_EPOCH_SECONDS, LAB_KERNEL_RELEASE } from './net/host.js';
import { interleaved, type StreamWrite } from './output.js';

const USAGE = 'Usage: mpstat [ options ] [ <interval> [ <count> ] ]\nOptions are:\n[ -A ] [ -u ] [ -V ] [ -I { SUM | CPU | SCPU | ALL } ]\n[ -o JSON ] [ -P { <cpu_list> | ON | ALL } ]\n';
const VERSION = 'sysstat version 12.6.1\n(C) Sebastien Godard (sysstat <at> orange.fr)\n';
/** Reports between two headers when one activity is shown without -P (get_win_height's 23 rows off a terminal). */
const ROWS = 23;
const SIGINT = 2;

/** What mpstat was asked for (its actflags, flags and cpu_bitmap). */
interface MpstatOptions {
  readonly cpu: boolean;
  readonly irqSum: boolean;
  readonly irqCpu: boolean;
  readonly softirqs: boolean;
  /** -P or -A given: per-CPU interrupt rows only for the CPUs chosen. */
  readonly pOption: boolean;
  /** Bit 0: the `all` line; bit i + 1: CPU i. */
  readonly bitmap: readonly boolean[];
  /** Seconds between reports, 0 for one report since boot. */
  readonly interval: number;
  /** Reports to print; -1 until SIGINT. */
  readonly count: number;
  /** The header before every report. */
  readonly everyHeader: boolean;
}

type Parsed = MpstatOptions | { readonly exit: CommandResult };

const usage = (): { exit: CommandResult } => ({ exit: result('', USAGE, 1) });

/** parse_values: `ALL`, or a comma list of CPU numbers, ranges `a-b` and `all`, into `bitmap`; false when a value is bad or out of range. */
function parseCpuList(arg: string, bitmap: boolean[], nCpus: number): boolean {
  if (arg === 'ALL') {
    bitmap.fill(true);
    return true;
  }
  for (const t of arg.split(',')) {
    if (t === 'all') {
      bitmap[0] = true;
      continue;
    }
    const m = /^(\d+)(?:-(\d+))?$/.exec(t);
    if (m === null) return false;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi >= nCpus) return false;
    for (let c = lo; c <= hi; c++) bitmap[c + 1] = true;
  }
  return true;
}

/** mpstat's main(): its options, or what it prints and its status (usage, -V). */
function parseArgs(args: readonly string[], nCpus: number): Parsed {
  let cpu = false;
  let irqSum = false;
  let irqCpu = false;
  let softirqs = false;
  let actset = false;
  let pOption = false;
  let interval = -1;
  let count = 0;
  const bitmap = new Array<boolean>(nCpus + 1).fill(false);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-I') {
      const v = args[++i];
      if (v === undefined) return usage();
      actset = true;
      for (const t of v.split(',').filter((x) => x !== '')) {
        if (t === 'SUM') irqSum = true;
        else if (t === 'CPU') irqCpu = true;
        else if (t === 'SCPU') softirqs = true;
        else if (t === 'ALL') irqSum = irqCpu = softirqs = true;
        else return usage();
      }
    } else if (a === '-o') {
      if (args[i + 1] !== 'JSON') return usage();
      return { exit: result('', "mpstat: the lab's mpstat prints its plain text report only (-o JSON is not modelled)\n", 1) };
    } else if (a === '-P') {
      const v = args[++i];
      if (v === undefined) return usage();
      pOption = true;
      if (v === 'ON') bitmap.fill(true);
      else if (!parseCpuList(v, bitmap, nCpus)) return usage();
    } else if (a.startsWith('-')) {
      for (const c of a.slice(1)) {
        if (c === 'A') {
          cpu = irqSum = irqCpu = softirqs = true;
          actset = true;
          pOption = true;
          bitmap.fill(true);
        } else if (c === 'u') cpu = true;
        else if (c === 'V') return { exit: result(VERSION) };
        else return usage();
      }
      if (a === '-') return usage();
    } else if (interval < 0) {
      if (!/^\d+$/.test(a)) return usage();
      interval = Number(a);
      count = -1;
    } else if (count <= 0) {
      if (!/^\d+$/.test(a) || interval === 0 || Number(a) < 1) return usage();
      count = Number(a);
    } else {
      return usage();
    }
  }
  if (!actset) cpu = true;
  if (!pOption) bitmap[0] = true;
  const activities = [cpu, irqSum, irqCpu, softirqs].filter(Boolean).length;
  return { cpu, irqSum, irqCpu, softirqs, pOption, bitmap, interval: Math.max(0, interval), count, everyHeader: pOption || activities > 1 };
}

/** One sample: the statistics, the interrupt counts per CPU by IRQ name, and the wall-clock second it was taken. */
interface Sample {
  readonly stat: Kstat;
  /** /proc/interrupts' rows: name (the IRQ number) and count per CPU. */
  readonly irqs: readonly { readonly name: string; readonly counts: readonly number[] }[];
  /** Wall clock (s since the Unix epoch). */
  readonly tod: number;
}

function sample(board: Board): Sample {
  const irqs = [...board.host.irqs.values()].sort((a, b) => a.num - b.num).map((irq) => ({ name: String(irq.num), counts: board.host.cpus.map((c) => irq.counts[c.id] ?? 0) }));
  return { stat: kstat(board), irqs, tod: LAB_EPOCH_SECONDS + Math.floor(board.host.sim.now / 1e9) };
}

/** A sample of zeros taken at `tod`: what a report since boot compares with. */
function zeroSample(like: Sample): Sample {
  const z: CpuTimes = { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 };
  const s = like.stat;
  return {
    stat: { ...s, total: z, cpus: s.cpus.map(() => z), intr: s.intr.map(() => 0), softirqs: s.softirqs.map((c) => c.map(() => 0)), uptimeNs: 0, idleNs: 0 },
    irqs: like.irqs.map((r) => ({ name: r.name, counts: r.counts.map(() => 0) })),
    tod: like.tod,
  };
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** strftime `%X` in the C locale (UTC). */
function timeOfDay(tod: number): string {
  const d = new Date(tod * 1000);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** print_gal_header: `Linux RELEASE (NODE) \tDATE \t_MACHINE_\t(N CPU)` with the C locale's `%x`. */
function galHeader(board: Board, machine: string, tod: number): string {
  const d = new Date(tod * 1000);
  const date = `${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${pad2(d.getUTCFullYear() % 100)}`;
  return `Linux ${LAB_KERNEL_RELEASE} (${board.name}) \t${date} \t_${machine}_\t(${board.host.cpus.length} CPU)\n`;
}

/** The ticks a CPU's line adds up to (read_stat_cpu's uptime; get_per_cpu_interval without guest). */
const tickSum = (t: CpuTimes): number => t.user + t.nice + t.system + t.iowait + t.idle + t.steal + t.irq + t.softirq;
/** get_interval: the ticks between two readings, at least 1. */
const interval = (prev: number, curr: number): number => Math.max(1, curr - prev);
/** ll_sp_value: the share (%) of `itv` ticks the field grew by. */
const share = (prev: number, curr: number, itv: number): number => ((curr - prev) / itv) * 100;
/** S_VALUE: a count's rate per second over `itv` ticks. */
const rate = (prev: number, curr: number, itv: number): number => ((curr - prev) / itv) * USER_HZ;
/** cprintf_pc / cprintf_f: ` %W.2f` per value. */
const cols = (values: readonly number[], width: number): string => values.map((v) => ` ${v.toFixed(2).padStart(width)}`).join('');

/** The ten percentages of a CPU line between two readings (user and nice without guest time, which they include). */
function cpuShares(p: CpuTimes, c: CpuTimes, itv: number): number[] {
  const clamp = (prev: number, curr: number): number => (curr < prev ? 0 : share(prev, curr, itv));
  return [clamp(p.user - p.guest, c.user - c.guest), clamp(p.nice - p.guestNice, c.nice - c.guestNice), share(p.system, c.system, itv), share(p.iowait, c.iowait, itv), share(p.irq, c.irq, itv), share(p.softirq, c.softirq, itv), share(p.steal, c.steal, itv), share(p.guest, c.guest, itv), share(p.guestNice, c.guestNice, itv), clamp(p.idle, c.idle)];
}

/** Writes one report (write_stats_core) between `prev` and `curr`; `prevLabel` heads the header, `currLabel` the rows. */
class Reporter {
  constructor(
    private readonly o: MpstatOptions,
    private readonly nCpus: number,
  ) {}

  report(prev: Sample, curr: Sample, labels: { readonly prev: string; readonly curr: string; readonly header: boolean }): string {
    const gItv = interval(tickSum(prev.stat.total), tickSum(curr.stat.total));
    // Rates use one CPU's share of the time: /proc/uptime's ticks on an SMP board.
    const itv = this.nCpus > 1 ? interval(Math.floor(prev.stat.uptimeNs / 1e7), Math.floor(curr.stat.uptimeNs / 1e7)) : gItv;
    let out = '';
    if (this.o.cpu) out += this.cpuStats(prev, curr, gItv, labels);
    if (this.o.irqSum) out += this.irqSumStats(prev, curr, itv, labels);
    if (this.o.irqCpu) out += this.perCpuTable(labels, this.irqColumns(prev, curr), itv);
    if (this.o.softirqs) out += this.perCpuTable(labels, this.softirqColumns(prev, curr), itv);
    return out;
  }

  private wanted(cpu: number): boolean {
    return this.o.bitmap[cpu + 1] === true;
  }

  private cpuStats(prev: Sample, curr: Sample, gItv: number, labels: { prev: string; curr: string; header: boolean }): string {
    let out = labels.header ? `\n${labels.prev.padEnd(11)}  CPU    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle\n` : '';
    if (this.o.bitmap[0] === true) out += `${labels.curr.padEnd(11)}  all${cols(cpuShares(prev.stat.total, curr.stat.total, gItv), 7)}\n`;
    for (let cpu = 0; cpu < this.nCpus; cpu++) {
      if (!this.wanted(cpu)) continue;
      const p = prev.stat.cpus[cpu] as CpuTimes;
      const c = curr.stat.cpus[cpu] as CpuTimes;
      const pcItv = tickSum(c) - tickSum(p);
      // A CPU whose times did not move (tickless): all idle.
      const values = pcItv === 0 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 100] : cpuShares(p, c, pcItv);
      out += `${labels.curr.padEnd(11)} ${String(cpu).padStart(4)}${cols(values, 7)}\n`;
    }
    return out;
  }

  private irqSumStats(prev: Sample, curr: Sample, itv: number, labels: { prev: string; curr: string; header: boolean }): string {
    let out = labels.header ? `\n${labels.prev.padEnd(11)}  CPU    intr/s\n` : '';
    const total = (s: Sample): number => s.stat.intr.reduce((a, b) => a + b, 0);
    if (this.o.bitmap[0] === true) out += `${labels.curr.padEnd(11)}  all${cols([rate(total(prev), total(curr), itv)], 9)}\n`;
    const perCpu = (s: Sample, cpu: number): number => s.irqs.reduce((a, r) => a + (r.counts[cpu] ?? 0), 0);
    for (let cpu = 0; cpu < this.nCpus; cpu++) {
      if (!this.wanted(cpu)) continue;
      const pcItv = tickSum(curr.stat.cpus[cpu] as CpuTimes) - tickSum(prev.stat.cpus[cpu] as CpuTimes);
      out += `${labels.curr.padEnd(11)} ${String(cpu).padStart(4)}${cols([pcItv === 0 ? 0 : rate(perCpu(prev, cpu), perCpu(curr, cpu), itv)], 9)}\n`;
    }
    return out;
  }

  /** /proc/interrupts' columns: each IRQ's name and its counts per CPU before and now (0 before for one that was not there). */
  private irqColumns(prev: Sample, curr: Sample): Columns {
    const before = new Map(prev.irqs.map((r) => [r.name, r.counts]));
    return { names: curr.irqs.map((r) => r.name), changed: !sameNames(prev.irqs.map((r) => r.name), curr.irqs.map((r) => r.name)), prev: curr.irqs.map((r) => before.get(r.name) ?? []), curr: curr.irqs.map((r) => r.counts) };
  }

  /** /proc/softirqs' columns: each vector's runs per CPU before and now. */
  private softirqColumns(prev: Sample, curr: Sample): Columns {
    const byVector = (s: Sample): number[][] => SOFTIRQ_VECTORS.map((_, v) => s.stat.softirqs.map((c) => c[v] ?? 0));
    return { names: [...SOFTIRQ_VECTORS], changed: false, prev: byVector(prev), curr: byVector(curr) };
  }

  /** write_plain_irqcpu_stats: a column per interrupt, a row per CPU (all of them unless -P chose some). */
  private perCpuTable(labels: { prev: string; curr: string; header: boolean }, t: Columns, itv: number): string {
    const widths = t.names.map((n) => Math.max(10, n.length + 2));
    let out = labels.header || (this.o.interval > 0 && t.changed) ? `\n${labels.prev.padEnd(11)}  CPU${t.names.map((n) => ` ${n.padStart(8)}/s`).join('')}\n` : '';
    for (let cpu = 0; cpu < this.nCpus; cpu++) {
      if (this.o.pOption && !this.wanted(cpu)) continue;
      const values = t.names.map((_, j) => ` ${rate(t.prev[j]?.[cpu] ?? 0, t.curr[j]?.[cpu] ?? 0, itv).toFixed(2).padStart(widths[j] as number)}`);
      out += `${labels.curr.padEnd(11)}  ${String(cpu).padStart(3)}${values.join('')}\n`;
    }
    return out;
  }
}

/** A per-CPU interrupt table's columns: names, and per column the counts per CPU before and now. */
interface Columns {
  readonly names: readonly string[];
  /** The interrupts listed differ from the last sample's (the header is printed again). */
  readonly changed: boolean;
  readonly prev: readonly (readonly number[])[];
  readonly curr: readonly (readonly number[])[];
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

/** `mpstat [OPTION]... [INTERVAL [COUNT]]`: see the module comment. */
export const mpstat: Command = (argv, env) => {
  const { lab, board } = env;
  const nCpus = board.host.cpus.length;
  const o = parseArgs(argv.slice(1), nCpus);
  if ('exit' in o) return o.exit;
  const job = env.background === true;
  if (o.interval > 0 && o.count < 0 && !job) {
    return result('', "mpstat: the lab cannot interrupt an mpstat in a script: give a count (`mpstat 1 5`), or run it as a job (`mpstat 1 &`, ended by kill -INT or killall -INT, which prints its Average; Ctrl-C ends one in the interactive lab)\n", 2);
  }
  const machine = lab.profile.name.startsWith('x86') ? 'x86_64' : 'aarch64';
  const reporter = new Reporter(o, nCpus);
  const first = sample(board);
  const header = galHeader(board, machine, first.tod);
  if (o.interval === 0) {
    const label = timeOfDay(first.tod);
    return result(header + reporter.report(zeroSample(first), first, { prev: label, curr: label, header: true }));
  }
  const writes: StreamWrite[] = [];
  const say = (text: string): void => {
    if (job) printJob(board, text);
    else writes.push({ fd: 1, text });
  };
  say(header);
  const sim = lab.sim;
  let last = first;
  let reports = 0;
  let lines = ROWS;
  let interrupted = false;
  let ended: JobStatus | null = null;
  const average = (): void => {
    say(reporter.report(first, last, { prev: 'Average:', curr: 'Average:', header: o.everyHeader }));
    ended = { kind: 'exit', code: 0 };
    // A foreground mpstat's command returns as it exits.
    if (!job) sim.stop();
  };
  const periodNs = o.interval * 1e9;
  const start = sim.now;
  const task = board.host.createUserTask('mpstat', (ctx): TaskStep => {
    if (ended !== null) return 'exit';
    if (interrupted) {
      // SIGINT: during the first interval it exits at once; later, a new line over the ^C, then the average.
      if (reports > 0) {
        say('\n');
        average();
      } else ended = { kind: 'exit', code: 0 };
      return 'exit';
    }
    const due = start + (reports + 1) * periodNs;
    if (ctx.time < due) return due - ctx.time;
    ctx.charge(board.host.costs.userCopy(procStat(board).length));
    const now = sample(board);
    let header = o.everyHeader;
    if (!header) {
      header = lines >= ROWS;
      if (header) lines %= ROWS;
      lines++;
    }
    say(reporter.report(last, now, { prev: timeOfDay(last.tod), curr: timeOfDay(now.tod), header }));
    last = now;
    reports++;
    if (o.count > 0 && reports >= o.count) {
      average();
      return 'exit';
    }
    return start + (reports + 1) * periodNs - ctx.time;
  });
  if (job) {
    addJob(board, {
      comm: 'mpstat',
      command: env.commandLine ?? 'mpstat',
      ended: () => ended !== null,
      // A report per interval, watched at the wall clock's pace in the interactive lab.
      realtime: true,
      signal: (sig) => {
        if (ended !== null) return;
        if (sig.signo === SIGINT) {
          interrupted = true;
          task.wake();
          return;
        }
        // mpstat catches SIGINT only (and SIGALRM, its timer): the others end it where it is.
        task.stop();
        ended = { kind: 'signal', signo: sig.signo };
      },
      status: () => ended,
    });
    return result('');
  }
  const limit = start + o.count * periodNs + 1e9;
  while (ended === null && sim.now < limit) sim.run({ until: limit });
  task.stop();
  return interleaved(writes, 0);
};
