/**
 * The text filters a pipeline feeds (`dmesg | grep Link`, `cat /proc/interrupts | grep ntb`,
 * `… | tail -n 3`, `… | wc -l`), as GNU grep, head, tail and wc behave for the options the
 * lab takes: each reads the previous command's output, or the board's files it names.
 */
import { normalizePath, readPath } from './proc.js';
import { result, type CommandResult, type ShellEnv } from '../types.js';

/** A filter: `argv`, the text piped into it (null when it runs first), the board's shell. */
export type Filter = (argv: readonly string[], input: string | null, env: ShellEnv) => CommandResult;

/** The input lines of a filter: its FILE arguments read from the board, else its piped input; or the error of a missing file. */
function inputs(tool: string, files: readonly string[], input: string | null, env: ShellEnv): { texts: { name: string; text: string }[]; err: string } {
  if (files.length === 0) return { texts: [{ name: '(standard input)', text: input ?? '' }], err: '' };
  const texts: { name: string; text: string }[] = [];
  let err = '';
  for (const f of files) {
    const r = readPath(env.board, f);
    if ('text' in r) texts.push({ name: f, text: r.text });
    else err += `${tool}: ${f}: ${r.error}\n`;
  }
  return { texts, err };
}

/** `text` split into lines, without the empty string after a final newline. */
function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (out.at(-1) === '') out.pop();
  return out;
}

/** POSIX bracket classes as the characters of a JS class (C locale). */
export const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
};

/** A grep pattern it cannot compile: GNU grep's message. */
class GrepPatternError extends Error {}

/**
 * A POSIX regular expression as GNU grep reads it (basic by default, extended with -E) turned
 * into a JS RegExp source: in a basic one `\+ \? \| \( \) \{ \}` are the operators and the bare
 * characters literal; bracket expressions with `]` first, `[:class:]` and a literal backslash;
 * GNU's `\< \> \b \B \w \W \s \S`; another backslashed letter is that letter; a leading `*`
 * is literal (basic) or ignored (extended); `{,m}` is `{0,m}`.
 */
function posixSource(p: string, extended: boolean): string {
  const OPS = '+?|(){}';
  let out = '';
  let atStart = true;
  for (let i = 0; i < p.length; i++) {
    const c = p.charAt(i);
    let piece: string;
    let start = false;
    if (c === '\\' && i + 1 < p.length) {
      const n = p.charAt(++i);
      if (OPS.includes(n)) piece = extended ? `\\${n}` : n;
      else if (n === '<') piece = '\\b(?=\\w)';
      else if (n === '>') piece = '\\b(?<=\\w)';
      else if ('wWsSbB123456789'.includes(n)) piece = `\\${n}`;
      else if (/[a-zA-Z0-9]/.test(n)) piece = n;
      else piece = `\\${n}`;
      start = !extended && n === '(';
      if (!extended && n === '{') {
        if (!p.slice(i + 1).includes('\\}')) throw new GrepPatternError('Unmatched \\{');
        if (p.charAt(i + 1) === ',') piece = '{0';
      }
    } else if (c === '[') {
      let j = i + 1;
      let body = '';
      if (p.charAt(j) === '^') {
        body = '^';
        j++;
      }
      if (p.charAt(j) === ']') {
        body += '\\]';
        j++;
      }
      for (; j < p.length && p.charAt(j) !== ']'; j++) {
        const m = /^\[:([a-z]+):\]/.exec(p.slice(j));
        if (m !== null) {
          const cls = POSIX_CLASSES[m[1] ?? ''];
          if (cls === undefined) throw new GrepPatternError('character class syntax is [[:space:]], not [:space:]');
          body += cls;
          j += m[0].length - 1;
        } else body += '\\^[]'.includes(p.charAt(j)) ? `\\${p.charAt(j)}` : p.charAt(j);
      }
      if (j >= p.length) throw new GrepPatternError('Unmatched [, [^, [:, [., or [=');
      if (/^:[a-z]+:$/.test(p.slice(i + 1, j))) throw new GrepPatternError(`character class syntax is [[${p.slice(i + 1, j)}]], not [${p.slice(i + 1, j)}]`);
      piece = `[${body}]`;
      i = j;
    } else if (c === '*' && atStart) {
      // A leading `*` is literal in a basic expression and ignored in an extended one.
      piece = extended ? '' : '\\*';
      start = extended;
    }
    else if (OPS.includes(c)) {
      piece = extended ? c : `\\${c}`;
      start = extended && c === '(';
      if (extended && c === '{' && p.charAt(i + 1) === ',') piece = '{0';
    } else {
      piece = c;
      start = c === '^';
    }
    out += piece;
    atStart = start;
  }
  return out;
}

