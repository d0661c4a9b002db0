/**
 * The text filters a pipeline feeds (`dmesg | grep Link`, `cat /proc/interrupts | grep ntb`,
 * `… | tail -n 3`, `… | wc -l`, `… | tee FILE`), as GNU grep, head, tail and wc behave for the
 * options the lab takes: each reads the previous command's output, or the board's files it
 * names; tee (files.ts) writes its input to files as it passes it on.
 */
import { readPath } from './proc.js';
import { absPath, inTmpfs } from './tmpfs.js';
import { tee } from './files.js';
import { result, type CommandResult, type ShellEnv } from '../types.js';
import { coreutilsHelpTail } from './coreutils.js';

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

/** GNU grep 3.x's `grep --help` (on stdout, status 0). */
const GREP_HELP = `Usage: grep [OPTION]... PATTERNS [FILE]...
Search for PATTERNS in each FILE.
Example: grep -i 'hello world' menu.h main.c
PATTERNS can contain multiple patterns separated by newlines.

Pattern selection and interpretation:
  -E, --extended-regexp     PATTERNS are extended regular expressions
  -F, --fixed-strings       PATTERNS are strings
  -G, --basic-regexp        PATTERNS are basic regular expressions
  -P, --perl-regexp         PATTERNS are Perl regular expressions
  -e, --regexp=PATTERNS     use PATTERNS for matching
  -f, --file=FILE           take PATTERNS from FILE
  -i, --ignore-case         ignore case distinctions in patterns and data
      --no-ignore-case      do not ignore case distinctions (default)
  -w, --word-regexp         match only whole words
  -x, --line-regexp         match only whole lines
  -z, --null-data           a data line ends in 0 byte, not newline

Miscellaneous:
  -s, --no-messages         suppress error messages
  -v, --invert-match        select non-matching lines
  -V, --version             display version information and exit
      --help                display this help text and exit

Output control:
  -m, --max-count=NUM       stop after NUM selected lines
  -b, --byte-offset         print the byte offset with output lines
  -n, --line-number         print line number with output lines
      --line-buffered       flush output on every line
  -H, --with-filename       print file name with output lines
  -h, --no-filename         suppress the file name prefix on output
      --label=LABEL         use LABEL as the standard input file name prefix
  -o, --only-matching       show only nonempty parts of lines that match
  -q, --quiet, --silent     suppress all normal output
      --binary-files=TYPE   assume that binary files are TYPE;
                            TYPE is 'binary', 'text', or 'without-match'
  -a, --text                equivalent to --binary-files=text
  -I                        equivalent to --binary-files=without-match
  -d, --directories=ACTION  how to handle directories;
                            ACTION is 'read', 'recurse', or 'skip'
  -D, --devices=ACTION      how to handle devices, FIFOs and sockets;
                            ACTION is 'read' or 'skip'
  -r, --recursive           like --directories=recurse
  -R, --dereference-recursive  likewise, but follow all symlinks
      --include=GLOB        search only files that match GLOB (a file pattern)
      --exclude=GLOB        skip files that match GLOB
      --exclude-from=FILE   skip files that match any file pattern from FILE
      --exclude-dir=GLOB    skip directories that match GLOB
  -L, --files-without-match  print only names of FILEs with no selected lines
  -l, --files-with-matches  print only names of FILEs with selected lines
  -c, --count               print only a count of selected lines per FILE
  -T, --initial-tab         make tabs line up (if needed)
  -Z, --null                print 0 byte after FILE name

Context control:
  -B, --before-context=NUM  print NUM lines of leading context
  -A, --after-context=NUM   print NUM lines of trailing context
  -C, --context=NUM         print NUM lines of output context
  -NUM                      same as --context=NUM
      --group-separator=SEP  print SEP on line between matches with context
      --no-group-separator  do not print separator for matches with context
      --color[=WHEN],
      --colour[=WHEN]       use markers to highlight the matching strings;
                            WHEN is 'always', 'never', or 'auto'
  -U, --binary              do not strip CR characters at EOL (MSDOS/Windows)

When FILE is '-', read standard input.  With no FILE, read '.' if
recursive, '-' otherwise.  With fewer than two FILEs, assume -h.
Exit status is 0 if any line is selected, 1 otherwise;
if any error occurs and -q is not given, the exit status is 2.

Report bugs to: bug-grep@gnu.org
GNU grep home page: <https://www.gnu.org/software/grep/>
General help using GNU software: <https://www.gnu.org/gethelp/>
`;

/** GNU coreutils 8.32's `wc --help` (on stdout, status 0). */
const WC_HELP = `Usage: wc [OPTION]... [FILE]...
  or:  wc [OPTION]... --files0-from=F
Print newline, word, and byte counts for each FILE, and a total line if
more than one FILE is specified.  A word is a non-zero-length sequence of
characters delimited by white space.

With no FILE, or when FILE is -, read standard input.

The options below may be used to select which counts are printed, always in
the following order: newline, word, character, byte, maximum line length.
  -c, --bytes            print the byte counts
  -m, --chars            print the character counts
  -l, --lines            print the newline counts
      --files0-from=F    read input from the files specified by
                           NUL-terminated names in file F;
                           If F is - then read names from standard input
  -L, --max-line-length  print the maximum display width
  -w, --words            print the word counts
      --help     display this help and exit
      --version  output version information and exit

` + coreutilsHelpTail('wc');

