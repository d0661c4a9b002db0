/**
 * `killall` (psmisc 23) and `pkill` (procps-ng 4): signal a board's processes by name. The
 * processes the lab runs past their command are its servers and the shell's background jobs.
 * iperf3 (`iperf3 -s`, and `iperf3 -c … &`): SIGINT, SIGTERM (the default) and SIGHUP run its
 * handler, which reports the test so far, tells the peer (CLIENT_TERMINATE / SERVER_TERMINATE)
 * and exits with `iperf3: interrupt - the client|server has terminated`; SIGKILL and the other
 * signals whose default action ends a process end it silently (its sockets close; the peer
 * sees the control connection go); signal 0, SIGCHLD, SIGCONT, SIGURG and SIGWINCH leave it
 * running. A `sleep … &` job ends on any of the ending signals; a `tcpdump … &` one runs its
 * cleanup handler on SIGINT, SIGTERM and SIGHUP (its counts) and ends silently on the others;
 * `ping` and `mpstat` print their statistics or Average on SIGINT.
 * `sockperf server` the lab cannot signal, and says so rather than pretend. What the signalled processes print shows
 * right after the command, as on the board's terminal. killall matches whole names
 * (`NAME: no process found` and status 1 for a name nothing runs as); pkill matches an extended
 * regular expression (status 1, silently, when nothing matches). Neither has PIDs to show, so
 * the options that print or select by PID are refused.
 */
import type { Board, Lab } from '../lab/lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';
import { ArgvWalker } from './argv.js';
import { jobSpec, runningJobs, type Job, type ProcessSignal } from './jobs.js';
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
  readonly signal: ((lab: Lab, board: Board, sig: ProcessSignal) => void) | null;
}

/** The board's background jobs running `name` (`iperf3 -c … &`, `sleep … &`) as a kind of process. */
function jobProcess(name: string): LabProcess {
  const mine = (board: Board): readonly { readonly job: Job }[] => runningJobs(board).filter((j) => j.job.comm === name);
  return {
    name,
    running: (_lab, board) => mine(board).length,
    signal: (_lab, board, sig) => {
      for (const j of mine(board)) j.job.signal(sig);
    },
  };
}

const IPERF3_SERVERS: LabProcess = { name: 'iperf3', running: serversOn, signal: (lab, board, sig) => stopServers(lab, board, sig.effect) };
const SOCKPERF_SERVERS: LabProcess = { name: 'sockperf', running: sockperfServersOn, signal: null };

/** The kinds of process running on `board`: its iperf3 servers, its jobs by program name (iperf3, sleep, tcpdump, ping, mpstat…), its sockperf servers. */
function processesOn(lab: Lab, board: Board): LabProcess[] {
  const comms = new Set(runningJobs(board).map((j) => j.job.comm));
  return [IPERF3_SERVERS, ...[...comms].map(jobProcess), SOCKPERF_SERVERS].filter((p) => p.running(lab, board) > 0);
}

/**
 * How long (virtual) the command lets the processes it signalled run their handlers before it
 * returns: they take the signal at their next step, microseconds to milliseconds later, and
 * what they print then shows with the command, as it would on the board's terminal.
 */
const HANDLER_GRACE_NS = 1e9;

/** Let virtual time run while `running()` holds (signalled processes have not exited yet), for HANDLER_GRACE_NS at most. */
function settle(lab: Lab, running: () => boolean): void {
  const until = lab.sim.now + HANDLER_GRACE_NS;
  while (running() && lab.sim.now < until) lab.sim.run({ until: Math.min(until, lab.sim.now + 100_000) });
}

/**
 * Signal the `matched` processes of `env.board` with `sig`; a refusal (status 1) when the lab
 * cannot follow that signal or cannot signal one of them, else null once delivered.
 */
