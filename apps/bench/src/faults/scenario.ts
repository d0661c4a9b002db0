/**
 * The fault scenario engine: boot a functional-mode lab, run a verified TCP stream, apply the
 * scenario's fault and heal actions at fixed virtual times, then judge the invariants of
 * issue #8 — no throw and no hang, no duplicated or corrupted byte, loss only where the kernel
 * loses and counted where the kernel counts it, link and carrier consistent on both boards,
 * and delivery resuming within the scenario's stated bound after the last heal action.
 */
import { ARP_PARMS, formatIpv4 } from '@ntbsim/net-core';
import { staleDiagnosis, staleNeighDiagnosis } from '../lab/diagnose.js';
import type { BoardName, Lab, LabOptions } from '../lab/lab.js';
import { bootLab } from '../lab/lab.js';
import { runLine } from '../lab/shell.js';
import { labCommands } from '../commands.js';
import { datagramsSentAt, datagramTotals, resumeAfter, startDatagrams, startStream, type DatagramOptions, type DatagramState, type StreamOptions, type StreamState } from './traffic.js';

/** The invariants every scenario is judged on. */
export const INVARIANTS = ['no-throw-no-hang', 'no-dup-no-corruption', 'loss-accounted', 'link-consistent', 'resumes-in-bound', 'known-weakness'] as const;

/** One invariant's name. */
export type InvariantName = (typeof INVARIANTS)[number];

/** One invariant's verdict: pass, fail, or not applicable. */
export interface InvariantResult {
  /** Verdict. */
  readonly status: 'pass' | 'fail' | 'n/a';
  /** What was measured. */
  readonly detail: string;
}

/** Counters of one board, summed where per-queue. */
export interface BoardCounters {
  /** TCP segments retransmitted (/proc/net/snmp Tcp RetransSegs). */
  readonly retransSegs: number;
  /** TCP retransmission timeouts (TcpExt TCPTimeouts). */
  readonly tcpTimeouts: number;
  /** ntb0 counters. */
  readonly rxErrors: number;
  /** ntb0 rx_fifo_errors (RX buffer re-post failures). */
  readonly rxFifoErrors: number;
  /** ntb0 rx_length_errors. */
  readonly rxLengthErrors: number;
  /** ntb0 tx_dropped. */
  readonly txDropped: number;
  /** ntb0 tx_errors. */
  readonly txErrors: number;
  /** Sum of ntb_netdev per-queue tx_busy. */
  readonly txBusy: number;
  /** Sum over live QPs of rx_err_ver (reset with the QP link, as in the kernel). */
  readonly rxErrVer: number;
  /** Sum over live QPs of rx_err_no_buf. */
  readonly rxErrNoBuf: number;
  /** Sum over live QPs of tx_ring_full. */
  readonly txRingFull: number;
  /** DMA descriptors that failed on this board's engine. */
  readonly dmaFailed: number;
  /** DMA descriptors dropped by a terminate before their callback ran. */
  readonly dmaTerminated: number;
  /** DMA descriptors completed. */
  readonly dmaCompleted: number;
  /** Posted writes this board sent that the link dropped (link down). */
  readonly droppedLinkDown: number;
  /** Posted writes this board sent that fault injection dropped. */
  readonly droppedFault: number;
  /** ntb0 tx_packets (TX completions). */
  readonly txPackets: number;
  /** ntb0 rx_dropped (netif_rx backlog drops). */
  readonly rxDropped: number;
  /** Packets the ntb0 qdiscs dropped, summed over every TX queue (`tc -s qdisc` dropped). */
  readonly qdiscDrops: number;
  /** Sum of ntb_netdev per-queue tx stops (subqueue stopped short of tx_stop slots). */
  readonly txStops: number;
  /** Sum of ntb_netdev per-queue wake timer expiries. */
  readonly txTimerExpiries: number;
  /** /proc/net/snmp Udp OutDatagrams. */
  readonly udpOutDatagrams: number;
  /** Udp InDatagrams. */
  readonly udpInDatagrams: number;
  /** Udp SndbufErrors (a datagram the qdisc dropped, without IP_RECVERR). */
  readonly udpSndbufErrors: number;
  /** Udp RcvbufErrors (a datagram dropped on a full socket receive buffer). */
  readonly udpRcvbufErrors: number;
  /** Udp InCsumErrors. */
  readonly udpInCsumErrors: number;
  /** Udp NoPorts. */
  readonly udpNoPorts: number;
}

