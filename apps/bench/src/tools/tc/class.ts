/**
 * `tc class` (tc/tc_class.c of iproute2 6.1) against the boards' qdiscs: `tc [-s] [-g] class
 * [show|list|lst] dev DEV [root|parent CLASSID] [classid CLASSID] [qdisc QHANDLE]`, and `tc class
 * add|change|replace|delete dev DEV [classid CLASSID] [root|parent CLASSID] [KIND [OPTIONS]]`.
 *
 * The listing is what print_class makes of the kernel's (6.18) class dump, tc_dump_tclass: the
 * root qdisc (dev->qdisc), then every qdisc in dev->qdisc_hash (NetDevice.mqChildren's order),
 * each one with class ops walked (cl_ops->walk, ->dump, ->dump_stats); no `dev`, no device, no
 * dump (tc_dump_tclass needs tcm_ifindex), so nothing and status 0. mq (sch_mq.c mq_walk) has one
 * class per TX queue, all num_tx_queues of them, real or not: `class mq :N root ` (tcm_handle is
 * mq's handle with the minor N, so `1:N` under an mq tc created with handle 1:; mq_dump_class
 * makes the parent TC_H_ROOT) and `leaf H: ` when the queue's qdisc has a handle (tcm_info; the
 * default children have none, nor the noop a deleted child leaves); `-s` adds the leaf's counters
 * (mq_dump_class_stats: basic and queue stats, print_tcstats2_attr's two lines). fq_codel
 * (sch_fq_codel.c fq_codel_walk) has one class per flow bucket on new_flows or old_flows, by bucket
 * index — a flow stays listed while empty until a dequeue finds it so — `class fq_codel H:N parent
 * H: ` with N the bucket + 1 (fq_codel_dump_class; `:N parent none` for a default fq_codel, whose
 * handle is 0); its `-s` (fq_codel_dump_class_stats) has queue stats only, so the first line has
 * no `Sent` (` (dropped 0, overlimits 0 requeues 0) `: it reports no drops for a flow), the
 * flow's backlog and packets, then q_fq_codel.c fq_codel_print_xstats' class line `  deficit D
 * count C lastcount L ldelay T` and ` dropping drop_next [-]T` while CoDel drops (sprint_time of
 * µs). pfifo_fast and noqueue have no class ops (nothing listed, so nothing on a baseline ntb0 or
 * lo); the builtin noop is never dumped.
 *
 * Filters: `parent X` (and `root`, TC_H_ROOT) goes to the kernel, which walks only the qdiscs whose
 * handle is X's major — the root when it matches, and the one qdisc_match_from_root finds (a
 * default child under mq 1: for `parent :N`; for `root`, major ffff:, nothing unless a qdisc has
 * that handle);
 * `classid X` and `qdisc H` are tc's (print_class skips the others; with `qdisc` the handle and
 * parent print as their minors). Output forms as tc 6.1 has them for classes: print_class ends a
 * line with `\n` (fprintf), only the stats lines' middle break follows `-o`; no JSON (`-j` and `-p`
 * print the same text: tc_class.c learned JSON after 6.1, in January 2023); no colour; `-g` draws
 * graph_cls_show's tree of the classes whose parent is the root — mq's, listed last first, each
 * `+---(:N) mq ` with `-s` its counters indented under it — with the filters of tc ignored; the
 * classes of fq_codel hang off its handle, which no class has, so they are never drawn.
 *
 * Changes (tc_class_modify, then tc_ctl_tclass): tc's parse (duplicate `dev`/`classid`/`parent`,
 * `root` twice, `handle` (`Error: try "classid" instead of "handle"`), `help` printing the usage
 * and going on), a KIND without class options (`Error: Qdisc "mq" is classless.`, status 1: only
 * atm, cbq, drr, dsmark, ets, hfsc, htb and qfq have them, and the lab does not parse those:
 * refused), an unknown device (status 1); then the kernel: EPERM unless under sudo, ENODEV without
 * `dev`, the qdisc from the classid's or the parent's major (EINVAL when both are given and
 * differ, dev->qdisc's when neither is), ENOENT when there is none (so always on the default mq,
 * whose handle is 0), EINVAL when it has no class ops; mq_find has classes 1..num_tx_queues and
 * fq_codel_find none; then ENOENT for a missing class unless add or replace (NLM_F_CREATE),
 * EEXIST for add of an existing one, EOPNOTSUPP for delete (mq has no class delete) and for
 * everything else (neither has a class change), after the extack "Cannot create traffic class
 * with classid TC_H_ROOT". Nothing ever changes. `estimator` is refused (no rate estimators).
 */
