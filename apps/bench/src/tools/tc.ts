/**
 * iproute2's `tc` (6.1 as on Debian 12) for looking at the boards' qdiscs: `tc [OPTIONS] qdisc
 * [show|list|ls] [dev DEV] [root|ingress|clsact|parent CLASSID|handle QHANDLE] [invisible]`.
 *
 * What it prints is what tc/tc_qdisc.c's print_qdisc makes of the kernel's (6.18) qdisc dump:
 * each device in ifindex order, its root qdisc (dev->qdisc), then the qdiscs hashed under it.
 * The root is the one `ip link` names (rootQdiscKind): the builtin noop of a device never
 * opened is not dumped at all (tc_qdisc_dump_ignore skips TCQ_F_BUILTIN), so such a device
 * shows nothing; lo has noqueue, a single-queue ntb0 one pfifo_fast, a multiqueue ntb0 mq with
 * a pfifo_fast per TX queue, and a closed device keeps its qdiscs. mq_attach hashes the
 * children of the real TX queues only (mq_change_real_num_tx follows `ethtool -L`), all with
 * handle 0 in one hash bucket, newest first: `parent :N` … `parent :1`. refcnt is printed when
 * it is not 1: 2 on a single-queue root (dev->qdisc and the TX queue hold it), 1 on mq and its
 * children. The default qdiscs have no handle (`0:`). Layout: `qdisc KIND 0: [dev DEV ]root |
 * parent CLASSID [refcnt N ]` (print_qdisc, print_devname, print_tc_classid), then pfifo_fast's
 * options through prio's printer (q_prio.c prio_print_opt: `bands 3 priomap` and ` %d` per
 * priority, the line ending without a space); mq and noqueue dump no options.
 *
 * `-s` adds print_tcstats2_attr's two lines: ` Sent B bytes P pkt (dropped D, overlimits O
 * requeues R) ` and ` backlog SIZE Np requeues R` (sprint_size: `%ub`, or `%gKb`/`%gMb` when
 * within 16 bytes of a KiB multiple / 1 KiB of a MiB one); the default qdiscs have no rate
 * estimator, so no rate line. The counters are the model's: a pfifo_fast's are its TX queue's
 * Qdisc (bytes and packets handed to the driver, drops, overlimits, requeues, backlog, qlen);
 * mq's are the sum over all num_tx_queues children, real or not (mq_dump_common); noqueue has
 * no enqueue (__dev_queue_xmit calls the driver directly), so the kernel never counts anything
 * on it and it prints zeros. `-j` prints the same as lib/json_writer.c writes it (`-p`
 * indented), `-o` ends each line with `\` instead of a newline (print_nl with _SL_), `-r` adds
 * the raw handle (`[00000000]`), `-color` paints the device name as lib/color.c does with the
 * light-background palette (the boards' shell sets no COLORFGBG; `auto` is on unless stdout is
 * a pipe). `-d`, `-s -s`, `-N`, `-iec`, `-g`, `-t`, `-ts`, `-br`, `-force`, `-nm` and
 * `invisible` change nothing for these qdiscs, as in tc 6.1. `-V` prints Debian's build, linked
 * with libbpf 1.1.2 (libbpf1 1:1.1.2-0+deb12u1).
 *
 * Options and keywords are matched as tc.c and tc_qdisc.c match them (`matches()`: any
 * prefix, first match in tc's order, so `tc q s`, `tc -s qd ls`), with tc's errors and exit
 * statuses: 255 for what tc's main returns -1 for or exits on (`Option "-x" is unknown, try
 * "tc -help".`, `Object "x" is unknown, try "tc help".`, `Command "x" is unknown, try "tc qdisc
 * help".`, `What is "x"? Try "tc qdisc help".`, invarg's `Error: argument …`, an incomplete
 * line), 1 for `Cannot find device "DEV"`; the usages (`tc`, `tc help`, `tc -h`, `tc qdisc
 * help`) go to stderr with status 0. `dev ifN` names ifindex N (ll_idx_a2n). Left out, refused
 * with a message: the other objects (`class`, `filter`, `chain`, `actions`, `monitor`,
 * `exec`; status 1) and `qdisc add|change|replace|link|delete` (status 2, tc's status when
 * the kernel refuses a qdisc request): the lab shows its qdiscs, the kernel's defaults, and
 * does not model others or classifiers; `-batch` (status 1: the boards have no command files).
 * `-netns NAME` fails as on a board with no named namespaces.
 */
