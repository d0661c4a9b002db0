/**
 * Where the time went: per-CPU utilisation by context kind on both boards over a measurement
 * window, and the stage that limits the rate — the PCIe link or the DMA channels when they
 * carry what they can (≥ 90 % busy: posted-write stalls charged to the copying CPU make it
 * look busy too), else the busiest CPU and the context (tasklet, softirq, kthread, user task,
 * IRQ) that took most of it, named as a pipeline stage. A user
 * task whose board dropped packets at its own qdisc in the window is passed over: it offers
 * more than the path carries. With several RX queues it also says where each queue's receive
 * work ran (the CPU that ran most of its ntb_transport tasklet), and when one queue's CPU is
 * saturated while another's is not, that the rate is short of what the second could carry.
 * What the receiving board sends back (TCP's ACKs) is measured too: a standing queue in its own
 * ntb0 qdiscs, sampled over the window, holds the senders' ACKs back and stretches their RTT.
 */
import type { CpuUsage } from '@ntbsim/kernel';
import { TX_START } from '@ntbsim/ntb-netdev';
import type { EpfPair } from '@ntbsim/ntb-hw-epf';
import { peerBoard, type Board, type BoardName, type Lab } from '../lab/lab.js';
import { utilisation } from '../tools/system.js';

/** A snapshot of one board's accounting. */
export interface BoardSnapshot {
  /** Per-CPU usage by kind (ns). */
  readonly usage: CpuUsage[];
  /** Per-CPU usage by context name (ns). */
  readonly byName: Map<string, number>[];
  /** Packets ntb0's qdiscs dropped so far (`tc -s qdisc` drops, all TX queues; a root shared by them once). */
  readonly qdiscDrops: number;
  /** Times ntb0's TX subqueues were stopped for lack of ring slots so far (all queues). */
  readonly txStops: number;
  /** Expiries of ntb0's tx_timers so far (all queues). */
  readonly txTimerExpiries: number;
  /** The fewest slots a TX ring of ntb0 ever has free at most (max_entry − 1), or Infinity without ntb0. */
  readonly maxFreeSlots: number;
  /** Times each of ntb0's TX subqueues was stopped so far, by queue (`tx_queue_N_stops`). */
  readonly txStopsByQueue: readonly number[];
  /** ntb_netdev's TX wake timer: the 1-jiffy timer or the 250 µs hrtimer variant. */
  readonly wakeTimer: 'jiffy' | 'hrtimer';
  /** Virtual time of the snapshot (ns). */
  readonly t: number;
  /** Payload bytes this board has written across the PCIe link so far (its direction). */
  readonly linkBytes: number;
  /** The link's payload rate in this board's direction (B/s). */
  readonly linkBytesPerSec: number;
  /** CPU time this board's CPUs stalled on posted-write flow control so far (ns). */
  readonly linkStallNs: number;
  /** Time this board's non-posted reads (the flush read-backs) waited behind its earlier posted writes so far (ns). */
  readonly linkReadWaitNs: number;
  /** Time each of this board's DMA channels spent transferring so far (ns), by channel. */
  readonly dmaBusyNs: readonly number[];
}

/** Take a snapshot of `board`, whose link and DMA engine are `pair`'s. */
export function snapshot(board: Board, pair: EpfPair): BoardSnapshot {
  const dev = board.netdev()?.ndev;
  const qdiscDrops = dev === undefined ? 0 : dev.txQdiscs.reduce((n, q) => n + q.stats.drops, 0);
  const queues = board.netdev()?.queues ?? [];
  const txStopsByQueue = queues.map((q) => q.stats.txStops);
  const txStops = txStopsByQueue.reduce((n, x) => n + x, 0);
  const txTimerExpiries = queues.reduce((n, q) => n + q.stats.txTimerExpiries, 0);
  const maxFreeSlots = Math.min(...queues.map((q) => q.qp.txRing.maxEntry - 1));
  const link = pair.fabric.stats(board.name === 'rc' ? 'rc-to-ep' : 'ep-to-rc');
  const dma = pair.dma[board.name];
  return {
    usage: board.host.usage(),
    byName: board.host.cpus.map((c) => c.usageByName()),
    qdiscDrops,
    txStops,
    txTimerExpiries,
    maxFreeSlots,
    txStopsByQueue,
    wakeTimer: board.netdev()?.wakeTimer ?? 'jiffy',
    t: board.host.sim.now,
    linkBytes: link.bytes,
    linkBytesPerSec: pair.fabric.bytesPerSec,
    linkStallNs: link.cpuStallNs,
    linkReadWaitNs: link.readWaitNs,
    dmaBusyNs: dma.channelBusyNs(),
  };
}

