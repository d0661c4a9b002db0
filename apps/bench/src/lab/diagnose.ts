/**
 * Why traffic stopped, read from the lab's model state: each board's ntb0 TX subqueues (stopped,
 * and why they stay so), and QP rings wedged by a one-sided reset or a lost doorbell.
 * ntb_netdev stops a subqueue when fewer than `tx_stop` (5) ring slots are free; a TX
 * completion wakes it once `tx_start` (10) are free, its tx_timer once `tx_stop` are. A ring of
 * N slots never has more than N − 1 free (one slot stays empty), so a ring of 5 slots or fewer
 * (two QPs sharing a 512 KiB MW with 64 KiB frames: 3 slots) stops for good, and one of 10 or
 * fewer is only ever woken by the timer, a jiffy later.
 */
import { TX_START, TX_STOP } from '@ntbsim/ntb-netdev';
import { DESC_DONE_FLAG, HDR, slotHeaderOffset, type TransportQp } from '@ntbsim/ntb-transport';
import { formatMac } from '@ntbsim/net-core';
import { LAB_IPS, type Board, type BoardName, type Lab } from './lab.js';

/** One TX subqueue of a board's ntb0 as the model holds it. */
export interface TxQueueState {
  /** Board. */
  readonly board: Board['name'];
  /** Queue index (= its QP). */
  readonly qid: number;
  /** The subqueue is stopped (netif_tx_queue_stopped). */
  readonly stopped: boolean;
  /** Free TX ring slots now (ntb_transport_tx_free_entry). */
  readonly free: number;
  /** Ring slots (max_entry); at most max_entry − 1 are ever free. */
  readonly slots: number;
  /** Slot size including the header (bytes). */
  readonly frameBytes: number;
  /** The QP link is up. */
  readonly linkUp: boolean;
}

/** The TX subqueues of both boards' ntb0 (none for a board without ntb0). */
export function txQueueStates(lab: Lab): TxQueueState[] {
  return [lab.boards.rc, lab.boards.ep].flatMap((b) =>
    (b.netdev()?.queues ?? []).map((q) => ({
      board: b.name,
      qid: q.qid,
      stopped: q.dev.ndev.netifTxQueueStopped(q.qid),
      free: q.qp.txFreeEntry(),
      slots: q.qp.txRing.maxEntry,
      frameBytes: q.qp.txRing.maxFrame,
      linkUp: q.qp.linkQuery(),
    })),
  );
}

/** Why a stopped subqueue stays stopped (without naming it). */
function why(s: TxQueueState): string {
  const ring = `ring of ${s.slots} × ${s.frameBytes / 1024} KiB slots`;
  if (!s.linkUp) return 'stopped: the QP link is down';
  if (s.slots - 1 < TX_STOP) return `stopped for good: a ${ring} has at most ${s.slots - 1} free < tx_stop ${TX_STOP}, so neither a TX completion (wakes at tx_start ${TX_START} free) nor the tx_timer (at ${TX_STOP}) wakes it`;
  if (s.free < TX_STOP) return `stopped: ${s.free} of ${s.slots} slots free < tx_stop ${TX_STOP}, waiting for the peer to consume the ring`;
  if (s.slots - 1 < TX_START) return `stopped: a ${ring} never has tx_start ${TX_START} free, so only the 1-jiffy tx_timer wakes it`;
  return `stopped with ${s.free} of ${s.slots} slots free (a wake is pending)`;
}

/** Why the lab's traffic is stuck: each stopped ntb0 TX subqueue and why it stays stopped ('; '-joined, grouped by reason), or null when none is stopped. */
export function diagnoseTxStall(lab: Lab): string | null {
  const groups = new Map<string, TxQueueState[]>();
  for (const s of txQueueStates(lab).filter((x) => x.stopped)) groups.set(why(s), [...(groups.get(why(s)) ?? []), s]);
  if (groups.size === 0) return null;
  const name = (qs: readonly TxQueueState[]): string =>
    (['rc', 'ep'] as const)
      .flatMap((b) => {
        const ids = qs.filter((q) => q.board === b).map((q) => q.qid);
        return ids.length === 0 ? [] : [`${b} ntb0 TX queue${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`];
      })
      .join(' and ');
  return [...groups.entries()].map(([reason, qs]) => `${name(qs)} ${reason}`).join('; ');
}