import { PFIFO_FAST_BANDS, PFIFO_FAST_PRIOMAP, type NetDevice, type Qdisc } from '@ntbsim/net-core';
import { rootQdiscKind, type Board } from '../lab/lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';
import { cGeneral } from './net/cformat.js';
import { IPROUTE2_VERSION, JsonWriter, matches } from './net/iproute2.js';

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

/** tc_qdisc.c usage(), on stderr. */
const QDISC_USAGE =
  'Usage: tc qdisc [ add | del | replace | change | show ] dev STRING\n' +
  '       [ handle QHANDLE ] [ root | ingress | clsact | parent CLASSID ]\n' +
  '       [ estimator INTERVAL TIME_CONSTANT ]\n' +
  '       [ stab [ help | STAB_OPTIONS] ]\n' +
  '       [ ingress_block BLOCK_INDEX ] [ egress_block BLOCK_INDEX ]\n' +
  '       [ [ QDISC_KIND ] [ help | OPTIONS ] ]\n' +
  '\n' +
  '       tc qdisc { show | list } [ dev STRING ] [ QDISC_ID ] [ invisible ]\n' +
  'Where:\n' +
  'QDISC_KIND := { [p|b]fifo | tbf | prio | cbq | red | etc. }\n' +
  'OPTIONS := ... try tc qdisc add <desired QDISC_KIND> help\n' +
  'STAB_OPTIONS := ... try tc qdisc add stab help\n' +
  'QDISC_ID := { root | ingress | handle QHANDLE | parent CLASSID }\n';

/** TC_H_ROOT: the parent of a root qdisc. */
const TC_H_ROOT = 0xffffffff;
/** TC_H_INGRESS (= TC_H_CLSACT): the parent of an ingress or clsact qdisc. */
const TC_H_INGRESS = 0xfffffff1;
/** IFNAMSIZ − 1: tc copies at most this much of a `dev` argument. */
const IFNAME_MAX = 15;
/** lib/color.c's COLOR_IFNAME on a light background (C_CYAN), and C_CLEAR. */
const COLOR_IFNAME = '\x1b[36m';
const COLOR_CLEAR = '\x1b[0m';

/** A tc run that ends early: what it printed and its status. */
class TcExit extends Error {
  constructor(readonly result: CommandResult) {
    super(result.stderr);
  }
}

const incomplete = (): TcExit => new TcExit(result('', 'Command line is not complete. Try option "help"\n', 255));
/** invarg(msg, arg): exit(-1). */
const invarg = (msg: string, arg: string): TcExit => new TcExit(result('', `Error: argument "${arg}" is wrong: ${msg}\n`, 255));

/** What tc's global options asked for (the ones that change a qdisc listing). */
interface TcOptions {
  stats: number;
  raw: boolean;
  json: boolean;
  pretty: boolean;
  oneline: boolean;
  /** lib/color.c's COLOR_OPT_*: -color, -color=always|auto|never. */
  color: 'never' | 'auto' | 'always';
  names: boolean;
  confFile: string | null;
}

/** lib/color.c matches_color: `-color[=always|auto|never]` (any prefix of -color), or null. */
function colorOption(arg: string): TcOptions['color'] | null {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  const value = eq < 0 ? '' : arg.slice(eq + 1);
  if (!matches(name, '-color')) return null;
  if (value === '' || value === 'always') return 'always';
  return value === 'auto' || value === 'never' ? value : null;
}

/** Refused: what the lab does not model, with `why`, status `status`. */
function refuse(why: string, status: number): TcExit {
  return new TcExit(result('', `tc: ${why}\n`, status));
}

/**
 * tc.c main()'s option loop over `args` (argv without the command name), in its order of
 * tests: the options and the index of the first word that is not one. `-V`, `-help`,
 * `-netns`, `-batch` and a bad option end the run (TcExit).
 */
function parseOptions(args: readonly string[]): { o: TcOptions; at: number } {
  const o: TcOptions = { stats: 0, raw: false, json: false, pretty: false, oneline: false, color: 'never', names: false, confFile: null };
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
    else if (is('-graph')) continue;
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

/** C strtoul(str, &p, 16): the value and the rest after the digits (all of `str` when there are none). */
function strtoul16(str: string): { value: number; rest: string } {
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]+)/.exec(str);
  if (m === null) return { value: 0, rest: str };
  const mag = Number.parseInt(m[2] as string, 16);
  // A negative number wraps (unsigned long): past any 16-bit limit unless it is 0.
  return { value: m[1] === '-' && mag !== 0 ? Number.MAX_SAFE_INTEGER : mag, rest: str.slice(m[0].length) };
}

