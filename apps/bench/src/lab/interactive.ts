/**
 * The interactive lab (`ntb-bench lab` without a script): a readline prompt per board (`rc$`,
 * `ep$`), history, and Tab completion of command names and board paths. Lines run one after
 * another, as a shell reads them.
 *
 * A command the lab can run as a job (`iperf3`, `sleep`) runs in the foreground as bash runs a
 * program: the shell waits for it while the terminal stays live — virtual time advances in
 * slices between turns of Node's event loop, what the program prints shows as it comes (an
 * iperf3 client's intervals as the test reaches them), and Ctrl-C sends it SIGINT, which the
 * terminal echoes as `^C` (iperf3 runs its handler and reports the test so far; sleep ends).
 * Lines typed meanwhile run after it. Ctrl-C at the prompt discards the line, as bash does.
 */
import { createInterface } from 'node:readline';
import { FILTERS } from '../tools/text.js';
import { writeResult } from '../tools/output.js';
import { exitCode, lastJob, reap, takeJobOutput, type Job } from '../tools/jobs.js';
import { serverTestsRunning } from '../tools/iperf3/index.js';
import type { Command, ShellEnv } from '../types.js';
import type { Board, BoardName, Lab } from './lab.js';
import { defaultVars, parseScriptLine } from './script.js';
import { completePath, runLine, runsAsForegroundJob, setLastStatus } from './shell.js';

/** Virtual time a foreground job runs per turn of the event loop (ns): short enough for Ctrl-C and output to keep up. */
const SLICE_NS = 20_000_000;

/** How often (wall ms) a realtime foreground job's virtual time catches up with the wall clock. */
const REALTIME_TICK_MS = 10;

/** How long (virtual, ns) the shell lets an iperf3 server take a foreground client's last message before the next prompt, as a foreground `iperf3 -c` in a script does. */
const SERVER_LINGER_NS = 1_000_000_000;

/**
 * Let virtual time run for a foreground job, a slice per turn of Node's event loop (so a
 * signal and the terminal keep up) — no faster than the wall clock for a realtime job (ping) —
 * writing what it prints on `fg.board` as it comes; once it
 * has ended, a moment more for an iperf3 server to take its client's last message, as a
 * foreground `iperf3 -c` in a script has. Resolves when the job has ended.
 */
export function waitForeground(lab: Lab, fg: { readonly job: Job; readonly board: Board; readonly write: (text: string) => void }): Promise<void> {
  return new Promise((resolve) => {
    const wall0 = performance.now();
    const virt0 = lab.sim.now;
    const realtime = fg.job.realtime === true;
    const slice = (): void => {
      if (!fg.job.ended()) {
        // A realtime job (ping) runs no faster than the wall clock; others as fast as the model goes.
        const until = realtime ? Math.min(lab.sim.now + SLICE_NS, virt0 + Math.floor((performance.now() - wall0) * 1e6)) : lab.sim.now + SLICE_NS;
        if (until > lab.sim.now) lab.sim.run({ until });
      }
      if (fg.job.ended()) {
        const until = lab.sim.now + SERVER_LINGER_NS;
        while (serverTestsRunning(lab) && lab.sim.now < until) lab.sim.run({ until: Math.min(until, lab.sim.now + 1_000_000) });
      }
      fg.job.flush?.();
      fg.write(takeJobOutput(fg.board));
      if (fg.job.ended()) resolve();
      else if (realtime) setTimeout(slice, REALTIME_TICK_MS);
      else setImmediate(slice);
    };
    setImmediate(slice);
  });
}

/** Where the interactive lab reads and writes, and what it does when it ends. */
export interface InteractiveOptions {
  /** The lab's commands by name. */
  readonly commands: ReadonlyMap<string, Command>;
  /** The terminal's input (keys or lines). */
  readonly input: NodeJS.ReadableStream;
  /** The terminal: prompts, standard output, and what jobs print. */
  readonly output: NodeJS.WritableStream;
  /** Standard error. */
  readonly errors: NodeJS.WritableStream;
  /** Called once when the session ends (`exit`, or the end of the input), after the last command. */
  readonly onClose: () => void;
}

