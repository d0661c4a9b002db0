/**
 * What tc's commands share, as iproute2 6.1 has it in tc/tc_util.c and lib/utils.c: the handle
 * and classid parsers and printer (get_qdisc_handle, get_tc_classid, print_tc_classid),
 * sprint_time and sprint_size, ll_name_to_index over a board's devices, and the ways a run ends
 * early (usage errors with status 255, the kernel's refusals with status 2).
 */
import type { Board } from '../../lab/lab.js';
import type { NetDevice } from '@ntbsim/net-core';
import { result, type CommandResult } from '../../types.js';
import { cGeneral } from '../net/cformat.js';

/** TC_H_ROOT: the parent of a root qdisc. */
export const TC_H_ROOT = 0xffffffff;
/** TC_H_INGRESS (= TC_H_CLSACT): the parent of an ingress or clsact qdisc. */
export const TC_H_INGRESS = 0xfffffff1;
/** IFNAMSIZ − 1: tc copies at most this much of a `dev` argument. */
export const IFNAME_MAX = 15;

/** A tc run that ends early: what it printed and its status. */
export class TcExit extends Error {
  constructor(readonly result: CommandResult) {
    super(result.stderr);
  }
}

/** `run`'s result, or how a TcExit ended it, after the usage `help` words printed on stderr (tc prints it as it parses). */
export function afterUsage(usage: { text: string }, run: () => CommandResult): CommandResult {
  let r: CommandResult;
  try {
    r = run();
  } catch (e) {
    if (!(e instanceof TcExit)) throw e;
    r = e.result;
  }
  return { ...r, stderr: usage.text + r.stderr };
}

/** What tc's global options asked for (the ones that change a listing). */
export interface TcOptions {
  stats: number;
  raw: boolean;
  json: boolean;
  pretty: boolean;
  oneline: boolean;
  /** -graph: tc class show draws the class tree (graph_cls_show). */
  graph: boolean;
  /** lib/color.c's COLOR_OPT_*: -color, -color=always|auto|never. */
  color: 'never' | 'auto' | 'always';
  names: boolean;
  confFile: string | null;
}

/** lib/utils.c incomplete_command: exit(-1). */
export const incomplete = (): TcExit => new TcExit(result('', 'Command line is not complete. Try option "help"\n', 255));
/** invarg(msg, arg): exit(-1). */
export const invarg = (msg: string, arg: string): TcExit => new TcExit(result('', `Error: argument "${arg}" is wrong: ${msg}\n`, 255));
/** lib/utils.c duparg: exit(-1). */
export const duparg = (key: string, arg: string): TcExit => new TcExit(result('', `Error: duplicate "${key}": "${arg}" is the second value.\n`, 255));

/** Refused: what the lab does not model, with `why`, status `status`. */
export function refuse(why: string, status: number): TcExit {
  return new TcExit(result('', `tc: ${why}\n`, status));
}

/** The kernel's extack message as libnetlink prints it (`Error: MSG.`), tc's status 2. */
export const extack = (msg: string): TcExit => new TcExit(result('', `Error: ${msg}.\n`, 2));
/** A kernel refusal without extack (rtnl_talk_error: `RTNETLINK answers: strerror`), status 2. */
export const rtnetlink = (err: string): TcExit => new TcExit(result('', `RTNETLINK answers: ${err}\n`, 2));

/**
 * tc's walk over a command's words (its argc/argv loop): `word()` moves to the next one
 * (undefined past the end), `next()` is NEXT_ARG — the word after the current one, or
 * incomplete_command's exit — and `rest()` the words after the current one (a kind's options).
 */
export class TcWords {
  private at = -1;

  constructor(private readonly words: readonly string[]) {}

  /** The next word, or undefined at the end. */
  word(): string | undefined {
    return this.words[++this.at];
  }

  /** NEXT_ARG: the word after the current one; incomplete_command at the end. */
  next(): string {
    const v = this.words[++this.at];
    if (v === undefined) throw incomplete();
    return v;
  }

  /** The words after the current one. */
  rest(): readonly string[] {
    return this.words.slice(this.at + 1);
  }
}

/** `dev NAME`'s value `v` cut to IFNAMSIZ − 1 (strncpy into d[IFNAMSIZ]); duparg when a device was given already (`given`). */
export function devArg(given: string, v: string): string {
  if (given !== '') throw duparg('dev', v);
  return v.slice(0, IFNAME_MAX);
}

/** What an ID keyword's value is parsed as, and invarg's message when it does not parse. */
export interface IdSyntax {
  readonly parse: (str: string) => number | null;
  readonly invalid: string;
}

