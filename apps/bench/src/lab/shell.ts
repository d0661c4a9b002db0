/**
 * The lab's shell: splits a command line as a POSIX shell would for the forms the seeds and
 * the docs use (quotes, `${VAR}` / `$VAR` expansion, `sudo [-E]` prefix, `>` redirection for
 * `echo MASK > /proc/irq/N/smp_affinity`), expands unquoted `*`, `?` and `[…]` against the
 * board's files as bash's pathname expansion does (sorted; a pattern that matches nothing stays
 * as it is), then runs the named command on the board; `echo` without redirection is bash's
 * builtin. A pipeline (`dmesg | grep Link | wc -l`) feeds each command's output to the text
 * filters after it (tools/text.ts).
 */
import { takeJobOutput } from '../tools/jobs.js';
import { takeServerOutput } from '../tools/net/background.js';
import { combinedOutput, interleaved, prependStdout, writesOf, type StreamWrite } from '../tools/output.js';
import { byteOrder, isKernelFile, lookup, openUserFile } from '../tools/proc.js';
import { tasksetCommand, tasksetCommandLine } from '../tools/taskset.js';
import { FILTERS, POSIX_CLASSES } from '../tools/text.js';
import { HOME } from '../tools/tmpfs.js';
import type { Board } from './lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';

/** A parsed command line. */
export interface ParsedLine {
  /** Words after expansion, `sudo` removed. */
  readonly argv: string[];
  /**
   * Per word of `argv`, its pathname pattern (quoted characters backslash-escaped) when it has
   * an unquoted `*`, `?` or `[`, else null.
   */
  readonly patterns: (string | null)[];
  /** Target of `>` (or `>>`) redirection, if any. */
  readonly redirect: string | null;
  /** The redirection was `>>`: the file is appended to, not emptied. */
  readonly append: boolean;
  /** The target's pathname pattern when it has unquoted glob characters (bash expands it to the one file it names), else null. */
  readonly redirectPattern: string | null;
  /** Where standard error goes: the terminal, nowhere (`2>/dev/null`) or into standard output (`2>&1`). */
  readonly stderr: 'terminal' | 'null' | 'stdout';
  /** `2>&1` came after `> FILE`, so standard error goes into FILE too (bash applies redirections left to right). */
  readonly stderrIntoRedirect: boolean;
  /** The command runs under `sudo` (as root). */
  readonly sudo: boolean;
  /** The line ended with `&`: a background job. */
  readonly background: boolean;
}

const GLOB_CHARS = '*?[';

/** One character of a word being read: whether it was quoted, and whether it can take part in brace expansion (typed unquoted, not from a variable). */
interface WordChar {
  readonly c: string;
  readonly quoted: boolean;
  readonly brace: boolean;
}

/** The text of `chars` and its pathname pattern (quoted glob characters backslash-escaped), null when no unquoted glob character is in it. */
function wordOf(chars: readonly WordChar[]): { text: string; pattern: string | null } {
  let text = '';
  let pat = '';
  let glob = false;
  for (const { c, quoted } of chars) {
    text += c;
    if (!quoted && GLOB_CHARS.includes(c)) glob = true;
    pat += quoted && (GLOB_CHARS.includes(c) || c === ']' || c === '\\') ? `\\${c}` : c;
  }
  return { text, pattern: glob ? pat : null };
}

/** Whether `w` is an unquoted, typed `ch` (a brace-expansion metacharacter). */
const isBrace = (w: WordChar | undefined, ch: string): boolean => w !== undefined && w.brace && w.c === ch;

/**
 * bash's brace expansion of one word: the first unquoted `{…}` with a top-level unquoted comma
 * (`{a,b}`; nested ones inside its parts) becomes one word per part, prefix and suffix kept,
 * left to right (`x{a,b}y{1,2}` is `xay1 xay2 xby1 xby2`); a brace without a comma (`{a}`, `{}`)
 * stays as it is. Sequence expressions (`{1..3}`) are not expanded.
 */
export function expandBraces(chars: readonly WordChar[]): WordChar[][] {
  for (let i = 0; i < chars.length; i++) {
    if (!isBrace(chars[i], '{')) continue;
    let depth = 0;
    const commas: number[] = [];
    let close = -1;
    for (let j = i + 1; j < chars.length; j++) {
      if (isBrace(chars[j], '{')) depth++;
      else if (isBrace(chars[j], '}')) {
        if (depth === 0) {
          close = j;
          break;
        }
        depth--;
      } else if (depth === 0 && isBrace(chars[j], ',')) commas.push(j);
    }
    if (close < 0 || commas.length === 0) continue;
    const bounds = [i, ...commas, close];
    const prefix = chars.slice(0, i);
    const suffix = chars.slice(close + 1);
    return bounds.slice(1).flatMap((end, k) => expandBraces([...prefix, ...chars.slice((bounds[k] as number) + 1, end), ...suffix]));
  }
  return [[...chars]];
}

