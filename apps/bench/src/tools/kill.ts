/**
 * `killall` (psmisc 23) and `pkill` (procps-ng 4): signal a board's processes by name. The
 * processes the lab runs past their command are its servers. `iperf3 -s`: SIGINT, SIGTERM (the
 * default) and SIGHUP run its handler, which prints `iperf3: interrupt - the server has
 * terminated` and exits; SIGKILL and the other signals whose default action ends a process end
 * it silently; signal 0, SIGCHLD, SIGCONT, SIGURG and SIGWINCH leave it running. `sockperf
 * server` the lab cannot signal, and says so rather than pretend. What a stopped server prints
 * shows right after the command, as on the board's terminal. killall matches whole names
 * (`NAME: no process found` and status 1 for a name nothing runs as); pkill matches an extended
 * regular expression (status 1, silently, when nothing matches). Neither has PIDs to show, so
 * the options that print or select by PID are refused.
 */
import type { Board, Lab } from '../lab/lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';
import { ArgvWalker } from './argv.js';
import { runningJobs } from './jobs.js';
import { serversOn, stopServers } from './iperf3/server.js';
import { takeServerOutput } from './net/background.js';
import { sockperfServersOn } from './sockperf.js';
import { extendedRegExp } from './text.js';

/** Linux's signal numbers by name, without the SIG prefix. */
const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15,
  STKFLT: 16, CHLD: 17, CLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28,
  POLL: 29, IO: 29, PWR: 30, SYS: 31,
};

const SIGTERM = 15;

/** What signal `sig` does to a lab server: its handler, its default action, or null where the lab cannot follow (a stopped process, an invalid number). */
function effectOf(sig: number): 'interrupt' | 'kill' | 'none' | null {
  if (sig === 1 || sig === 2 || sig === 15) return 'interrupt';
  if (sig === 0 || sig === 17 || sig === 18 || sig === 23 || sig === 28) return 'none';
  if (sig >= 19 && sig <= 22) return null;
  return sig > 0 && sig <= 64 ? 'kill' : null;
}

/** A kind of process the lab runs on a board past its command. */
interface LabProcess {
  /** Its name (comm). */
  readonly name: string;
  /** How many run on `board`. */
  readonly running: (lab: Lab, board: Board) => number;
  /** Deliver a signal to all of them on `board`; null when the lab cannot. */
  readonly signal: ((lab: Lab, board: Board, effect: 'interrupt' | 'kill') => void) | null;
  /** Why the lab cannot signal them (with `signal` null). */
  readonly refusal?: string;
}

/** The board's running `iperf3 -c … &` jobs. */
function iperf3ClientJobs(_lab: Lab, board: Board): number {
  return runningJobs(board).filter((j) => j.job.comm === 'iperf3').length;
}

const PROCESSES: readonly LabProcess[] = [
  { name: 'iperf3', running: serversOn, signal: (lab, board, effect) => stopServers(lab, board, effect) },
  { name: 'iperf3', running: iperf3ClientJobs, signal: null, refusal: 'an iperf3 client running as a job (`wait` for it: a background test runs to its end)' },
  { name: 'sockperf', running: sockperfServersOn, signal: null },
];

/**
 * Signal the `matched` processes of `env.board` with `sig`; a refusal (status 1) when the lab
 * cannot follow that signal or cannot signal one of them, else null once delivered.
 */
function deliver(tool: string, env: ShellEnv, matched: readonly LabProcess[], sig: number): CommandResult | null {
  const effect = effectOf(sig);
  const unable = matched.find((p) => p.signal === null);
  if (unable !== undefined) return result('', `${tool}: the lab cannot signal ${unable.refusal ?? `${unable.name} (its servers keep running)`}\n`, 1);
  if (effect === null && matched.length > 0) return result('', `${tool}: the lab does not model signal ${sig} (it would stop the process or fail), only signals that end it or that it ignores\n`, 1);
  for (const p of matched) if (effect !== 'none' && effect !== null) p.signal?.(env.lab, env.board, effect);
  return null;
}