/** Whether the slot `qp` reads next holds a finished descriptor (DESC_DONE_FLAG): frames wait for its RX tasklet (the EP polls host doorbells every msecs_to_jiffies(5), 8 ms at HZ 250). */
function nextRxReady(qp: TransportQp): boolean {
  return nextRxVer(qp) !== null;
}

/** The `ver` of the finished frame at `qp`'s next RX slot, or null when that slot is not done. */
function nextRxVer(qp: TransportQp): number | null {
  const ring = qp.rxRing;
  const buf = qp.rxBuf;
  if (ring === null || buf === null) return null;
  const hdr = slotHeaderOffset(ring, qp.rxIndex);
  if ((buf.view.getUint32(hdr + HDR.FLAGS, true) & DESC_DONE_FLAG) === 0) return null;
  return buf.view.getUint32(hdr + HDR.VER, true);
}

/** Whether `qp`'s next RX slot holds a finished frame that ntb_process_rxc refuses (ver other than the low 32 bits of rx_pkts: rx_err_ver, -EIO, and the ring stops there). */
function nextRxRefused(qp: TransportQp): boolean {
  const ver = nextRxVer(qp);
  return ver !== null && ver !== qp.stats.rxPkts % 2 ** 32;
}

/**
 * Why a QP ring wedged after a one-sided QP reset, or '': the sender, told by an rx_info the
 * previous session rewrote that slots were free, wrote over frames the receiver had not read,
 * which now refuses the frame at its next slot (ver check, rx_err_ver); the two ends' indices diverged (the
 * sender wrote frames since its reset that the receiver, reset later, never looks for), the
 * receiver consumed a stale descriptor left in its RX ring (rx_pkts above the peer's tx_pkts), or a completion of the
 * previous session rewrote the sender's rx_info after the reset, so it sees fewer free slots
 * than its unconsumed frames explain, below ntb_netdev's TX_START: the queue stays stopped,
 * nothing more is sent, no doorbell comes, and the ring never drains.
 */
export function staleDiagnosis(lab: Lab): string {
  return eachLinkedQpPair(lab, ({ tx, rx, s, r, i }) => {
    // Frame counts, not ring positions: a sender that wrapped can stand at the receiver's index.
    if (s.stats.txPkts > r.stats.rxPkts && nextRxRefused(r)) {
      return `; qp${i}: ${tx} has written ${s.stats.txPkts} frame(s) since its QP reset, up to slot ${s.txIndex}, though ${rx} has taken ${r.stats.rxPkts} since its own: its rx_info (all free at its reset, then rewritten by the previous session's completions) let it write over frames ${rx} had not read; ${rx} waits at slot ${r.rxIndex} for ver ${r.stats.rxPkts % 2 ** 32}, finds ver ${nextRxVer(r) ?? 0} and refuses it at each doorbell (rx_err_ver ${r.stats.rxErrVer})`;
    }
    if (s.stats.txPkts > r.stats.rxPkts && !nextRxReady(r)) {
      return `; qp${i}: ${tx} has written ${s.stats.txPkts} frame(s) since its QP reset, up to slot ${s.txIndex}, ${rx} has taken ${r.stats.rxPkts} since its own and waits at slot ${r.rxIndex}: the two ends' ring indices diverged (one end reset its QP while the other kept its indices), so what ${tx} writes never lands where ${rx} looks`;
    }
    if (r.stats.rxPkts > s.stats.txPkts) {
      return `; qp${i}: ${rx} consumed ${r.stats.rxPkts - s.stats.txPkts} stale descriptor(s) left in its RX ring before the QP reset (rx_pkts ${r.stats.rxPkts} > peer tx_pkts ${s.stats.txPkts}), ${tx} sees free tx ${s.txFreeEntry()}`;
    }
    const expected = s.txRing.maxEntry - 1 - (s.stats.txPkts - r.stats.rxPkts);
    if (s.txFreeEntry() < expected && s.txFreeEntry() < TX_START) {
      return `; qp${i}: ${tx} sees free tx ${s.txFreeEntry()} although only ${s.stats.txPkts - r.stats.rxPkts} of the ${s.stats.txPkts} frame(s) it sent since the QP reset are unconsumed (expected ${expected} free): a completion of the previous QP session rewrote its rx_info after the reset`;
    }
    return null;
  });
}