/** Split and expand a command line; throws on unbalanced quotes or unknown variables. */
export function parseLine(line: string, vars: ReadonlyMap<string, string>): ParsedLine {
  const words: string[] = [];
  const patterns: (string | null)[] = [];
  let chars: WordChar[] = [];
  /** The word has a quoted or escaped part (a quoted `2` before `>` is a word, not a file descriptor). */
  let quotedPart = false;
  let inWord = false;
  let quote: '"' | "'" | null = null;
  let redirect: string | null = null;
  let redirectPattern: string | null = null;
  let expectRedirect = false;
  let append = false;
  let stderr: ParsedLine['stderr'] = 'terminal';
  let stderrIntoRedirect = false;
  let expectStderr = false;
  let background = false;
  /** Add `text` to the word: quoted (literal in the pattern) or not (its glob characters active); `brace` when typed unquoted. */
  const add = (text: string, quoted: boolean, brace = !quoted): void => {
    if (quoted) quotedPart = true;
    for (const c of text) chars.push({ c, quoted, brace });
  };
  const push = (): void => {
    if (!inWord) return;
    const { text, pattern } = wordOf(chars);
    if (expectStderr) {
      if (text !== '/dev/null') throw new Error(`${text}: the lab's shell sends standard error only to /dev/null or, with 2>&1, to standard output`);
      stderr = 'null';
      expectStderr = false;
    } else if (expectRedirect) {
      redirect = text;
      redirectPattern = pattern;
      expectRedirect = false;
    } else {
      for (const expanded of expandBraces(chars)) {
        // An unquoted part that expanded to nothing is no word (`{,a}` is `a`).
        if (expanded.length === 0 && chars.length > 0 && !quotedPart) continue;
        const w = wordOf(expanded);
        words.push(w.text);
        patterns.push(w.pattern);
      }
    }
    chars = [];
    quotedPart = false;
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else add(c, true);
      continue;
    }
    if (c === '$') {
      // A name, or `?` (the last command's exit status, 0 before any).
      const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*|\?)\}|([A-Za-z_][A-Za-z0-9_]*|\?))/.exec(line.slice(i));
      if (m !== null) {
        const name = (m[1] ?? m[2]) as string;
        const v = name === '?' ? (vars.get('?') ?? '0') : vars.get(name);
        if (v === undefined) throw new Error(`${name}: unbound variable`);
        // Brace expansion comes before parameter expansion: a value's braces are literal.
        add(v, quote !== null, false);
        inWord = true;
        i += m[0].length - 1;
        continue;
      }
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length) add(line[++i] as string, true);
      else add(c, true);
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      add(line[++i] as string, true);
      inWord = true;
    } else if (c === ' ' || c === '\t') push();
    else if (c === ';') throw new Error("the lab's shell runs one command or pipeline per line (no `;` lists)");
    else if (c === '&') {
      if (line.charAt(i + 1) === '&') throw new Error("the lab's shell runs no `&&` lists");
      // A trailing `&`: the command is a background job; anything after it would be a list.
      if (line.slice(i + 1).trim() !== '') throw new Error("the lab's shell runs one command per line: nothing may follow a background `&`");
      background = true;
      break;
    }
    else if (c === '<') throw new Error("input redirection (`<`) is not supported by the lab's shell");
    else if (c === '>' && inWord && wordOf(chars).text === '2' && !quotedPart) {
      chars = [];
      inWord = false;
      if (line.startsWith('&1', i + 1)) {
        stderr = 'stdout';
        stderrIntoRedirect = redirect !== null;
        i += 2;
      } else expectStderr = true;
    } else if (c === '>') {
      push();
      if (expectRedirect || expectStderr) throw new Error("syntax error near unexpected token `>'");
      // `>>` appends; the kernel's files (smp_affinity, xps_cpus) take it as a write.
      if (line.charAt(i + 1) === '>') {
        i++;
        append = true;
      } else append = false;
      expectRedirect = true;
    } else if (c === '~' && !inWord && (i + 1 === line.length || ' \t/|>'.includes(line.charAt(i + 1)))) {
      // Tilde expansion of an unquoted `~` or `~/…` starting a word: $HOME.
      add(vars.get('HOME') ?? HOME, true);
      inWord = true;
    } else {
      add(c, false);
      inWord = true;
    }
  }
  if (quote !== null) throw new Error('unexpected EOF while looking for matching `' + quote + "'");
  push();
  if (expectRedirect || expectStderr) throw new Error("syntax error near unexpected token `newline'");
  const sudo = words[0] === 'sudo';
  const argv = stripSudo(words);
  // sudo without a command (`sudo`, `sudo -E`): parse_args' usage(), exit status 1.
  if (sudo && argv.length === 0) throw new SudoError('');
  if (background && argv.length === 0) throw new Error("syntax error near unexpected token `&'");
  return { argv, patterns: patterns.slice(patterns.length - argv.length), redirect, append, redirectPattern, stderr, stderrIntoRedirect, sudo, background };
}

