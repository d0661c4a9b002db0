/**
 * Why traffic stopped: the state of each board's ntb0 TX subqueues read from the model.
 * ntb_netdev stops a subqueue when fewer than `tx_stop` (5) ring slots are free; a TX
 * completion wakes it once `tx_start` (10) are free, its tx_timer once `tx_stop` are. A ring of
 * N slots never has more than N − 1 free (one slot stays empty), so a ring of 5 slots or fewer
 * (two QPs sharing a 512 KiB MW with 64 KiB frames: 3 slots) stops for good, and one of 10 or
 * fewer is only ever woken by the timer, a jiffy later.
 */
import { TX_START, TX_STOP } from '@ntbsim/ntb-netdev';
import type { Board, Lab } from '../lab/lab.js';

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
