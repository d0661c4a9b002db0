/**
 * Lab scripts: text files of command lines prefixed by the board (`rc$ …` / `ep$ …`), with
 * `#` comments and blank lines. A script stops at the first failing line and reports its line
 * number, unless told to continue. Also the interactive session's line handling.
 */
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
  /** 0 when every line succeeded, else the status of the first failing line (or 2 for a syntax error). */
  readonly status: number;
  /** A message for the first failure (`script.lab:12: …`), or null. */
  readonly error: string | null;
}

const PROMPT = /^\s*(rc|ep)\$\s?(.*)$/;

/** Split a script line into board and command; null for comments and blank lines; an Error for malformed lines. */
export function parseScriptLine(text: string): { board: BoardName; command: string } | null | Error {
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
  ]);
}

/** Run a script's text against `lab`; `onStep` sees each line's output as it completes. */
export function runScript(
  lab: Lab,
  text: string,
  options: { readonly name?: string; readonly keepGoing?: boolean; readonly commands: ReadonlyMap<string, Command>; readonly onStep?: (step: ScriptStep) => void },
): ScriptOutcome {
  const name = options.name ?? 'script';
  const vars = { rc: defaultVars(lab, lab.boards.rc), ep: defaultVars(lab, lab.boards.ep) };
  const steps: ScriptStep[] = [];
  let status = 0;
  let error: string | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const parsed = parseScriptLine(lines[i] ?? '');
    if (parsed === null) continue;
    if (parsed instanceof Error) {
      error ??= `${name}:${i + 1}: ${parsed.message}`;
      if (status === 0) status = 2;
      if (options.keepGoing !== true) break;
      continue;
    }
    const board = lab.boards[parsed.board];
    const res = runLine(parsed.command, { lab, board, vars: vars[parsed.board] }, options.commands);
    const step: ScriptStep = { line: i + 1, board: parsed.board, command: parsed.command, result: res };
    steps.push(step);
    options.onStep?.(step);
    if (res.status !== 0) {
      if (error === null) {
        const first = res.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit status ${res.status}`;
        error = `${name}:${i + 1}: '${parsed.command}' failed with status ${res.status}: ${first}`;
        status = res.status;
      }
      if (options.keepGoing !== true) break;
    }
  }
  return { steps, status, error };
}