/** One pathname component's pattern as a RegExp (fnmatch without flags): `*`, `?`, `[…]` / `[!…]` / `[^…]` active, a backslash-escaped character literal. */
export function componentRegExp(comp: string): RegExp {
  let re = '';
  for (let i = 0; i < comp.length; i++) {
    const c = comp.charAt(i);
    if (c === '\\' && i + 1 < comp.length) re += escapeRegExp(comp.charAt(++i));
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      const negate = comp[j] === '!' || comp[j] === '^';
      if (negate) j++;
      let body = '';
      // A `]` first is literal; `[:class:]` is a POSIX class; a backslash quotes the next character.
      for (let first = true; j < comp.length && (first || comp[j] !== ']'); j++, first = false) {
        const cls = /^\[:([a-z]+):\]/.exec(comp.slice(j));
        if (cls !== null && POSIX_CLASSES[cls[1] ?? ''] !== undefined) {
          body += POSIX_CLASSES[cls[1] ?? ''] ?? '';
          j += cls[0].length - 1;
          continue;
        }
        const ch = comp[j] === '\\' && j + 1 < comp.length ? (comp[++j] as string) : (comp[j] as string);
        body += '\\]^['.includes(ch) ? `\\${ch}` : ch;
      }
      if (j >= comp.length) {
        re += '\\[';
        continue;
      }
      re += `[${negate ? '^' : ''}${body}]`;
      i = j;
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * bash's pathname expansion of `pattern` over `board`'s files: each component with glob
 * characters is matched against the entries of the directories reached so far (a leading `.`
 * only by a pattern starting with `.`), the others are appended; the paths that exist, in byte
 * order, or an empty list when none matches.
 */
export function expandPathname(board: Board, pattern: string): string[] {
  const abs = pattern.startsWith('/');
  // A trailing `/` keeps only directories, each printed with its slash.
  const dirsOnly = pattern.endsWith('/');
  let paths = [''];
  for (const comp of pattern.split('/').filter((c) => c !== '')) {
    const next: string[] = [];
    const literal = ![...GLOB_CHARS].some((g) => comp.replace(/\\./g, '').includes(g));
    const re = literal ? null : componentRegExp(comp);
    for (const base of paths) {
      const prefix = base === '' ? (abs ? '/' : '') : `${base}/`;
      if (re === null) {
        next.push(prefix + comp.replace(/\\(.)/g, '$1'));
        continue;
      }
      const node = lookup(board, prefix === '' ? '.' : prefix);
      if (node?.kind !== 'dir') continue;
      for (const e of node.entries) if (re.test(e) && (!e.startsWith('.') || comp.startsWith('.'))) next.push(prefix + e);
    }
    paths = next;
  }
  const found = paths.filter((p) => p !== '' && lookup(board, p) !== null);
  return (dirsOnly ? found.filter((p) => lookup(board, p)?.kind === 'dir').map((p) => `${p}/`) : found).sort(byteOrder);
}

/** `argv` with each globbing word replaced by the paths it matches (kept as it is when none). */
function expandWords(board: Board, argv: readonly string[], patterns: readonly (string | null)[]): string[] {
  return argv.flatMap((word, i) => {
    const pattern = i === 0 ? null : patterns[i];
    if (pattern === null || pattern === undefined) return [word];
    const hits = expandPathname(board, pattern);
    return hits.length > 0 ? hits : [word];
  });
}

/** sudo's options that change nothing in the lab (it runs every command as root): flags, and options with an argument. */
const SUDO_FLAGS = new Set('ABEHNPSkn'.split(''));
const SUDO_WITH_ARG = new Set('gpu'.split(''));
const SUDO_LONG = new Set(['--preserve-env', '--set-home', '--non-interactive', '--askpass', '--bell', '--reset-timestamp', '--preserve-groups', '--stdin']);
const SUDO_LONG_WITH_ARG = new Set(['--user', '--group', '--prompt']);
/** sudo's options the lab does not model (another shell, editing, listing, background, …). */
const SUDO_UNMODELLED = new Set([...'bCDehiKlRrsTtUVv'.split('').map((c) => `-${c}`), '--background', '--close-from', '--chdir', '--edit', '--help', '--login', '--remove-timestamp', '--list', '--chroot', '--role', '--shell', '--type', '--command-timeout', '--other-user', '--version', '--validate']);

/** Drop leading `sudo [OPTION…]` prefixes; throws SudoError for an option sudo or the lab does not take. */
function stripSudo(words: string[]): string[] {
  while (words[0] === 'sudo') {
    words.shift();
    while (words[0]?.startsWith('-') === true) {
      const opt = words.shift() as string;
      if (opt === '--') break;
      if (opt.startsWith('--')) {
        const name = opt.split('=')[0] ?? '';
        if (SUDO_LONG_WITH_ARG.has(name) && !opt.includes('=') && words.shift() === undefined) throw new SudoError(`sudo: option '${name}' requires an argument`);
        else if (SUDO_UNMODELLED.has(name)) throw new SudoError(`sudo: the lab does not model ${name} (it runs each command as root, in the foreground)`, false);
        else if (!SUDO_LONG.has(name) && !SUDO_LONG_WITH_ARG.has(name)) throw new SudoError(`sudo: unrecognized option '${opt}'`);
        continue;
      }
      for (let i = 1; i < opt.length; i++) {
        const c = opt.charAt(i);
        if (SUDO_FLAGS.has(c)) continue;
        if (SUDO_UNMODELLED.has(`-${c}`)) throw new SudoError(`sudo: the lab does not model -${c} (it runs each command as root, in the foreground)`, false);
        if (!SUDO_WITH_ARG.has(c)) throw new SudoError(`sudo: invalid option -- '${c}'`);
        if (i === opt.length - 1 && words.shift() === undefined) throw new SudoError(`sudo: option requires an argument -- '${c}'`);
        break;
      }
    }
  }
  return words;
}

/** A sudo option the lab does not take, or no command: the message (if any), then (for sudo's own errors) its usage; exit status 1. */
export class SudoError extends Error {
  constructor(
    message: string,
    /** Whether sudo's usage follows the message. */
    readonly usage = true,
  ) {
    super(message);
  }
}

/** What sudo prints for `e` and its exit status 1. */
function sudoErrorResult(e: SudoError): CommandResult {
  return result('', `${e.message === '' ? '' : `${e.message}\n`}${e.usage ? SUDO_USAGE : ''}`, 1);
}

/** sudo 1.9's usage forms (sudo_usage.h, built without SELinux). */
const SUDO_FORMS = [
  ' -h | -K | -k | -V',
  ' -v [-ABkNnS] [-g group] [-h host] [-p prompt] [-u user]',
  ' -l [-ABkNnS] [-g group] [-h host] [-p prompt] [-U user] [-u user] [command [arg ...]]',
  ' [-ABbEHkNnPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i | -s] [command [arg ...]]',
  ' -e [-ABkNnS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] file ...',
];

/** sudo_lbuf_println: split `line` at the last space that fits `cols`, continuing `indent` spaces in. */
function lbufWrap(line: string, cols: number, indent: number): string {
  let out = '';
  let rest = line;
  let have = cols;
  for (let first = true; rest !== ''; first = false) {
    let cut = rest.length;
    if (rest.length > have) {
      const back = rest.lastIndexOf(' ', have - 1);
      cut = back >= 0 ? back : rest.indexOf(' ', have);
      if (cut < 0) cut = rest.length;
    }
    out += `${first ? '' : ' '.repeat(indent)}${rest.slice(0, cut)}\n`;
    rest = rest.slice(cut).replace(/^[ \t]+/, '');
    have = cols - indent;
  }
  return out;
}

/** What sudo prints after a bad option: its usage forms wrapped for an 80-column terminal. */
const SUDO_USAGE = SUDO_FORMS.map((f) => lbufWrap(`usage: sudo${f}`, 80, 'sudo'.length + 8)).join('');

const ECHO_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** bash's `echo -e` escapes in `text`; `stop` when `\c` ends the output there. */
function echoEscapes(text: string): { out: string; stop: boolean } {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const n = text.charAt(i + 1);
    if (c !== '\\' || i + 1 >= text.length) out += c;
    else if (n === 'c') return { out, stop: true };
    else if (ECHO_ESCAPES[n] !== undefined) {
      out += ECHO_ESCAPES[n];
      i++;
    } else if (n === '0' || n === 'x') {
      const m = (n === '0' ? /^[0-7]{0,3}/ : /^[0-9a-fA-F]{0,2}/).exec(text.slice(i + 2))?.[0] ?? '';
      if (n === 'x' && m === '') out += c + n;
      else out += String.fromCharCode(parseInt(m === '' ? '0' : m, n === '0' ? 8 : 16));
      i += 1 + m.length;
    } else out += c;
  }
  return { out, stop: false };
}

/** bash's builtin `echo [-neE] [ARG…]`: the arguments joined by spaces, then a newline unless -n. */
export const echo: Command = (argv) => {
  const args = argv.slice(1);
  let newline = true;
  let escapes = false;
  while (args[0] !== undefined && /^-[neE]+$/.test(args[0])) {
    for (const f of (args.shift() as string).slice(1)) {
      if (f === 'n') newline = false;
      else escapes = f === 'e';
    }
  }
  const text = args.join(' ');
  if (!escapes) return result(newline ? `${text}\n` : text);
  const { out, stop } = echoEscapes(text);
  return result(newline && !stop ? `${out}\n` : out);
};

/**
 * Run one command line on `env.board`; unknown commands fail as bash reports them (status
 * 127). What the board's background servers (`iperf3 -s`, `sockperf server`) and jobs
 * (`CMD &`) printed since its last command comes first, as it would have appeared on that
 * board's terminal; what they print while the command runs follows the command's output.
 */
export function runLine(line: string, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  const background = takeServerOutput(env.board) + takeJobOutput(env.board);
  const r = prependStdout(background, runCommand(stripComment(line), env, commands));
  const during = takeServerOutput(env.board) + takeJobOutput(env.board);
  setLastStatus(env, r.status);
  return during === '' ? r : interleaved([...writesOf(r), { fd: 1, text: during }], r.status);
}

/** Record the last command's exit status, what `$?` expands to on that board's shell. */
export function setLastStatus(env: ShellEnv, status: number): void {
  env.vars.set('?', String(status));
}

/**
 * `line` without its comment: as bash reads it, an unquoted, unescaped `#` that starts a word
 * (at the line's start or after a blank) begins a comment that runs to the end of the line.
 */
export function stripComment(line: string): string {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === '\\') i++;
    else if (quote === '"') {
      if (c === '"') quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || line.charAt(i - 1) === ' ' || line.charAt(i - 1) === '\t')) return line.slice(0, i).trimEnd();
  }
  return line;
}

