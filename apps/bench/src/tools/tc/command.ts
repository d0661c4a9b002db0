/**
 * iproute2's `tc` (6.1 as on Debian 12) on a board: tc.c's main — its global options, then
 * the object — over the board's qdiscs (qdisc.ts: `tc qdisc show|add|change|replace|link|delete`)
 * and their classes (class.ts: `tc class show|add|change|replace|delete`).
 *
 * Options: `-s` adds the counters, `-j` prints JSON as lib/json_writer.c writes it (`-p`
 * indented; tc 6.1 has it for qdiscs, not yet for classes), `-o` ends each line with `\` instead
 * of a newline (print_nl with _SL_), `-r` adds the raw handle, `-color` paints the device name as
 * lib/color.c does with the light-background palette (the boards' shell sets no COLORFGBG; `auto`
 * is on unless stdout is a pipe), `-g` draws the class tree. `-d`, `-s -s`, `-N`, `-iec`, `-t`,
 * `-ts`, `-br`, `-force` and `-nm` change nothing for these qdiscs and classes, as in tc 6.1. `-V`
 * prints Debian's build, linked with libbpf 1.1.2 (libbpf1 1:1.1.2-0+deb12u1).
 *
 * Options and keywords are matched as tc.c, tc_qdisc.c and tc_class.c match them (`matches()`:
 * any prefix, first match in tc's order, so `tc q s`, `tc -s qd ls`, `tc c s`), with tc's errors
 * and exit statuses: 255 for what tc's main returns -1 for or exits on (`Option "-x" is unknown,
 * try "tc -help".`, `Object "x" is unknown, try "tc help".`, `Command "x" is unknown, try "tc qdisc
 * help".`, `What is "x"? Try "tc qdisc help".`, invarg's `Error: argument …`, an incomplete line),
 * 1 for `Cannot find device "DEV"`; the usages (`tc`, `tc help`, `tc -h`, `tc qdisc help`, `tc
 * class help`) go to stderr with status 0. `dev ifN` names ifindex N (ll_idx_a2n). Left out,
 * refused with a message: the other objects (`filter`, `chain`, `actions`, `monitor`, `exec`;
 * status 1): the lab has no classifiers or actions; `-batch` (status 1: the boards have no command
 * files). `-netns NAME` fails as on a board with no named namespaces.
 */
import { result, type Command } from '../../types.js';
import { IPROUTE2_VERSION, matches } from '../net/iproute2.js';
import { doClass } from './class.js';
import { doQdisc } from './qdisc.js';
import { refuse, TcExit, type TcOptions } from './util.js';

/** The libbpf Debian 12's iproute2 runs with (`tc -V`). */
const LIBBPF_VERSION = '1.1.2';

/** tc.c usage(), on stderr. */
const USAGE =
  'Usage:\ttc [ OPTIONS ] OBJECT { COMMAND | help }\n' +
  '\ttc [-force] -batch filename\n' +
  'where  OBJECT := { qdisc | class | filter | chain |\n' +
  '\t\t    action | monitor | exec }\n' +
  '       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[aw] |\n' +
  '\t\t    -o[neline] | -j[son] | -p[retty] | -c[olor]\n' +
  '\t\t    -b[atch] [filename] | -n[etns] name | -N[umeric] |\n' +
  '\t\t     -nm | -nam[es] | { -cf | -conf } path\n' +
  '\t\t     -br[ief] }\n';

/** lib/color.c matches_color: `-color[=always|auto|never]` (any prefix of -color), or null. */
function colorOption(arg: string): TcOptions['color'] | null {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  const value = eq < 0 ? '' : arg.slice(eq + 1);
  if (!matches(name, '-color')) return null;
  if (value === '' || value === 'always') return 'always';
  return value === 'auto' || value === 'never' ? value : null;
}

/**
 * tc.c main()'s option loop over `args` (argv without the command name), in its order of
 * tests: the options and the index of the first word that is not one. `-V`, `-help`,
 * `-netns`, `-batch` and a bad option end the run (TcExit).
 */
function parseOptions(args: readonly string[]): { o: TcOptions; at: number } {
  const o: TcOptions = { stats: 0, raw: false, json: false, pretty: false, oneline: false, graph: false, color: 'never', names: false, confFile: null };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('-')) break;
    const color = colorOption(a);
    const is = (...full: string[]): boolean => full.some((f) => matches(a, f));
    if (is('-stats', '-statistics')) o.stats++;
    else if (is('-details')) continue;
    else if (is('-raw')) o.raw = true;
    else if (is('-pretty')) o.pretty = true;
    else if (is('-graph')) o.graph = true;
    else if (is('-Version')) throw new TcExit(result(`tc utility, iproute2-${IPROUTE2_VERSION}, libbpf ${LIBBPF_VERSION}\n`));
    else if (is('-iec')) continue;
    else if (is('-help')) throw new TcExit(result('', USAGE, 0));
    else if (is('-force')) continue;
    else if (is('-batch')) throw refuse('the lab does not support -batch: the boards have no command files (give each tc command on its own line)', 1);
    else if (is('-netns')) {
      // NEXT_ARG leaves argv[1] NULL at the end of the line; netns_switch opens /run/netns/NAME.
      const name = args[i + 1] ?? '(null)';
      throw new TcExit(result('', `Cannot open network namespace "${name}": No such file or directory\n`, 255));
    } else if (is('-Numeric')) continue;
    else if (is('-names', '-nm')) o.names = true;
    else if (is('-cf', '-conf')) o.confFile = args[++i] ?? null;
    else if (color !== null) o.color = color;
    else if (is('-timestamp', '-tshort', '-brief')) continue;
    else if (is('-json')) o.json = true;
    else if (is('-oneline')) o.oneline = true;
    else throw new TcExit(result('', `Option "${a}" is unknown, try "tc -help".\n`, 255));
  }
  return { o, at: i };
}

/** tc.c's objects after qdisc and class, in do_cmd's order. */
const OTHER_OBJECTS = ['filter', 'chain', 'actions', 'monitor', 'exec'] as const;

/** `tc [OPTIONS] OBJECT …` on the board (see the module comment). */
export const tc: Command = (argv, env) => {
  try {
    const args = argv.slice(1);
    const { o, at } = parseOptions(args);
    const [obj, ...rest] = args.slice(at);
    if (obj === undefined) return result('', USAGE, 0);
    if (o.names && o.confFile !== null) return result('', `Can't open class names file: ${o.confFile}\n`, 255);
    if (matches(obj, 'qdisc')) return doQdisc(rest, o, env);
    if (matches(obj, 'class')) return doClass(rest, o, env);
    const other = OTHER_OBJECTS.find((x) => matches(obj, x));
    if (other !== undefined) throw refuse(`the lab has qdiscs and their classes only (tc qdisc, tc class): tc ${other} is not supported`, 1);
    if (matches(obj, 'help')) return result('', USAGE, 0);
    return result('', `Object "${obj}" is unknown, try "tc help".\n`, 255);
  } catch (e) {
    if (e instanceof TcExit) return e.result;
    throw e;
  }
};
