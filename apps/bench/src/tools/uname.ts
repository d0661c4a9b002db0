/**
 * `uname [-asnrvmpio]` (GNU coreutils 9.1, as Debian builds it): the board's uname(2) fields in
 * coreutils' order — kernel name, node name, release, version, machine, processor, hardware
 * platform, operating system — each selected by its option (none: `-s`); `-a` prints them all
 * but the processor and hardware platform, which Debian's build does not know (`-p` and `-i`
 * print `unknown`). Bad options and operands get coreutils' messages, status 1.
 */
import { result, type Command } from '../types.js';
import { coreutilsHelpTail, coreutilsTryHelp, coreutilsVersion } from './coreutils.js';
import { utsname } from './net/host.js';

const TRY = coreutilsTryHelp('uname');
const HELP =
  'Usage: uname [OPTION]...\nPrint certain system information.  With no OPTION, same as -s.\n\n' +
  '  -a, --all                print all information, in the following order,\n' +
  '                             except omit -p and -i if unknown:\n' +
  '  -s, --kernel-name        print the kernel name\n' +
  '  -n, --nodename           print the network node hostname\n' +
  '  -r, --kernel-release     print the kernel release\n' +
  '  -v, --kernel-version     print the kernel version\n' +
  '  -m, --machine            print the machine hardware name\n' +
  '  -p, --processor          print the processor type (non-portable)\n' +
  '  -i, --hardware-platform  print the hardware platform (non-portable)\n' +
  '  -o, --operating-system   print the operating system\n' +
  '      --help     display this help and exit\n' +
  '      --version  output version information and exit\n\n' +
  coreutilsHelpTail('uname');
const VERSION = coreutilsVersion('uname', 'David MacKenzie');

/** The fields in print order, by short option. */
const FIELDS = ['s', 'n', 'r', 'v', 'm', 'p', 'i', 'o'] as const;
type Field = (typeof FIELDS)[number];
const LONG: Readonly<Record<string, Field | 'a'>> = {
  all: 'a',
  'kernel-name': 's',
  nodename: 'n',
  'kernel-release': 'r',
  'kernel-version': 'v',
  machine: 'm',
  processor: 'p',
  'hardware-platform': 'i',
  'operating-system': 'o',
};

/** getopt_long's unique-prefix match of `--name` among uname's long options (`--help`, `--version` included). */
function longOption(name: string): string | { readonly error: string } {
  const names = [...Object.keys(LONG), 'help', 'version'];
  if (names.includes(name)) return name;
  const hits = names.filter((n) => n.startsWith(name));
  if (hits.length === 1) return hits[0] as string;
  if (hits.length === 0) return { error: `uname: unrecognized option '--${name}'\n` };
  return { error: `uname: option '--${name}' is ambiguous; possibilities:${hits.map((h) => ` '--${h}'`).join('')}\n` };
}

/** `uname [OPTION]...`: see the module comment. */
export const uname: Command = (argv, env) => {
  const chosen = new Set<Field>();
  let all = false;
  let operands = false;
  for (const a of argv.slice(1)) {
    if (operands || a === '-' || !a.startsWith('-')) return result('', `uname: extra operand '${a}'\n${TRY}`, 1);
    if (a === '--') {
      operands = true;
      continue;
    }
    if (a.startsWith('--')) {
      const name = longOption(a.slice(2));
      if (typeof name !== 'string') return result('', `${name.error}${TRY}`, 1);
      if (name === 'help') return result(HELP);
      if (name === 'version') return result(VERSION);
      const f = LONG[name];
      if (f === 'a') all = true;
      else if (f !== undefined) chosen.add(f);
      continue;
    }
    for (const c of a.slice(1)) {
      if (c === 'a') all = true;
      else if ((FIELDS as readonly string[]).includes(c)) chosen.add(c as Field);
      else return result('', `uname: invalid option -- '${c}'\n${TRY}`, 1);
    }
  }
  const u = utsname(env.board);
  const value: Readonly<Record<Field, string>> = { s: u.sysname, n: u.nodename, r: u.release, v: u.version, m: u.machine, p: 'unknown', i: 'unknown', o: 'GNU/Linux' };
  // -a sets every bit (toprint = UINT_MAX): unknown processor and platform are left out even if also asked for.
  if (all) {
    for (const f of FIELDS) chosen.add(f);
    chosen.delete('p');
    chosen.delete('i');
  }
  if (chosen.size === 0) chosen.add('s');
  return result(`${FIELDS.filter((f) => chosen.has(f)).map((f) => value[f]).join(' ')}\n`);
};