/** Split `line` at its unquoted `|`: the commands of a pipeline; throws on an empty one or a `||` list. */
export function splitPipeline(line: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (c === '\\' && quote !== "'" && i + 1 < line.length) {
      cur += c + line.charAt(++i);
      continue;
    }
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '|') {
      if (line.charAt(i + 1) === '|') throw new Error("the lab's shell runs no `||` lists");
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  if (parts.length > 1 && parts.some((p) => p.trim() === '')) throw new Error("syntax error near unexpected token `|'");
  return parts;
}

/**
 * A pipeline (`dmesg | grep Link | wc -l`): each command's output is the next one's input, which
 * the text filters (grep, head, tail, wc; `cat` without files) read and the lab's commands do
 * not. Commands writing into the pipe see `piped`. Every command's stderr is shown, the earlier
 * commands' before what the last one writes (each runs to its end before the next reads); the
 * exit status is the last command's.
 */
function runPipeline(segments: readonly string[], env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  const piped = { ...env, piped: true };
  let input: string | null = null;
  const writes: StreamWrite[] = [];
  let last: CommandResult = result('');
  segments.forEach((seg, i) => {
    last = runSegment(seg, input, i === segments.length - 1 ? env : piped, commands);
    input = last.stdout;
    if (i < segments.length - 1) writes.push({ fd: 2, text: last.stderr });
  });
  return writes.length === 0 ? last : interleaved([...writes, ...writesOf(last)], last.status);
}

