/**
 * `taskset [-a] [-c] MASK|CPU-LIST COMMAND [ARG...]` (util-linux 2.38.1, schedutils/taskset.c):
 * run COMMAND with the CPU affinity given — a hex mask (cpumask_parse: an optional `0x`, hex
 * digits read from the end, single commas skipped) or with `-c` a CPU list (cpulist_parse:
 * `0,3,7-11`, ranges with a stride `0-31:2`) — as sched_setaffinity of the taskset process
 * before it execs the command, which inherits it: the tasks the command starts (iperf3's,
 * ping's, sockperf's, mpstat's) run on those CPUs only, and `nproc` counts them. iperf3's own
 * `-A` sets its affinity over the inherited one, as sched_setaffinity does. Bits past the
 * 64-bit set are dropped, CPUs the board lacks ignored; a set with none of its CPUs fails as
 * the kernel refuses it (EINVAL). `-p` (an existing task by PID) is refused: the lab's
 * processes have no PIDs. Options stop at the first operand (`+apchV`).
 */
import type { Board } from '../lab/lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';
import { getoptLong, GetoptError, type LongOption } from './argv.js';

/** util-linux's version string (Debian bookworm's). */
const VERSION = 'taskset from util-linux 2.38.1\n';

const USAGE =
  'Usage: taskset [options] [mask | cpu-list] [pid|cmd [args...]]\n\n\n' +
  'Show or change the CPU affinity of a process.\n\n' +
  'Options:\n' +
  ' -a, --all-tasks         operate on all the tasks (threads) for a given pid\n' +
  ' -p, --pid               operate on existing given pid\n' +
  ' -c, --cpu-list          display and specify cpus in list format\n' +
  ' -h, --help              display this help\n' +
  ' -V, --version           display version\n\n' +
  'The default behavior is to run a new command:\n' +
  '    taskset 03 sshd -b 1024\n' +
  'You can retrieve the mask of an existing task:\n' +
  '    taskset -p 700\n' +
  'Or set it:\n' +
  '    taskset -p 03 700\n' +
  'List format uses a comma-separated list instead of a mask:\n' +
  '    taskset -pc 0,3,7-11 700\n' +
  'Ranges in list format can take a stride argument:\n' +
  '    e.g. 0-31:2 is equivalent to mask 0x55555555\n\n' +
  'For more details see taskset(1).\n';

const TRY_HELP = "Try 'taskset --help' for more information.\n";

const LONGOPTS: readonly LongOption[] = [
  ['all-tasks', 'a', false],
  ['pid', 'p', false],
  ['cpu-list', 'c', false],
  ['help', 'h', false],
  ['version', 'V', false],
];

/** CPUs a cpu_set_t of the boards' size holds (CPU_ALLOC_SIZE rounds nr_cpu_ids up to a long): bits past it are dropped. */
const SET_BITS = 64;

/** cpumask_parse: the CPUs (below SET_BITS) of a hex mask, or null when a character is not a hex digit. */
export function cpumaskParse(text: string): Set<number> | null {
  const s = text.length > 1 && text.startsWith('0x') ? text.slice(2) : text;
  const cpus = new Set<number>();
  let cpu = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    // A comma is skipped; one leading the mask leaves the walk before the string, on no digit.
    if (s[i] === ',' && --i < 0) return null;
    const c = s.charAt(i);
    if (!/^[0-9a-fA-F]$/.test(c)) return null;
    const v = parseInt(c, 16);
    for (let b = 0; b < 4; b++) if (((v >> b) & 1) === 1 && cpu + b < SET_BITS) cpus.add(cpu + b);
    cpu += 4;
  }
  return cpus;
}

/** nextnumber: a decimal that starts with a digit, and where it ends; null otherwise. */
function nextNumber(s: string, at: number): { n: number; end: number } | null {
  const m = /^\d+/.exec(s.slice(at));
  if (m === null) return null;
  return { n: Number(m[0]), end: at + m[0].length };
}