/** tc_util.c get_qdisc_handle: `MAJ[:]` (hex) or `none`, or null when invalid. */
function qdiscHandle(str: string): number | null {
  if (str === 'none') return 0;
  const { value, rest } = strtoul16(str);
  if (rest === str || value >= 1 << 16) return null;
  if (rest !== '' && !rest.startsWith(':')) return null;
  return value * 0x10000;
}

/** tc_util.c get_tc_classid: `root`, `none`, `MAJ:MIN`, `:MIN`, `MAJ:` or a bare number (hex), or null when invalid. */
function tcClassid(str: string): number | null {
  if (str === 'root') return TC_H_ROOT;
  if (str === 'none') return 0;
  const parsed = strtoul16(str);
  const { rest } = parsed;
  // No digits: maj is 0, and only `:MIN` is a classid.
  const maj = rest === str ? 0 : parsed.value;
  if (rest === str && !rest.startsWith(':')) return null;
  if (!rest.startsWith(':')) return rest === '' ? maj : null;
  if (maj >= 1 << 16) return null;
  const minStr = rest.slice(1);
  const { value: min, rest: after } = strtoul16(minStr);
  if (after !== '' || min >= 1 << 16) return null;
  return maj * 0x10000 + min;
}

/** tc_util.c print_tc_classid: `root`, `none`, `:MIN`, `MAJ:` or `MAJ:MIN`, in hex. */
function formatClassid(h: number): string {
  if (h === TC_H_ROOT) return 'root';
  if (h === 0) return 'none';
  const maj = Math.floor(h / 0x10000);
  const min = h % 0x10000;
  if (maj === 0) return `:${min.toString(16)}`;
  if (min === 0) return `${maj.toString(16)}:`;
  return `${maj.toString(16)}:${min.toString(16)}`;
}

/** The counters a qdisc dump carries (TCA_STATS2: gnet_stats_basic and gnet_stats_queue). */
interface QdiscCounters {
  readonly bytes: number;
  readonly packets: number;
  readonly drops: number;
  readonly overlimits: number;
  readonly requeues: number;
  readonly backlog: number;
  readonly qlen: number;
}

/** One qdisc of the dump (a tcmsg and its attributes). */
interface QdiscEntry {
  readonly dev: NetDevice;
  readonly kind: 'noqueue' | 'mq' | 'pfifo_fast';
  /** tcm_handle: 0 for the default qdiscs. */
  readonly handle: number;
  /** tcm_parent: TC_H_ROOT, or the mq class (`:N`) of a child. */
  readonly parent: number;
  /** tcm_info: the qdisc's refcount. */
  readonly refcnt: number;
  readonly counters: QdiscCounters;
}

/** Sum of qdisc counters (mq_dump_common adds its children's). */
function sumCounters(qs: readonly Qdisc[]): QdiscCounters {
  const c = { bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 };
  for (const q of qs) {
    c.bytes += q.stats.bytes;
    c.packets += q.stats.packets;
    c.drops += q.stats.drops;
    c.overlimits += q.stats.overlimits;
    c.requeues += q.stats.requeues;
    c.backlog += q.backlog;
    c.qlen += q.qlen;
  }
  return c;
}

/** What the kernel dumps for `dev`: its root qdisc, then mq's hashed children newest first; nothing for noop. */
function deviceQdiscs(dev: NetDevice): QdiscEntry[] {
  const kind = rootQdiscKind(dev);
  const txq = (i: number): Qdisc => dev.txQueue(i).qdisc;
  switch (kind) {
    case 'noop':
      return [];
    case 'noqueue':
      // No enqueue: __dev_queue_xmit hands packets straight to the driver and never counts them here.
      return [{ dev, kind, handle: 0, parent: TC_H_ROOT, refcnt: 2, counters: sumCounters([]) }];
    case 'pfifo_fast':
      return [{ dev, kind, handle: 0, parent: TC_H_ROOT, refcnt: 2, counters: sumCounters([txq(0)]) }];
    case 'mq': {
      const all = Array.from({ length: dev.numTxQueues }, (_, i) => txq(i));
      const children = Array.from({ length: dev.realNumTxQueues }, (_, i) => dev.realNumTxQueues - 1 - i).map(
        (i): QdiscEntry => ({ dev, kind: 'pfifo_fast', handle: 0, parent: i + 1, refcnt: 1, counters: sumCounters([txq(i)]) }),
      );
      return [{ dev, kind, handle: 0, parent: TC_H_ROOT, refcnt: 1, counters: sumCounters(all) }, ...children];
    }
  }
}

