/**
 * Contracts of the lab's userland: a command gets its argv and the shell environment of the
 * board it runs on, advances virtual time as the real tool would take time, and returns what
 * it printed and its exit status.
 */
import type { Board, Lab } from './lab/lab.js';

/** What a command printed and its exit status. */
export interface CommandResult {
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
  /** Exit status (0 = success). */
  readonly status: number;
}

/** The environment a command runs in. */
export interface ShellEnv {
  /** The lab. */
  readonly lab: Lab;
  /** The board the command runs on. */
  readonly board: Board;
  /** Shell variables (`SERVER_IP`, …). */
  readonly vars: Map<string, string>;
  /** Its standard output goes into a pipe, not the terminal (isatty false: `ls` lists one name per line). */
  readonly piped?: boolean;
  /** The line ended with `&`: the command runs as a background job (only the commands the shell allows so). */
  readonly background?: boolean;
  /** The command line as typed, without its `&` (what `jobs` shows). */
  readonly commandLine?: string;
  /** Where a job's standard output goes when its line redirected it (`> FILE`): the file's writer; the board's terminal without. */
  readonly stdoutTo?: (text: string) => void;
  /** Where a job's standard error goes when its line redirected it (`2>/dev/null`, or `> FILE 2>&1`); the board's terminal without. */
  readonly stderrTo?: (text: string) => void;
  /** The line started with `sudo`: the command runs as root (the lab's user is not root otherwise). */
  readonly sudo?: boolean;
  /** The CPU affinity the command inherits (bit i = CPU i; `taskset`): its tasks run on those CPUs. All of the board's when absent. */
  readonly cpus?: number;
}

/** The options of the tasks a command starts: the CPU affinity it inherited (`taskset`), none (all CPUs) otherwise. */
export function commandTaskOptions(env: ShellEnv): { cpus?: number } {
  return env.cpus === undefined ? {} : { cpus: env.cpus };
}

/** Whether the command given `env` runs as root (its line started with `sudo`). */
export function runsAsRoot(env: ShellEnv): boolean {
  return env.sudo === true;
}

/** A userland command of the lab (argv[0] is its name). */
export type Command = (argv: readonly string[], env: ShellEnv) => CommandResult;

/** Build a result. */
export function result(stdout: string, stderr = '', status = stderr === '' ? 0 : 1): CommandResult {
  return { stdout, stderr, status };
}