import type { FqCodelFlowStats, NetDevice } from '@ntbsim/net-core';
import { FqCodel } from '@ntbsim/net-core';
import { result, runsAsRoot, type CommandResult, type ShellEnv } from '../../types.js';
import { matches } from '../net/iproute2.js';
import { lookup, matchFromRoot, mqLeaf, rootOf, sumCounters, type Found } from './qdisc.js';
import { afterUsage, CLASS_ID, devArg, duparg, extack, formatClassid, idArg, ifindexOf, major, PARENT_ID, QDISC_ID, refuse, requestDevice, rtnetlink, sprintTime, TC_H_ROOT, tcstatsText, TcExit, TcWords, type BasicStats, type QueueStats, type TcOptions } from './util.js';

/** tc_class.c usage(), on stderr. */
export const CLASS_USAGE =
  'Usage: tc class [ add | del | change | replace | show ] dev STRING\n' +
  '       [ classid CLASSID ] [ root | parent CLASSID ]\n' +
  '       [ [ QDISC_KIND ] [ help | OPTIONS ] ]\n' +
  '\n' +
  '       tc class show [ dev STRING ] [ root | parent CLASSID ]\n' +
  'Where:\n' +
  'QDISC_KIND := { prio | cbq | etc. }\n' +
  'OPTIONS := ... try tc class add <desired QDISC_KIND> help\n';

/** The qdisc kinds tc 6.1 has class options for (a qdisc_util with parse_copt); every other kind is classless to tc. */
const CLASS_OPTION_KINDS: readonly string[] = ['atm', 'cbq', 'drr', 'dsmark', 'ets', 'hfsc', 'htb', 'qfq'];

/** One class of the kernel's dump (tc_fill_tclass): its tcmsg and its attributes. */
interface ClassEntry {
  /** TCA_KIND: the qdisc's. */
  readonly kind: 'mq' | 'fq_codel';
  /** tcm_handle: the qdisc's handle with the class's minor. */
  readonly handle: number;
  /** tcm_parent: TC_H_ROOT for mq's classes, the qdisc's handle for fq_codel's. */
  readonly parent: number;
  /** tcm_info: mq's leaf qdisc's handle, else 0. */
  readonly leaf: number;
  /** TCA_STATS_BASIC, when the class dumps it (mq: its leaf's). */
  readonly basic: BasicStats | null;
  /** TCA_STATS_QUEUE. */
  readonly queue: QueueStats;
  /** fq_codel's TCA_STATS_APP (TCA_FQ_CODEL_XSTATS_CLASS), else null. */
  readonly flow: FqCodelFlowStats | null;
}

/** cl_ops->walk over `q` with ->dump and ->dump_stats of each class (mq_walk, fq_codel_walk); nothing for a qdisc without class ops (pfifo_fast, noqueue, the builtin noop). */
function walk(dev: NetDevice, q: Found): ClassEntry[] {
  if (q.kind === 'mq') {
    return Array.from({ length: dev.numTxQueues }, (_, txq): ClassEntry => {
      const leaf = dev.txQueue(txq).qdisc;
      const c = sumCounters([leaf]);
      return { kind: 'mq', handle: q.handle + txq + 1, parent: TC_H_ROOT, leaf: leaf.handle, basic: c, queue: c, flow: null };
    });
  }
  if (!(q.qdisc instanceof FqCodel)) return [];
  return q.qdisc.flowStats().map((f) => ({
    kind: 'fq_codel',
    // TC_H_MIN of the class: bucket 65535 of a 65536-flow fq_codel wraps to minor 0.
    handle: (q.handle | ((f.index + 1) & 0xffff)) >>> 0,
    parent: q.handle,
    leaf: 0,
    basic: null,
    queue: { drops: 0, overlimits: 0, requeues: 0, backlog: f.backlog, qlen: f.qlen },
    flow: f,
  }));
}