/** Snapshot of `board`'s counters (see BoardCounters). */
export function boardCounters(lab: Lab, name: BoardName): BoardCounters {
  const b = lab.boards[name];
  const nd = b.netdev();
  const s = nd?.ndev.stats;
  const qps = b.transport()?.qps ?? [];
  const sum = (f: (q: (typeof qps)[number]) => number): number => qps.reduce((n, q) => n + f(q), 0);
  const link = lab.pair.fabric.stats(name === 'rc' ? 'rc-to-ep' : 'ep-to-rc');
  return {
    retransSegs: b.stack.snmp.Tcp.RetransSegs,
    tcpTimeouts: b.stack.tcpExt.TCPTimeouts,
    rxErrors: s?.rxErrors ?? 0,
    rxFifoErrors: s?.rxFifoErrors ?? 0,
    rxLengthErrors: s?.rxLengthErrors ?? 0,
    txDropped: s?.txDropped ?? 0,
    txErrors: s?.txErrors ?? 0,
    txBusy: (nd?.queues ?? []).reduce((n, q) => n + q.stats.txBusy, 0),
    rxErrVer: sum((q) => q.stats.rxErrVer),
    rxErrNoBuf: sum((q) => q.stats.rxErrNoBuf),
    txRingFull: sum((q) => q.stats.txRingFull),
    dmaFailed: lab.pair.dma[name].stats.failed,
    dmaTerminated: lab.pair.dma[name].stats.terminated,
    dmaCompleted: lab.pair.dma[name].stats.completed,
    droppedLinkDown: link.droppedLinkDown,
    droppedFault: link.droppedFault,
    txPackets: s?.txPackets ?? 0,
    rxDropped: s?.rxDropped ?? 0,
    qdiscDrops: nd === null ? 0 : nd.ndev.txQdiscs.reduce((n, q) => n + q.stats.drops, 0),
    txStops: (nd?.queues ?? []).reduce((n, q) => n + q.stats.txStops, 0),
    txTimerExpiries: (nd?.queues ?? []).reduce((n, q) => n + q.stats.txTimerExpiries, 0),
    udpOutDatagrams: b.stack.snmp.Udp.OutDatagrams,
    udpInDatagrams: b.stack.snmp.Udp.InDatagrams,
    udpSndbufErrors: b.stack.snmp.Udp.SndbufErrors,
    udpRcvbufErrors: b.stack.snmp.Udp.RcvbufErrors,
    udpInCsumErrors: b.stack.snmp.Udp.InCsumErrors,
    udpNoPorts: b.stack.snmp.Udp.NoPorts,
  };
}

/** Both boards' counters. */
export type Counters = Readonly<Record<BoardName, BoardCounters>>;

/** Both boards' counters now. */
export function counters(lab: Lab): Counters {
  return { rc: boardCounters(lab, 'rc'), ep: boardCounters(lab, 'ep') };
}

/** Why link and carrier state are inconsistent across the boards, or null when consistent. */
export function linkInconsistency(lab: Lab): string | null {
  const problems: string[] = [];
  const up = (name: BoardName, i: number): boolean => lab.boards[name].transport()?.qps[i]?.linkQuery() === true;
  for (const name of ['rc', 'ep'] as const) {
    const nd = lab.boards[name].netdev();
    if (nd === null) continue;
    const anyUp = nd.queues.some((q) => q.qp.linkQuery());
    if (nd.ndev.netifCarrierOk() !== anyUp) problems.push(`${name}: carrier ${nd.ndev.netifCarrierOk() ? 'on' : 'off'} but ${anyUp ? 'a' : 'no'} QP link up`);
  }
  const n = Math.max(lab.boards.rc.transport()?.qps.length ?? 0, lab.boards.ep.transport()?.qps.length ?? 0);
  for (let i = 0; i < n; i++) if (up('rc', i) !== up('ep', i)) problems.push(`qp${i}: rc ${up('rc', i) ? 'up' : 'down'}, ep ${up('ep', i) ? 'up' : 'down'}`);
  return problems.length === 0 ? null : problems.join('; ');
}