/** C rint() of a non-negative value: to the nearest integer, ties to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** lib/json_print_math.c sprint_size (`tc -s`'s backlog): bytes as `%gMb`, `%gKb` (1024-based, when within 1 KiB of a MiB multiple / 16 bytes of a KiB one) or `%ub`. */
export function sprintSize(sz: number): string {
  const kilo = 1024;
  const mega = kilo * kilo;
  if (sz >= mega && Math.abs(mega * rint(sz / mega) - sz) < 1024) return `${cGeneral(rint(sz / mega), 6)}Mb`;
  if (sz >= kilo && Math.abs(kilo * rint(sz / kilo) - sz) < 16) return `${cGeneral(rint(sz / kilo), 6)}Kb`;
  return `${sz}b`;
}

/** How a listing prints: the options, whether lines name their device, and whether colour is on. */
interface Listing {
  readonly o: TcOptions;
  readonly showDev: boolean;
  readonly color: boolean;
}

/** print_qdisc's text for one qdisc (print_nl is `\` with -o). */
function textEntry(e: QdiscEntry, l: Listing): string {
  const nl = l.o.oneline ? '\\' : '\n';
  let s = `qdisc ${e.kind} ${(e.handle >>> 16).toString(16)}:`;
  if (l.o.raw) s += `[${e.handle.toString(16).padStart(8, '0')}]`;
  s += ' ';
  if (l.showDev) s += l.color ? `dev ${COLOR_IFNAME}${e.dev.name} ${COLOR_CLEAR}` : `dev ${e.dev.name} `;
  s += e.parent === TC_H_ROOT ? 'root ' : `parent ${formatClassid(e.parent)} `;
  if (e.refcnt !== 1) s += `refcnt ${e.refcnt} `;
  if (e.kind === 'pfifo_fast') s += `bands ${PFIFO_FAST_BANDS} priomap${PFIFO_FAST_PRIOMAP.map((b) => ` ${b}`).join('')}`;
  s += nl;
  if (l.o.stats > 0) {
    const c = e.counters;
    s += ` Sent ${c.bytes} bytes ${c.packets} pkt (dropped ${c.drops}, overlimits ${c.overlimits} requeues ${c.requeues}) ${nl}`;
    s += ` backlog ${sprintSize(c.backlog)} ${c.qlen}p requeues ${c.requeues}${nl}`;
  }
  return s;
}

/** print_qdisc's JSON object for one qdisc. */
function jsonEntry(w: JsonWriter, e: QdiscEntry, l: Listing): void {
  w.startObject();
  w.field('kind', e.kind);
  w.field('handle', `${(e.handle >>> 16).toString(16)}:`);
  if (l.showDev) w.field('dev', e.dev.name);
  if (e.parent === TC_H_ROOT) w.field('root', true);
  else w.field('parent', formatClassid(e.parent));
  if (e.refcnt !== 1) w.field('refcnt', e.refcnt);
  w.name('options');
  w.startObject();
  if (e.kind === 'pfifo_fast') {
    w.field('bands', PFIFO_FAST_BANDS);
    w.name('priomap');
    w.startArray();
    for (const b of PFIFO_FAST_PRIOMAP) w.value(b);
    w.endArray();
    w.field('multiqueue', false);
  }
  w.endObject();
  if (l.o.stats > 0) {
    const c = e.counters;
    for (const [k, v] of [['bytes', c.bytes], ['packets', c.packets], ['drops', c.drops], ['overlimits', c.overlimits], ['requeues', c.requeues], ['backlog', c.backlog], ['qlen', c.qlen]] as const) w.field(k, v);
  }
  w.endObject();
}

/** ll_name_to_index: the device's ifindex (the name cut to IFNAMSIZ − 1), else `ifN`'s N (ll_idx_a2n), else 0. */
function ifindexOf(board: Board, name: string): number {
  const dev = board.stack.devices.find((d) => d.name === name);
  if (dev !== undefined) return dev.ifindex;
  const m = /^if[ \t\n\v\f\r]*\+?(\d+)/.exec(name);
  return m === null ? 0 : Number(m[1]) >>> 0;
}