/**
 * tc_dump_tclass on `dev` with tcm_parent `parent`: the root, then the hashed qdiscs (with a
 * parent, only the one qdisc_match_from_root finds for its major, if it is not the root), each
 * walked unless a parent is given whose major is not its handle (tc_dump_tclass_qdisc).
 */
function classDump(dev: NetDevice, parent: number): ClassEntry[] {
  const root = rootOf(dev);
  const visit = (q: Found): ClassEntry[] => (parent !== 0 && major(parent) !== q.handle ? [] : walk(dev, q));
  const out = visit(root);
  if (parent === 0) return out.concat(dev.mqChildren.flatMap((c) => visit(mqLeaf(dev, c.txq))));
  const q = matchFromRoot(dev, major(parent));
  // The root's Found has parent TC_H_ROOT, a hashed child the mq class it hangs on.
  return q === null || q.parent === TC_H_ROOT ? out : out.concat(visit(q));
}

/** fq_codel_print_xstats' class line (TCA_FQ_CODEL_XSTATS_CLASS). */
function flowXstats(f: FqCodelFlowStats): string {
  let s = `  deficit ${f.deficit} count ${f.count} lastcount ${f.lastcount} ldelay ${sprintTime(f.ldelayUs)}`;
  if (f.dropping) s += f.dropNextUs < 0 ? ` dropping drop_next -${sprintTime(-f.dropNextUs)}` : ` dropping drop_next ${sprintTime(f.dropNextUs)}`;
  return s;
}

/** What print_class filters on and prints by (tc_class_list's filter_qdisc and filter_classid). */
interface ClassFilter {
  readonly qdisc: number;
  readonly classid: number;
}

/** print_class for one class: its line and, with -s, its counters and xstats (only the counters' middle break follows -o). */
function printClass(e: ClassEntry, f: ClassFilter, o: TcOptions): string {
  const id = (h: number): string => formatClassid(f.qdisc !== 0 ? h & 0xffff : h);
  let s = `class ${e.kind} ${e.handle === 0 ? '' : id(e.handle)} `;
  s += e.parent === TC_H_ROOT ? 'root ' : `parent ${id(e.parent)} `;
  if (e.leaf !== 0) s += `leaf ${(e.leaf >>> 16).toString(16)}: `;
  s += '\n';
  if (o.stats > 0) {
    s += `${tcstatsText(e.basic, e.queue, ' ', o.oneline ? '\\' : '\n')}\n`;
    if (e.flow !== null) s += `${flowXstats(e.flow)}\n`;
  }
  return s;
}

/**
 * graph_cls_show over the classes whose parent is TC_H_ROOT (graph_node_add puts them at the head
 * of root_cls_list, so the last dumped comes first). None of the lab's has children (a class's
 * parent would have to be another class's id; fq_codel's hang off its handle H:, which no class
 * has, and so are never drawn), so each is a leaf of the tree: `+---(ID) KIND `, with -s a newline
 * and its counters under it (prefix: `|     ` but after the last, then strlen(kind) − 2 +
 * strlen(ID) spaces), a line `|     ` between two, and an empty line after the last.
 */
function printGraph(entries: readonly ClassEntry[], o: TcOptions): string {
  const roots = entries.filter((e) => e.parent === TC_H_ROOT).reverse();
  return roots
    .map((e, i) => {
      const last = i === roots.length - 1;
      const id = formatClassid(e.handle);
      let s = `+---(${id}) ${e.kind} `;
      if (o.stats > 0) {
        const indent = `${last ? '      ' : '|     '}${' '.repeat(Math.max(0, e.kind.length - 2 + id.length))}`;
        s += `\n${tcstatsText(e.basic, e.queue, indent, o.oneline ? '\\' : '\n')}`;
        if (!last) s += '\n|     ';
      }
      return `${s}\n${last ? '\n' : ''}`;
    })
    .join('');
}