function runCommand(line: string, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  let segments: string[];
  try {
    segments = splitPipeline(line);
  } catch (e) {
    return result('', `bash: ${(e as Error).message}\n`, 2);
  }
  // A pipeline cannot be a job: refuse it before any of its commands runs.
  const lastSegment = (segments[segments.length - 1] ?? '').trimEnd();
  if (segments.length > 1 && lastSegment.endsWith('&') && !lastSegment.endsWith('\\&')) return result('', NO_BACKGROUND_PIPELINE, 2);
  return runPipeline(segments, env, commands);
}

const NO_BACKGROUND_PIPELINE = "bash: the lab's shell runs no pipeline in the background (`&`)\n";

/** `r` with its standard error sent where `mode` says (the terminal, /dev/null, or into its standard output in the order written). */
function routeStderr(r: CommandResult, mode: ParsedLine['stderr']): CommandResult {
  if (mode === 'terminal' || r.stderr === '') return r;
  return result(mode === 'stdout' ? combinedOutput(r) : r.stdout, '', r.status);
}

/** One command of a pipeline, `input` the output of the one before (null for the first). */
function runSegment(line: string, input: string | null, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  let parsed: ParsedLine;
  try {
    parsed = parseLine(line, env.vars);
  } catch (e) {
    if (e instanceof SudoError) return sudoErrorResult(e);
    return result('', `bash: ${(e as Error).message}\n`, 2);
  }
  if (parsed.background) {
    if (input !== null || env.piped === true) return result('', NO_BACKGROUND_PIPELINE, 2);
    if (!BACKGROUND_COMMANDS.has(jobCommandName(parsed.argv))) {
      const names = [...BACKGROUND_COMMANDS];
      return result('', `bash: the lab runs only ${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''} in the background (\`&\`)\n`, 2);
    }
    // A job's `2>/dev/null` holds for all it writes, not only for what it writes at its start.
    const job: ShellEnv = { ...env, background: true, commandLine: line.slice(0, line.lastIndexOf('&')).trim(), ...(parsed.stderr === 'null' ? { stderrTo: () => undefined } : {}) };
    return routeStderr(runArgv(parsed, input, job, commands), parsed.stderr);
  }
  return routeStderr(runArgv(parsed, input, env, commands), parsed.stderr);
}