/** How often `sampleQueues` reads the qdiscs (ns): every 10 ms. */
export const QUEUE_SAMPLE_NS = 10_000_000;

/** Mean qdisc length (packets) of each ntb0 TX queue of each board over a window, and how many readings it is from. */
export interface QueueLoads {
  /** By board, by TX queue: the mean of the readings (packets). */
  readonly qdiscMean: Readonly<Record<BoardName, readonly number[]>>;
  /** Readings taken. */
  readonly samples: number;
}

/**
 * Read the qdisc length (`tc -s qdisc` qlen) of every ntb0 TX queue of both boards every
 * QUEUE_SAMPLE_NS from `fromNs` up to `toNs` (virtual time; the readings change nothing); the
 * function returned gives the means of the readings taken so far.
 */
export function sampleQueues(lab: Lab, fromNs: number, toNs: number): () => QueueLoads {
  const sums: Record<BoardName, number[]> = { rc: [], ep: [] };
  let samples = 0;
  const read = (): void => {
    for (const name of ['rc', 'ep'] as const) {
      const dev = lab.boards[name].netdev()?.ndev;
      const n = dev?.realNumTxQueues ?? 0;
      for (let q = 0; q < n; q++) sums[name][q] = (sums[name][q] ?? 0) + (dev?.txQueue(q).qdisc.qlen ?? 0);
    }
    samples++;
    if (lab.sim.now + QUEUE_SAMPLE_NS < toNs) lab.sim.at(lab.sim.now + QUEUE_SAMPLE_NS, read);
  };
  if (fromNs < toNs) lab.sim.at(fromNs, read);
  const mean = (xs: readonly number[]): number[] => Array.from(xs, (x) => (samples > 0 ? (x ?? 0) / samples : 0));
  return () => ({ qdiscMean: { rc: mean(sums.rc), ep: mean(sums.ep) }, samples });
}

/** What the receiving board sent back over the window: its standing TX queues, and the senders' round-trip time. */
export interface ReturnPath {
  /** The board the data went to (the iperf3 server's). */
  readonly receiver: BoardName;
  /** `sampleQueues` over the window. */
  readonly queues: QueueLoads;
  /** The largest of the TCP streams' mean RTTs the sender measured (ms), or null (UDP). */
  readonly rttMs: number | null;
}

/** A mean qdisc length (packets) at or above which a TX queue of the receiving board holds its replies back: a tenth of txqueuelen 1000. */
export const STANDING_QUEUE = 100;

/** A board's use of the PCIe link (as sender) and of its DMA channels over a window, as fractions of what they can carry. */
interface PathUse {
  readonly board: BoardName;
  /** Whether one of its CPUs is saturated (≥ 95 % busy). */
  readonly saturated: boolean;
  /** Link payload carried / the link's payload rate over the window. */
  readonly link: number;
  /** The busiest DMA channel's transfer time / the window. */
  readonly dma: number;
  /** Time its CPUs waited on the link (posted-write stalls and reads behind its posted writes) / the window: a share of one CPU. */
  readonly wait: number;
  /** Posted-write stall time of the board's CPUs over the window (ns). */
  readonly stallNs: number;
  /** Time its reads waited behind its posted writes over the window (ns). */
  readonly readWaitNs: number;
}

/** Use at or above which a link or DMA path is named as the limit (its transfers back to back). */
const PATH_LIMIT = 0.9;