/** Run a lab command line on `board`; throws with its status and error output when it fails. */
export function runLabLine(lab: Lab, board: BoardName, line: string): void {
  const r = runLine(line, { lab, board: lab.boards[board], vars: new Map() }, labCommands());
  if (r.status !== 0) throw new Error(`${board}: ${line}: status ${r.status}: ${r.stderr.trim()}`);
}

/** Change of counter `k` on `board` over the scenario. */
export function counterDelta(v: AccountingView, board: BoardName, k: keyof BoardCounters): number {
  return v.after[board][k] - v.before[board][k];
}

/** Change of counter `k` summed over both boards. */
export function bothDelta(v: AccountingView, k: keyof BoardCounters): number {
  return counterDelta(v, 'rc', k) + counterDelta(v, 'ep', k);
}

/** A QP-reset loss rule's hard part: no malformed frame reached ntb_netdev (rx_length_errors); null, or what is wrong. */
export function malformedFrames(v: AccountingView): string | null {
  const n = bothDelta(v, 'rxLengthErrors');
  return n === 0 ? null : `malformed frames counted: rx_length_errors +${n}`;
}

/** The rx_err_ver / rx_length_errors part of a reset scenario's accounting detail. */
export function staleRefusedDetail(rxErrVer: number): string {
  return `${rxErrVer} stale frame(s) of the previous QP session refused by the ver check (rx_err_ver since the reset), no rx_length_errors`;
}

/** Whether both carriers are on. */
export function carriersOn(lab: Lab): boolean {
  return (['rc', 'ep'] as const).every((n) => lab.boards[n].netdev()?.ndev.netifCarrierOk() === true);
}

/** What a scenario's accounting check sees. */
export interface AccountingView {
  /** The lab. */
  readonly lab: Lab;
  /** Counters just before the fault. */
  readonly before: Counters;
  /** Counters at the end. */
  readonly after: Counters;
  /** The stream. */
  readonly stream: StreamState;
  /** Observations the actions recorded. */
  readonly notes: Map<string, number>;
  /** Virtual time of the fault (ns). */
  readonly faultAt: number;
  /** Virtual time of the last heal action (ns). */
  readonly healAt: number;
  /** The scenario's further TCP streams, in `Scenario.streams` order. */
  readonly streams: readonly StreamState[];
  /** The scenario's verified UDP flows, or null when it has none. */
  readonly datagrams: DatagramState | null;
  /** Frames delivered twice, per receiving board. */
  readonly duplicates: DuplicateWatch;
}

/** IP datagrams a board's stack took more than once: the frame-level duplicate check. */
export interface DuplicateWatch {
  /** Frames seen again, per receiving board. */
  readonly count: Record<BoardName, number>;
  /** The first duplicate per board (`source id N, offset O`), or null. */
  readonly first: Record<BoardName, string | null>;
  /** Remove the taps. */
  remove(): void;
}

/**
 * What ARP adds to the resume bound of a fault that takes a carrier down (ns): the carrier loss
 * forgets the neighbour entries (neigh_carrier_down); a packet sent while the carrier is still
 * down makes a new INCOMPLETE entry whose broadcast request the carrier-less device drops, and
 * the next request goes out up to retrans_time (1 s) later — after the heal.
 */
export const ARP_REPROBE_NS = ARP_PARMS.retransTimeMs * 1_000_000;

/** How many recent frames per board the duplicate check remembers (well inside the 16-bit IP id space). */
export const DUP_WINDOW = 16_384;

/**
 * Tap both stacks' RX (a packet handler on ptype_all, as tcpdump) and count the IPv4 frames
 * each takes twice: every transmission, a TCP retransmission included, gets a fresh IP id from
 * the sender's stack, so the same (source, id, fragment offset) reaching a stack again within
 * DUP_WINDOW frames is a frame the NTB path delivered twice, whatever TCP then makes of it.
 */