/** psmisc killall's usage(), printed for a bad option or no name (status 1). */
const KILLALL_USAGE =
  'Usage: killall [OPTION]... [--] NAME...\n' +
  '       killall -l, --list\n' +
  '       killall -V, --version\n\n' +
  '  -e,--exact          require exact match for very long names\n' +
  '  -I,--ignore-case    case insensitive process name match\n' +
  '  -g,--process-group  kill process group instead of process\n' +
  '  -y,--younger-than   kill processes younger than TIME\n' +
  '  -o,--older-than     kill processes older than TIME\n' +
  '  -i,--interactive    ask for confirmation before killing\n' +
  '  -l,--list           list all known signal names\n' +
  "  -q,--quiet          don't print complaints\n" +
  '  -r,--regexp         interpret NAME as an extended regular expression\n' +
  '  -s,--signal SIGNAL  send this signal instead of SIGTERM\n' +
  '  -u,--user USER      kill only process(es) running as USER\n' +
  '  -v,--verbose        report if the signal was successfully sent\n' +
  '  -V,--version        display version information\n' +
  '  -w,--wait           wait for processes to die\n' +
  '  -n,--ns PID         match processes that belong to the same namespaces\n' +
  '                      as PID\n' +
  '  -Z,--context REGEXP kill only process(es) having context\n' +
  '                      (must precede other arguments)\n\n';

/** killall's options the lab does not model (they list, ask, select or report by PID, user or age), short and long. */
const KILLALL_UNMODELLED = new Map([
  ['g', 'process-group'],
  ['y', 'younger-than'],
  ['o', 'older-than'],
  ['i', 'interactive'],
  ['l', 'list'],
  ['r', 'regexp'],
  ['u', 'user'],
  ['v', 'verbose'],
  ['V', 'version'],
  ['n', 'ns'],
  ['Z', 'context'],
]);

/** A killall command line it rejects: what it prints (stderr) and its status. */
class KillallExit extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

/** psmisc get_signal: a number, or a signal name (upper case, SIG prefix optional). */
function killallSignal(name: string): number {
  if (/^\d/.test(name)) return parseInt(name, 10);
  const n = SIGNALS[name.startsWith('SIG') ? name.slice(3) : name];
  if (n === undefined) throw new KillallExit(`${name}: unknown signal; killall -l lists signals.\n`);
  return n;
}

/** killall's command line: the names, the signal and the flags the lab honours. */
function parseKillall(args: readonly string[]): { names: string[]; sig: number; quiet: boolean; ignoreCase: boolean } {
  const names: string[] = [];
  let sig = SIGTERM;
  let quiet = false;
  let ignoreCase = false;
  const unmodelled = (opt: string): KillallExit => new KillallExit(`killall: the lab does not model ${opt} (it has no PIDs, users or process ages to go by)\n`);
  const words = new ArgvWalker(args);
  for (const w of words) {
    if (w.kind === 'operand') {
      names.push(w.text);
      continue;
    }
    if (w.kind === 'long') {
      const long = w.name;
      if (long === 'quiet') quiet = true;
      else if (long === 'ignore-case') ignoreCase = true;
      else if (long === 'exact' || long === 'wait') continue;
      else if (long === 'signal') {
        const v = w.value ?? words.next();
        if (v === undefined) throw new KillallExit(KILLALL_USAGE);
        sig = killallSignal(v);
      } else if ([...KILLALL_UNMODELLED.values()].includes(long)) throw unmodelled(`--${long}`);
      else throw new KillallExit(KILLALL_USAGE);
      continue;
    }
    const body = w.chars;
    // An upper-case or numeric option is a signal (-TERM, -KILL, -9), except -I and -V themselves.
    if (/^[A-Z0-9]/.test(body) && body !== 'I' && body !== 'V') {
      sig = killallSignal(body);
      continue;
    }
    for (let j = 0; j < body.length; j++) {
      const c = body.charAt(j);
      if (c === 'q') quiet = true;
      else if (c === 'I') ignoreCase = true;
      else if (c === 'e' || c === 'w') continue;
      else if (c === 's') {
        const v = j + 1 < body.length ? body.slice(j + 1) : words.next();
        if (v === undefined) throw new KillallExit(KILLALL_USAGE);
        sig = killallSignal(v);
        break;
      } else if (KILLALL_UNMODELLED.has(c)) throw unmodelled(`-${c}`);
      else throw new KillallExit(KILLALL_USAGE);
    }
  }
  return { names, sig, quiet, ignoreCase };
}

/**
 * `killall [-q] [-e] [-w] [-I] [-s SIGNAL | -SIGNAL] [--] NAME…` (psmisc): each process of the
 * board named NAME gets the signal (SIGTERM by default); `NAME: no process found` for a name
 * nothing runs as (not with -q); status 0 when every name found a process, else 1.
 */
