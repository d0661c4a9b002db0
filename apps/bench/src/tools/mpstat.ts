/**
 * `mpstat` (sysstat): per-CPU utilisation and interrupt rates from /proc/stat, /proc/interrupts
 * and /proc/softirqs, as sysstat's mpstat computes and prints them — the tool a driver
 * developer runs beside iperf3 to see which CPU the RX softirq saturates.
 *
 * `mpstat [-A] [-u] [-I SUM|CPU|SCPU|ALL[,…]] [-P CPU_LIST|ON|ALL] [-o JSON] [-V] [INTERVAL [COUNT]]`:
 * without an interval, one report of the times since boot; with one, a first sample, then a
 * report per interval (times from USER_HZ tick deltas, percentages of the ticks that passed,
 * rates per second of uptime ticks), and after COUNT reports — or at SIGINT, when it prints a
 * new line first — the `Average:` of the whole run. Several activities, or `-P`, print the
 * header before every report; otherwise once (the lab's output is not a terminal whose height
 * mpstat could read). `-o JSON` prints sysstat's JSON document instead, a `statistics` element
 * per report and no average; its SIGINT handler is not set then, so SIGINT kills it unclosed.
 *
 * As ping does, an mpstat with an interval and no count runs as a job (`mpstat 1 &`, ended by
 * `kill -INT`) or in the interactive lab's foreground (Ctrl-C); a script's foreground one needs
 * a count. Its sampling task is a user task on the board, its reads charged as copies to user.
 * The times come from the board's clock: the lab's epoch plus virtual time, in UTC, printed as
 * the C locale's `%X` and `%x`.
 */
import { SOFTIRQ_VECTORS, type TaskStep } from '@ntbsim/kernel';
import type { Board } from '../lab/lab.js';
import { commandTaskOptions, result, type Command, type CommandResult } from '../types.js';
import { addJob, printJob, type JobStatus } from './jobs.js';
import { formatProcStat, kstat, USER_HZ, type CpuTimes, type Kstat } from './kstat.js';
import { LAB_KERNEL_RELEASE, utsname, wallClockAt } from './net/host.js';
import { interleaved, type StreamWrite } from './output.js';
import { interruptLines } from './proc.js';
import { strftime } from './net/strftime.js';

const USAGE = 'Usage: mpstat [ options ] [ <interval> [ <count> ] ]\nOptions are:\n[ -A ] [ -u ] [ -V ] [ -I { SUM | CPU | SCPU | ALL } ]\n[ -o JSON ] [ -P { <cpu_list> | ON | ALL } ]\n';
const VERSION = 'sysstat version 12.6.1\n(C) Sebastien Godard (sysstat <at> orange.fr)\n';
/** Reports between two headers when one activity is shown without -P: get_win_height's default when stdout is not a terminal it can measure (a day of seconds), so the header shows once. */
const ROWS = 3600 * 24;
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
  /** `-o JSON`: the report as sysstat's JSON document. */
  readonly json: boolean;
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
  let json = false;
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
      if (args[++i] !== 'JSON') return usage();
      json = true;
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
  return { cpu, irqSum, irqCpu, softirqs, pOption, bitmap, interval: Math.max(0, interval), count, everyHeader: pOption || activities > 1, json };
}

/** One sample: the statistics, the interrupt counts per CPU by IRQ name, and the wall-clock second it was taken. */
interface Sample {
  readonly stat: Kstat;
  /** /proc/interrupts' lines: name (the IRQ number, `IPIn`, `Err`) and count per CPU. */
  readonly irqs: readonly { readonly name: string; readonly counts: readonly number[] }[];
  /** Wall clock (s since the Unix epoch). */
  readonly tod: number;
}