export function watchDuplicates(lab: Lab): DuplicateWatch {
  const count: Record<BoardName, number> = { rc: 0, ep: 0 };
  const first: Record<BoardName, string | null> = { rc: null, ep: null };
  const removers = (['rc', 'ep'] as const).map((b) => {
    const seen = new Set<string>();
    const order: string[] = [];
    return lab.boards[b].stack.addPacketTap((skb) => {
      if (skb.l4.kind === 'arp') return;
      const key = `${skb.ip.src}:${skb.ip.id}:${skb.ip.fragOff ?? 0}`;
      if (seen.has(key)) {
        count[b]++;
        first[b] ??= `source ${formatIpv4(skb.ip.src)} id ${skb.ip.id}, offset ${skb.ip.fragOff ?? 0}`;
        return;
      }
      seen.add(key);
      order.push(key);
      if (order.length > DUP_WINDOW) seen.delete(order.shift() as string);
    });
  });
  return { count, first, remove: () => removers.forEach((r) => r()) };
}

/** The longest time (ns) between deliveries of the stream within [from, to]. */
export function longestGap(st: StreamState, from: number, to: number): number {
  let last = st.timeline.filter((p) => p.t <= from).at(-1)?.t ?? from;
  let gap = 0;
  for (const p of st.timeline) {
    if (p.t <= from) continue;
    if (p.t > to) break;
    gap = Math.max(gap, p.t - last);
    last = p.t;
  }
  return Math.max(gap, Math.min(to, st.doneAt >= 0 ? st.doneAt : to) - last);
}

/** A timed action of a scenario (`at` ns after the fault time). */
export interface ScenarioStep {
  /** Offset from the fault time (ns). */
  readonly at: number;
  /** What to do (inject, heal, observe into `notes`). */
  readonly run: (lab: Lab, notes: Map<string, number>) => void;
}

/** One fault scenario. */
export interface Scenario {
  /** Stable id (matrix row key). */
  readonly id: string;
  /** The fault family it exercises (matrix grouping). */
  readonly fault: string;
  /** One-line description. */
  readonly title: string;
  /** Further verified TCP streams started with the main one (many concurrent senders); each must finish intact. */
  readonly streams?: readonly StreamOptions[];
  /** Verified UDP flows started at the fault time; judged for duplicates and corruption, their losses by `account`. */
  readonly datagrams?: DatagramOptions;
  /** Extra lab options (payload is always functional). */
  readonly lab?: Omit<LabOptions, 'payload'>;
  /** Lab command lines run after boot, before the stream starts (an XPS map, say); a failing one throws. */
  readonly setup?: readonly { readonly board: BoardName; readonly line: string }[];
  /** Writer board. */
  readonly from: BoardName;
  /** Stream length (bytes). */
  readonly bytes: number;
  /** Fault time after the connection is established (ns). */
  readonly faultAfterNs: number;
  /** Actions, in time order. */
  readonly steps: readonly ScenarioStep[];
  /** Offset of the last heal action from the fault time (ns); resumption is measured from it. */
  readonly healAtNs: number;
  /** Bound on the time from the heal to the next delivered byte (ns). */
  readonly resumeBoundNs: number;
  /** Virtual-time budget after the connection for the whole stream (ns). */
  readonly deadlineNs: number;
  /** Expected carrier state on both boards just before the heal (null: not checked). */
  readonly carrierDuringFault?: 'on' | 'off' | null;
  /** Loss accounting: null when right, else what is wrong. */
  readonly account: (v: AccountingView) => string | null;
  /** Summary of the accounting check, shown in the matrix. */
  readonly accountDetail: (v: AccountingView) => string;
  /**
   * A known kernel weakness this scenario must show (fix off) or must not show (fix on).
   * `wedges`: the weakness, when shown, stops the stream; the hang (and the missing resume) is
   * then reported under known-weakness rather than failing no-throw-no-hang and
   * resumes-in-bound (a throw still fails). `splitsLink`: the weakness, when shown, leaves a QP
   * link up on one board and down on the other; that is then reported under known-weakness
   * rather than failing link-consistent. `duplicates`: the weakness, when shown, delivers frames
   * twice (a stale slot's frame again); those are then reported under known-weakness rather
   * than failing no-dup-no-corruption (a corrupt byte in a stream still fails). `race`: the
   * weakness is a race the fault may or may not hit with a given seed; expected shown and not
   * hit, it is n/a (with what happened instead), not a failure.
   */
  readonly weakness?: { readonly expect: 'shown' | 'absent'; readonly wedges?: boolean; readonly splitsLink?: boolean; readonly duplicates?: boolean; readonly race?: boolean; readonly observed: (v: AccountingView) => { readonly shown: boolean; readonly detail: string } };
}