function pathUse(board: BoardName, w: { readonly before: BoardSnapshot; readonly after: BoardSnapshot }, cpus: readonly CpuLoad[]): PathUse {
  const dt = w.after.t - w.before.t;
  const stallNs = w.after.linkStallNs - w.before.linkStallNs;
  const readWaitNs = w.after.linkReadWaitNs - w.before.linkReadWaitNs;
  const saturated = cpus.some((l) => l.busy >= 95);
  if (dt <= 0) return { board, saturated, link: 0, dma: 0, wait: 0, stallNs, readWaitNs };
  const link = (w.after.linkBytes - w.before.linkBytes) / ((dt / 1e9) * w.after.linkBytesPerSec);
  const dma = Math.max(0, ...w.after.dmaBusyNs.map((ns, i) => (ns - (w.before.dmaBusyNs[i] ?? 0)) / dt));
  return { board, saturated, link, dma, wait: (stallNs + readWaitNs) / dt, stallNs, readWaitNs };
}

/** Share of one CPU's time a board's CPUs spend waiting on the link (posted-write credits, flush read-backs) at or above which, with a saturated CPU, the link is named as the limit. */
const LINK_WAIT_LIMIT = 0.3;

/**
 * The link or DMA verdict when one of them carries what it can (≥ PATH_LIMIT of it), or when
 * the copying board's CPUs, one of them saturated, spend ≥ LINK_WAIT_LIMIT of a CPU waiting on
 * the link (posted-write credits, flush read-backs behind its writes), or null.
 */
function pathLimit(uses: readonly PathUse[]): string | null {
  const pct = (x: number): string => `${Math.min(100, x * 100).toFixed(0)} %`;
  const ms = (ns: number): string => `${(ns / 1e6).toFixed(0)} ms`;
  const most = (key: 'link' | 'wait' | 'dma', of = uses): PathUse | undefined => [...of].sort((a, b) => b[key] - a[key])[0];
  const link = most('link');
  if (link !== undefined && link.link >= PATH_LIMIT) {
    const stall = link.stallNs > 0 ? `; ${link.board}'s CPUs stalled ${ms(link.stallNs)} on posted-write flow control, counted as busy` : '';
    return `PCIe link: ${link.board}→${peerBoard(link.board)} writes carry ${pct(link.link)} of its payload rate${stall}`;
  }
  const waiting = most('wait', uses.filter((u) => u.saturated));
  if (waiting !== undefined && waiting.wait >= LINK_WAIT_LIMIT) {
    return `PCIe writes: ${waiting.board}'s CPUs wait on the link ${pct(waiting.wait)} of a CPU's time (posted-write credits ${ms(waiting.stallNs)}, flush read-backs behind the writes ${ms(waiting.readWaitNs)}), counted as busy; ${waiting.board}→${peerBoard(waiting.board)} carries ${pct(waiting.link)} of the link's payload rate`;
  }
  const dma = most('dma');
  if (dma !== undefined && dma.dma >= PATH_LIMIT) return `DMA: a channel of ${dma.board}'s eDMA busy ${pct(dma.dma)} of the time (the profile's dma.rateMBps per channel)`;
  return null;
}

/** One CPU's utilisation over the window (%). */
export interface CpuLoad {
  /** CPU index. */
  readonly cpu: number;
  /** User tasks (%). */
  readonly user: number;
  /** kthreads and workqueues (%). */
  readonly kthread: number;
  /** Hardirq (%). */
  readonly hardirq: number;
  /** Softirq and tasklets (%). */
  readonly softirq: number;
  /** Busy in total (%). */
  readonly busy: number;
  /** The context that took most of this CPU, and its share (%). */
  readonly top: { readonly name: string; readonly pct: number } | null;
}

/** The verdict for one run. */
export interface Bottleneck {
  /** Board of the busiest CPU. */
  readonly board: BoardName;
  /** The busiest CPU. */
  readonly cpu: number;
  /** Its utilisation (%). */
  readonly busyPct: number;
  /** The pipeline stage that dominates it. */
  readonly stage: string;
  /** Whether the CPU is saturated (≥ 95 %): the rate is CPU-bound there. */
  readonly saturated: boolean;
  /** Per-CPU loads of both boards (CPUs with < 1 % busy omitted). */
  readonly cpus: Readonly<Record<BoardName, CpuLoad[]>>;
  /** Per board, its RX queues' receive CPUs (QPs whose tasklet took ≥ 1 % of a CPU), by QP number. */
  readonly rxQueues: Readonly<Record<BoardName, RxQueueLoad[]>>;
  /** On the bottleneck's board, the RX queues whose CPU one saturated RX CPU left short (also at the end of `stage`); '' when none. */
  readonly unevenRx: string;
  /** When the rate fell short (an RX CPU left short, or no CPU saturated): the receiving board's TX queue whose standing qdisc queue held its replies (TCP's ACKs) back, with the senders' RTT (also in `stage`); '' otherwise. */
  readonly returnPath: string;
}