function sample(board: Board): Sample {
  return { stat: kstat(board), irqs: interruptLines(board), tod: wallClockAt(board.host.sim.now) };
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

/** strftime `%X` in the C locale (UTC). */
function timeOfDay(tod: number): string {
  return strftime('%X', tod);
}

/** strftime `%x` in the C locale (UTC): the report's date. */
function reportDate(tod: number): string {
  return strftime('%x', tod);
}

/** print_gal_header: `Linux RELEASE (NODE) \tDATE \t_MACHINE_\t(N CPU)`. */
function galHeader(board: Board, machine: string, date: string): string {
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

/** A row of a per-CPU table: `all` or a CPU number, and its values. */
interface Row {
  readonly cpu: 'all' | number;
  readonly values: readonly number[];
}

/** A table of interrupt rates per CPU (-I CPU, -I SCPU): its column names and a row per CPU shown. */
interface IrqTable {
  readonly names: readonly string[];
  /** The interrupts listed differ from the last sample's (plain output prints the header again). */
  readonly changed: boolean;
  readonly rows: readonly Row[];
}

/** One report's figures (write_stats_core), per activity asked for. */
interface Report {
  readonly cpu: readonly Row[] | null;
  readonly irqSum: readonly Row[] | null;
  readonly irqCpu: IrqTable | null;
  readonly softirqs: IrqTable | null;
}

const CPU_KEYS = ['usr', 'nice', 'sys', 'iowait', 'irq', 'soft', 'steal', 'guest', 'gnice', 'idle'] as const;

/** The figures of one report between `prev` and `curr`, as mpstat computes them from the tick and count deltas. */
function computeReport(o: MpstatOptions, prev: Sample, curr: Sample): Report {
  const nCpus = curr.stat.cpus.length;
  const gItv = interval(tickSum(prev.stat.total), tickSum(curr.stat.total));
  // Rates use one CPU's share of the time: /proc/uptime's ticks on an SMP board.
  const itv = nCpus > 1 ? interval(Math.floor(prev.stat.uptimeNs / 1e7), Math.floor(curr.stat.uptimeNs / 1e7)) : gItv;
  const shown = (cpu: number): boolean => o.bitmap[cpu + 1] === true;
  const cpus = Array.from({ length: nCpus }, (_, i) => i);
  /** A CPU's ticks did not move (tickless): mpstat shows it all idle, its rates 0. */
  const still = (cpu: number): boolean => tickSum(curr.stat.cpus[cpu] as CpuTimes) === tickSum(prev.stat.cpus[cpu] as CpuTimes);
  const perCpu = (f: (cpu: number) => readonly number[]): Row[] => cpus.filter(shown).map((cpu) => ({ cpu, values: f(cpu) }));
  let cpuRows: Row[] | null = null;
  if (o.cpu) {
    const rows = perCpu((cpu) => {
      const p = prev.stat.cpus[cpu] as CpuTimes;
      const c = curr.stat.cpus[cpu] as CpuTimes;
      return still(cpu) ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 100] : cpuShares(p, c, tickSum(c) - tickSum(p));
    });
    cpuRows = o.bitmap[0] === true ? [{ cpu: 'all', values: cpuShares(prev.stat.total, curr.stat.total, gItv) }, ...rows] : rows;
  }
  let sumRows: Row[] | null = null;
  if (o.irqSum) {
    const total = (s: Sample): number => s.stat.intr.reduce((a, b) => a + b, 0);
    const onCpu = (s: Sample, cpu: number): number => s.irqs.reduce((a, r) => a + (r.counts[cpu] ?? 0), 0);
    const rows = perCpu((cpu) => [still(cpu) ? 0 : rate(onCpu(prev, cpu), onCpu(curr, cpu), itv)]);
    sumRows = o.bitmap[0] === true ? [{ cpu: 'all', values: [rate(total(prev), total(curr), itv)] }, ...rows] : rows;
  }
  /** A per-CPU interrupt table over every CPU, or those -P chose. */
  const table = (names: readonly string[], changed: boolean, count: (s: Sample, col: number, cpu: number) => number): IrqTable => ({
    names,
    changed,
    rows: cpus.filter((cpu) => !o.pOption || shown(cpu)).map((cpu) => ({ cpu, values: names.map((_, j) => rate(count(prev, j, cpu), count(curr, j, cpu), itv)) })),
  });
  let irqCpu: IrqTable | null = null;
  if (o.irqCpu) {
    // /proc/interrupts' lines by name: one that was not there before counts from 0.
    const names = curr.irqs.map((r) => r.name);
    const before = new Map(prev.irqs.map((r) => [r.name, r.counts]));
    irqCpu = table(names, !sameNames(prev.irqs.map((r) => r.name), names), (s, j, cpu) => (s === prev ? before.get(names[j] ?? '') : s.irqs[j]?.counts)?.[cpu] ?? 0);
  }
  const softirqs = o.softirqs ? table(SOFTIRQ_VECTORS, false, (s, v, cpu) => s.stat.softirqs[cpu]?.[v] ?? 0) : null;
  return { cpu: cpuRows, irqSum: sumRows, irqCpu, softirqs };
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

/** Labels of a plain report: the header's (the previous sample's time, or `Average:`) and the rows' (this sample's). */
interface Labels {
  readonly prev: string;
  readonly curr: string;
  /** Print the activities' headers (a changed interrupt list prints its own anyway). */
  readonly header: boolean;
}

/** A report as mpstat's plain output prints it. */
function plainReport(r: Report, labels: Labels, interval: number): string {
  const label = labels.curr.padEnd(11);
  const head = (cols: string): string => (labels.header ? `\n${labels.prev.padEnd(11)}  CPU${cols}\n` : '');
  const cpuCol = (cpu: 'all' | number): string => (cpu === 'all' ? '  all' : ` ${String(cpu).padStart(4)}`);
  let out = '';
  if (r.cpu !== null) {
    out += head('    %usr   %nice    %sys %iowait    %irq   %soft  %steal  %guest  %gnice   %idle');
    for (const row of r.cpu) out += `${label}${cpuCol(row.cpu)}${cols(row.values, 7)}\n`;
  }
  if (r.irqSum !== null) {
    out += head('    intr/s');
    for (const row of r.irqSum) out += `${label}${cpuCol(row.cpu)}${cols(row.values, 9)}\n`;
  }
  for (const t of [r.irqCpu, r.softirqs]) {
    if (t === null) continue;
    // A column is as wide as its name and "/s", 10 at least.
    const widths = t.names.map((n) => Math.max(10, n.length + 2));
    if (labels.header || (interval > 0 && t.changed)) out += `\n${labels.prev.padEnd(11)}  CPU${t.names.map((n) => ` ${n.padStart(8)}/s`).join('')}\n`;
    for (const row of t.rows) out += `${label}  ${String(row.cpu).padStart(3)}${row.values.map((v, j) => ` ${v.toFixed(2).padStart(widths[j] as number)}`).join('')}\n`;
  }
  return out;
}

/** xprintf: `tab` tabs, then `text`. */
const tabs = (tab: number, text: string): string => `${'\t'.repeat(tab)}${text}`;

/** A report as one element of mpstat -o JSON's `statistics` array (write_stats_core's JSON branch), without its trailing newline. */
function jsonReport(r: Report, timestamp: string): string {
  const parts: string[] = [];
  const list = (name: string, items: readonly string[]): string => `${tabs(5, `"${name}": [`)}\n${items.map((i) => tabs(6, i)).join(',\n')}\n${tabs(5, ']')}`;
  const cpuName = (cpu: 'all' | number): string => `"cpu": "${cpu}"`;
  if (r.cpu !== null) parts.push(list('cpu-load', r.cpu.map((row) => `{${[cpuName(row.cpu), ...CPU_KEYS.map((k, i) => `"${k}": ${(row.values[i] ?? 0).toFixed(2)}`)].join(', ')}}`)));
  if (r.irqSum !== null) parts.push(list('sum-interrupts', r.irqSum.map((row) => `{${cpuName(row.cpu)}, "intr": ${(row.values[0] ?? 0).toFixed(2)}}`)));
  for (const [name, t] of [['individual-interrupts', r.irqCpu], ['soft-interrupts', r.softirqs]] as const) {
    if (t === null) continue;
    const cpus = t.rows.map((row) => `${tabs(6, `{${cpuName(row.cpu)}, "intr": [`)}\n${t.names.map((n, j) => tabs(7, `{"name": "${n}", "value": ${(row.values[j] ?? 0).toFixed(2)}}`)).join(',\n')}\n${tabs(6, '] }')}`);
    parts.push(`${tabs(5, `"${name}": [`)}\n${cpus.join(',\n')}\n${tabs(5, ']')}`);
  }
  return `${tabs(4, '{')}\n${tabs(5, `"timestamp": "${timestamp}",`)}\n${parts.join(',\n')}\n${tabs(4, '}')}`;
}

/** print_gal_header's JSON opening, up to the `statistics` array. */
function jsonHeader(board: Board, machine: string, date: string): string {
  const fields = [`"nodename": "${board.name}",`, '"sysname": "Linux",', `"release": "${LAB_KERNEL_RELEASE}",`, `"machine": "${machine}",`, `"number-of-cpus": ${board.host.cpus.length},`, `"date": "${date}",`, '"statistics": ['];
  return `{"sysstat": {\n${tabs(1, '"hosts": [')}\n${tabs(2, '{')}\n${fields.map((f) => tabs(3, f)).join('\n')}\n`;
}

/** The JSON document's closing, after the last report. */
const JSON_END = '\n\t\t\t]\n\t\t}\n\t]\n}}\n';

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
  const { machine } = utsname(board);
  const first = sample(board);
  const date = reportDate(first.tod);
  const report = (prev: Sample, curr: Sample, labels: Labels): string => {
    const r = computeReport(o, prev, curr);
    return o.json ? jsonReport(r, labels.curr) : plainReport(r, labels, o.interval);
  };
  const header = o.json ? jsonHeader(board, machine, date) : galHeader(board, machine, date);
  if (o.interval === 0) {
    const label = timeOfDay(first.tod);
    return result(header + report(zeroSample(first), first, { prev: label, curr: label, header: true }) + (o.json ? JSON_END : ''));
  }
  const writes: StreamWrite[] = [];
  const say = (text: string): void => {
    if (job) printJob(env, text);
    else writes.push({ fd: 1, text });
  };
  say(header);
  const sim = lab.sim;
  let last = first;
  let reports = 0;
  let lines = ROWS;
  let interrupted = false;
  let ended: JobStatus | null = null;
  /** The end of the run: the Average (plain) or the document's closing (JSON). */
  const finish = (): void => {
    say(o.json ? JSON_END : report(first, last, { prev: 'Average:', curr: 'Average:', header: o.everyHeader }));
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
        finish();
      } else ended = { kind: 'exit', code: 0 };
      return 'exit';
    }
    const due = start + (reports + 1) * periodNs;
    if (ctx.time < due) return due - ctx.time;
    const now = sample(board);
    // Reading /proc/stat: its text copied to user (the sample is taken as the step starts).
    ctx.charge(board.host.costs.userCopy(formatProcStat(now.stat).length));
    let header = o.everyHeader;
    if (!header) {
      header = lines >= ROWS;
      if (header) lines %= ROWS;
      lines++;
    }
    say(report(last, now, { prev: timeOfDay(last.tod), curr: timeOfDay(now.tod), header }));
    last = now;
    reports++;
    if (o.count > 0 && reports >= o.count) {
      finish();
      return 'exit';
    }
    // JSON: the separator before the next report, written before the wait for it.
    if (o.json) say(',\n');
    return start + (reports + 1) * periodNs - ctx.time;
  }, commandTaskOptions(env));
  if (job) {
    addJob(board, {
      comm: 'mpstat',
      command: env.commandLine ?? 'mpstat',
      ended: () => ended !== null,
      // A report per interval, watched at the wall clock's pace in the interactive lab.
      realtime: true,
      signal: (sig) => {
        if (ended !== null) return;
        // Its SIGINT handler is set for the plain report only: JSON output dies of it, unclosed.
        if (sig.signo === SIGINT && !o.json) {
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