export const killall: Command = (argv, env) => {
  let parsed: ReturnType<typeof parseKillall>;
  try {
    parsed = parseKillall(argv.slice(1));
  } catch (e) {
    if (e instanceof KillallExit) return result('', e.text, 1);
    throw e;
  }
  const { names, sig, quiet, ignoreCase } = parsed;
  if (names.length === 0) return result('', KILLALL_USAGE, 1);
  const path = names.find((n) => n.includes('/'));
  if (path !== undefined) return result('', `killall: the lab does not model matching by executable path ('${path}'): name the process\n`, 1);
  const same = (a: string, b: string): boolean => (ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  const running = PROCESSES.filter((p) => p.running(env.lab, env.board) > 0);
  // Each process counts for the first name it matches (kill_all's found bits).
  const found = new Set<number>();
  const matched: LabProcess[] = [];
  for (const p of running) {
    const j = names.findIndex((n) => same(n, p.name));
    if (j < 0) continue;
    found.add(j);
    matched.push(p);
  }
  const refused = deliver('killall', env, matched, sig);
  if (refused !== null) return refused;
  const complaints = quiet ? '' : names.map((n, j) => (found.has(j) ? '' : `${n}: no process found\n`)).join('');
  return result(takeServerOutput(env.board), complaints, found.size === names.length ? 0 : 1);
};

/** procps signal_name_to_number: a name (any case, SIG prefix optional) or a number; -1 for neither. */
function pkillSignal(name: string): number {
  const bare = /^sig/i.test(name) ? name.slice(3) : name;
  const n = SIGNALS[bare.toUpperCase()];
  if (n !== undefined) return n;
  if (/^(exit|null)$/i.test(bare)) return 0;
  return /^\d+$/.test(bare) && Number(bare) <= 127 - 34 ? Number(bare) : -1;
}

const PKILL_TRY = "Try `pkill --help' for more information.\n";

/**
 * `pkill [-SIGNAL] [--signal SIGNAL] [-c] [-i] [-x] PATTERN` (procps-ng): every process of the
 * board whose name PATTERN (an extended regular expression; -x the whole name, -i any case)
 * matches gets the signal (SIGTERM by default); -c prints how many matched. Status 0 when one
 * was signalled, 1 when none matched, 2 for a bad command line.
 */
export const pkill: Command = (argv, env) => {
  const args = argv.slice(1);
  let sig = SIGTERM;
  // signal_option: the first -NAME or -NUMBER that is a signal, wherever it stands.
  const at = args.findIndex((a) => a.startsWith('-') && pkillSignal(a.slice(1)) >= 0);
  if (at >= 0) sig = pkillSignal((args.splice(at, 1)[0] as string).slice(1));
  let count = false;
  let ignoreCase = false;
  let exact = false;
  const operands: string[] = [];
  const refuse = (opt: string): CommandResult => result('', `pkill: the lab does not model ${opt}: it takes -SIGNAL, --signal SIGNAL, -c, -i and -x\n`, 2);
  const words = new ArgvWalker(args);
  for (const w of words) {
    if (w.kind === 'operand') {
      operands.push(w.text);
      continue;
    }
    if (w.kind === 'long') {
      const long = w.name;
      if (long === 'count') count = true;
      else if (long === 'ignore-case') ignoreCase = true;
      else if (long === 'exact') exact = true;
      else if (long === 'signal') {
        const v = w.value ?? words.next();
        const n = v === undefined ? -1 : pkillSignal(v);
        if (n < 0) return refuse(`--signal ${v ?? ''}`.trimEnd());
        sig = n;
      } else return refuse(`--${long}`);
      continue;
    }
    for (const c of w.chars) {
      if (c === 'c') count = true;
      else if (c === 'i') ignoreCase = true;
      else if (c === 'x') exact = true;
      else return refuse(`-${c}`);
    }
  }
  if (operands.length === 0) return result('', `pkill: no matching criteria specified\n${PKILL_TRY}`, 2);
  if (operands.length > 1) return result('', `pkill: only one pattern can be provided\n${PKILL_TRY}`, 2);
  let re: RegExp;
  try {
    const src = extendedRegExp(operands[0] as string, ignoreCase);
    re = exact ? new RegExp(`^(?:${src.source})$`, src.flags) : src;
  } catch (e) {
    return result('', `pkill: ${(e as Error).message}\n`, 2);
  }
  const matched = PROCESSES.filter((p) => p.running(env.lab, env.board) > 0 && re.test(p.name));
  const n = matched.reduce((sum, p) => sum + p.running(env.lab, env.board), 0);
  const refused = deliver('pkill', env, matched, sig);
  if (refused !== null) return refused;
  return result((count ? `${n}\n` : '') + takeServerOutput(env.board), '', n > 0 ? 0 : 1);
};