/** Where one RX queue's receive work ran over the window. */
export interface RxQueueLoad {
  /** QP number. */
  readonly qp: number;
  /** The CPU that ran most of its ntb_transport tasklet (`ntb_transport rxc_db qpN`). */
  readonly cpu: number;
  /** That CPU's utilisation (%). */
  readonly busyPct: number;
  /** The share of that CPU the tasklet took (%). */
  readonly taskletPct: number;
}

const RX_TASKLET = /^ntb_transport rxc_db qp(\d+)$/;

/** The receive CPU of each QP whose tasklet ran in the window (the CPU that ran most of it). */
function rxQueueLoads(before: BoardSnapshot, after: BoardSnapshot, cpus: readonly CpuLoad[]): RxQueueLoad[] {
  const best = new Map<number, { cpu: number; ns: number }>();
  after.byName.forEach((names, cpu) => {
    for (const [name, ns] of names) {
      const m = RX_TASKLET.exec(name);
      if (m === null) continue;
      const d = ns - (before.byName[cpu]?.get(name) ?? 0);
      const qp = Number(m[1]);
      const cur = best.get(qp);
      if (d > 0 && (cur === undefined || d > cur.ns)) best.set(qp, { cpu, ns: d });
    }
  });
  const windowNs = (c: number): number => {
    const a = after.usage[c];
    const b = before.usage[c];
    if (a === undefined || b === undefined) return 0;
    return a.hardirq + a.softirq + a.kthread + a.user + a.idle - (b.hardirq + b.softirq + b.kthread + b.user + b.idle);
  };
  const out: RxQueueLoad[] = [];
  for (const [qp, { cpu, ns }] of [...best].sort((x, y) => x[0] - y[0])) {
    const total = windowNs(cpu);
    const taskletPct = total > 0 ? (100 * ns) / total : 0;
    if (taskletPct >= 1) out.push({ qp, cpu, busyPct: cpus[cpu]?.busy ?? 0, taskletPct });
  }
  return out;
}

/** Name a context as a stage of the NTB network pipeline. */
export function stageOf(name: string): string {
  if (name.startsWith('ntb_transport rxc_db')) return 'RX copy: ntb_transport tasklet (memcpy from the uncached RX ring)';
  if (name.startsWith('NET_RX')) return 'RX stack: NET_RX softirq (IP/TCP/UDP input, software checksum)';
  if (name.startsWith('NET_TX')) return 'TX: NET_TX softirq (qdisc, ndo_start_xmit, memcpy_toio)';
  if (name.startsWith('ntb-txcpy')) return 'TX copy: memcpy_toio offload kthread';
  if (name.startsWith('iperf3') || name.startsWith('sockperf') || name.startsWith('ping')) return `user task: ${name} (socket calls, user copies, TX path when sending)`;
  if (name.startsWith('kworker')) return 'workqueue: EPF command handler and doorbell polling';
  if (name.startsWith('timer:')) return `timer softirq: ${name.slice(6)}`;
  if (name.startsWith('tsq/')) return 'TSQ tasklet: TCP small queues (tcp_tasklet_func: writes held back until TX completions)';
  if (name === 'dw-edma') return 'IRQ: dw-edma DMA completion (its callbacks: ntb_transport TX/RX completions)';
  if (name === 'ntb_epf') return 'IRQ: ntb_epf doorbell MSI (ntb_transport doorbell callback)';
  return name;
}