/** The commands the lab runs as background jobs (`CMD &`; tools/jobs.ts). */
const BACKGROUND_COMMANDS = new Set(['iperf3', 'sleep', 'tcpdump', 'ping', 'mpstat']);

/** The command a line's words run as a job: the first word, or the command `taskset` (and a `sudo` after it) runs. */
function jobCommandName(argv: readonly string[]): string {
  if (argv[0] !== 'taskset') return argv[0] ?? '';
  const inner = tasksetCommandLine(argv);
  if (inner === null) return 'taskset';
  try {
    return stripSudo([...inner])[0] ?? 'sudo';
  } catch {
    return 'sudo';
  }
}

/**
 * Whether an interactive shell runs `line` as a foreground job — started as `LINE &` and
 * waited for with the terminal live (output as it comes, Ctrl-C delivered to it): a single
 * command the lab can run as a job, not already in the background, its output not redirected.
 */
export function runsAsForegroundJob(line: string, env: ShellEnv): boolean {
  try {
    const text = stripComment(line);
    if (splitPipeline(text).length !== 1) return false;
    const p = parseLine(text, env.vars);
    return !p.background && p.redirect === null && p.stderr === 'terminal' && BACKGROUND_COMMANDS.has(jobCommandName(p.argv));
  } catch {
    return false;
  }
}