/** A POSIX extended regular expression as regcomp(REG_EXTENDED) reads it, as a JS RegExp; throws an Error naming what does not compile. */
export function extendedRegExp(pattern: string, ignoreCase: boolean): RegExp {
  try {
    return new RegExp(posixSource(pattern, true), ignoreCase ? 'i' : '');
  } catch (e) {
    throw new Error(e instanceof GrepPatternError ? e.message : 'Invalid regular expression', { cause: e });
  }
}

const GREP_USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n";

/** grep's options without an argument (`-e PATTERN` is handled apart). */
const GREP_FLAGS = 'ivcnEFwxqlhH';

/**
 * `grep [-ivcnEFwxqlhH] [-e PATTERN]… PATTERN [FILE…]`: the lines matching PATTERN (a basic
 * regular expression; -E extended, -F fixed string; -i any case, -w whole words, -x whole
 * lines, -v the others; several -e are alternatives), -c their count, -n with line numbers,
 * -l the names of the files with a match, -q nothing; file names in front when several files
 * are read (-h never, -H always). Exit status 0 when a line was selected, 1 when none, 2 on
 * an error.
 */
export const grep: Filter = (argv, input, env) => {
  const flags = new Set<string>();
  const rest: string[] = [];
  const patterns: string[] = [];
  let opts = true;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (opts && a === '--') opts = false;
    else if (opts && a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const ch = a.charAt(k);
        if (ch === 'e') {
          const v = k + 1 < a.length ? a.slice(k + 1) : argv[++i];
          if (v === undefined) return result('', `grep: option requires an argument -- 'e'\n${GREP_USAGE}`, 2);
          patterns.push(v);
          break;
        }
        if (!GREP_FLAGS.includes(ch)) return result('', `grep: -${ch}: not supported by the lab's grep (it takes -i -v -c -n -E -F -w -x -q -l -h -H -e)\n`, 2);
        flags.add(ch);
      }
    } else rest.push(a);
  }
  if (patterns.length === 0) {
    const p = rest.shift();
    if (p === undefined) return result('', GREP_USAGE, 2);
    patterns.push(p);
  }
  if (flags.has('E') && flags.has('F')) return result('', 'grep: conflicting matchers specified\n', 2);
  const files = rest;
  let source: string;
  try {
    source = patterns
      .flatMap((p) => p.split('\n'))
      .map((p) => (flags.has('F') ? p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : posixSource(p, flags.has('E'))))
      .map((p) => `(?:${p})`)
      .join('|');
  } catch (e) {
    return result('', `grep: ${(e as Error).message}\n`, 2);
  }
  if (flags.has('x')) source = `^(?:${source})$`;
  else if (flags.has('w')) source = `(?<![\\w])(?:${source})(?![\\w])`;
  let re: RegExp;
  try {
    re = new RegExp(source, flags.has('i') ? 'i' : '');
  } catch (e) {
    const m = (e as Error).message;
    return result('', `grep: ${/\(|group/i.test(m) ? 'Unmatched ( or \\(' : /brace|\{/i.test(m) ? 'Unmatched \\{' : 'Invalid regular expression'}\n`, 2);
  }
  const { texts, err } = inputs('grep', files, input, env);
  const named = flags.has('H') || (files.length > 1 && !flags.has('h'));
  let out = '';
  let selected = 0;
  for (const { name, text } of texts) {
    const prefix = named ? `${name}:` : '';
    let count = 0;
    let shown = '';
    lines(text).forEach((l, i) => {
      if (re.test(l) === flags.has('v')) return;
      count++;
      shown += `${prefix}${flags.has('n') ? `${i + 1}:` : ''}${l}\n`;
    });
    if (flags.has('q')) shown = '';
    else if (flags.has('l')) shown = count > 0 ? `${name}\n` : '';
    else if (flags.has('c')) shown = `${prefix}${count}\n`;
    out += shown;
    selected += count;
  }
  return result(out, err, err !== '' && !(flags.has('q') && selected > 0) ? 2 : selected > 0 ? 0 : 1);
};

/**
 * The line count of `head` / `tail` (`-n N`, `-nN`, `-N`; `-n -N` for head is all but the
 * last N, `-n +N` for tail is from line N on) and the files; or the message and status of an
 * error.
 */
function countArg(tool: string, argv: readonly string[]): { n: number; sign: '' | '+' | '-'; files: string[] } | { readonly error: string } {
  let n = 10;
  let sign: '' | '+' | '-' = '';
  const files: string[] = [];
  let opts = true;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (opts && a === '--') {
      opts = false;
      continue;
    }
    const v = !opts ? null : a === '-n' ? argv[++i] : a.startsWith('-n') ? a.slice(2) : /^-\d+$/.test(a) ? a.slice(1) : null;
    if (v === null) {
      if (opts && a.startsWith('-') && a.length > 1) return { error: `${tool}: ${a}: not supported by the lab's ${tool} (it takes -n N)\n` };
      files.push(a);
    } else if (v === undefined) return { error: `${tool}: option requires an argument -- 'n'\nTry '${tool} --help' for more information.\n` };
    else {
      const m = /^([+-]?)(\d+)$/.exec(v);
      if (m === null) return { error: `${tool}: invalid number of lines: '${v}'\n` };
      sign = m[1] as '' | '+' | '-';
      n = Number(m[2]);
    }
  }
  return { n, sign, files };
}