/** tc_class_list: its arguments, then the dump of the device's classes as print_class prints it. */
function classList(args: readonly string[], o: TcOptions, env: ShellEnv): CommandResult {
  const usage = { text: '' };
  return afterUsage(usage, () => listClasses(args, o, env, usage));
}

/** classList's parse and dump; `usage` collects what `help` printed. */
function listClasses(args: readonly string[], o: TcOptions, env: ShellEnv, usage: { text: string }): CommandResult {
  let dev = '';
  let parent = 0;
  let filter: ClassFilter = { qdisc: 0, classid: 0 };
  const words = new TcWords(args);
  for (let w = words.word(); w !== undefined; w = words.word()) {
    if (w === 'dev') dev = devArg(dev, words.next());
    else if (w === 'qdisc') {
      const v = words.next();
      if (filter.qdisc !== 0) throw duparg('qdisc', v);
      filter = { ...filter, qdisc: idArg(v, QDISC_ID) };
    } else if (w === 'classid') {
      const v = words.next();
      if (filter.classid !== 0) throw duparg('classid', v);
      filter = { ...filter, classid: idArg(v, CLASS_ID) };
    } else if (w === 'root') {
      if (parent !== 0) throw new TcExit(result('', 'Error: "root" is duplicate parent ID\n', 255));
      parent = TC_H_ROOT;
    } else if (w === 'parent') {
      // tc checks for a second parent before it takes the value: duparg names the keyword.
      if (parent !== 0) throw duparg('parent', w);
      parent = idArg(words.next(), PARENT_ID);
    } else if (matches(w, 'help')) usage.text += CLASS_USAGE;
    else throw new TcExit(result('', `What is "${w}"? Try "tc class help".\n`, 255));
  }
  // Without a device the request has tcm_ifindex 0, which tc_dump_tclass answers with nothing.
  if (dev === '') return result('', '', 0);
  const board = env.board;
  const ifindex = ifindexOf(board, dev);
  if (ifindex === 0) throw new TcExit(result('', `Cannot find device "${dev}"\n`, 1));
  const nd = board.stack.devices.find((d) => d.ifindex === ifindex);
  const entries = nd === undefined ? [] : classDump(nd, parent);
  if (o.graph) return result(printGraph(entries, o), '', 0);
  const shown = entries.filter((e) => (filter.qdisc === 0 || major(e.handle) === filter.qdisc) && (filter.classid === 0 || e.handle === filter.classid));
  return result(shown.map((e) => printClass(e, filter, o)).join(''), '', 0);
}

/** The commands that change classes, and their netlink message and flags (do_class). */
const CLASS_CMDS = {
  add: { del: false, create: true, excl: true },
  change: { del: false, create: false, excl: false },
  replace: { del: false, create: true, excl: false },
  delete: { del: true, create: false, excl: false },
} as const;
type ClassCmd = keyof typeof CLASS_CMDS;

/**
 * sch_api.c tc_ctl_tclass for `cmd` with tcm_parent `parent` and tcm_handle `classid`: find the
 * qdisc and the class, then refuse as the kernel does for mq and fq_codel (neither has a class
 * change or delete); always throws.
 */
function ctlClass(cmd: ClassCmd, dev: NetDevice, parent: number, classid: number): never {
  const flags = CLASS_CMDS[cmd];
  let qid = major(classid);
  let portid = parent;
  if (portid !== TC_H_ROOT) {
    const qid1 = major(portid);
    if (qid !== 0 && qid1 !== 0) {
      if (qid !== qid1) throw rtnetlink('Invalid argument');
    } else if (qid1 !== 0) qid = qid1;
    else if (qid === 0) qid = rootOf(dev).handle;
    if (portid !== 0) portid = (qid | (portid & 0xffff)) >>> 0;
  } else if (qid === 0) qid = rootOf(dev).handle;
  const q = lookup(dev, qid);
  if (q === null) throw rtnetlink('No such file or directory');
  if (q.kind !== 'mq' && q.kind !== 'fq_codel') throw rtnetlink('Invalid argument');
  let clid = classid;
  if (clid === 0) clid = portid === TC_H_ROOT ? qid : 0;
  else clid = (qid | (clid & 0xffff)) >>> 0;
  // mq_find: TX queue minor − 1 (a minor of 0 wraps past every queue); fq_codel_find finds nothing.
  const n = clid & 0xffff;
  const found = clid !== 0 && q.kind === 'mq' && n >= 1 && n <= dev.numTxQueues;
  if (!found) {
    if (!flags.create) throw rtnetlink('No such file or directory');
  } else {
    if (flags.excl) throw rtnetlink('File exists');
    // tclass_del_notify: no cl_ops->delete.
    if (flags.del) throw rtnetlink('Operation not supported');
  }
  if (clid === TC_H_ROOT) throw extack('Cannot create traffic class with classid TC_H_ROOT');
  // No cl_ops->change.
  throw rtnetlink('Operation not supported');
}

