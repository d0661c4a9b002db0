import { describe, expect, it } from 'vitest';
import { bootLab } from '../../src/lab/lab.js';
import { defaultVars } from '../../src/lab/script.js';
import { cat, procInterrupts } from '../../src/tools/proc.js';
import { grep, head, tail, wc } from '../../src/tools/text.js';
import type { ShellEnv } from '../../src/types.js';

const lab = bootLab({ seed: 3 });
const env: ShellEnv = { lab, board: lab.boards.rc, vars: defaultVars(lab, lab.boards.rc) };
const text = 'qp 0: Link Up\nqp 1: Link Cleanup\nQP 2: link up\na+b (x)\n';

describe('grep', () => {
  it('matches a basic regular expression by default: + ? | ( ) are literal unless escaped', () => {
    expect(grep(['grep', 'a+b (x)'], text, env)).toEqual({ stdout: 'a+b (x)\n', stderr: '', status: 0 });
    expect(grep(['grep', 'Link \\(Up\\|Down\\)'], text, env).stdout).toBe('qp 0: Link Up\n');
    expect(grep(['grep', '-E', 'Link (Up|Cleanup)'], text, env).stdout).toBe('qp 0: Link Up\nqp 1: Link Cleanup\n');
    expect(grep(['grep', '-F', '(x)'], text, env).stdout).toBe('a+b (x)\n');
  });

  it('-i, -v, -c, -n and -w select, invert, count, number and bound the matches', () => {
    expect(grep(['grep', '-i', 'link up'], text, env).stdout).toBe('qp 0: Link Up\nQP 2: link up\n');
    expect(grep(['grep', '-vc', 'qp'], text, env).stdout).toBe('2\n');
    expect(grep(['grep', '-n', 'Cleanup'], text, env).stdout).toBe('2:qp 1: Link Cleanup\n');
    expect(grep(['grep', '-w', 'Lin'], text, env)).toEqual({ stdout: '', stderr: '', status: 1 });
    expect(grep(['grep', '-c', 'nothing'], text, env)).toEqual({ stdout: '0\n', stderr: '', status: 1 });
  });

  it("reads the board's files, prefixing names when several; errors are status 2", () => {
    expect(grep(['grep', '-c', 'ntb_epf', '/proc/interrupts'], null, env).stdout).toBe('16\n');
    const irq = [...lab.boards.rc.host.irqs.keys()][1] ?? 0;
    expect(grep(['grep', 'f', `/proc/irq/${irq}/smp_affinity`, '/proc/irq'], null, env)).toEqual({ stdout: `/proc/irq/${irq}/smp_affinity:ff\n`, stderr: 'grep: /proc/irq: Is a directory\n', status: 2 });
    expect(grep(['grep'], text, env)).toEqual({ stdout: '', stderr: "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n", status: 2 });
    expect(grep(['grep', '-E', '('], text, env)).toEqual({ stdout: '', stderr: 'grep: Unmatched ( or \\(\n', status: 2 });
    expect(grep(['grep', '-z', 'x'], text, env).status).toBe(2);
  });
});

describe('grep against GNU grep 3.8', () => {
  // Counts captured from GNU grep 3.8 (`grep -c …`) over this text: the RC's /proc/interrupts
  // of a seed-1 lab (its IRQ rows, arm64's IPI rows and Err), then three lines of brackets, a
  // tab and words.
  const lab1 = bootLab({ seed: 1 });
  const env1: ShellEnv = { lab: lab1, board: lab1.boards.rc, vars: new Map() };
  const gtext = `${procInterrupts(lab1.boards.rc)}a+b (x) ]x [y\\z\nfoo\tbar\nabc abd\n`;
  const cases: [string[], number][] = [
    [['[[:digit:]]\\{3\\} Level'], 1],
    [['-E', '[[:space:]]GICv3'], 1],
    [['\\<Edge\\>'], 16],
    [['\\t'], 24],
    [['\\d'], 21],
    [['[]x]'], 1],
    [['[^]x]'], 30],
    [['*'], 0],
    [['-E', '*ntb'], 16],
    [['a\\{,2\\}'], 30],
    [['-x', 'foo'], 0],
    [['-w', 'ab.'], 1],
    [['-i', 'EDGE'], 16],
    [['x\\|y'], 1],
    [['\\(ab\\)\\1'], 0],
  ];
  it.each(cases)('grep -c %j', (args, count) => {
    expect(grep(['grep', '-c', ...args], gtext, env1)).toEqual({ stdout: `${count}\n`, stderr: '', status: count > 0 ? 0 : 1 });
  });

  it('reports bad patterns and option clashes with its messages, status 2; -e, -q, -l, -h, -H', () => {
    expect(grep(['grep', 'a\\{1'], gtext, env1)).toEqual({ stdout: '', stderr: 'grep: Unmatched \\{\n', status: 2 });
    expect(grep(['grep', '[:space:]'], gtext, env1)).toEqual({ stdout: '', stderr: 'grep: character class syntax is [[:space:]], not [:space:]\n', status: 2 });
    expect(grep(['grep', '[x'], gtext, env1)).toEqual({ stdout: '', stderr: 'grep: Unmatched [, [^, [:, [., or [=\n', status: 2 });
    expect(grep(['grep', '-E', '-F', 'x'], gtext, env1)).toEqual({ stdout: '', stderr: 'grep: conflicting matchers specified\n', status: 2 });
    expect(grep(['grep', '-e', 'foo', '-e', 'abc'], gtext, env1).stdout).toBe('foo\tbar\nabc abd\n');
    expect(grep(['grep', '-q', 'Edge'], gtext, env1)).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(grep(['grep', '-l', 'dw-edma', '/proc/interrupts', '/proc/irq/16/smp_affinity'], null, env1).stdout).toBe('/proc/interrupts\n');
    expect(grep(['grep', '-h', 'dw-edma', '/proc/interrupts', '/proc/interrupts'], null, env1).stdout.startsWith(' 16:')).toBe(true);
    expect(grep(['grep', '-Hc', 'dw-edma', '/proc/interrupts'], null, env1).stdout).toBe('/proc/interrupts:1\n');
  });
});

