/**
 * Lab scripts: text files of command lines prefixed by the board (`rc$ …` / `ep$ …`), with
 * `#` comments and blank lines, and LF or CRLF line endings. The whole script is checked
 * first: a line that is neither rejects it before anything runs. A run stops at the first
 * failing line and reports its line number, unless told to keep going, when every failing line
 * is reported. Also the interactive session's line handling.
 */
import { jobsPending, wait } from '../tools/jobs.js';
import { HOME } from '../tools/tmpfs.js';
import { runLine } from './shell.js';
import type { Board, BoardName, Lab } from './lab.js';
import type { Command, CommandResult } from '../types.js';

/** One executed script line. */
export interface ScriptStep {
  /** 1-based line number in the script. */
  readonly line: number;
  /** Board it ran on. */
  readonly board: BoardName;
  /** The command text (after the prompt). */
  readonly command: string;
  /** What it printed and its status. */
  readonly result: CommandResult;
}

/** Outcome of a script run. */
export interface ScriptOutcome {
  /** The lines that ran, in order. */
  readonly steps: ScriptStep[];
  /** 0 when every line succeeded, else the status of the first failing line (2 for a malformed script). */
  readonly status: number;
  /** The message of the first failure (`script.lab:12: …`), or null. */
  readonly error: string | null;
  /** A message per failing line (every malformed line, or every failed command), in line order. */
  readonly errors: readonly string[];
}

const PROMPT = /^\s*(rc|ep)\$\s?(.*)$/;

/**
 * Split a script line into board and command; null for comments and blank lines; an Error for
 * malformed lines. A line's trailing CR (a script saved with CRLF line endings) is not part of it.
 */
export function parseScriptLine(line: string): { board: BoardName; command: string } | null | Error {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const t = text.trim();
  if (t === '' || t.startsWith('#')) return null;
  const m = PROMPT.exec(text);
  if (m === null) return new Error(`expected a line starting with 'rc$' or 'ep$', got '${t.length > 40 ? `${t.slice(0, 40)}…` : t}'`);
  return { board: m[1] as BoardName, command: (m[2] ?? '').trim() };
}

/** The shell variables every board starts with (the seed uses SERVER_IP for the RC). */
export function defaultVars(lab: Lab, board: Board): Map<string, string> {
  return new Map([
    ['SERVER_IP', lab.boards.rc.ip],
    ['CLIENT_IP', lab.boards.ep.ip],
    ['PEER_IP', board.name === 'rc' ? lab.boards.ep.ip : lab.boards.rc.ip],
    ['HOSTNAME', board.name],
    ['HOME', HOME],
    // ntb_tool.c's header comment: "Assuming $DBG_DIR is something like '/sys/kernel/debug/ntb_tool/0000:00:03.0'".
    ['DBG_DIR', `/sys/kernel/debug/ntb_tool/${board.ntb.name}`],
  ]);
}

/** A script line to run: its board, command and 1-based line number. */
export interface ScriptLine {
  /** Board it runs on. */
  readonly board: BoardName;
  /** The command text (after the prompt). */
  readonly command: string;
  /** 1-based line number. */
  readonly line: number;
}

/** Check a whole script: its command lines, and a message per malformed line (`name:N: …`). */
export function checkScript(text: string, name: string): { readonly lines: ScriptLine[]; readonly errors: string[] } {
  const lines: ScriptLine[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((t, i) => {
    const parsed = parseScriptLine(t);
    if (parsed instanceof Error) errors.push(`${name}:${i + 1}: ${parsed.message}`);
    else if (parsed !== null) lines.push({ ...parsed, line: i + 1 });
  });
  return { lines, errors };
}

/** Run a script's text against `lab` (nothing runs if a line is malformed); `onStep` sees each line's output as it completes. */
export function runScript(
  lab: Lab,
  text: string,
  options: { readonly name?: string; readonly keepGoing?: boolean; readonly commands: ReadonlyMap<string, Command>; readonly onStep?: (step: ScriptStep) => void },
): ScriptOutcome {
  const name = options.name ?? 'script';
  const checked = checkScript(text, name);
  if (checked.errors.length > 0) return { steps: [], status: 2, error: checked.errors[0] ?? null, errors: checked.errors };
  const vars = { rc: defaultVars(lab, lab.boards.rc), ep: defaultVars(lab, lab.boards.ep) };
  const steps: ScriptStep[] = [];
  const errors: string[] = [];
  let status = 0;
  for (const l of checked.lines) {
    const board = lab.boards[l.board];
    const res = runLine(l.command, { lab, board, vars: vars[l.board] }, options.commands);
    const step: ScriptStep = { line: l.line, board: l.board, command: l.command, result: res };
    steps.push(step);
    options.onStep?.(step);
    if (res.status !== 0) {
      const first = res.stderr.split('\n').find((x) => x.trim() !== '') ?? `exit status ${res.status}`;
      errors.push(`${name}:${l.line}: '${l.command}' failed with status ${res.status}: ${first}`);
      if (status === 0) status = res.status;
      if (options.keepGoing !== true) break;
    }
  }
  // Jobs still running (or output of theirs not shown yet) at the end: the script waits for
  // them on their board, as if it ended with `wait` there, so their output is printed.
  const last = checked.lines[checked.lines.length - 1]?.line ?? 0;
  const withWait = options.commands.has('wait') ? options.commands : new Map([...options.commands, ['wait', wait]]);
  for (const b of ['rc', 'ep'] as const) {
    if (!jobsPending(lab.boards[b])) continue;
    const step: ScriptStep = { line: last + 1, board: b, command: 'wait', result: runLine('wait', { lab, board: lab.boards[b], vars: vars[b] }, withWait) };
    steps.push(step);
    options.onStep?.(step);
  }
  return { steps, status, error: errors[0] ?? null, errors };
}