/** The outcome of one scenario. */
export interface ScenarioResult {
  /** Scenario id. */
  readonly id: string;
  /** Fault family. */
  readonly fault: string;
  /** Description. */
  readonly title: string;
  /** Seed used. */
  readonly seed: number;
  /** Verdict per invariant. */
  readonly invariants: Readonly<Record<InvariantName, InvariantResult>>;
  /** Whether every applicable invariant passed. */
  readonly pass: boolean;
  /** Virtual time simulated after boot (ns). */
  readonly virtualNs: number;
  /** Wall-clock time of the run (ms). */
  readonly wallMs: number;
}

const STEP_NS = 500_000;
/** Time (ns) left after the last datagram is sent for those in flight to arrive before losses are counted. */
const DGRAM_SETTLE_NS = 50_000_000;
/**
 * How long the lab runs on once the streams are done, before the invariants are read (ns):
 * the last frames (the final ACKs, a FIN) land, so a ring judged stuck is stuck, not in flight.
 */
const SETTLE_NS = 20_000_000;

const pass = (detail: string): InvariantResult => ({ status: 'pass', detail });
const fail = (detail: string): InvariantResult => ({ status: 'fail', detail });
const na = (detail = ''): InvariantResult => ({ status: 'n/a', detail });
const ms = (ns: number): string => `${(ns / 1e6).toFixed(2)} ms`;

/**
 * Extend the no-hang and no-dup verdicts of the main stream to the scenario's further streams
 * and UDP flows: each stream must finish with every byte right; each UDP sender must finish,
 * and no datagram may arrive twice or corrupt (reordering is reported, losses are `account`'s).
 */
function judgeExtraTraffic(inv: Record<InvariantName, InvariantResult>, sc: Scenario, v: AccountingView): void {
  const hang: string[] = [];
  const bad: string[] = [];
  v.streams.forEach((x, i) => {
    const o = sc.streams?.[i];
    const name = `stream ${i + 1} (${o?.from ?? '?'}, port ${o?.port ?? 5301})`;
    if (x.doneAt < 0) hang.push(`${name} not done: ${x.received}/${o?.bytes ?? 0} B${x.error === null ? '' : `, ${x.error}`}`);
    if (x.firstBadOffset >= 0) bad.push(`${name}: first wrong byte at offset ${x.firstBadOffset}`);
  });
  const d = v.datagrams;
  let udp = '';
  if (d !== null) {
    const t = datagramTotals(d);
    if (datagramsSentAt(d) < 0) hang.push(`UDP senders not done: ${t.sent} datagrams sent${d.error === null ? '' : `, ${d.error}`}`);
    else if (d.error !== null) hang.push(d.error);
    if (t.duplicates > 0 || t.corrupt > 0) bad.push(`UDP: ${t.duplicates} duplicate(s), ${t.corrupt} corrupt (${d.flows.find((f) => f.firstCorrupt !== null)?.firstCorrupt ?? 'duplicates only'})`);
    udp = `; UDP ${t.received}/${t.sent} datagrams of ${d.flows.length} flows checked (CRC-32, sequence): 0 duplicate, 0 corrupt, ${t.reordered} reordered`;
  }
  const streams = v.streams.length === 0 ? '' : `; ${v.streams.length} more streams (${v.streams.reduce((n, x) => n + x.received, 0)} B) compared`;
  const h = inv['no-throw-no-hang'];
  if (h.status === 'pass') inv['no-throw-no-hang'] = hang.length === 0 ? pass(`${h.detail}${v.streams.length === 0 ? '' : `; ${v.streams.length} more streams done`}${d === null ? '' : `; ${d.flows.length} UDP senders done`}`) : fail(hang.join('; '));
  const c = inv['no-dup-no-corruption'];
  if (c.status === 'pass') inv['no-dup-no-corruption'] = bad.length === 0 ? pass(`${c.detail}${streams}${udp}`) : fail(bad.join('; '));
}

/**
 * The frame-level half of no-dup-no-corruption: no IP datagram reaches either stack twice.
 * A weakness marked `duplicates` that is shown makes duplicates its own finding (n/a here).
 */
