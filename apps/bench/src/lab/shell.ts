/**
 * The lab's shell: splits a command line as a POSIX shell would for the forms the seeds and
 * the docs use (quotes, `${VAR}` / `$VAR` expansion, `sudo` prefix, `>` redirection for
 * `echo MASK > /proc/irq/N/smp_affinity`), then runs the named command on the board.
 */
import { takeServerOutput } from '../tools/net/background.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';

/** A parsed command line. */
export interface ParsedLine {
  /** Words after expansion, `sudo` removed. */
  readonly argv: string[];
  /** Target of `>` redirection, if any. */
  readonly redirect: string | null;
}

/** Split and expand a command line; throws on unbalanced quotes or unknown variables. */
export function parseLine(line: string, vars: ReadonlyMap<string, string>): ParsedLine {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  let redirect: string | null = null;
  let expectRedirect = false;
  const push = (): void => {
    if (!inWord) return;
    if (expectRedirect) {
      redirect = cur;
      expectRedirect = false;
    } else words.push(cur);
    cur = '';
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
      continue;
    }
    if (c === '$') {
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(line.slice(i));
      if (m !== null) {
        const name = (m[1] ?? m[2]) as string;
        const v = vars.get(name);
        if (v === undefined) throw new Error(`${name}: unbound variable`);
        cur += v;
        inWord = true;
        i += m[0].length - 1;
        continue;
      }
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length) cur += line[++i] as string;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i] as string;
      inWord = true;
    } else if (c === ' ' || c === '\t') push();
    else if (c === '>') {
      push();
      if (expectRedirect) throw new Error("syntax error near unexpected token `>'");
      expectRedirect = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new Error('unexpected EOF while looking for matching `' + quote + "'");
  push();
  if (expectRedirect) throw new Error("syntax error near unexpected token `newline'");
  while (words[0] === 'sudo') words.shift();
  return { argv: words, redirect };
}

/**
 * Run one command line on `env.board`; unknown commands fail as bash reports them (status
 * 127). What the board's background servers (`iperf3 -s`, `sockperf server`) printed since
 * its last command comes first, as it would have appeared on that board's terminal.
 */
export function runLine(line: string, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  const background = takeServerOutput(env.board);
  const r = runParsed(line, env, commands);
  return background === '' ? r : { ...r, stdout: background + r.stdout };
}

function runParsed(line: string, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  let parsed: ParsedLine;
  try {
    parsed = parseLine(line, env.vars);
  } catch (e) {
    return result('', `bash: ${(e as Error).message}\n`, 2);
  }
  const [name] = parsed.argv;
  if (name === undefined) return result('');
  if (parsed.redirect !== null) {
    const writer = commands.get('>');
    if (name !== 'echo' || writer === undefined) return result('', `bash: ${name}: redirection is only supported for echo\n`, 1);
    return writer([parsed.redirect, ...parsed.argv.slice(1)], env);
  }
  const cmd = commands.get(name);
  if (cmd === undefined) return result('', `bash: ${name}: command not found\n`, 127);
  return cmd(parsed.argv, env);
}