/** Whether `argv` asks for `--help` before a `--` (getopt_long: the usage, whatever else is there). */
function wantsHelp(argv: readonly string[]): boolean {
  const args = argv.slice(1);
  const dd = args.indexOf('--');
  return (dd < 0 ? args : args.slice(0, dd)).includes('--help');
}

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
  if (wantsHelp(argv)) return result(GREP_HELP);
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
function countArg(tool: string, argv: readonly string[]): { n: number; sign: '' | '+' | '-'; files: string[]; bytes: number | null } | { readonly error: string } {
  let n = 10;
  let sign: '' | '+' | '-' = '';
  let bytes: number | null = null;
  const files: string[] = [];
  let opts = true;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (opts && a === '--') {
      opts = false;
      continue;
    }
    // head -c N (-cN): the first N bytes (GNU head; N a plain byte count here).
    const c = !opts || tool !== 'head' ? null : a === '-c' ? (argv[++i] ?? '') : a.startsWith('-c') ? a.slice(2) : null;
    if (c !== null) {
      if (!/^\d+$/.test(c)) return { error: c === '' ? `head: option requires an argument -- 'c'\nTry 'head --help' for more information.\n` : `head: invalid number of bytes: '${c}'\n` };
      bytes = Number(c);
      continue;
    }
    const v = !opts ? null : a === '-n' ? argv[++i] : a.startsWith('-n') ? a.slice(2) : /^-\d+$/.test(a) ? a.slice(1) : null;
    if (v === null) {
      if (opts && a.startsWith('-') && a.length > 1) return { error: `${tool}: ${a}: not supported by the lab's ${tool} (it takes -n N${tool === 'head' ? ' and -c N' : ''})\n` };
      files.push(a);
    } else if (v === undefined) return { error: `${tool}: option requires an argument -- 'n'\nTry '${tool} --help' for more information.\n` };
    else {
      const m = /^([+-]?)(\d+)$/.exec(v);
      if (m === null) return { error: `${tool}: invalid number of lines: '${v}'\n` };
      sign = m[1] as '' | '+' | '-';
      n = Number(m[2]);
    }
  }
  return { n, sign, files, bytes };
}

/** `head` and `tail` (`-n N`, default 10): the first or last N lines of each input (`head -c N`: its first N bytes), a `==> F <==` header before each when there are several files. */
function ends(tool: 'head' | 'tail'): Filter {
  return (argv, input, env) => {
    const a = countArg(tool, argv);
    if ('error' in a) return result('', a.error, 1);
    const pick = (ls: string[]): string[] => {
      if (tool === 'head') return a.sign === '-' ? ls.slice(0, Math.max(0, ls.length - a.n)) : ls.slice(0, a.n);
      return a.sign === '+' ? ls.slice(Math.max(0, a.n - 1)) : a.n === 0 ? [] : ls.slice(-a.n);
    };
    const take = (t: string): string => (a.bytes !== null ? t.slice(0, a.bytes) : pick(lines(t)).map((l) => `${l}\n`).join(''));
    if (a.files.length === 0) return result(take(input ?? ''));
    const blocks: string[] = [];
    let err = '';
    for (const f of a.files) {
      const r = readPath(env.board, f);
      const header = a.files.length > 1 ? `==> ${f} <==\n` : '';
      if ('text' in r) blocks.push(header + take(r.text));
      else if (r.dir) {
        blocks.push(header);
        err += `${tool}: error reading '${f}': ${r.error}\n`;
      } else err += `${tool}: cannot open '${f}' for reading: ${r.error}\n`;
    }
    return result(blocks.join('\n'), err, err === '' ? 0 : 1);
  };
}

/** `head [-n N | -c N] [FILE…]`. */
export const head: Filter = ends('head');
/** `tail [-n N] [FILE…]`. */
export const tail: Filter = ends('tail');

/**
 * `wc [-lwc] [FILE…]`: newline, word and byte counts per input and, for several files, a total.
 * Column width as GNU wc sets it: the digits of the files' summed sizes (procfs and debugfs
 * files report 0, sysfs attributes a 4 KiB page, tmpfs files their length), at least 7 when an input is not a regular
 * file (the pipe, a directory); one count of the pipe prints alone.
 */
export const wc: Filter = (argv, input, env) => {
  if (wantsHelp(argv)) return result(WC_HELP);
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
      // stat's st_size: a tmpfs file's length, a sysfs attribute's page, 0 for procfs and debugfs.
      sizes += inTmpfs(env.board, f) ? Buffer.byteLength(r.text) : absPath(env.board, f).startsWith('/sys/class/') ? 4096 : 0;
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
  ['tee', tee],
]);
