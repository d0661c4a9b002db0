/**
 * `tc qdisc` (tc/tc_qdisc.c of iproute2 6.1) against the boards' qdiscs: `tc [OPTIONS] qdisc
 * [show|list|ls] [dev DEV] [root|ingress|clsact|parent CLASSID|handle QHANDLE] [invisible]`,
 * and `tc qdisc add|change|replace|link|delete dev DEV [handle QHANDLE] root|parent CLASSID
 * [fq_codel [OPTIONS]|pfifo_fast|mq]`.
 *
 * What it prints is what tc/tc_qdisc.c's print_qdisc makes of the kernel's (6.18) qdisc dump:
 * each device in ifindex order, its root qdisc (dev->qdisc), then the qdiscs hashed under it.
 * The root is the one `ip link` names (NetDevice.rootQdiscKind): the builtin noop of a device
 * never opened is not dumped at all (tc_qdisc_dump_ignore skips TCQ_F_BUILTIN), so such a device
 * shows nothing; lo has noqueue, a single-queue ntb0 one net.core.default_qdisc qdisc
 * (pfifo_fast or fq_codel), a multiqueue ntb0 mq with one per TX queue, or either the qdisc tc
 * grafted at its root; a closed device keeps its qdiscs. The children under mq are
 * dev->qdisc_hash as tc_dump_qdisc walks it (NetDevice.mqChildren): mq_attach hashes the
 * default children of the real TX queues only (mq_change_real_num_tx follows `ethtool -L`),
 * all with handle 0 in bucket 0, newest first — `parent :N` … `parent :1`, or `parent 1:N` …
 * under an mq tc created with handle 1: — and a child tc grafted on a class is hashed by its
 * handle (hash_32(handle, 4): 8001: in bucket 0 before the defaults, 8002: in bucket 8 after
 * them), on a real queue or not; the noop a deleted child leaves is not listed. refcnt is
 * printed when it is not 1: a root qdisc is held by dev->qdisc and each of the num_tx_queues TX
 * queues (2 on a single-queue device), mq and its children hold 1. The default qdiscs have no
 * handle (`0:`), grafted ones theirs. Layout: `qdisc KIND H: [dev DEV ]root | parent CLASSID
 * [refcnt N ]` (print_qdisc, print_devname, print_tc_classid), then the options: pfifo_fast's
 * through prio's printer (q_prio.c prio_print_opt: `bands 3 priomap` and ` %d` per priority,
 * the line ending without a space), fq_codel's as q_fq_codel.c fq_codel_print_opt prints
 * fq_codel_dump (`limit Np flows N quantum N target T [ce_threshold T ]interval T memory_limit
 * SIZE [ecn ]drop_batch N `, the times codel_time_to_us of the CoDel clock through
 * sprint_time's `%.3g`); mq and noqueue dump no options.
 *
 * `-s` adds print_tcstats2_attr's two lines: ` Sent B bytes P pkt (dropped D, overlimits O
 * requeues R) ` and ` backlog SIZE Np requeues R` (sprint_size: `%ub`, or `%gKb`/`%gMb` when
 * within 16 bytes of a KiB multiple / 1 KiB of a MiB one); the qdiscs have no rate estimator, so
 * no rate line; fq_codel then prints fq_codel_print_xstats' `  maxpacket N drop_overlimit N
 * new_flow_count N ecn_mark N` (` ce_mark`, ` memory_used`, ` drop_overmemory` when not 0) and
 * `  new_flows_len N old_flows_len N`. The counters are the model's: a qdisc's own (bytes and
 * packets handed to the driver, drops, overlimits, requeues, backlog, qlen; a root shared by the
 * TX queues is one qdisc); mq's are the sum over all num_tx_queues children, real or not
 * (mq_dump_common); noqueue has no enqueue (__dev_queue_xmit calls the driver directly), so the
 * kernel never counts anything on it and it prints zeros. `-j` prints the same objects (times in
 * µs, sizes in bytes), `-r` adds the raw handle (`[80010000]`); `invisible` changes nothing (no
 * qdisc here is TCQ_F_INVISIBLE).
 *
 * Changes: tc_qdisc_modify's parse (duplicate `dev`/`handle`/`parent`, `help` printing the usage
 * and going on), fq_codel_parse_opt's (get_unsigned, get_time's s/ms/us units, get_size's
 * b/k/m/g/kbit/mbit/gbit; `Illegal "limit"`, `What is "x"?` and the usage, status 1; a 0 limit,
 * flows, quantum, target, interval or drop_batch is not sent; mq and noqueue take no options,
 * parse_noqopt's `Unknown qdisc "mq", hence option "x" is unparsable`, status 1), then the
 * kernel: EPERM (`RTNETLINK answers: Operation not permitted`) unless the line runs under
 * sudo, ENODEV without `dev`, then __tc_modify_qdisc / __tc_get_qdisc with their extack
 * messages (`Error: MSG.`) and errnos, status 2. `replace` (and `add` over a default qdisc)
 * creates and grafts at the root — the handle given or qdisc_alloc_handle's next, 8001: on,
 * counted per board and skipping one in use, taken before the kind's init checks the options (a
 * refused fq_codel or mq uses one up) — replacing every TX queue's qdisc; the same kind with no
 * other handle changes the one there (fq_codel_change: flows fixed, EINVAL; quantum at least
 * 256 and at most 1 MiB, "Invalid quantum"; memory_limit at most 2^31; packets over a lowered
 * limit dequeued and freed); delete of the grafted root restores the defaults at once on an up
 * device, noop until the next open on a down one; a default qdisc cannot be deleted (handle 0).
 * The default mq has no handle, so its classes (`parent :N`) cannot be addressed (qdisc_lookup of 0
 * finds nothing), but the standard recipe works: `sysctl -w net.core.default_qdisc=fq_codel`, then
 * `tc qdisc replace dev ntb0 root handle 1: mq` (mq_init: EOPNOTSUPP, `RTNETLINK answers: Operation
 * not supported`, on a single-queue device or below the root) makes a new mq whose children are the
 * current default_qdisc's, the old qdiscs reset; then `parent 1:N` (mq_find: N in 1..num_tx_queues,
 * real or not, else "Specified class not found") takes `replace`/`add` of fq_codel or pfifo_fast
 * (mq_graft on TX queue N−1; like every graft on an up device it resets all TX queues' qdiscs,
 * dev_deactivate), `change` of the one there, and `delete`, which leaves the builtin noop on that
 * queue (dropping what is sent there into tx_dropped) until something is grafted again; a handle
 * that belongs to another parent is "Cannot move an existing qdisc to a different parent". Refused
 * (status 2, nothing changed): the other kinds (tbf, sfq, htb, mqprio, noqueue, …), ingress and
 * clsact, `estimator`, `stab`, the shared blocks, fq_codel's ce_threshold_selector, and a graft on
 * a noqueue device or before the first open.
 */