/** tc_qdisc_list: its arguments, then the dump of the board's qdiscs as print_qdisc prints it. */
function qdiscList(args: readonly string[], o: TcOptions, env: ShellEnv): CommandResult {
  let dev = '';
  let filterParent = 0;
  let filterHandle = 0;
  let err = '';
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as string;
    const next = args[i + 1];
    // root, ingress/clsact, parent and handle: one QDISC_ID, and for parent and handle its value (invarg when unparsable).
    const qdiscId = (parse: ((v: string) => number | null) | null, what: string): number => {
      if (filterParent !== 0) throw invarg('parent is already specified', w);
      if (filterHandle !== 0) throw invarg('handle is already specified', w);
      if (parse === null) return w === 'root' ? TC_H_ROOT : TC_H_INGRESS;
      if (next === undefined) throw incomplete();
      i++;
      const h = parse(next);
      if (h === null) throw invarg(`invalid ${what} ID`, next);
      return h;
    };
    if (w === 'dev') {
      if (next === undefined) throw incomplete();
      dev = next.slice(0, IFNAME_MAX);
      i++;
    } else if (w === 'root' || w === 'ingress' || w === 'clsact') filterParent = qdiscId(null, 'parent');
    else if (matches(w, 'parent')) filterParent = qdiscId(tcClassid, 'parent');
    else if (matches(w, 'handle')) filterHandle = qdiscId(qdiscHandle, 'handle');
    else if (matches(w, 'help')) err += QDISC_USAGE;
    else if (w !== 'invisible') throw new TcExit(result('', `${err}What is "${w}"? Try "tc qdisc help".\n`, 255));
  }
  const board = env.board;
  const ifindex = dev === '' ? 0 : ifindexOf(board, dev);
  if (dev !== '' && ifindex === 0) return result('', `${err}Cannot find device "${dev}"\n`, 1);
  const entries = board.stack.devices
    .filter((d) => ifindex === 0 || d.ifindex === ifindex)
    .flatMap(deviceQdiscs)
    .filter((e) => (filterHandle === 0 || e.handle === filterHandle) && (filterParent === 0 || e.parent === filterParent));
  const color = !o.json && (o.color === 'always' || (o.color === 'auto' && env.piped !== true));
  const l: Listing = { o, showDev: ifindex === 0, color };
  if (!o.json) return result(entries.map((e) => textEntry(e, l)).join(''), err, 0);
  const w = new JsonWriter(o.pretty);
  w.startArray();
  for (const e of entries) jsonEntry(w, e, l);
  w.endArray();
  return result(w.text(), err, 0);
}

/** tc_qdisc.c do_qdisc: the listing, its usage, or a refusal of the commands that change qdiscs. */
function doQdisc(args: readonly string[], o: TcOptions, env: ShellEnv): CommandResult {
  const [verb, ...rest] = args;
  if (verb === undefined) return qdiscList([], o, env);
  const change = ['add', 'change', 'replace', 'link', 'delete'].find((c) => matches(verb, c));
  if (change !== undefined) throw refuse(`the lab shows qdiscs only: tc qdisc ${change} is not supported (the model's qdiscs are the kernel's defaults: mq over a pfifo_fast per TX queue, or one pfifo_fast, on ntb0; noqueue on lo)`, 2);
  if (matches(verb, 'list') || matches(verb, 'show') || matches(verb, 'lst')) return qdiscList(rest, o, env);
  if (matches(verb, 'help')) return result('', QDISC_USAGE, 0);
  throw new TcExit(result('', `Command "${verb}" is unknown, try "tc qdisc help".\n`, 255));
}

/** tc.c's objects other than qdisc, in do_cmd's order. */
const OTHER_OBJECTS = ['class', 'filter', 'chain', 'actions', 'monitor', 'exec'] as const;

/** `tc [OPTIONS] OBJECT …` on the board (see the module comment). */
export const tc: Command = (argv, env) => {
  try {
    const args = argv.slice(1);
    const { o, at } = parseOptions(args);
    const [obj, ...rest] = args.slice(at);
    if (obj === undefined) return result('', USAGE, 0);
    if (o.names && o.confFile !== null) return result('', `Can't open class names file: ${o.confFile}\n`, 255);
    if (matches(obj, 'qdisc')) return doQdisc(rest, o, env);
    const other = OTHER_OBJECTS.find((x) => matches(obj, x));
    if (other !== undefined) throw refuse(`the lab shows qdiscs only (tc qdisc show): tc ${other} is not supported`, 1);
    if (matches(obj, 'help')) return result('', USAGE, 0);
    return result('', `Object "${obj}" is unknown, try "tc help".\n`, 255);
  } catch (e) {
    if (e instanceof TcExit) return e.result;
    throw e;
  }
};