function loads(before: BoardSnapshot, after: BoardSnapshot): CpuLoad[] {
  const u = utilisation(before.usage, after.usage);
  return u.map((x, cpu) => {
    const a = after.byName[cpu] ?? new Map<string, number>();
    const b = before.byName[cpu] ?? new Map<string, number>();
    let total = 0;
    let top: { name: string; ns: number } | null = null;
    for (const [name, ns] of a) {
      const d = ns - (b.get(name) ?? 0);
      total += d;
      if (d > 0 && (top === null || d > top.ns)) top = { name, ns: d };
    }
    const busy = x.us + x.sy + x.hi + x.si;
    return { cpu, user: x.us, kthread: x.sy, hardirq: x.hi, softirq: x.si, busy, top: top === null || total === 0 ? null : { name: top.name, pct: (busy * top.ns) / total } };
  });
}

/** The bottleneck verdict between two snapshots of each board, with what the receiving board sent back over the same window when measured. */
export function findBottleneck(windows: Readonly<Record<BoardName, { readonly before: BoardSnapshot; readonly after: BoardSnapshot }>>, ret?: ReturnPath): Bottleneck {
  const rc = loads(windows.rc.before, windows.rc.after);
  const ep = loads(windows.ep.before, windows.ep.after);
  // A user task on a board whose own qdisc dropped packets offers more than the path carries
  // (iperf3 -u -b0 sends on through silent qdisc drops): however busy, it is not the limit.
  const overOffered = (board: BoardName, l: CpuLoad): boolean =>
    windows[board].after.qdiscDrops > windows[board].before.qdiscDrops && l.top !== null && stageOf(l.top.name).startsWith('user task');
  const busiest = (skipOverOffered: boolean): { board: BoardName; load: CpuLoad } | null => {
    let best: { board: BoardName; load: CpuLoad } | null = null;
    for (const [board, list] of [
      ['rc', rc],
      ['ep', ep],
    ] as const) {
      for (const l of list) if ((!skipOverOffered || !overOffered(board, l)) && (best === null || l.busy > best.load.busy)) best = { board, load: l };
    }
    return best;
  };
  const other = busiest(true);
  const best = other !== null && other.load.busy > 0 ? other : busiest(false);
  const b = best ?? { board: 'rc' as const, load: rc[0] ?? { cpu: 0, user: 0, kthread: 0, hardirq: 0, softirq: 0, busy: 0, top: null } };
  const path = pathLimit([pathUse('rc', windows.rc, rc), pathUse('ep', windows.ep, ep)]);
  const saturated = b.load.busy >= 95;
  const stage = b.load.top === null ? 'idle' : stageOf(b.load.top.name);
  // Not CPU-bound with TX subqueues that stop and wait for ntb_netdev's tx_timer, a jiffy later
  // (ntb_netdev_tx_timer): their rings never have tx_start slots free, or TX completions come
  // before the peer has taken enough frames back (tx_handler checks the peer's rx_info).
  const delta = (n: BoardName, k: 'txStops' | 'txTimerExpiries'): number => windows[n].after[k] - windows[n].before[k];
  const timerBound = (['ep', 'rc'] as const).find((n) => delta(n, 'txStops') > 0 && delta(n, 'txTimerExpiries') >= delta(n, 'txStops'));
  const timerName = (n: BoardName): string => (windows[n].after.wakeTimer === 'hrtimer' ? 'the 250 µs tx_timer hrtimer' : 'the 1-jiffy tx_timer');
  const back = ret === undefined ? '' : returnPathNote(ret, windows[ret.receiver]);
  const timerWhy =
    timerBound === undefined
      ? ''
      : windows[timerBound].after.maxFreeSlots < TX_START
        ? `${timerBound}'s ntb0 TX queues stopped ${delta(timerBound, 'txStops')} times on rings with at most ${windows[timerBound].after.maxFreeSlots} slots free, below tx_start ${TX_START}: only ${timerName(timerBound)} wakes them`
        : `${timerBound}'s ntb0 TX queues stopped ${delta(timerBound, 'txStops')} times and waited for ${timerName(timerBound)} (${delta(timerBound, 'txTimerExpiries')} expiries): their TX completions come before the peer has taken back tx_start ${TX_START} slots`;
  // Losses at a sender's own qdisc (fq_codel's CoDel, a full queue) that no user task over-offered: TCP's retransmissions and window cuts.
  const lossBoard = (['ep', 'rc'] as const).find((n) => windows[n].after.qdiscDrops > windows[n].before.qdiscDrops && !(n === b.board && b.load.top !== null && stageOf(b.load.top.name).startsWith('user task')));
  const lossWhy = lossBoard === undefined ? '' : `${lossBoard}'s ntb0 qdiscs dropped ${windows[lossBoard].after.qdiscDrops - windows[lossBoard].before.qdiscDrops} packets (tc -s qdisc: fq_codel's CoDel or a full queue): data lost, which TCP retransmits after cutting its window`;
  // Not CPU-bound: what held the queues (the tx_timer waits), what the streams lost, and what held them (their ACKs), whichever the window shows.
  const why = [timerWhy, lossWhy, back === '' ? '' : `the streams' ACKs queue on the way back: ${back}`].filter((x) => x !== '').join('; ') || 'the window or doorbell latency limit the rate';
  const rxQueues = { rc: rxQueueLoads(windows.rc.before, windows.rc.after, rc), ep: rxQueueLoads(windows.ep.before, windows.ep.after, ep) };
  const uneven = unevenRx(rxQueues[b.board]);
  const ackShort = uneven !== '' && back !== '' && ret?.receiver === b.board;
  const short = uneven === '' ? '' : `; ${uneven}${ackShort ? `, their ACKs held back on the way: ${back}` : ''}`;
  return {
    board: b.board,
    cpu: b.load.cpu,
    busyPct: b.load.busy,
    stage: (path ?? (saturated ? stage : `not CPU-bound (busiest: ${stage}); ${why}`)) + short,
    saturated: path !== null || saturated,
    cpus: { rc: rc.filter((l) => l.busy >= 1), ep: ep.filter((l) => l.busy >= 1) },
    rxQueues,
    unevenRx: uneven,
    returnPath: ackShort || (path === null && !saturated) ? back : '',
  };
}