function judgeDuplicateFrames(inv: Record<InvariantName, InvariantResult>, sc: Scenario, v: AccountingView, weak: { readonly shown: boolean } | null): void {
  const d = v.duplicates;
  const total = d.count.rc + d.count.ep;
  const c = inv['no-dup-no-corruption'];
  if (total === 0) {
    if (c.status === 'pass') inv['no-dup-no-corruption'] = pass(`${c.detail}; no IP datagram received twice`);
    return;
  }
  const what = (['rc', 'ep'] as const)
    .filter((b) => d.count[b] > 0)
    .map((b) => `${b} took ${d.count[b]} IP datagram(s) twice (first: ${d.first[b] ?? ''})`)
    .join(', ');
  if (sc.weakness?.duplicates === true && sc.weakness.expect === 'shown' && weak?.shown === true) {
    if (c.status === 'pass') inv['no-dup-no-corruption'] = na(`${c.detail}; ${what}: delivered so by the known weakness; see known-weakness`);
    return;
  }
  inv['no-dup-no-corruption'] = fail(c.status === 'fail' ? `${c.detail}; ${what}` : what);
}

/** Run `sc` with `seed`; never throws (a throw fails the first invariant). */
export function runScenario(sc: Scenario, seed = 1): ScenarioResult {
  const wall0 = performance.now();
  let lab: Lab | null = null;
  let st: StreamState | null = null;
  let thrown: string | null = null;
  let before: Counters | null = null;
  let duringCarrier: boolean | null = null;
  let t0 = 0;
  let tFault = 0;
  const notes = new Map<string, number>();
  const extra: StreamState[] = [];
  let dg: DatagramState | null = null;
  let dups: DuplicateWatch | null = null;
  try {
    lab = bootLab({ ...sc.lab, seed, payload: 'functional' });
    dups = watchDuplicates(lab);
    for (const { board, line } of sc.setup ?? []) runLabLine(lab, board, line);
    t0 = lab.sim.now;
    const s = startStream(lab, { from: sc.from, bytes: sc.bytes });
    st = s;
    for (const o of sc.streams ?? []) extra.push(startStream(lab, o));
    while (s.connectedAt < 0 && lab.sim.now < t0 + 1e9) lab.sim.run({ until: lab.sim.now + STEP_NS });
    if (s.connectedAt < 0) throw new Error('stream did not connect within 1 s');
    tFault = Math.max(lab.sim.now, Math.ceil(s.connectedAt + sc.faultAfterNs));
    lab.sim.run({ until: tFault });
    before = counters(lab);
    if (sc.datagrams !== undefined) dg = startDatagrams(lab, sc.datagrams);
    const end = s.connectedAt + sc.deadlineNs;
    for (const step of sc.steps) {
      const at = tFault + step.at;
      if (at >= tFault + sc.healAtNs && duringCarrier === null) {
        lab.sim.run({ until: Math.max(lab.sim.now, tFault + sc.healAtNs) });
        duringCarrier = carriersOn(lab);
      }
      lab.sim.run({ until: Math.max(lab.sim.now, at) });
      step.run(lab, notes);
    }
    const d = dg;
    const pending = (): boolean => [s, ...extra].some((x) => x.doneAt < 0 && x.error === null) || (d !== null && d.error === null && datagramsSentAt(d) < 0);
    while (pending() && lab.sim.now < end) lab.sim.run({ until: Math.min(end, lab.sim.now + 10 * STEP_NS) });
    if (d !== null && datagramsSentAt(d) >= 0) lab.sim.run({ until: Math.max(lab.sim.now, datagramsSentAt(d) + DGRAM_SETTLE_NS) });
    lab.sim.run({ until: lab.sim.now + SETTLE_NS });
  } catch (e) {
    thrown = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  const inv: Record<InvariantName, InvariantResult> = {
    'no-throw-no-hang': pass(''),
    'no-dup-no-corruption': na(),
    'loss-accounted': na(),
    'link-consistent': na(),
    'resumes-in-bound': na(),
    'known-weakness': na(),
  };
  dups?.remove();
  if (thrown !== null || lab === null || st === null || before === null || dups === null) {
    inv['no-throw-no-hang'] = fail(`threw ${thrown ?? 'before the fault'}`);
  } else {
    const view: AccountingView = { lab, before, after: counters(lab), stream: st, notes, faultAt: tFault, healAt: tFault + sc.healAtNs, streams: extra, datagrams: dg, duplicates: dups };
    const weak = sc.weakness?.observed(view) ?? null;
    const wedgedByWeakness = st.doneAt < 0 && sc.weakness?.wedges === true && sc.weakness.expect === 'shown' && weak?.shown === true;
    inv['no-throw-no-hang'] =
      wedgedByWeakness
        ? na(`wedged by the known weakness at ${st.received}/${sc.bytes} B; see known-weakness`)
        : st.doneAt >= 0 ? pass(`stream of ${sc.bytes} B done ${ms(st.doneAt - st.connectedAt)} after connect (budget ${ms(sc.deadlineNs)})`) : fail(`stream not done after ${ms(sc.deadlineNs)}: ${st.received}/${sc.bytes} B${st.error === null ? '' : `, ${st.error}`}${staleDiagnosis(lab)}${staleNeighDiagnosis(lab)}`);
    inv['no-dup-no-corruption'] =
      st.firstBadOffset < 0 && st.received <= sc.bytes ? pass(`${st.received} B compared with what was sent`) : fail(st.firstBadOffset >= 0 ? `first wrong byte at stream offset ${st.firstBadOffset}` : `received ${st.received} B > ${sc.bytes} B sent`);
    judgeExtraTraffic(inv, sc, view);
    judgeDuplicateFrames(inv, sc, view, weak);
    const acc = sc.account(view);
    inv['loss-accounted'] = acc === null ? pass(sc.accountDetail(view)) : fail(acc);
    const inc = linkInconsistency(lab);
    const carrierOk = sc.carrierDuringFault === undefined || sc.carrierDuringFault === null || duringCarrier === (sc.carrierDuringFault === 'on');
    const splitByWeakness = inc !== null && sc.weakness?.splitsLink === true && sc.weakness.expect === 'shown' && weak?.shown === true;
    inv['link-consistent'] = splitByWeakness
      ? na(`${inc}: left so by the known weakness; see known-weakness`)
      : inc === null && carriersOn(lab) && carrierOk
        ? pass(`both carriers on at the end${sc.carrierDuringFault == null ? '' : `, ${sc.carrierDuringFault} on both during the fault`}`)
        : fail(inc ?? (carrierOk ? 'carrier off at the end' : `carrier ${duringCarrier === true ? 'on' : 'off'} during the fault, expected ${sc.carrierDuringFault ?? ''}`));
    const resume = resumeAfter(st, tFault + sc.healAtNs);
    const doneBeforeHeal = st.doneAt >= 0 && st.doneAt <= tFault + sc.healAtNs;
    inv['resumes-in-bound'] = doneBeforeHeal
      ? sc.weakness !== undefined
        ? na(`the stream finished during the fault, before the heal at ${ms(sc.healAtNs)}; see known-weakness`)
        : fail(`stream finished before the heal at ${ms(sc.healAtNs)}: the fault did not overlap the transfer`)
      : resume !== null && resume <= sc.resumeBoundNs
        ? pass(`resumed ${ms(resume)} after the heal (bound ${ms(sc.resumeBoundNs)})`)
        : wedgedByWeakness
          ? na('wedged by the known weakness; see known-weakness')
          : fail(resume === null ? 'no byte delivered after the heal' : `resumed ${ms(resume)} after the heal, bound ${ms(sc.resumeBoundNs)}`);
    if (sc.weakness !== undefined && weak !== null) {
      const o = weak;
      inv['known-weakness'] =
        o.shown === (sc.weakness.expect === 'shown')
          ? pass(`${sc.weakness.expect}: ${o.detail}`)
          : sc.weakness.race === true && sc.weakness.expect === 'shown'
            ? na(`not hit with this seed (a race): ${o.detail}`)
            : fail(`expected ${sc.weakness.expect}: ${o.detail}`);
    }
  }
  const allPass = Object.values(inv).every((r) => r.status !== 'fail');
  return { id: sc.id, fault: sc.fault, title: sc.title, seed, invariants: inv, pass: allPass, virtualNs: lab === null ? 0 : lab.sim.now - t0, wallMs: performance.now() - wall0 };
}