/** `parent ID` (get_tc_classid). */
export const PARENT_ID: IdSyntax = { parse: (s) => tcClassid(s), invalid: 'invalid parent ID' };
/** `classid ID` (get_tc_classid). */
export const CLASS_ID: IdSyntax = { parse: (s) => tcClassid(s), invalid: 'invalid class ID' };
/** `handle H` of a qdisc, and `qdisc H` (get_qdisc_handle). */
export const QDISC_ID: IdSyntax = { parse: (s) => qdiscHandle(s), invalid: 'invalid qdisc ID' };

/** An ID keyword's value `v` as `id` parses it; invarg (exit −1) when it does not. */
export function idArg(v: string, id: IdSyntax): number {
  const h = id.parse(v);
  if (h === null) throw invarg(id.invalid, v);
  return h;
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
export function qdiscHandle(str: string): number | null {
  if (str === 'none') return 0;
  const { value, rest } = strtoul16(str);
  if (rest === str || value >= 1 << 16) return null;
  if (rest !== '' && !rest.startsWith(':')) return null;
  return value * 0x10000;
}

/** tc_util.c get_tc_classid: `root`, `none`, `MAJ:MIN`, `:MIN`, `MAJ:` or a bare number (hex), or null when invalid. */
export function tcClassid(str: string): number | null {
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
export function formatClassid(h: number): string {
  if (h === TC_H_ROOT) return 'root';
  if (h === 0) return 'none';
  const maj = Math.floor(h / 0x10000);
  const min = h % 0x10000;
  if (maj === 0) return `:${min.toString(16)}`;
  if (min === 0) return `${maj.toString(16)}:`;
  return `${maj.toString(16)}:${min.toString(16)}`;
}

/** TC_H_MAJ. */
export const major = (h: number): number => (h & 0xffff0000) >>> 0;

/** lib/utils.c sprint_time: microseconds as `%.3gs`, `%.3gms` or `%uus`. */
export function sprintTime(us: number): string {
  if (us >= 1_000_000) return `${cGeneral(us / 1_000_000, 3)}s`;
  if (us >= 1000) return `${cGeneral(us / 1000, 3)}ms`;
  return `${us}us`;
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

/** ll_name_to_index: the device's ifindex (the name cut to IFNAMSIZ − 1), else `ifN`'s N (ll_idx_a2n), else 0. */
export function ifindexOf(board: Board, name: string): number {
  const dev = board.stack.devices.find((d) => d.name === name);
  if (dev !== undefined) return dev.ifindex;
  const m = /^if[ \t\n\v\f\r]*\+?(\d+)/.exec(name);
  return m === null ? 0 : Number(m[1]) >>> 0;
}

/**
 * The device a change request names: none without `dev`; `Cannot find device` (after `prefix`,
 * status 1) when tc's ll_name_to_index finds no index; else the device with that index, or null
 * when no device has it — the kernel's ENODEV, as for no `dev`.
 */
export function requestDevice(board: Board, devName: string, prefix = ''): NetDevice | null {
  if (devName === '') return null;
  const ifindex = ifindexOf(board, devName);
  if (ifindex === 0) throw new TcExit(result('', `${prefix}Cannot find device "${devName}"\n`, 1));
  return board.stack.devices.find((d) => d.ifindex === ifindex) ?? null;
}

/** gnet_stats_basic as a dump carries it (TCA_STATS_BASIC). */
export interface BasicStats {
  readonly bytes: number;
  readonly packets: number;
}

/** gnet_stats_queue as a dump carries it (TCA_STATS_QUEUE). */
export interface QueueStats {
  readonly drops: number;
  readonly overlimits: number;
  readonly requeues: number;
  readonly backlog: number;
  readonly qlen: number;
}

/**
 * tc_util.c print_tcstats2_attr's text for a TCA_STATS2 without a rate estimator: `PREFIXSent B
 * bytes P pkt` when the basic counters were dumped (`basic`), ` (dropped D, overlimits O
 * requeues R) `, print_nl (`nl`: the newline, or -o's `\`), `PREFIXbacklog SIZE Np requeues R`.
 */
export function tcstatsText(basic: BasicStats | null, q: QueueStats, prefix: string, nl: string): string {
  const sent = basic === null ? '' : `${prefix}Sent ${basic.bytes} bytes ${basic.packets} pkt`;
  return `${sent} (dropped ${q.drops}, overlimits ${q.overlimits} requeues ${q.requeues}) ${nl}${prefix}backlog ${sprintSize(q.backlog)} ${q.qlen}p requeues ${q.requeues}`;
}
