/**
 * Background jobs of a board's shell (`CMD &`): the command returns at once (status 0, as
 * bash's `&` does) while its work goes on in virtual time as the next commands run. What a job
 * prints goes to the board's terminal: the shell prints it after the command during which it
 * was written, or before the next command on that board if another board's command was
 * running. `wait` lets virtual time run until every job of the board has ended and `jobs`
 * lists the running ones as bash does. The lab runs iperf3 clients and `sleep` so.
 */
import { NS_PER_SEC } from '@ntbsim/kernel';
import { LabError, type Board, type Lab } from '../lab/lab.js';
import { result, type Command } from '../types.js';

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

/** A background job: the program it runs, its command line, whether it has ended, how it takes a signal, and its exit status. */
export interface Job {
  /** The program's name (comm): what `killall`, `pkill` and `kill` match. */
  readonly comm: string;
  /** The command line without the `&`. */
  readonly command: string;
  /** Whether its work has ended (its last output printed). */
  readonly ended: () => boolean;
  /** Deliver a signal. */
  readonly signal: (sig: ProcessSignal) => void;
  /** Its exit status once it has ended (128 + the signal's number when one ended it without a handler), null while it runs. */
  readonly status: () => number | null;
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

/** The jobs of `board` still running, oldest first (ended ones leave the table, as bash reaps them). */
export function runningJobs(board: Board): readonly { readonly num: number; readonly job: Job }[] {
  const s = shellOf(board);
  s.list = s.list.filter((j) => !j.job.ended());
  return s.list;
}

/** Register `job` on `board`'s shell; its job number (one above the highest running, 1 when none, as bash numbers them). */
export function addJob(board: Board, job: Job): number {
  const running = runningJobs(board);
  const num = running.reduce((m, j) => Math.max(m, j.num), 0) + 1;
  const s = shellOf(board);
  s.list.push({ num, job });
  s.last = job;
  return num;
}

/** The job started last on `board` (ended or not), or null: what a command run with `&` started. */
export function lastJob(board: Board): Job | null {
  return shellOf(board).last;
}

/** Append what a job on `board` printed. */
export function printJob(board: Board, text: string): void {
  if (text !== '') shellOf(board).out += text;
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

/** Let virtual time run until every job of `board` has ended. */
export function waitJobs(lab: Lab, board: Board): void {
  const sim = lab.sim;
  const limit = sim.now + WAIT_LIMIT_NS;
  while (runningJobs(board).length > 0 && sim.now < limit) sim.run({ until: Math.min(limit, sim.now + 10_000_000) });
  const left = runningJobs(board);
  if (left.length > 0) throw new LabError('ETIMEDOUT', `${board.name}: wait: ${left.length} job(s) still running after ${WAIT_LIMIT_NS / NS_PER_SEC} s: ${left.map((j) => j.job.command).join('; ')}`);
}

/** bash's `wait` without operands: until every job of the board has ended; status 0. */
export const wait: Command = (argv, env) => {
  if (argv.length > 1) return result('', `bash: wait: ${argv[1] ?? ''}: the lab's wait takes no job or PID operands (it waits for every job)\n`, 2);
  waitJobs(env.lab, env.board);
  return result('');
};

/** bash's `jobs`: `[N]+  Running                 COMMAND &` per running job, `+` the newest, `-` the one before. */
export const jobs: Command = (argv, env) => {
  if (argv.length > 1) return result('', `bash: jobs: ${argv[1] ?? ''}: the lab's jobs takes no options or job specs\n`, 2);
  const list = runningJobs(env.board);
  const out = list.map((j, i) => `[${j.num}]${i === list.length - 1 ? '+' : i === list.length - 2 ? '-' : ' '}  ${'Running'.padEnd(24)}${j.job.command} &\n`).join('');
  return result(out);
};
