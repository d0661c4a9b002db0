/**
 * Background jobs of a board's shell (`CMD &`): the command returns at once (status 0, as
 * bash's `&` does) while its work goes on in virtual time as the next commands run. What a job
 * prints goes to the board's terminal: the shell prints it after the command during which it
 * was written, or before the next command on that board if another board's command was
 * running. As in a non-interactive bash, a job that has ended stays in the table until `jobs`
 * has reported it (`Done`, `Exit N`, or the signal that ended it) or `wait` has collected it;
 * `wait` lets virtual time run until every job (or the named ones) has ended. The lab runs
 * iperf3 clients and `sleep` so.
 */
import { NS_PER_SEC } from '@ntbsim/kernel';
import type { Board, Lab } from '../lab/lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';
import { writesOf } from './output.js';

/**
 * A signal as a lab process takes it: its number, and whether it runs the program's handler
 * (`interrupt`: SIGINT, SIGTERM and SIGHUP, which iperf3 catches) or ends the process without
 * one (`kill`: SIGKILL and the other signals whose default action is to end it).
 */
export interface ProcessSignal {
  /** Linux's signal number. */
  readonly signo: number;
  /** What it does to the process. */
  readonly effect: 'interrupt' | 'kill';
}

/** How a job ended: its exit code, or the signal that ended it without a handler. */
export type JobStatus = { readonly kind: 'exit'; readonly code: number } | { readonly kind: 'signal'; readonly signo: number };

/** The shell's exit status of a job that ended so: its code, or 128 + the signal's number. */
export function exitCode(st: JobStatus): number {
  return st.kind === 'exit' ? st.code : 128 + st.signo;
}

/** A background job: the program it runs, its command line, whether it has ended, how it takes a signal, and how it ended. */
export interface Job {
  /** The program's name (comm): what `killall`, `pkill` and `kill` match. */
  readonly comm: string;
  /** The command line without the `&`. */
  readonly command: string;
  /** Whether its work has ended (its last output printed). */
  readonly ended: () => boolean;
  /** Deliver a signal. */
  readonly signal: (sig: ProcessSignal) => void;
  /** How it ended, null while it runs. */
  readonly status: () => JobStatus | null;
  /**
   * Meant to be watched at the wall clock's pace (ping's one request a second): a foreground
   * wait in the interactive lab runs virtual time no faster than real time for it.
   */
  readonly realtime?: boolean;
  /**
   * Print now what the program has written by this virtual time, for a job whose output is
   * gathered at intervals (iperf3's live text, looked at every 100 ms): a foreground wait calls
   * it before showing the output, so a Ctrl-C lands after every line already written.
   */
  readonly flush?: () => void;
}

/** The jobs of one board's shell and what they printed that the shell has not shown yet. */
interface ShellJobs {
  list: { readonly num: number; readonly job: Job }[];
  out: string;
  /** The job started last, even once it has ended. */
  last: Job | null;
}

const shells = new WeakMap<Board, ShellJobs>();

function shellOf(board: Board): ShellJobs {
  let s = shells.get(board);
  if (s === undefined) {
    s = { list: [], out: '', last: null };
    shells.set(board, s);
  }
  return s;
}

/** A job in a shell's table: its number and the job. */
export interface JobEntry {
  /** Its job number (`%N`). */
  readonly num: number;
  /** The job. */
  readonly job: Job;
}

/** The jobs of `board` still running, oldest first. */
export function runningJobs(board: Board): readonly JobEntry[] {
  return shellOf(board).list.filter((j) => !j.job.ended());
}

/** The table of `board`'s shell, oldest first: the running jobs and those that ended and were not reported yet. */
export function jobTable(board: Board): readonly JobEntry[] {
  return shellOf(board).list;
}

/** Register `job` on `board`'s shell; its job number (one above the highest in the table, 1 when none, as bash numbers them). */
export function addJob(board: Board, job: Job): number {
  const num = jobTable(board).reduce((m, j) => Math.max(m, j.num), 0) + 1;
  const s = shellOf(board);
  s.list.push({ num, job });
  s.last = job;
  return num;
}