/** Run the interactive lab on `lab` until `exit` or the end of the input. */
export function interactive(lab: Lab, opts: InteractiveOptions): void {
  const { commands, output: out } = opts;
  let board: BoardName = 'ep';
  const vars = { rc: defaultVars(lab, lab.boards.rc), ep: defaultVars(lab, lab.boards.ep) };
  const names = [...commands.keys(), ...FILTERS.keys(), 'echo', 'sudo', 'taskset'].filter((k) => k !== '>').sort();
  const rl = createInterface({
    input: opts.input,
    output: out,
    historySize: 1000,
    completer: (line: string): [string[], string] => {
      const words = line.trimStart().split(/\s+/);
      const prefixed = words[0] === 'rc$' || words[0] === 'ep$';
      const on = prefixed ? (words[0]?.slice(0, 2) as BoardName) : board;
      // The words of the pipeline's last command: its first is a command name, the rest paths.
      const cmdWords = line.slice(line.lastIndexOf('|') + 1).trimStart().split(/\s+/);
      if (prefixed && !line.includes('|')) cmdWords.shift();
      while (cmdWords[0] === 'sudo' && cmdWords.length > 1) cmdWords.shift();
      const word = cmdWords.at(-1) ?? '';
      if (cmdWords.length > 1) return [completePath(lab.boards[on], word), word];
      const hits = [...names, ...(line.includes('|') ? [] : ['rc$', 'ep$', 'exit'])].filter((n) => n.startsWith(word));
      return [hits, word];
    },
  });
  const queue: string[] = [];
  /** The foreground job the shell waits for, or null at the prompt. */
  let foreground: Job | null = null;
  /** The terminal's cursor is right after an echoed `^C` that nothing has followed yet. */
  let caret = false;
  /** `exit` was read or the input ended: no further line is read. */
  let closing = false;
  let ended = false;

  const prompt = (): void => {
    if (closing) return;
    rl.setPrompt(`${board}$ `);
    rl.prompt();
  };

  const end = (): void => {
    if (ended) return;
    ended = true;
    opts.onClose();
    out.write('\n');
  };

  /** Run one command line on the current board; true when it started a foreground job (the queue waits for it). */
  const runOne = (cmd: string): boolean => {
    const env: ShellEnv = { lab, board: lab.boards[board], vars: vars[board] };
    if (!runsAsForegroundJob(cmd, env)) {
      writeResult(runLine(cmd, env, commands), out, opts.errors);
      return false;
    }
    const before = lastJob(env.board);
    writeResult(runLine(`${cmd} &`, env, commands), out, opts.errors);
    const job = lastJob(env.board);
    if (job === null || job === before) return false;
    foreground = job;
    caret = false;
    const write = (text: string): void => {
      if (text !== '') caret = false;
      out.write(text);
    };
    void waitForeground(lab, { job, board: env.board, write }).then(() => {
      // A foreground command is no job: it leaves no entry for `jobs` to report; its status is `$?`.
      reap(env.board, [job]);
      const st = job.status();
      if (st !== null) setLastStatus(env, exitCode(st));
      // A program the signal ended without a word (sleep): bash starts a new line after its ^C.
      if (caret) out.write('\n');
      caret = false;
      foreground = null;
      pump();
    });
    return true;
  };

  /** Run the queued lines in order until one starts a foreground job; prompt (or end) when none is left. */
  const pump = (): void => {
    while (foreground === null) {
      const text = queue.shift();
      if (text === undefined) {
        if (closing) end();
        else prompt();
        return;
      }
      const t = text.trim();
      if (t === 'exit' || t === 'quit') {
        queue.length = 0;
        closing = true;
        rl.close();
        end();
        return;
      }
      let cmd = t;
      const parsed = parseScriptLine(text);
      if (parsed !== null && !(parsed instanceof Error)) {
        board = parsed.board;
        cmd = parsed.command;
      } else if (t === 'rc' || t === 'ep') {
        board = t;
        cmd = '';
      }
      if (cmd !== '' && runOne(cmd)) return;
    }
  };

  rl.on('line', (text) => {
    // Lines piped in after `exit` are still emitted by readline: a shell reads no further.
    if (closing) return;
    queue.push(text);
    if (foreground === null) pump();
  });
  rl.on('SIGINT', () => {
    if (foreground !== null) {
      // The terminal echoes ^C and the program takes SIGINT; what it prints follows on the same line.
      out.write('^C');
      caret = true;
      foreground.signal({ signo: 2, effect: 'interrupt' });
      return;
    }
    // bash at its prompt: the line is discarded and a new prompt drawn.
    out.write('^C\n');
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    prompt();
  });
  rl.on('close', () => {
    closing = true;
    if (foreground === null && queue.length === 0) end();
  });
  out.write(`ntbsim lab: rc (10.0.0.1) and ep (10.0.0.2) joined by NTB; 'rc$ CMD' or 'ep$ CMD', 'rc'/'ep' to switch, 'exit' to leave.\n`);
  prompt();
}