/** One QP, up on both boards, in one direction: the sender board `tx` and its QP `s`, the receiver `rx` and its QP `r`, the QP number `i`. */
interface LinkedQpPair {
  readonly tx: BoardName;
  readonly rx: BoardName;
  readonly s: TransportQp;
  readonly r: TransportQp;
  readonly i: number;
}

/** What `visit` says of each QP whose link is up on both boards, per direction, joined. */
function eachLinkedQpPair(lab: Lab, visit: (p: LinkedQpPair) => string | null): string {
  const out: string[] = [];
  for (const [tx, rx] of [['rc', 'ep'], ['ep', 'rc']] as const) {
    const rq = lab.boards[rx].transport()?.qps ?? [];
    (lab.boards[tx].transport()?.qps ?? []).forEach((s, i) => {
      const r = rq[i];
      if (r === undefined || !s.linkQuery() || !r.linkQuery()) return;
      const said = visit({ tx, rx, s, r, i });
      if (said !== null) out.push(said);
    });
  }
  return out.join('');
}

/**
 * Why a QP ring wedged after `sender` came straight back up, or '': the sender's QP runs a
 * new session (fewer frames sent since its reset than the receiver has taken since its own)
 * while the receiver, never reset, refuses what it finds at its next slot (rx_err_ver): the
 * sender's link down and up ran back to back, it came up on the QP_LINKS bit the receiver wrote
 * long before, counted every slot free, and overwrote frames the receiver had not read, the
 * LINK_DOWN among them.
 */
export function relinkOverrunDiagnosis(lab: Lab, sender: BoardName): string {
  return eachLinkedQpPair(lab, ({ tx, rx, s, r, i }) =>
    tx === sender && r.stats.rxErrVer > 0 && s.stats.txPkts < r.stats.rxPkts
      ? `; qp${i}: ${tx} came back up at once after its own link down and wrote ${s.stats.txPkts} frame(s) of a new session from slot 0 over slots ${rx} had not read (its LINK_DOWN among them); ${rx}, never reset, waits at slot ${r.rxIndex} for ver ${r.stats.rxPkts} and refuses what it finds there (rx_err_ver ${r.stats.rxErrVer})`
      : null,
  );
}

/**
 * Why a QP ring wedged after the link ate frames, or '': frames the sender wrote while the PCIe
 * link was down never landed (posted writes to a dead link are dropped), and nobody was told
 * (mainline ntb_hw_epf and vNTB have no link-change path), so the receiver waits at its next
 * slot for a DONE flag that never comes, while the sender, whose rx_info updates were lost too,
 * writes only past that slot: the QP stays up on both sides and never moves again until a
 * transport link reset (a module reload) renegotiates both ends.
 */
export function lostFrameDiagnosis(lab: Lab): string {
  const eaten = lab.pair.fabric.stats('rc-to-ep').droppedLinkDown + lab.pair.fabric.stats('ep-to-rc').droppedLinkDown;
  if (eaten === 0) return '';
  return eachLinkedQpPair(lab, ({ tx, rx, s, r, i }) =>
    s.stats.txPkts > r.stats.rxPkts && !nextRxReady(r)
      ? `; qp${i}: ${rx} waits at slot ${r.rxIndex} for a DONE flag that never comes (the link ate ${eaten} TLPs while down, and neither side was told), ${s.stats.txPkts - r.stats.rxPkts} frame(s) ${tx} wrote from that slot on not taken; ${tx} sees free tx ${s.txFreeEntry()}`
      : null,
  );
}

/**
 * Why frames to a peer vanish at its ntb0, or '': a board's ARP entry for the peer holds an
 * Ethernet address the peer's ntb0 no longer has. ntb_netdev_probe gives ntb0 a new random
 * address (eth_random_addr) each time the module loads, so a peer's reload changes it; the
 * board would flush the entry at its carrier loss (neigh_carrier_down), but a link loss it never
 * noticed kept its carrier on, so it goes on sending to the old address — the peer drops those
 * frames as for another host (rx_otherhost_dropped) — until the entry goes stale and ARP probes
 * again: base_reachable_time (30 s, ×0.5–1.5), delay_first_probe_time, then the probes. Any ARP
 * request from the peer would fix the entry at once (arp_process updates it with the sender's
 * address), so it lasts while the peer has nothing to send: a connection the board opens to a
 * peer that only listens.
 */