function deliver(tool: string, env: ShellEnv, matched: readonly LabProcess[], sig: number): CommandResult | null {
  const effect = effectOf(sig);
  const unable = matched.find((p) => p.signal === null);
  if (unable !== undefined) return result('', `${tool}: the lab cannot signal ${unable.name} (its servers keep running)\n`, 1);
  if (effect === null && matched.length > 0) return result('', `${tool}: the lab does not model signal ${sig} (it would stop the process or fail), only signals that end it or that it ignores\n`, 1);
  if (effect === 'none' || effect === null) return null;
  for (const p of matched) p.signal?.(env.lab, env.board, { signo: sig, effect });
  settle(env.lab, () => matched.some((p) => p.running(env.lab, env.board) > 0));
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
  const running = processesOn(env.lab, env.board);
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
  const matched = processesOn(env.lab, env.board).filter((p) => re.test(p.name));
  const n = matched.reduce((sum, p) => sum + p.running(env.lab, env.board), 0);
  const refused = deliver('pkill', env, matched, sig);
  if (refused !== null) return refused;
  return result((count ? `${n}\n` : '') + takeServerOutput(env.board), '', n > 0 ? 0 : 1);
};

const KILL_USAGE = 'kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n';

/** bash's decode_signal: a name (any case, SIG prefix optional) or a number 0–64; -1 for neither. */
function bashSignal(spec: string): number {
  if (/^\d+$/.test(spec)) return Number(spec) <= 64 ? Number(spec) : -1;
  const bare = /^sig/i.test(spec) ? spec.slice(3) : spec;
  return SIGNALS[bare.toUpperCase()] ?? -1;
}

/**
 * bash's `kill [-s SIGSPEC | -n SIGNUM | -SIGSPEC] JOBSPEC…`: signal the board shell's
 * background jobs (SIGTERM by default) as killall does, the signalled ones given time to run
 * their handlers before the prompt returns. The lab's processes have no PIDs, so a PID names
 * no process (`(PID) - No such process`); `-l` is not modelled. Status 0 when every operand
 * was signalled, 1 when one was not, 2 for a usage error.
 */
export const kill: Command = (argv, env) => {
  const args = argv.slice(1);
  let sig = SIGTERM;
  let i = 0;
  const bad = (text: string, status = 1): CommandResult => result('', `bash: kill: ${text}\n`, status);
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a === '-l' || a === '-L') return bad(`${a}: the lab does not model listing signals: name one as -SIG, -s SIG or -n NUM`, 2);
    if (a === '-s' || a === '-n') {
      const v = args[++i];
      if (v === undefined) return bad(`${a}: option requires an argument\n${KILL_USAGE.trimEnd()}`, 2);
      sig = bashSignal(v);
      if (sig < 0) return bad(`${v}: invalid signal specification`);
      continue;
    }
    sig = bashSignal(a.slice(1));
    if (sig < 0) return bad(`${a.slice(1)}: invalid signal specification`);
  }
  const operands = args.slice(i);
  if (operands.length === 0) return result('', KILL_USAGE, 2);
  const effect = effectOf(sig);
  const list = runningJobs(env.board);
  let err = '';
  const targets: Job[] = [];
  for (const op of operands) {
    if (op.startsWith('%')) {
      const j = jobSpec(op, list);
      if (typeof j === 'string') err += `bash: kill: ${j}\n`;
      else targets.push(j.job);
    } else if (/^-?\d+$/.test(op)) err += `bash: kill: (${op}) - No such process\n`;
    else err += `bash: kill: ${op}: arguments must be process or job IDs\n`;
  }
  if (effect === null && targets.length > 0) return bad(`the lab does not model signal ${sig} (it would stop the process or fail), only signals that end it or that it ignores`);
  if (effect !== null && effect !== 'none') {
    for (const job of targets) job.signal({ signo: sig, effect });
    settle(env.lab, () => targets.some((job) => !job.ended()));
  }
  return result('', err, err === '' ? 0 : 1);
};