/**
 * tc_class.c tc_class_modify: tc's parse (usage errors 255; a classless KIND and an unknown
 * device 1), then the kernel's answer (status 2): EPERM unless run as root, ENODEV without a
 * device, then tc_ctl_tclass on the board's device.
 */
function classModify(cmd: ClassCmd, args: readonly string[], env: ShellEnv): CommandResult {
  const usage = { text: '' };
  return afterUsage(usage, () => modifyClass(cmd, args, env, usage));
}

/** classModify's parse and request; `usage` collects what `help` printed. Always ends the run (TcExit). */
function modifyClass(cmd: ClassCmd, args: readonly string[], env: ShellEnv, usage: { text: string }): never {
  let devName = '';
  let classid = 0;
  let parent = 0;
  let kind = '';
  const words = new TcWords(args);
  for (let w = words.word(); w !== undefined; w = words.word()) {
    if (w === 'dev') devName = devArg(devName, words.next());
    else if (w === 'classid') {
      const v = words.next();
      if (classid !== 0) throw duparg('classid', v);
      classid = idArg(v, CLASS_ID);
    } else if (w === 'handle') {
      throw new TcExit(result('', 'Error: try "classid" instead of "handle"\n', 255));
    } else if (w === 'root') {
      if (parent !== 0) throw new TcExit(result('', 'Error: "root" is duplicate parent ID.\n', 255));
      parent = TC_H_ROOT;
    } else if (w === 'parent') {
      const v = words.next();
      if (parent !== 0) throw duparg('parent', v);
      parent = idArg(v, PARENT_ID);
    } else if (matches(w, 'estimator')) {
      throw refuse('the lab has no rate estimators: tc class estimator is not supported', 2);
    } else if (matches(w, 'help')) usage.text += CLASS_USAGE;
    else {
      // FILTER_NAMESZ − 1; the words after it are the kind's class options.
      kind = w.slice(0, 15);
      break;
    }
  }
  if (kind !== '') {
    if (!CLASS_OPTION_KINDS.includes(kind)) throw new TcExit(result('', `Error: Qdisc "${kind}" is classless.\n`, 1));
    throw refuse(`the lab's qdiscs are mq and fq_codel, and its tc does not parse ${kind}'s class options: tc class ${cmd} … ${kind} is not supported`, 2);
  }
  const board = env.board;
  const dev = requestDevice(board, devName);
  // rtnetlink_rcv_msg: a request that changes something needs CAP_NET_ADMIN.
  if (!runsAsRoot(env)) throw rtnetlink('Operation not permitted');
  if (dev === null) throw rtnetlink('No such device');
  return ctlClass(cmd, dev, parent, classid);
}

/** tc_class.c do_class: the listing, its usage, or a command that would change classes. */
export function doClass(args: readonly string[], o: TcOptions, env: ShellEnv): CommandResult {
  const [verb, ...rest] = args;
  if (verb === undefined) return classList([], o, env);
  const change = (['add', 'change', 'replace', 'delete'] as const).find((c) => matches(verb, c));
  if (change !== undefined) return classModify(change, rest, env);
  if (matches(verb, 'list') || matches(verb, 'show') || matches(verb, 'lst')) return classList(rest, o, env);
  if (matches(verb, 'help')) return result('', CLASS_USAGE, 0);
  throw new TcExit(result('', `Command "${verb}" is unknown, try "tc class help".\n`, 255));
}