/** What each of the lab's commands does, for the `help` builtin (one line each, as bash's `help` lists its builtins). */
const HELP_LINES: readonly (readonly [string, string])[] = [
  ['cat [FILE...]', 'print files: /proc, /sys, debugfs, and yours in ~ and /tmp (or the pipe)'],
  ['cd [DIR|-]', "change the board shell's working directory (bash; ~ is /home/user)"],
  ['dmesg', "the board's kernel log"],
  ['echo [-neE] [ARG...] [> FILE]', "bash's builtin; > also writes the kernel's files: /proc/irq (smp_affinity[_list], default_smp_affinity), /proc/sys, /sys/module/*/parameters, /sys/class/net (mtu, rps_cpus, xps_cpus), ntb_perf, ntb_pingpong and ntb_tool debugfs"],
  ['ethtool -l|-L|-S|-i|--monitor DEV', "ntb0's channels, statistics, driver"],
  ['fault link|qp-link|reset|reload|show|...', 'inject a fault on the board (fault --help)'],
  ['grep [-ivcnEFwxqlhH] [-e PAT] PAT [FILE...]', 'select lines (GNU grep)'],
  ['head [-n N] [-c N] [FILE...]', 'the first lines (or bytes)'],
  ['help [NAME]', 'this list'],
  ['ip [-s [-s]] [-d] [-br] link|addr|route|neigh ...', 'show and set ntb0 and its ARP table (iproute2)'],
  ['iperf3 -s|-c HOST [options] [&]', 'TCP and UDP throughput (iperf3 3.12); & runs a client as a job'],
  ['jobs', "the board shell's jobs: running, and ended ones not yet reported (bash)"],
  ['kill [-SIG] %JOB...', "signal the board shell's background jobs (bash)"],
  ['killall [-s SIG] NAME... / pkill [-SIG] PAT', "signal the board's iperf3 servers and its jobs (iperf3, ping, tcpdump, mpstat, sleep) by name"],
  ['ls [-1Cd] [PATH...]', 'list directories: /proc, /sys, debugfs, ~ and /tmp'],
  ['mkdir [-pv] DIR...', 'make directories in ~ or /tmp (coreutils)'],
  ['mpstat [-A] [-u] [-I SUM|CPU|SCPU|ALL] [-P LIST|ALL] [-o JSON] [INTERVAL [COUNT]] [&]', 'per-CPU %usr %sys %irq %soft %idle and interrupt rates (sysstat); & runs it as a job, until kill -INT without a count'],
  ['modprobe MODULE [param=value...]', 'load ntb_transport, ntb_netdev, ntb_perf, ntb_tool, ntb_pingpong'],
  ['nstat [-azrnsjp] [PATTERN...]', 'SNMP counters changed since the last nstat (iproute2)'],
  ['ping [-aAbDfHnOqUv] [-c N] [-i S] [-I DEV|ADDR] [-l N] [-M do|want|dont] [-p HEX] [-Q TOS] [-s N] [-S N] [-t TTL] [-w S] [-W S] HOST [&]', 'ICMP echo (iputils); & runs it as a job, until kill -INT without -c or -w'],
  ['pwd', "the board shell's working directory (bash)"],
  ['rm [-fdrRv] FILE...', 'remove files and directories in ~ or /tmp (coreutils)'],
  ['rmmod MODULE...', 'unload ntb_netdev, ntb_transport, ntb_perf, ntb_tool, ntb_pingpong'],
  ['sleep NUMBER[smhd]... [&]', 'let virtual time pass'],
  ['sockperf server|ping-pong|throughput [options]', 'UDP latency and message rate'],
  ['ss [-tuaHlnioO4] [state STATE] [FILTER]', "the board's TCP and UDP sockets (iproute2)"],
  ['sudo [-E] COMMAND', 'run COMMAND as root'],
  ['sysctl [-n] [-q] [-w] NAME[=VALUE]... | -a', 'network and ARP sysctls (procps), the files of /proc/sys/net'],
  ['tail [-n [+]N] [FILE...]', 'the last lines'],
  ['taskset [-c] MASK|CPU-LIST COMMAND [ARG...]', 'run COMMAND on those CPUs only: the tasks it starts inherit the affinity (util-linux)'],
  ['tc [-s] [-j [-p]] qdisc|class [show|add|change|replace|del] ...', "the boards' qdiscs, mq's classes and fq_codel's flows with their counters, and (sudo) grafting fq_codel, pfifo_fast or mq at ntb0's root or an mq class (iproute2)"],
  ['tcpdump [-enqSt] [-c N] [-i DEV] [-Q DIR] [-s N] [-D] [EXPR] [&]', 'capture on ntb0 or lo as root (tcpdump 4.99); & runs it as a job'],
  ['tee [-a] [FILE...]', 'the pipe to standard output and files; as root (sudo tee) also the kernel files echo > writes'],
  ['top [-b] [-n N]', 'per-CPU utilisation and tasks since the last top'],
  ['uname [-asnrvmpio]', "the board's kernel name, release, machine (coreutils)"],
  ['nproc [--all] [--ignore=N]', "the board's CPUs (coreutils)"],
  ['wait [%JOB...]', "until the board's background jobs (or those named) have ended; the last one's status (bash)"],
  ['wc [-lwc] [FILE...]', 'line, word and byte counts'],
];

/**
 * The `help` builtin: the lab's commands, one line each (bash's `help` lists its builtins so);
 * `help NAME…` only the lines of those commands, or bash's message for a name it has no help on.
 */
function helpBuiltin(argv: readonly string[]): CommandResult {
  const line = ([usage, what]: readonly [string, string]): string => ` ${usage.padEnd(44)} ${what}\n`;
  const names = argv.slice(1);
  if (names.length === 0) return result(`The lab's commands (NAME --help for a tool's own usage):\n\n${HELP_LINES.map(line).join('')}`);
  const found = HELP_LINES.filter(([usage]) => names.some((n) => usage === n || usage.startsWith(`${n} `)));
  const missing = names.filter((n) => !HELP_LINES.some(([usage]) => usage === n || usage.startsWith(`${n} `)));
  if (found.length === 0) return result('', `bash: help: no help topics match \`${missing[0] ?? ''}'.  Try \`help help' or \`man -k ${missing[0] ?? ''}' or \`info ${missing[0] ?? ''}'.\n`, 1);
  return result(found.map(line).join(''));
}

function runArgv(parsed: ParsedLine, input: string | null, shellEnv: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  const root: ShellEnv = { ...shellEnv, sudo: true };
  const env = parsed.sudo ? root : shellEnv;
  const argv = expandWords(env.board, parsed.argv, parsed.patterns);
  const [name] = argv;
  if (name === undefined) return result('');
  if (parsed.redirect !== null) {
    const hits = parsed.redirectPattern === null ? [] : expandPathname(env.board, parsed.redirectPattern);
    if (hits.length > 1) return result('', `bash: ${parsed.redirect}: ambiguous redirect\n`, 1);
    return runRedirected({ target: hits[0] ?? parsed.redirect, parsed, argv, input }, env, commands);
  }
  return runExpanded(argv, input, env, commands);
}