/**
 * With one RX queue's CPU saturated and another's (a different CPU) under 90 %: a note that the
 * second was left short — the flows on its queue did not bring it enough packets (how the
 * streams hashed onto the sender's queues, or their ACKs held up on the way back). Empty otherwise.
 */
function unevenRx(queues: readonly RxQueueLoad[]): string {
  const cpus = new Set(queues.map((q) => q.cpu));
  if (cpus.size < 2 || !queues.some((q) => q.busyPct >= 95)) return '';
  const short = queues.filter((q) => q.busyPct < 90);
  if (short.length === 0) return '';
  return `${short.map((q) => `qp${q.qp}'s RX CPU (cpu${q.cpu}) only ${q.busyPct.toFixed(0)} % busy`).join(', ')}: its flows did not bring it enough packets`;
}

/** `27 ms`, `1.31 s`. */
function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/**
 * The receiving board's TX queue with the longest standing qdisc queue over the window, when it
 * is at least STANDING_QUEUE packets on average: what it sends back (TCP's ACKs) waits there for
 * ring slots — its ring drains only as fast as the peer takes frames out, and a stopped queue
 * waits for its tx_timer — and each ACK reaches the sender that much later. With the times the
 * queue stopped for want of ring slots and the senders' RTT. Empty otherwise.
 */
function returnPathNote(ret: ReturnPath, w: { readonly before: BoardSnapshot; readonly after: BoardSnapshot }): string {
  const means = ret.queues.qdiscMean[ret.receiver];
  let q = -1;
  means.forEach((m, i) => {
    if (m >= STANDING_QUEUE && (q < 0 || m > (means[q] ?? 0))) q = i;
  });
  if (q < 0) return '';
  const stops = (w.after.txStopsByQueue[q] ?? 0) - (w.before.txStopsByQueue[q] ?? 0);
  const rtt = ret.rttMs === null ? '' : `; the streams' RTT up to ${duration(ret.rttMs)}`;
  return `${ret.receiver}'s ntb0 TX queue ${q} held ${(means[q] ?? 0).toFixed(0)} packets on average in its qdisc, stopped ${stops} times for want of ring slots${rtt}`;
}
