/**
 * `nproc [--all] [--ignore=N]` (GNU coreutils 9.1, src/nproc.c): the processing units available
 * to the process — num_processors(NPROC_CURRENT_OVERRIDABLE): its CPU affinity, every CPU of the
 * board for a process started from the lab's shell, those `taskset` gave it under taskset (the
 * lab has no process environment, so no OMP_NUM_THREADS or OMP_THREAD_LIMIT to override it) —
 * or with `--all` the installed ones (the boards' CPUs are all online); `--ignore=N` takes N off, leaving at least
 * 1. Options are getopt_long's (no short ones; unique prefixes of `--all`, `--ignore`, `--help`,
 * `--version`); N is xdectoumax's: a decimal with no suffix, else `invalid number: 'N'` (with
 * `: Numerical result out of range` past ULONG_MAX); an operand is `extra operand`. Errors exit 1
 * after coreutils' `Try` line.
 */
import { result, type Command } from '../types.js';
import { getoptLong, GetoptError, type LongOption } from './argv.js';
import { coreutilsHelpTail, coreutilsTryHelp, coreutilsVersion } from './coreutils.js';

const HELP =
  'Usage: nproc [OPTION]...\n' +
  'Print the number of processing units available to the current process,\n' +
  'which may be less than the number of online processors\n\n' +
  '      --all      print the number of installed processors\n' +
  '      --ignore=N  if possible, exclude N processing units\n' +
  '      --help     display this help and exit\n' +
  '      --version  output version information and exit\n\n' +
  coreutilsHelpTail('nproc');

const LONGOPTS: readonly LongOption[] = [
  ['all', 'a', false],
  ['ignore', 'i', true],
  ['help', 'h', false],
  ['version', 'v', false],
];

/** ULONG_MAX on the boards (LP64). */
const ULONG_MAX = 2n ** 64n - 1n;

/** xdectoumax(N, 0, ULONG_MAX, "", "invalid number", 0): the count, or the error line. */
function ignoreCount(n: string): bigint | string {
  // xstrtoumax: leading white space and a '+', decimal digits, nothing after; a '-' is invalid.
  const m = /^[ \t\n\v\f\r]*\+?(\d+)$/.exec(n);
  if (m === null) return `nproc: invalid number: '${n}'\n`;
  const v = BigInt(m[1] as string);
  if (v > ULONG_MAX) return `nproc: invalid number: '${n}': Numerical result out of range\n`;
  return v;
}

/** `nproc [--all] [--ignore=N]`: see the module comment. */
export const nproc: Command = (argv, env) => {
  const fail = (line: string) => result('', `${line}${coreutilsTryHelp('nproc')}`, 1);
  let ignore = 0n;
  let all = false;
  let operand: string | null = null;
  try {
    for (const item of getoptLong(argv.slice(1), '', LONGOPTS, 'nproc')) {
      if (item.kind === 'operand') {
        operand ??= item.text;
        continue;
      }
      if (item.c === 'a') all = true;
      if (item.c === 'h') return result(HELP);
      if (item.c === 'v') return result(coreutilsVersion('nproc', 'Giuseppe Scrivano'));
      if (item.c === 'i') {
        const n = ignoreCount(item.arg ?? '');
        if (typeof n === 'string') return result('', n, 1);
        ignore = n;
      }
    }
  } catch (e) {
    if (e instanceof GetoptError) return fail(`${e.message}\n`);
    throw e;
  }
  if (operand !== null) return fail(`nproc: extra operand '${operand}'\n`);
  const installed = env.board.host.cpus.length;
  let affinity = 0;
  for (let m = env.cpus ?? 2 ** installed - 1; m !== 0; m &= m - 1) affinity++;
  const cpus = BigInt(all ? installed : affinity);
  return result(`${ignore < cpus ? cpus - ignore : 1n}\n`);
};