describe('head, tail and wc', () => {
  const ten = Array.from({ length: 12 }, (_, i) => `l${i}`).join('\n') + '\n';
  it('head and tail take the first and last lines (10 by default, -n N, -N)', () => {
    expect(head(['head'], ten, env).stdout.split('\n')).toHaveLength(11);
    expect(head(['head', '-n', '2'], ten, env).stdout).toBe('l0\nl1\n');
    expect(tail(['tail', '-3'], ten, env).stdout).toBe('l9\nl10\nl11\n');
    expect(tail(['tail', '-n0'], ten, env).stdout).toBe('');
    expect(tail(['tail', '-n', 'x'], ten, env)).toEqual({ stdout: '', stderr: "tail: invalid number of lines: 'x'\n", status: 1 });
  });

  it('head -n -K keeps all but the last K, tail -n +K starts at line K; file errors as GNU coreutils words them', () => {
    expect(head(['head', '-n', '-9'], ten, env).stdout).toBe('l0\nl1\nl2\n');
    expect(tail(['tail', '-n', '+11'], ten, env).stdout).toBe('l10\nl11\n');
    expect(tail(['tail', '-n', '-1'], ten, env).stdout).toBe('l11\n');
    expect(head(['head', '-n', '2', 'nope'], null, env)).toEqual({ stdout: '', stderr: "head: cannot open 'nope' for reading: No such file or directory\n", status: 1 });
    expect(tail(['tail', '-n1', '/proc/irq', '/proc/irq/16/smp_affinity'], null, env)).toEqual({ stdout: '==> /proc/irq <==\n\n==> /proc/irq/16/smp_affinity <==\nff\n', stderr: "tail: error reading '/proc/irq': Is a directory\n", status: 1 });
    expect(head(['head', '-n'], ten, env)).toEqual({ stdout: '', stderr: "head: option requires an argument -- 'n'\nTry 'head --help' for more information.\n", status: 1 });
  });

  it('wc sizes its columns as GNU wc: the summed file sizes (procfs 0, sysfs a page), 7 for a pipe or a directory', () => {
    expect(wc(['wc', '/proc/interrupts'], null, env).stdout).toMatch(/^\d+ \d+ \d+ \/proc\/interrupts\n$/);
    expect(wc(['wc', '-c', '/sys/class/net/ntb0/queues/tx-0/xps_cpus'], null, env).stdout).toBe('   3 /sys/class/net/ntb0/queues/tx-0/xps_cpus\n');
    const r = wc(['wc', '-l', '/proc/irq/16/smp_affinity', '/proc/irq', 'nope'], null, env);
    expect(r).toEqual({ stdout: '      1 /proc/irq/16/smp_affinity\n      0 /proc/irq\n      1 total\n', stderr: 'wc: /proc/irq: Is a directory\nwc: nope: No such file or directory\n', status: 1 });
  });

  it('wc counts lines, words and bytes: one count alone, several in width-7 columns', () => {
    expect(wc(['wc', '-l'], ten, env).stdout).toBe('12\n');
    expect(wc(['wc'], 'a b\nc\n', env).stdout).toBe('      2       3       6\n');
    expect(wc(['wc', '-lc'], 'é\n', env).stdout).toBe('      1       3\n');
    expect(wc(['wc', '-q'], ten, env).status).toBe(1);
  });
});

describe('--help', () => {
  it('grep --help and wc --help print GNU\'s usage on stdout and succeed, whatever else is on the line', () => {
    const g = grep(['grep', '--help'], null, env);
    expect([g.stderr, g.status]).toEqual(['', 0]);
    expect(g.stdout.split('\n').slice(0, 4)).toEqual(['Usage: grep [OPTION]... PATTERNS [FILE]...', 'Search for PATTERNS in each FILE.', "Example: grep -i 'hello world' menu.h main.c", 'PATTERNS can contain multiple patterns separated by newlines.']);
    expect(g.stdout.endsWith('General help using GNU software: <https://www.gnu.org/gethelp/>\n')).toBe(true);
    expect(grep(['grep', '-c', 'x', '--help'], text, env).stdout).toBe(g.stdout);
    // After `--` it is a pattern.
    expect(grep(['grep', '--', '--help'], 'a --help b\n', env)).toEqual({ stdout: 'a --help b\n', stderr: '', status: 0 });
    const w = wc(['wc', '--help'], null, env);
    expect([w.stderr, w.status]).toEqual(['', 0]);
    expect(w.stdout.startsWith('Usage: wc [OPTION]... [FILE]...\n  or:  wc [OPTION]... --files0-from=F\nPrint newline, word, and byte counts for each FILE')).toBe(true);
    expect(w.stdout.endsWith("or available locally via: info '(coreutils) wc invocation'\n")).toBe(true);
  });

  it('cat --help prints its usage instead of reading a file named --help', () => {
    const r = cat(['cat', '--help'], env);
    expect([r.stderr, r.status]).toEqual(['', 0]);
    expect(r.stdout.startsWith('Usage: cat [OPTION]... [FILE]...\nConcatenate FILE(s) to standard output.\n')).toBe(true);
    expect(cat(['cat', '--', '--help'], env)).toEqual({ stdout: '', stderr: 'cat: --help: No such file or directory\n', status: 1 });
  });
});