/** The job started last on `board` (ended or not), or null: what a command run with `&` started. */
export function lastJob(board: Board): Job | null {
  return shellOf(board).last;
}

/**
 * Print what a job started with `env` wrote on `fd`: into what its line redirected the stream
 * to (a file, or nowhere), else onto the board's terminal, which the shell shows after the
 * command during which it was written.
 */
export function printJob(env: ShellEnv, text: string, fd: 1 | 2 = 1): void {
  if (text === '') return;
  const to = fd === 1 ? env.stdoutTo : env.stderrTo;
  if (to !== undefined) to(text);
  else shellOf(env.board).out += text;
}

/** printJob of each write of `r` (both streams, in the order written). */
export function printJobResult(env: ShellEnv, r: CommandResult): void {
  for (const w of writesOf(r)) printJob(env, w.text, w.fd);
}

/** Whether the jobs on `board` printed something the shell has not shown yet, or some still run. */
export function jobsPending(board: Board): boolean {
  return shellOf(board).out !== '' || runningJobs(board).length > 0;
}

/** Take (and clear) what the jobs on `board` printed since the last call. */
export function takeJobOutput(board: Board): string {
  const s = shellOf(board);
  const out = s.out;
  s.out = '';
  return out;
}

/** The longest `wait` lets virtual time run (ns): every job gives up on its own well before (iperf3: its -t plus 300 s). */
const WAIT_LIMIT_NS = 3600 * NS_PER_SEC;

/** Let virtual time run until every job of `board` (or each of `only`) has ended, for at most WAIT_LIMIT_NS; the jobs still running then (one that never ends on its own, such as `mpstat 1` without a count). */
export function waitJobs(lab: Lab, board: Board, only?: readonly Job[]): readonly Job[] {
  const sim = lab.sim;
  const limit = sim.now + WAIT_LIMIT_NS;
  const left = (): readonly Job[] => (only ?? runningJobs(board).map((j) => j.job)).filter((j) => !j.ended());
  while (left().length > 0 && sim.now < limit) sim.run({ until: Math.min(limit, sim.now + 10_000_000) });
  return left();
}

/** What `wait` says of jobs still running when it gives up (bash would wait for ever; the lab's time is bounded). */
function stuckMessage(stuck: readonly Job[]): string {
  return `bash: wait: gave up after ${WAIT_LIMIT_NS / NS_PER_SEC} s of virtual time: ${stuck.length} job(s) still running (${stuck.map((j) => j.command).join('; ')}): a job without an end needs a signal first (kill %N, killall -INT NAME)\n`;
}

/** Remove the ended jobs in `done` (all ended ones without it) from `board`'s table: reported, collected, or run in the foreground. */
export function reap(board: Board, done?: readonly Job[]): void {
  const s = shellOf(board);
  s.list = s.list.filter((j) => !j.job.ended() || (done !== undefined && !done.includes(j.job)));
}

/**
 * The job a jobspec names in `table` (oldest first), as bash's get_job_spec: `%N`, `%%`, `%+`
 * and `%` the current (newest) job, `%-` the one before, `%STRING` the job whose command starts
 * with STRING, `%?STRING` the one containing it; an error text for none or several.
 */
export function jobSpec(spec: string, table: readonly JobEntry[]): JobEntry | string {
  const body = spec.slice(1);
  const pick = (j: JobEntry | undefined): JobEntry | string => j ?? `${spec}: no such job`;
  if (body === '' || body === '%' || body === '+') return pick(table[table.length - 1]);
  if (body === '-') return pick(table[table.length - 2]);
  if (/^\d+$/.test(body)) return pick(table.find((j) => j.num === Number(body)));
  const hits = body.startsWith('?') ? table.filter((j) => j.job.command.includes(body.slice(1))) : table.filter((j) => j.job.command.startsWith(body));
  if (hits.length > 1) return `${spec}: ambiguous job spec`;
  return pick(hits[0]);
}