/**
 * `CMD > FILE` (or `>> FILE`): bash opens FILE as the user before CMD runs — a kernel file
 * (/proc, /sys, debugfs) is written by `echo` through its handler; any other FILE is created,
 * emptied (or appended to) in the board's tmpfs, where the user may (its home, /tmp), else the
 * open fails and CMD does not run. CMD's standard output (and its standard error after a
 * following `2>&1`) goes into the file, a job's as it writes; its standard output is no
 * terminal (as into a pipe).
 */
function runRedirected(line: { readonly target: string; readonly parsed: ParsedLine; readonly argv: readonly string[]; readonly input: string | null }, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  const { target, parsed, argv, input } = line;
  const name = argv[0] ?? '';
  const fail = (why: string): CommandResult => result('', `bash: ${target}: ${why}\n`, 1);
  if (isKernelFile(env.board, target)) {
    const writer = commands.get('>');
    if (name === 'echo' && writer !== undefined) return writer([target, ...argv.slice(1)], env);
    return result('', `bash: ${name}: the lab writes /proc, /sys and debugfs files with echo only\n`, 1);
  }
  const file = openUserFile(env.board, target, parsed.append);
  if (typeof file === 'string') return fail(file);
  const intoFile = parsed.stderrIntoRedirect;
  const to: ShellEnv = { ...env, piped: true, stdoutTo: file.write, ...(intoFile ? { stderrTo: file.write } : {}) };
  const r = runExpanded(argv, input, to, commands);
  file.write(intoFile ? combinedOutput(r) : r.stdout);
  return result('', intoFile ? '' : r.stderr, r.status);
}

/** Run `argv` (its words expanded) as a filter, a builtin or one of the lab's commands. */
function runExpanded(argv: readonly string[], input: string | null, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult {
  const [name] = argv;
  if (name === undefined) return result('');
  const filter = FILTERS.get(name);
  if (filter !== undefined) return filter(argv, input, env);
  if (name === 'cat' && argv.length === 1) return result(input ?? '');
  if (name === 'help') return helpBuiltin(argv);
  if (name === 'taskset') return tasksetCommand((inner, e) => execProgram(inner, input, e, commands))(argv, env);
  const cmd = commands.get(name) ?? (name === 'echo' ? echo : undefined);
  if (cmd === undefined) return result('', `bash: ${name}: command not found\n`, 127);
  return cmd(argv, env);
}

/** Bash builtins with no program of their name on the boards' PATH: execvp cannot run them. */
const SHELL_ONLY_BUILTINS = new Set(['cd', 'help', 'jobs', 'wait']);

/**
 * execvp of `argv` from a program the lab runs (taskset): a `sudo` prefix is sudo's program, any
 * other name one of the lab's programs; null for a name with no program (ENOENT), such as a
 * shell builtin.
 */
function execProgram(argv: readonly string[], input: string | null, env: ShellEnv, commands: ReadonlyMap<string, Command>): CommandResult | null {
  let words = [...argv];
  let runEnv = env;
  if (words[0] === 'sudo') {
    try {
      words = stripSudo(words);
    } catch (e) {
      if (e instanceof SudoError) return sudoErrorResult(e);
      throw e;
    }
    if (words.length === 0) return result('', SUDO_USAGE, 1);
    runEnv = { ...env, sudo: true };
  }
  const name = words[0] ?? '';
  const known = FILTERS.has(name) || name === 'echo' || name === 'cat' || name === 'taskset' || commands.has(name);
  if (!known || SHELL_ONLY_BUILTINS.has(name)) return null;
  return runExpanded(words, input, runEnv, commands);
}

/**
 * Tab completion of a path word on `board`, as bash completes file names: the entries of the
 * word's directory that start with its last component, directories with a trailing `/`.
 */
export function completePath(board: Board, word: string): string[] {
  const slash = word.lastIndexOf('/');
  const dirPart = word.slice(0, slash + 1);
  const base = word.slice(slash + 1);
  const node = lookup(board, dirPart === '' ? '.' : dirPart);
  if (node?.kind !== 'dir') return [];
  return node.entries
    .filter((e) => e.startsWith(base))
    .sort(byteOrder)
    .map((e) => `${dirPart}${e}${lookup(board, `${dirPart}${e}`)?.kind === 'dir' ? '/' : ''}`);
}