/** cpulist_parse: the CPUs (below SET_BITS) of `a,b-c,d-e:s`, or null when it is malformed (a bad number, a range ending below its start, a stride 0, text left over). */
export function cpulistParse(text: string): Set<number> | null {
  const cpus = new Set<number>();
  let end = -1;
  for (let p: number | null = 0; p !== null; ) {
    const start: number = p;
    const comma = text.indexOf(',', start);
    p = comma < 0 ? null : comma + 1;
    const a = nextNumber(text, start);
    if (a === null) return null;
    let b = a.n;
    let stride = 1;
    end = a.end;
    const dash = text.indexOf('-', a.end);
    if (dash >= 0 && (comma < 0 || dash < comma)) {
      const hi = nextNumber(text, dash + 1);
      if (hi === null) return null;
      b = hi.n;
      end = hi.end;
      const colon = end < text.length ? text.indexOf(':', end) : -1;
      if (colon >= 0 && (comma < 0 || colon < comma)) {
        const st = nextNumber(text, colon + 1);
        if (st === null || st.n === 0) return null;
        stride = st.n;
        end = st.end;
      }
    }
    if (a.n > b) return null;
    for (let cpu = a.n; cpu <= b && cpu < SET_BITS; cpu += stride) cpus.add(cpu);
  }
  return end >= 0 && end < text.length && text.charAt(end) !== ',' ? null : cpus;
}

/** What taskset's command line asks for: an exit with its result (help, version, a usage error, `-p`), or a CPU set to run a command under. */
type TasksetLine = { readonly kind: 'exit'; readonly result: CommandResult } | { readonly kind: 'run'; readonly list: boolean; readonly spec: string; readonly command: readonly string[] };

/** getopt_long with `+apchV` over `argv`: options up to the first operand, then the mask or list and the command. */
function parseTaskset(argv: readonly string[]): TasksetLine {
  const exit = (stdout: string, stderr = '', status = stderr === '' ? 0 : 1): TasksetLine => ({ kind: 'exit', result: result(stdout, stderr, status) });
  const args = argv.slice(1);
  let at = 0;
  while (at < args.length && (args[at] as string).startsWith('-') && args[at] !== '-') {
    if (args[at++] === '--') break;
  }
  let list = false;
  try {
    for (const item of getoptLong(args.slice(0, at), 'apchV', LONGOPTS, 'taskset')) {
      if (item.kind !== 'option') continue;
      if (item.c === 'h') return exit(USAGE);
      if (item.c === 'V') return exit(VERSION);
      if (item.c === 'c') list = true;
      if (item.c === 'p') return exit('', 'taskset: -p: the lab does not model PIDs: start the command under taskset instead (taskset -c LIST COMMAND)\n');
    }
  } catch (e) {
    if (e instanceof GetoptError) return exit('', `${e.message}\n${TRY_HELP}`);
    throw e;
  }
  const [spec, ...command] = args.slice(at);
  if (spec === undefined || command.length === 0) return exit('', `taskset: bad usage\n${TRY_HELP}`);
  return { kind: 'run', list, spec, command };
}

/** The command line taskset would run (its COMMAND and ARGs), or null when it would not run one: a usage error, `-h`, `-V`, `-p`. */
export function tasksetCommandLine(argv: readonly string[]): readonly string[] | null {
  const line = parseTaskset(argv);
  return line.kind === 'run' ? line.command : null;
}

/** The CPU mask (bit i = CPU i) of `cpus` on `board`: the CPUs it has, 0 for none. */
function onlineMask(board: Board, cpus: ReadonlySet<number>): number {
  let mask = 0;
  for (const c of cpus) if (c < board.host.cpus.length) mask |= 1 << c;
  return mask >>> 0;
}

/**
 * `taskset`: see the module comment. `run` runs the command line it execs with the environment
 * given (the lab's shell: its sudo prefix and command table), or answers null when no such
 * command exists (execvp's ENOENT).
 */
export function tasksetCommand(run: (argv: readonly string[], env: ShellEnv) => CommandResult | null): Command {
  return (argv, env) => {
    const fail = (msg: string, status = 1): CommandResult => result('', msg, status);
    const line = parseTaskset(argv);
    if (line.kind === 'exit') return line.result;
    const cpus = line.list ? cpulistParse(line.spec) : cpumaskParse(line.spec);
    if (cpus === null) return fail(`taskset: failed to parse CPU ${line.list ? 'list' : 'mask'}: ${line.spec}\n`);
    const mask = onlineMask(env.board, cpus);
    // sched_setaffinity(0, …) of the taskset process, whose PID is the next fork's.
    if (mask === 0) return fail(`taskset: failed to set pid ${env.board.host.totalForks + 1}'s affinity: Invalid argument\n`);
    return run(line.command, { ...env, cpus: mask }) ?? fail(`taskset: failed to execute ${line.command[0] ?? ''}: No such file or directory\n`, 127);
  };
}