/**
 * bash's `wait [%JOB…]`: without operands, until every job of the board has ended, status 0;
 * with job specs, until each has ended, the status the last one ended with (`no such job`,
 * status 127, for a spec that names none). The jobs it waited for leave the table. The lab's
 * processes have no PIDs: a PID is not a child of this shell (status 127). Where bash would wait
 * for ever (a job that never ends without a signal), the lab gives up after an hour of virtual
 * time with a message, status 1, the job still running.
 */
export const wait: Command = (argv, env) => {
  const ops = argv.slice(1);
  if (ops[0] === '--') ops.shift();
  if (ops.length === 0) {
    const stuck = waitJobs(env.lab, env.board);
    reap(env.board);
    return stuck.length === 0 ? result('') : result('', stuckMessage(stuck), 1);
  }
  let err = '';
  let status = 0;
  for (const op of ops) {
    if (/^-./.test(op)) return result('', `bash: wait: ${op}: the lab's wait takes job specs only\nwait: usage: wait [-fn] [-p var] [id ...]\n`, 2);
    if (!op.startsWith('%')) {
      err += /^\d+$/.test(op) ? `bash: wait: pid ${op} is not a child of this shell\n` : `bash: wait: \`${op}': not a pid or valid job spec\n`;
      status = 127;
      continue;
    }
    const e = jobSpec(op, jobTable(env.board));
    if (typeof e === 'string') {
      err += `bash: wait: ${e}\n`;
      status = 127;
      continue;
    }
    const stuck = waitJobs(env.lab, env.board, [e.job]);
    if (stuck.length > 0) {
      err += stuckMessage(stuck);
      status = 1;
      continue;
    }
    reap(env.board, [e.job]);
    const st = e.job.status();
    status = st === null ? 127 : exitCode(st);
  }
  return result('', err, status);
};

/** glibc's strsignal texts of the signals that end a process, as bash's `jobs` reports them. */
const SIGNAL_TEXT: Readonly<Record<number, string>> = {
  1: 'Hangup', 2: 'Interrupt', 3: 'Quit', 4: 'Illegal instruction', 5: 'Trace/breakpoint trap', 6: 'Aborted', 7: 'Bus error', 8: 'Floating point exception',
  9: 'Killed', 10: 'User defined signal 1', 11: 'Segmentation fault', 12: 'User defined signal 2', 13: 'Broken pipe', 14: 'Alarm clock', 15: 'Terminated',
  16: 'Stack fault', 24: 'CPU time limit exceeded', 25: 'File size limit exceeded', 26: 'Virtual timer expired', 27: 'Profiling timer expired', 29: 'I/O possible',
  30: 'Power failure', 31: 'Bad system call',
};

/** A job's state as `jobs` prints it: `Running`, `Done`, `Exit N` or the signal's text. */
function jobState(job: Job): string {
  const st = job.status();
  if (st === null || !job.ended()) return 'Running';
  if (st.kind === 'signal') return SIGNAL_TEXT[st.signo] ?? `Unknown signal ${st.signo}`;
  return st.code === 0 ? 'Done' : `Exit ${st.code}`;
}

/**
 * bash's `jobs`: `[N]+  STATE                   COMMAND` per job of the table, `+` the newest,
 * `-` the one before; a running job's command ends in ` &`. The ended ones it reports leave
 * the table.
 */
export const jobs: Command = (argv, env) => {
  if (argv.length > 1) return result('', `bash: jobs: ${argv[1] ?? ''}: the lab's jobs takes no options or job specs\n`, 2);
  const list = jobTable(env.board);
  const out = list
    .map((j, i) => {
      const state = jobState(j.job);
      return `[${j.num}]${i === list.length - 1 ? '+' : i === list.length - 2 ? '-' : ' '}  ${state.padEnd(24)}${j.job.command}${state === 'Running' ? ' &' : ''}\n`;
    })
    .join('');
  reap(env.board);
  return result(out);
};