export function staleNeighDiagnosis(lab: Lab): string {
  const out: string[] = [];
  for (const [b, peer] of [['rc', 'ep'], ['ep', 'rc']] as const) {
    const dev = lab.boards[b].netdev()?.ndev;
    const peerDev = lab.boards[peer].netdev()?.ndev;
    if (dev === undefined || peerDev === undefined) continue;
    const now = formatMac(peerDev.devAddr);
    for (const e of lab.boards[b].stack.arp.entries(dev)) {
      if (e.addr !== LAB_IPS[peer] || e.lladdr === null || e.lladdr === now) continue;
      out.push(`; ${b}'s ARP entry for ${e.addr} (${e.state}) holds ${e.lladdr}, but ${peer}'s ntb0 is ${now} since its driver's reload; ${peer} drops what comes to the old address (rx_otherhost_dropped ${peerDev.stats.rxOtherhostDropped})`);
    }
  }
  return out.join('');
}

/**
 * Why a ring holds a finished frame nobody takes, or '' (a frame the receiver refuses, of the
 * wrong ver, is `staleDiagnosis`'s): its doorbell was lost (the EP sees a
 * host doorbell only in its doorbell register, the RC only as an MSI), and nothing rings again
 * because the sender is stopped behind its full ring (ntb_netdev's tx_timer only rechecks the
 * free slots) or has nothing more to send. ntb_transport never polls a ring on its own.
 */
export function lostDoorbellDiagnosis(lab: Lab): string {
  const out: string[] = [];
  for (const [tx, rx] of [['rc', 'ep'], ['ep', 'rc']] as const) {
    (lab.boards[rx].transport()?.qps ?? []).forEach((r, i) => {
      const s = lab.boards[tx].transport()?.qps[i];
      if (s === undefined || !r.linkQuery() || !nextRxReady(r) || nextRxRefused(r)) return;
      out.push(`; qp${i}: ${rx} has a finished frame at slot ${r.rxIndex} it never took: its doorbell was lost, and ${tx} (free tx ${s.txFreeEntry()}) rings no other`);
    });
  }
  return out.join('');
}

/**
 * Why a TCP connection stopped retransmitting, or '': a board's DMA terminate dropped TX copies
 * in flight (ntb_transport_free_queue: the TX channel's dma_sync_wait waits on the RX cookie),
 * so their completions never ran and ntb_netdev never freed their skbs, and TCP skipped its
 * retransmissions of those segments as still queued in the host (TCPSpuriousRtxHostQueues).
 */
export function droppedDmaDiagnosis(lab: Lab): string {
  const out: string[] = [];
  for (const b of ['rc', 'ep'] as const) {
    const dropped = lab.pair.dma[b].stats.terminated;
    const skipped = lab.boards[b].stack.tcpExt.TCPSpuriousRtxHostQueues;
    if (dropped > 0 && skipped > 0) out.push(`; ${b}: a DMA terminate dropped ${dropped} cop${dropped === 1 ? 'y' : 'ies'} in flight, whose skbs were never freed: TCP skipped ${skipped} retransmission(s) as still queued in the host`);
  }
  return out.join('');
}

/**
 * Why a TCP connection crawls in RTO backoff, or '': RX DMA copies on a board failed, and
 * ntb_rx_copy_callback's CPU fallback copied the slot at the already advanced `rx_index`
 * (ntb_transport's `rx_dma_fallback_own_slot` off, as in the kernel), so each of those frames
 * was lost; while failures are pending every retransmission's copy fails in turn.
 */
export function rxDmaFallbackDiagnosis(lab: Lab): string {
  const out: string[] = [];
  for (const [b, peer] of [['rc', 'ep'], ['ep', 'rc']] as const) {
    const failed = lab.pair.dma[b].stats.failed;
    const rto = lab.boards[peer].stack.tcpExt.TCPTimeouts;
    if (failed > 0 && lab.boards[b].transport()?.params.rxDmaFallbackOwnSlot === false && rto > 0) {
      out.push(`; ${b}: ${failed} DMA cop${failed === 1 ? 'y' : 'ies'} failed, an RX copy's CPU fallback reading the slot at the advanced rx_index and losing its frame: ${peer}'s TCP in RTO backoff (${rto} timeouts)`);
    }
  }
  return out.join('');
}