/** `head` and `tail` (`-n N`, default 10): the first or last N lines of each input, a `==> F <==` header before each when there are several files. */
function ends(tool: 'head' | 'tail'): Filter {
  return (argv, input, env) => {
    const a = countArg(tool, argv);
    if ('error' in a) return result('', a.error, 1);
    const pick = (ls: string[]): string[] => {
      if (tool === 'head') return a.sign === '-' ? ls.slice(0, Math.max(0, ls.length - a.n)) : ls.slice(0, a.n);
      return a.sign === '+' ? ls.slice(Math.max(0, a.n - 1)) : a.n === 0 ? [] : ls.slice(-a.n);
    };
    if (a.files.length === 0) return result(pick(lines(input ?? '')).map((l) => `${l}\n`).join(''));
    const blocks: string[] = [];
    let err = '';
    for (const f of a.files) {
      const r = readPath(env.board, f);
      const header = a.files.length > 1 ? `==> ${f} <==\n` : '';
      if ('text' in r) blocks.push(header + pick(lines(r.text)).map((l) => `${l}\n`).join(''));
      else if (r.dir) {
        blocks.push(header);
        err += `${tool}: error reading '${f}': ${r.error}\n`;
      } else err += `${tool}: cannot open '${f}' for reading: ${r.error}\n`;
    }
    return result(blocks.join('\n'), err, err === '' ? 0 : 1);
  };
}

/** `head [-n N] [FILE…]`. */
export const head: Filter = ends('head');
/** `tail [-n N] [FILE…]`. */
export const tail: Filter = ends('tail');

/**
 * `wc [-lwc] [FILE…]`: newline, word and byte counts per input and, for several files, a total.
 * Column width as GNU wc sets it: the digits of the files' summed sizes (procfs and debugfs
 * files report 0, sysfs attributes a 4 KiB page), at least 7 when an input is not a regular
 * file (the pipe, a directory); one count of the pipe prints alone.
 */
export const wc: Filter = (argv, input, env) => {
  const which = new Set<string>();
  const files: string[] = [];
  for (const a of argv.slice(1)) {
    if (a.startsWith('-') && a.length > 1) {
      for (const ch of a.slice(1)) {
        if (!'lwc'.includes(ch)) return result('', `wc: -${ch}: not supported by the lab's wc (it takes -l -w -c)\n`, 1);
        which.add(ch);
      }
    } else files.push(a);
  }
  const cols = which.size === 0 ? ['l', 'w', 'c'] : ['l', 'w', 'c'].filter((k) => which.has(k));
  const count = (text: string): Record<string, number> => ({ l: (text.match(/\n/g) ?? []).length, w: text.split(/\s+/).filter((x) => x !== '').length, c: Buffer.byteLength(text) });
  const rows: { name: string; v: Record<string, number> }[] = [];
  let err = '';
  let sizes = 0;
  let irregular = files.length === 0;
  if (files.length === 0) rows.push({ name: '', v: count(input ?? '') });
  for (const f of files) {
    const r = readPath(env.board, f);
    if ('text' in r) {
      sizes += normalizePath(f).startsWith('/sys/class/') ? 4096 : 0;
      rows.push({ name: f, v: count(r.text) });
    } else {
      err += `wc: ${f}: ${r.error}\n`;
      if (r.dir) {
        irregular = true;
        rows.push({ name: f, v: { l: 0, w: 0, c: 0 } });
      }
    }
  }
  const width = files.length === 0 && cols.length === 1 ? 1 : Math.max(String(sizes).length, irregular ? 7 : 1);
  const row = (v: Record<string, number>, name: string): string => `${cols.map((k) => String(v[k] ?? 0).padStart(width)).join(' ')}${name === '' ? '' : ` ${name}`}\n`;
  let out = rows.map((r) => row(r.v, r.name)).join('');
  const sum = (k: string): number => rows.reduce((t, r) => t + (r.v[k] ?? 0), 0);
  if (files.length > 1) out += row({ l: sum('l'), w: sum('w'), c: sum('c') }, 'total');
  return result(out, err, err === '' ? 0 : 1);
};

/** The filters by name. */
export const FILTERS: ReadonlyMap<string, Filter> = new Map([
  ['grep', grep],
  ['head', head],
  ['tail', tail],
  ['wc', wc],
]);