import { FqCodel, PFIFO_FAST_BANDS, PFIFO_FAST_PRIOMAP, type FqCodelParams, type NetDevice, type NetStack, type Qdisc } from '@ntbsim/net-core';
import { result, runsAsRoot, type CommandResult, type ShellEnv } from '../../types.js';
import { getUnsigned, strtod } from '../net/cparse.js';
import { JsonWriter, matches } from '../net/iproute2.js';
import { afterUsage, devArg, duparg, extack, formatClassid, idArg, IFNAME_MAX, ifindexOf, invarg, major, PARENT_ID, QDISC_ID, refuse, requestDevice, rtnetlink, sprintSize, sprintTime, tcstatsText, TC_H_INGRESS, TC_H_ROOT, TcExit, TcWords, type BasicStats, type IdSyntax, type QueueStats, type TcOptions } from './util.js';

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

/** lib/color.c's COLOR_IFNAME on a light background (C_CYAN), and C_CLEAR. */
const COLOR_IFNAME = '\x1b[36m';
const COLOR_CLEAR = '\x1b[0m';

/** The counters a qdisc dump carries (TCA_STATS2: gnet_stats_basic and gnet_stats_queue). */
type QdiscCounters = BasicStats & QueueStats;

/** One qdisc of the dump (a tcmsg and its attributes). */
interface QdiscEntry {
  readonly dev: NetDevice;
  readonly kind: 'noqueue' | 'mq' | Qdisc['kind'];
  /** The qdisc whose options (TCA_OPTIONS) and xstats it dumps; null for noqueue and mq. */
  readonly qdisc: Qdisc | null;
  /** tcm_handle: 0 for the default qdiscs. */
  readonly handle: number;
  /** tcm_parent: TC_H_ROOT, or the mq class (`:N`) of a child. */
  readonly parent: number;
  /** tcm_info: the qdisc's refcount. */
  readonly refcnt: number;
  readonly counters: QdiscCounters;
}

