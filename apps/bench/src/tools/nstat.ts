/**
 * iproute2's `nstat` (misc/nstat.c, 6.1): the kernel's SNMP counters by name. It reads
 * /proc/net/netstat and /proc/net/snmp as the real tool does — each `Name: fields` line pair
 * becomes ids `<Name><field>` — drops the constants (IpForwarding, IpDefaultTTL, TcpRtoAlgorithm,
 * TcpRtoMin, TcpRtoMax, TcpMaxConn, TcpCurrEstab), and prints `#kernel` then one
 * `%-32s%-16llu%6.1f` line per nonzero counter (the rate column is the daemon's and stays 0.0).
 * A history per board and user (root under `sudo`, as /tmp/.nstat.u<uid>) makes each run print
 * what changed since the previous one; the first run, `-a` and `-r` print absolute values.
 * Patterns are fnmatch globs on the ids; a history update keeps the old value of counters the
 * patterns did not select. `-j` prints json_writer's `{"kernel":{…}}` (`-p` indented).
 */
import type { Board } from '../lab/lab.js';
import { componentRegExp } from '../lab/shell.js';
import { result, runsAsRoot, type Command, type CommandResult } from '../types.js';
import { GetoptError, getoptLong, type LongOption } from './argv.js';
import { IPROUTE2_VERSION, JsonWriter } from './net/iproute2.js';
import { procNetNetstat, procNetSnmp } from './proc.js';

const USAGE = [
  'Usage: nstat [OPTION] [ PATTERN [ PATTERN ] ]',
  '   -h, --help\t\tthis message',
  '   -a, --ignore\tignore history',
  '   -d, --scan=SECS\tsample every statistics every SECS',
  '   -j, --json\t\tformat output in JSON',
  '   -n, --nooutput\tdo history only',
  '   -p, --pretty\tpretty print',
  '   -r, --reset\t\treset history',
  "   -s, --noupdate\tdon't update history",
  '   -t, --interval=SECS\treport average over the last SECS',
  '   -V, --version\toutput version information',
  '   -z, --zeros\t\tshow entries with zero activity',
  '',
].join('\n');

/** Counters nstat leaves out (useless_numbers): configuration constants and a gauge. */
const USELESS = new Set(['IpForwarding', 'IpDefaultTTL', 'TcpRtoAlgorithm', 'TcpRtoMin', 'TcpRtoMax', 'TcpMaxConn', 'TcpCurrEstab']);

/** getopt_long's long options of nstat, and the short option each stands for. */
const LONG_OPTIONS: readonly LongOption[] = [
  ['help', 'h', false],
  ['ignore', 'a', false],
  ['scan', 'd', true],
  ['nooutput', 'n', false],
  ['json', 'j', false],
  ['reset', 'r', false],
  ['noupdate', 's', false],
  ['pretty', 'p', false],
  ['interval', 't', true],
  ['version', 'V', false],
  ['zeros', 'z', false],
];

/** The saved counters of each board, per user (false: the lab's user, true: root). */
const histories = new WeakMap<Board, Map<boolean, Map<string, number>>>();

/** One counter: its nstat id and value. */
type Entry = readonly [string, number];

/** load_ugly_table over /proc text: each header line and the value line after it, as `<Name><field>` ids, in file order. */
function uglyTable(text: string): Entry[] {
  const lines = text.split('\n').filter((l) => l !== '');
  const out: Entry[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = lines[i] as string;
    const colon = head.indexOf(':');
    const name = head.slice(0, colon);
    const fields = head.slice(colon + 2).split(' ');
    const values = (lines[i + 1] as string).slice(colon + 2).split(' ');
    fields.forEach((f, j) => out.push([`${name}${f}`, Number(values[j])]));
  }
  return out;
}

/** The kernel's counters as nstat loads them: /proc/net/snmp's, then /proc/net/netstat's, without the useless ones. */
function kernelCounters(board: Board): Entry[] {
  return [...uglyTable(procNetSnmp(board)), ...uglyTable(procNetNetstat(board))].filter(([id]) => !USELESS.has(id));
}

/** What the command line asked for. */
interface NstatOptions {
  zeros: boolean;
  reset: boolean;
  ignore: boolean;
  noUpdate: boolean;
  noOutput: boolean;
  json: boolean;
  pretty: boolean;
  patterns: RegExp[];
}

/** A parse that ends the command: its result. */
class NstatExit extends Error {
  constructor(readonly result: CommandResult) {
    super(result.stderr);
  }
}