/** Sum of qdisc counters (mq_dump_common adds its children's). */
export function sumCounters(qs: readonly Qdisc[]): QdiscCounters {
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

/**
 * What the kernel dumps for `dev`: its root qdisc, then mq's hashed children in the order of
 * dev->qdisc_hash (NetDevice.mqChildren); nothing for noop. A root qdisc is held by dev->qdisc
 * and by each of the num_tx_queues TX queues it serves (qdisc_graft, attach_default_qdiscs):
 * refcnt num_tx_queues + 1.
 */
function deviceQdiscs(dev: NetDevice): QdiscEntry[] {
  const kind = dev.rootQdiscKind;
  const txq = (i: number): Qdisc => dev.txQueue(i).qdisc;
  switch (kind) {
    case 'noop':
      return [];
    case 'noqueue':
      // No enqueue: __dev_queue_xmit hands packets straight to the driver and never counts them here.
      return [{ dev, kind, qdisc: null, handle: 0, parent: TC_H_ROOT, refcnt: 2, counters: sumCounters([]) }];
    case 'mq': {
      const all = Array.from({ length: dev.numTxQueues }, (_, i) => txq(i));
      const handle = dev.rootQdiscHandle;
      const children = dev.mqChildren.map(
        (c): QdiscEntry => ({ dev, kind: c.qdisc.kind, qdisc: c.qdisc, handle: c.qdisc.handle, parent: handle + c.txq + 1, refcnt: 1, counters: sumCounters([c.qdisc]) }),
      );
      return [{ dev, kind, qdisc: null, handle, parent: TC_H_ROOT, refcnt: 1, counters: sumCounters(all) }, ...children];
    }
    case 'pfifo_fast':
    case 'fq_codel': {
      const root = dev.rootQdisc ?? txq(0);
      return [{ dev, kind: root.kind, qdisc: root, handle: root.handle, parent: TC_H_ROOT, refcnt: dev.numTxQueues + 1, counters: sumCounters([root]) }];
    }
  }
}

/** codel_time_to_us of the CoDel time (ns >> 10) of `ns`: what fq_codel_dump reports (µs). */
function codelUs(ns: number): number {
  return Math.floor((Math.floor(ns / 1024) * 1024) / 1000);
}

/** One printed field: its JSON key and value, and its text (print_uint / print_string pairs). */
type Field = readonly [key: string, value: number | boolean, text: string];

/** q_fq_codel.c fq_codel_print_opt over fq_codel_dump's attributes (ce_threshold only when set; no selector: the model has none). */
function fqCodelOptions(p: FqCodelParams): Field[] {
  const f: Field[] = [['limit', p.limit, `limit ${p.limit}p `], ['flows', p.flows, `flows ${p.flows} `], ['quantum', p.quantum, `quantum ${p.quantum} `]];
  const time = (key: string, ns: number): Field => [key, codelUs(ns), `${key} ${sprintTime(codelUs(ns))} `];
  f.push(time('target', p.targetNs));
  if (p.ceThresholdNs !== null) f.push(time('ce_threshold', p.ceThresholdNs));
  f.push(time('interval', p.intervalNs), ['memory_limit', p.memoryLimit, `memory_limit ${sprintSize(p.memoryLimit)} `]);
  if (p.ecn) f.push(['ecn', true, 'ecn ']);
  if (p.dropBatch !== 0) f.push(['drop_batch', p.dropBatch, `drop_batch ${p.dropBatch} `]);
  return f;
}

/** q_fq_codel.c fq_codel_print_xstats (TCA_FQ_CODEL_XSTATS_QDISC): its two lines as fields, `null` where print_nl goes. */
function fqCodelXstats(q: FqCodel): (Field | null)[] {
  const x = q.xstats();
  const f: (Field | null)[] = [['maxpacket', x.maxpacket, `  maxpacket ${x.maxpacket}`], ['drop_overlimit', x.dropOverlimit, ` drop_overlimit ${x.dropOverlimit}`], ['new_flow_count', x.newFlowCount, ` new_flow_count ${x.newFlowCount}`], ['ecn_mark', x.ecnMark, ` ecn_mark ${x.ecnMark}`]];
  if (x.ceMark !== 0) f.push(['ce_mark', x.ceMark, ` ce_mark ${x.ceMark}`]);
  if (x.memoryUsage !== 0) f.push(['memory_used', x.memoryUsage, ` memory_used ${x.memoryUsage}`]);
  if (x.dropOvermemory !== 0) f.push(['drop_overmemory', x.dropOvermemory, ` drop_overmemory ${x.dropOvermemory}`]);
  f.push(null, ['new_flows_len', x.newFlowsLen, `  new_flows_len ${x.newFlowsLen}`], ['old_flows_len', x.oldFlowsLen, ` old_flows_len ${x.oldFlowsLen}`], null);
  return f;
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
  if (e.qdisc instanceof FqCodel) s += fqCodelOptions(e.qdisc.params).map((f) => f[2]).join('');
  s += nl;
  if (l.o.stats > 0) {
    s += tcstatsText(e.counters, e.counters, ' ', nl) + nl;
    if (e.qdisc instanceof FqCodel) s += fqCodelXstats(e.qdisc).map((f) => (f === null ? nl : f[2])).join('');
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
  if (e.qdisc instanceof FqCodel) for (const [k, v] of fqCodelOptions(e.qdisc.params)) w.field(k, v);
  w.endObject();
  if (l.o.stats > 0) {
    const c = e.counters;
    for (const [k, v] of [['bytes', c.bytes], ['packets', c.packets], ['drops', c.drops], ['overlimits', c.overlimits], ['requeues', c.requeues], ['backlog', c.backlog], ['qlen', c.qlen]] as const) w.field(k, v);
    if (e.qdisc instanceof FqCodel) for (const f of fqCodelXstats(e.qdisc)) if (f !== null) w.field(f[0], f[1]);
  }
  w.endObject();
}

/** tc_qdisc_list's `handle H` (get_qdisc_handle, with its own invarg message). */
const HANDLE_ID: IdSyntax = { ...QDISC_ID, invalid: 'invalid handle ID' };

/** tc_qdisc_list: its arguments, then the dump of the board's qdiscs as print_qdisc prints it. */
function qdiscList(args: readonly string[], o: TcOptions, env: ShellEnv): CommandResult {
  let dev = '';
  let filterParent = 0;
  let filterHandle = 0;
  let err = '';
  const words = new TcWords(args);
  for (let w = words.word(); w !== undefined; w = words.word()) {
    // root, ingress/clsact, parent and handle: one QDISC_ID, and for parent and handle its value.
    const qdiscId = (id: IdSyntax | null): number => {
      if (filterParent !== 0) throw invarg('parent is already specified', w);
      if (filterHandle !== 0) throw invarg('handle is already specified', w);
      if (id === null) return w === 'root' ? TC_H_ROOT : TC_H_INGRESS;
      return idArg(words.next(), id);
    };
    if (w === 'dev') dev = words.next().slice(0, IFNAME_MAX);
    else if (w === 'root' || w === 'ingress' || w === 'clsact') filterParent = qdiscId(null);
    else if (matches(w, 'parent')) filterParent = qdiscId(PARENT_ID);
    else if (matches(w, 'handle')) filterHandle = qdiscId(HANDLE_ID);
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

/** q_fq_codel.c explain(), on stderr. */
const FQ_CODEL_USAGE =
  'Usage: ... fq_codel\t[ limit PACKETS ] [ flows NUMBER ]\n' +
  '[ memory_limit BYTES ]\n' +
  '[ target TIME ] [ interval TIME ]\n' +
  '[ quantum BYTES ] [ [no]ecn ]\n' +
  '[ ce_threshold TIME ]\n' +
  '[ ce_threshold_selector VALUE/MASK ]\n' +
  '[ drop_batch SIZE ]\n';

/** The kinds the lab's qdiscs can be (net-core's), and the others a Debian 12 board's tc and 6.18 kernel know: refused, not "unknown". */
const MODELLED_KINDS: readonly string[] = ['fq_codel', 'pfifo_fast', 'mq'];
const OTHER_KINDS: readonly string[] = ['atm', 'bfifo', 'blackhole', 'cake', 'cbs', 'choke', 'clsact', 'codel', 'drr', 'dualpi2', 'etf', 'ets', 'fq', 'fq_pie', 'gred', 'hfsc', 'hhf', 'htb', 'ingress', 'mqprio', 'multiq', 'netem', 'noqueue', 'pfifo', 'pfifo_head_drop', 'pie', 'plug', 'prio', 'qfq', 'red', 'sfb', 'sfq', 'skbprio', 'taprio', 'tbf'];
/** Kinds tc has no option parser for (parse_noqopt): accepted without options, the kernel decides. */
const NOQOPT_KINDS: readonly string[] = ['mq', 'noqueue'];
/** FQ_CODEL_QUANTUM_MAX. */
const FQ_CODEL_QUANTUM_MAX = 1 << 20;

/** A refusal of what the lab does not model (status 2, as a kernel refusal). */
const unmodelled = (what: string): TcExit => refuse(`the lab models the fq_codel, pfifo_fast and mq qdiscs, at a device's root or an mq class: ${what} is not supported`, 2);

/** A double stored into a __u32 on the boards' arm64 (fcvtzu saturates: NaN and negatives 0, too large 0xffffffff). */
function toU32(x: number): number {
  if (Number.isNaN(x) || x <= 0) return 0;
  return x >= 0xffffffff ? 0xffffffff : Math.trunc(x);
}

/** tc_util.c get_time: a number with `s`/`sec`/`secs`, `ms`/`msec`/`msecs` or `us`/`usec`/`usecs` (no unit: µs), as µs; null when malformed. */
function getTime(str: string): number | null {
  const r = strtod(str);
  if (r === null) return null;
  const units: Record<string, number> = { s: 1e6, sec: 1e6, secs: 1e6, ms: 1000, msec: 1000, msecs: 1000, us: 1, usec: 1, usecs: 1 };
  const scale = r.rest === '' ? 1 : units[r.rest.toLowerCase()];
  return scale === undefined ? null : toU32(r.value * scale);
}

/** lib/utils_math.c get_size: a number with `b`, `k`/`kb`, `m`/`mb`, `g`/`gb`, `kbit`, `mbit` or `gbit` (1024-based), in bytes; null when malformed, negative or over UINT_MAX. */
function getSize(str: string): number | null {
  const r = strtod(str);
  if (r === null) return null;
  const units: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1 << 20, mb: 1 << 20, g: 2 ** 30, gb: 2 ** 30, kbit: 128, mbit: 131072, gbit: 134217728 };
  const scale = r.rest === '' ? 1 : units[r.rest.toLowerCase()];
  if (scale === undefined) return null;
  const sz = r.value * scale;
  // *size = sz (a saturating u64 store), then the overflow check *size != floor(sz).
  const stored = Number.isNaN(sz) || sz <= 0 ? 0 : Math.trunc(sz);
  return stored !== Math.floor(sz) || stored > 0xffffffff ? null : stored;
}

/** The TCA_OPTIONS fq_codel_parse_opt puts in the request: what was given, as tc sends it (a 0 limit, flows, quantum, target, interval or drop_batch is not sent; nor ~0 ce_threshold or memory_limit). */
interface FqCodelAttrs {
  limit?: number;
  flows?: number;
  quantum?: number;
  targetUs?: number;
  intervalUs?: number;
  ceThresholdUs?: number;
  memoryLimit?: number;
  ecn?: boolean;
  dropBatch?: number;
}

/** q_fq_codel.c fq_codel_parse_opt over the words after `fq_codel`: its errors end tc with status 1 (255 for an incomplete line). */
function parseFqCodel(args: readonly string[]): FqCodelAttrs {
  const a: FqCodelAttrs = {};
  const fail = (msg: string): TcExit => new TcExit(result('', msg, 1));
  const words = new TcWords(args);
  for (let w = words.word(); w !== undefined; w = words.word()) {
    const value = <T>(parse: (v: string) => T | null): T => {
      const r = parse(words.next());
      if (r === null) throw fail(`Illegal "${w}"\n`);
      return r;
    };
    if (w === 'limit') a.limit = value(getUnsigned);
    else if (w === 'flows') a.flows = value(getUnsigned);
    else if (w === 'quantum') a.quantum = value(getUnsigned);
    else if (w === 'drop_batch') a.dropBatch = value(getUnsigned);
    else if (w === 'target') a.targetUs = value(getTime);
    else if (w === 'ce_threshold') a.ceThresholdUs = value(getTime);
    else if (w === 'ce_threshold_selector') throw unmodelled('fq_codel ce_threshold_selector (the model marks every ECT packet over ce_threshold)');
    else if (w === 'memory_limit') a.memoryLimit = value(getSize);
    else if (w === 'interval') a.intervalUs = value(getTime);
    else if (w === 'ecn') a.ecn = true;
    else if (w === 'noecn') a.ecn = false;
    else if (w === 'help') throw fail(FQ_CODEL_USAGE);
    else throw fail(`What is "${w}"?\n${FQ_CODEL_USAGE}`);
  }
  const sent: FqCodelAttrs = {};
  for (const k of ['limit', 'flows', 'quantum', 'targetUs', 'intervalUs', 'dropBatch'] as const) if (a[k] !== undefined && a[k] !== 0) sent[k] = a[k];
  for (const k of ['ceThresholdUs', 'memoryLimit'] as const) if (a[k] !== undefined && a[k] !== 0xffffffff) sent[k] = a[k];
  if (a.ecn !== undefined) sent.ecn = a.ecn;
  return sent;
}

/**
 * fq_codel_change's checks and conversions of the attributes to the model's parameters:
 * flows (only at creation: EINVAL on an existing qdisc) in 1..65536, quantum raised to 256
 * and at most FQ_CODEL_QUANTUM_MAX ("Invalid quantum"), times µs → ns, drop_batch at least
 * 1, memory_limit at most 2^31.
 */
function fqCodelParams(a: FqCodelAttrs, creating: boolean): Partial<FqCodelParams> {
  const p: { -readonly [K in keyof FqCodelParams]?: FqCodelParams[K] } = {};
  if (a.flows !== undefined) {
    if (!creating || a.flows > 65536) throw rtnetlink('Invalid argument');
    p.flows = a.flows;
  }
  if (a.quantum !== undefined) {
    if (a.quantum > FQ_CODEL_QUANTUM_MAX) throw extack('Invalid quantum');
    p.quantum = Math.max(256, a.quantum);
  }
  if (a.targetUs !== undefined) p.targetNs = a.targetUs * 1000;
  if (a.ceThresholdUs !== undefined) p.ceThresholdNs = a.ceThresholdUs * 1000;
  if (a.intervalUs !== undefined) p.intervalNs = a.intervalUs * 1000;
  if (a.limit !== undefined) p.limit = a.limit;
  if (a.ecn !== undefined) p.ecn = a.ecn;
  if (a.dropBatch !== undefined) p.dropBatch = Math.max(1, a.dropBatch);
  if (a.memoryLimit !== undefined) p.memoryLimit = Math.min(2 ** 31, a.memoryLimit);
  return p;
}

/** The commands that change qdiscs, and their netlink flags (do_qdisc). */
const MODIFY_FLAGS = {
  add: { create: true, excl: true, replace: false },
  change: { create: false, excl: false, replace: false },
  replace: { create: true, excl: false, replace: true },
  link: { create: false, excl: false, replace: true },
  delete: { create: false, excl: false, replace: false },
} as const;
type ModifyCmd = keyof typeof MODIFY_FLAGS;

/** What tc_qdisc_modify sends: the tcmsg's device, handle and parent, TCA_KIND and fq_codel's TCA_OPTIONS. */
interface QdiscRequest {
  readonly cmd: ModifyCmd;
  readonly dev: NetDevice | null;
  readonly handle: number;
  readonly parent: number;
  readonly kind: string;
  readonly fqCodel: FqCodelAttrs | null;
}

/** A qdisc the kernel finds on a device: its kind, handle and parent (sch->parent), and the model's qdisc when it is one (null for noqueue, mq and the root noop). */
export interface Found {
  readonly kind: string;
  readonly handle: number;
  readonly parent: number;
  readonly qdisc: Qdisc | null;
}

/** dev->qdisc: noop before the first open, noqueue, mq (handle 0, or the one tc gave it), or the root qdisc. */
export function rootOf(dev: NetDevice): Found {
  const q = dev.rootQdisc;
  if (q === null) return { kind: dev.rootQdiscKind, handle: dev.rootQdiscHandle, parent: TC_H_ROOT, qdisc: null };
  return { kind: q.kind, handle: q.handle, parent: TC_H_ROOT, qdisc: q };
}

/** The child of mq class `txq + 1` (mq_leaf: the TX queue's qdisc_sleeping, noop included). */
export function mqLeaf(dev: NetDevice, txq: number): Found {
  const q = dev.txQueue(txq).qdisc;
  return { kind: q.kind, handle: q.handle, parent: dev.rootQdiscHandle + txq + 1, qdisc: q };
}

/**
 * qdisc_match_from_root(dev->qdisc, handle): the root when it is not the builtin noop and has
 * that handle, else the first qdisc with it in its dev->qdisc_hash bucket (mqChildren keeps each
 * bucket's order), or null.
 */
export function matchFromRoot(dev: NetDevice, handle: number): Found | null {
  const root = rootOf(dev);
  if (root.kind !== 'noop' && root.handle === handle) return root;
  const child = dev.mqChildren.find((c) => c.qdisc.handle === handle);
  return child === undefined ? null : mqLeaf(dev, child.txq);
}

/** qdisc_lookup(dev, handle): qdisc_match_from_root, never for handle 0 (the boards' devices have no ingress queue to search). */
export function lookup(dev: NetDevice, handle: number): Found | null {
  return handle === 0 ? null : matchFromRoot(dev, handle);
}

/**
 * qdisc_lookup of a parent's major (`notFound` when there is none), then qdisc_leaf of the
 * class: mq_find's classes are 1..num_tx_queues (real or not), and their leaf the TX queue's
 * qdisc; fq_codel's class ops find no class; pfifo_fast has none (EOPNOTSUPP).
 */
function leafOf(dev: NetDevice, clid: number, notFound: string): Found {
  const p = lookup(dev, major(clid));
  if (p === null) throw extack(notFound);
  if (p.kind === 'pfifo_fast') throw extack('Parent qdisc is not classful');
  const n = clid & 0xffff;
  if (p.kind !== 'mq' || n === 0 || n > dev.numTxQueues) throw extack('Specified class not found');
  return mqLeaf(dev, n - 1);
}

/** Handles in use on `dev` (qdisc_lookup finds them: the root's and the hashed children's). */
function handlesOf(dev: NetDevice): Set<number> {
  return new Set<number>([rootOf(dev).handle, ...dev.mqChildren.map((c) => c.qdisc.handle)]);
}

/** The per-host `autohandle` of qdisc_alloc_handle (the kernel's static; each board its own). */
const autohandles = new WeakMap<NetStack, number>();

/** qdisc_alloc_handle: the next free major from 8001: (8000: after ffff:) on this host, skipping the device's handles in use; 0 when none is left. */
function allocHandle(stack: NetStack, dev: NetDevice): number {
  const used = handlesOf(dev);
  let h = autohandles.get(stack) ?? 0x80000000;
  for (let i = 0x8000; i > 0; i--) {
    h += 0x10000;
    if (h === 0xffff0000) h = 0x80000000;
    if (!used.has(h)) break;
  }
  autohandles.set(stack, h);
  return used.has(h) ? 0 : h;
}

/**
 * qdisc_create then qdisc_graft (create_n_graft) at the root or, under mq (`p`), at the class of
 * `req.parent`: a new qdisc of `req.kind` with `req.handle`, or the next one qdisc_alloc_handle
 * gives — taken before the kind's init checks its options, so a refused init still uses it up.
 * mq_init refuses a parent other than the root and a single-queue device (EOPNOTSUPP, no extack)
 * and makes children of net.core.default_qdisc.
 */
function createAndGraft(req: QdiscRequest, dev: NetDevice, stack: NetStack, p: Found | null): void {
  const kind = req.kind;
  if (!MODELLED_KINDS.includes(kind)) {
    if (OTHER_KINDS.includes(kind)) throw unmodelled(`creating a ${kind} qdisc`);
    throw extack('Specified qdisc kind is unknown');
  }
  if (dev.rootQdiscKind === 'noop') throw unmodelled(`grafting on ${dev.name} before its first open (its root is still the builtin noop; bring it up first)`);
  if (dev.noQueue) throw unmodelled(`grafting on ${dev.name}, a noqueue device (IFF_NO_QUEUE)`);
  const handle = req.handle !== 0 ? req.handle : allocHandle(stack, dev);
  if (handle === 0) throw extack('Maximum number of qdisc handles was exceeded');
  if (kind === 'mq') {
    if (req.parent !== TC_H_ROOT || dev.numTxQueues === 1) throw rtnetlink('Operation not supported');
    dev.graftMq(handle);
    return;
  }
  const params = req.fqCodel === null ? {} : fqCodelParams(req.fqCodel, true);
  const q = dev.createQdisc(kind === 'fq_codel' ? 'fq_codel' : 'pfifo_fast', params);
  q.handle = handle;
  dev.replaceQdisc(p === null ? { root: true } : { txq: (req.parent & 0xffff) - 1 }, q);
}

/** qdisc_change on an existing qdisc: fq_codel_change with the options given; pfifo_fast has none to change. */
function changeQdisc(q: Found, req: QdiscRequest): void {
  if (req.fqCodel !== null && q.qdisc instanceof FqCodel) q.qdisc.change(fqCodelParams(req.fqCodel, false));
}

/** sch_api.c __tc_modify_qdisc for a request at the root, a class, or by handle (add, change, replace, link). */
function modifyQdisc(req: QdiscRequest, dev: NetDevice, stack: NetStack): void {
  const flags = MODIFY_FLAGS[req.cmd];
  const clid = req.parent;
  let q: Found | null;
  if (clid !== 0) {
    if (clid === TC_H_INGRESS) throw unmodelled('an ingress or clsact qdisc');
    let p: Found | null = null;
    if (clid !== TC_H_ROOT) {
      q = leafOf(dev, clid, 'Failed to find specified qdisc');
      p = rootOf(dev);
    } else q = rootOf(dev);
    // It may be the default qdisc (handle 0, or noop): ignored, as if none were there.
    if (q.handle === 0) q = null;
    if (q === null || req.handle === 0 || q.handle !== req.handle) {
      if (req.handle !== 0) {
        if (q !== null && !flags.replace) throw extack('NLM_F_REPLACE needed to override');
        const other = lookup(dev, req.handle);
        if (other === null) {
          if (!flags.create) throw extack('Qdisc not found. To create specify NLM_F_CREATE flag');
          return createAndGraft(req, dev, stack, p);
        }
        // The qdisc with that handle is elsewhere (the one here would have matched it).
        throw extack('Cannot move an existing qdisc to a different parent');
      }
      if (q === null) {
        if (!flags.create) throw extack('Qdisc not found. To create specify NLM_F_CREATE flag');
        return createAndGraft(req, dev, stack, p);
      }
      if (req.kind !== '' && req.kind !== q.kind) {
        if (flags.create && (flags.replace || flags.excl)) return createAndGraft(req, dev, stack, p);
        // A change (no flags) of another kind creates and grafts too: "sort of hole in API".
        if (!flags.create && !flags.replace && !flags.excl) return createAndGraft(req, dev, stack, p);
      }
    }
  } else {
    if (req.handle === 0) throw extack('Handle cannot be zero');
    q = lookup(dev, req.handle);
  }
  if (q === null) throw extack('Specified qdisc not found');
  if (flags.excl) throw extack('Exclusivity flag on, cannot modify');
  if (req.kind !== '' && req.kind !== q.kind) throw extack('Invalid qdisc name: must match existing qdisc');
  changeQdisc(q, req);
}

/**
 * sch_api.c __tc_get_qdisc for RTM_DELQDISC: only a qdisc with a handle can go; at the root the
 * defaults come back (deleteRootQdisc), at an mq class noop is left (deleteMqChild).
 */
function deleteQdisc(req: QdiscRequest, dev: NetDevice): void {
  const clid = req.parent;
  let q: Found | null;
  if (clid !== 0) {
    if (clid === TC_H_ROOT) q = rootOf(dev);
    // The ingress major: the boards' devices have no ingress queue (no ingress or clsact was ever added).
    else if (major(clid) === 0xffff0000) q = null;
    else q = leafOf(dev, clid, 'Failed to find qdisc with specified classid');
    if (q === null) throw extack('Cannot find specified qdisc on specified device');
    if (req.handle !== 0 && q.handle !== req.handle) throw extack('Invalid handle');
  } else {
    q = lookup(dev, req.handle);
    if (q === null) throw extack('Failed to find qdisc with specified handle');
  }
  if (req.kind !== '' && req.kind !== q.kind) throw extack('Invalid qdisc name: must match existing qdisc');
  if (clid === 0) throw extack('Classid cannot be zero');
  if (q.handle === 0) throw extack('Cannot delete qdisc with handle of zero');
  if (clid === TC_H_ROOT) dev.deleteRootQdisc();
  else dev.deleteMqChild((clid & 0xffff) - 1);
}

/**
 * tc_qdisc.c tc_qdisc_modify: tc's parse of `dev`, `handle`, `root`, `parent` and the kind with
 * its options (usage errors 255, option errors 1, an unknown device 1), then the kernel's
 * answer (status 2): EPERM unless run as root, ENODEV without a device, then
 * __tc_modify_qdisc or __tc_get_qdisc on the board's device.
 */
function qdiscModify(cmd: ModifyCmd, args: readonly string[], env: ShellEnv): CommandResult {
  let devName = '';
  let handle = 0;
  let parent = 0;
  let kind = '';
  let rest: readonly string[] = [];
  let usage = '';
  const words = new TcWords(args);
  for (let w = words.word(); w !== undefined; w = words.word()) {
    if (w === 'dev') devName = devArg(devName, words.next());
    else if (w === 'handle') {
      if (handle !== 0) throw duparg('handle', w);
      handle = idArg(words.next(), QDISC_ID);
    } else if (w === 'root') {
      if (parent !== 0) throw new TcExit(result('', `${usage}Error: "root" is duplicate parent ID\n`, 255));
      parent = TC_H_ROOT;
    } else if (w === 'clsact' || w === 'ingress') {
      if (parent !== 0) throw new TcExit(result('', `${usage}Error: "${w}" is a duplicate parent ID\n`, 255));
      if (cmd !== 'delete' || words.rest().length > 0) throw unmodelled(`an ${w} qdisc`);
      parent = TC_H_INGRESS;
      handle = 0xffff0000;
      kind = w;
      break;
    } else if (w === 'parent') {
      const v = words.next();
      if (parent !== 0) throw duparg('parent', v);
      parent = idArg(v, PARENT_ID);
    } else if (matches(w, 'estimator') || matches(w, 'stab') || matches(w, 'ingress_block') || matches(w, 'egress_block')) {
      throw unmodelled(`tc qdisc ${w} (rate estimators, size tables and shared filter blocks)`);
    } else if (matches(w, 'help')) usage += QDISC_USAGE;
    else {
      kind = w.slice(0, IFNAME_MAX);
      rest = words.rest();
      break;
    }
  }
  let fqCodel: FqCodelAttrs | null = null;
  if (kind === 'fq_codel') fqCodel = parseFqCodel(rest);
  else if (kind === 'pfifo_fast') {
    if (rest.length > 0) throw new TcExit(result('', `${usage}qdisc 'pfifo_fast' does not support option parsing\n`, 255));
  } else if (OTHER_KINDS.includes(kind) && kind !== 'ingress' && kind !== 'clsact' && !NOQOPT_KINDS.includes(kind)) {
    throw unmodelled(`the ${kind} qdisc`);
  } else if (kind !== '' && rest.length > 0 && (NOQOPT_KINDS.includes(kind) || !OTHER_KINDS.includes(kind))) {
    throw new TcExit(result('', `${usage}Unknown qdisc "${kind}", hence option "${rest[0] as string}" is unparsable\n`, 1));
  }
  const board = env.board;
  const dev = requestDevice(board, devName, usage);
  const answer = (): void => {
    // rtnetlink_rcv_msg: a request that changes something needs CAP_NET_ADMIN.
    if (!runsAsRoot(env)) throw rtnetlink('Operation not permitted');
    if (dev === null) throw rtnetlink('No such device');
    const req: QdiscRequest = { cmd, dev, handle, parent, kind, fqCodel };
    if (cmd === 'delete') deleteQdisc(req, dev);
    else modifyQdisc(req, dev, board.stack);
  };
  return afterUsage({ text: usage }, () => {
    answer();
    return result('', '', 0);
  });
}

/** tc_qdisc.c do_qdisc: the listing, its usage, or a command that changes qdiscs. */
export function doQdisc(args: readonly string[], o: TcOptions, env: ShellEnv): CommandResult {
  const [verb, ...rest] = args;
  if (verb === undefined) return qdiscList([], o, env);
  const change = (['add', 'change', 'replace', 'link', 'delete'] as const).find((c) => matches(verb, c));
  if (change !== undefined) return qdiscModify(change, rest, env);
  if (matches(verb, 'list') || matches(verb, 'show') || matches(verb, 'lst')) return qdiscList(rest, o, env);
  if (matches(verb, 'help')) return result('', QDISC_USAGE, 0);
  throw new TcExit(result('', `Command "${verb}" is unknown, try "tc qdisc help".\n`, 255));
}

/** tc.c's objects other than qdisc, in do_cmd's order. */