function usage(): NstatExit {
  return new NstatExit(result('', USAGE, 255));
}

/** Apply short option `c` (its argument `arg` when it takes one). */
function applyShort(o: NstatOptions, c: string, arg: string | undefined): void {
  switch (c) {
    case 'z':
      o.zeros = true;
      return;
    case 'r':
      o.reset = true;
      return;
    case 'a':
      o.ignore = true;
      return;
    case 's':
      o.noUpdate = true;
      return;
    case 'n':
      o.noOutput = true;
      return;
    case 'j':
      o.json = true;
      return;
    case 'p':
      o.pretty = true;
      return;
    case 'v':
    case 'V':
      throw new NstatExit(result(`nstat utility, iproute2-${IPROUTE2_VERSION}\n`));
    case 'd':
      // atoi: a leading number, else 0; a positive scan interval forks the sampling daemon.
      if (Number.parseInt(arg ?? '', 10) > 0) throw new NstatExit(result('', 'nstat: the lab runs no daemons: -d SECS (the sampling daemon) is not supported\n', 255));
      return;
    case 't': {
      const m = /^\s*[-+]?\d+/.exec(arg ?? '');
      if (m === null || Number(m[0]) <= 0) throw new NstatExit(result('', 'nstat: invalid time constant divisor\n', 255));
      return;
    }
    default:
      throw usage();
  }
}

/** getopt_long over "h?vVzrnasd:t:jp" and LONG_OPTIONS; a bad option prints glibc's message and the usage. */
function parse(args: readonly string[]): NstatOptions {
  const o: NstatOptions = { zeros: false, reset: false, ignore: false, noUpdate: false, noOutput: false, json: false, pretty: false, patterns: [] };
  try {
    for (const item of getoptLong(args, 'h?vVzrnasd:t:jp', LONG_OPTIONS, 'nstat')) {
      if (item.kind === 'operand') o.patterns.push(componentRegExp(item.text));
      else applyShort(o, item.c, item.arg);
    }
  } catch (e) {
    if (e instanceof GetoptError) throw new NstatExit(result('', `${e.message}\n${USAGE}`, 255));
    throw e;
  }
  return o;
}

/** json_writer's object of `entries` under "kernel", compact or `pretty` (4-space indent, a space after each colon). */
function jsonKernel(entries: readonly Entry[], pretty: boolean): string {
  const w = new JsonWriter(pretty);
  w.startObject();
  w.name('kernel');
  w.startObject();
  for (const [id, v] of entries) w.field(id, v);
  w.endObject();
  w.endObject();
  return w.text();
}

/** The text lines of `entries` (dump_kern_db / dump_incr_db). */
function textKernel(entries: readonly Entry[]): string {
  return `#kernel\n${entries.map(([id, v]) => `${id.padEnd(32)}${String(v).padEnd(16)}${'0.0'.padStart(6)}\n`).join('')}`;
}

/** `nstat [-azrnsjpV] [PATTERN...]` on the board (see the module comment). */
export const nstat: Command = (argv, env) => {
  let o: NstatOptions;
  try {
    o = parse(argv.slice(1));
  } catch (e) {
    if (e instanceof NstatExit) return e.result;
    throw e;
  }
  const board = env.board;
  const root = runsAsRoot(env);
  let perUser = histories.get(board);
  if (perUser === undefined) {
    perUser = new Map();
    histories.set(board, perUser);
  }
  if (o.reset) perUser.delete(root);
  const saved = o.ignore && o.noUpdate ? undefined : perUser.get(root);
  const kern = kernelCounters(board);
  const matches = (id: string): boolean => o.patterns.length === 0 || o.patterns.some((re) => re.test(id));
  let out = '';
  if (!o.noOutput) {
    // Absolute values without a history (or with -a); otherwise the increments since it.
    const incremental = !o.ignore && saved !== undefined && saved.size > 0;
    const shown = kern
      .map(([id, v]): Entry => [id, incremental ? v - (saved.get(id) ?? 0) : v])
      .filter(([id, v]) => (o.zeros || v !== 0) && matches(id));
    out = o.json ? jsonKernel(shown, o.pretty) : textKernel(shown);
  }
  // The history holds what dump_kern_db writes: nonzero counters (all with -z), the unselected ones at their old value.
  if (!o.noUpdate) perUser.set(root, new Map(kern.filter(([, v]) => o.zeros || v !== 0).map(([id, v]) => [id, matches(id) ? v : (saved?.get(id) ?? v)])));
  return result(out);
};
