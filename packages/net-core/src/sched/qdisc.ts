/**
 * The qdiscs a TX queue can have (net/sched): the `Qdisc` base with what every one shares —
 * counters, the requeued head (`q->gso_skb`), the run state of the lockless seqlock — and
 * `PfifoFast`, the default (net/sched/sch_generic.c `pfifo_fast`): three FIFO bands, an skb going
 * to band `prio2band[skb->priority & TC_PRIO_MAX]` (priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1:
 * best effort in band 1, interactive TOS in band 0, bulk in band 2), dequeued band 0 first.
 * Each band holds up to the device's `txqueuelen` packets (pfifo_fast_init sizes every band's
 * ring to it); an skb over its band's limit is dropped (`qdisc_drop_cpu`, counted in `drops`
 * only: pfifo_fast has no rate or shaping limit, so it never counts `overlimits`). A skb the
 * driver refused with NETDEV_TX_BUSY is requeued at the head (`dev_requeue_skb`, `q->gso_skb`).
 * The queue is lockless (TCQ_F_NOLOCK): a CPU that finds another CPU running it only
 * enqueues and marks it MISSED; the owner reschedules it when its run ends. `FqCodel`
 * (fqCodel.ts) is the other kind. `NoopQdisc` is the builtin noop_qdisc a TX queue is left with
 * when tc deletes its mq child (mq_graft of NULL).
 */
import type { Cpu, ExecContext } from '@ntbsim/kernel';
import { Fifo } from '../fifo.js';
import { TC_PRIO_MAX } from '../inet.js';
import type { Skb } from '../skb.js';

/** The qdisc kinds the model has (`tc qdisc` KIND; net.core.default_qdisc). */
export type QdiscKind = 'pfifo_fast' | 'fq_codel';

/** The qdisc kinds net.core.default_qdisc and `tc qdisc replace` take. */
export const QDISC_KINDS: readonly QdiscKind[] = ['pfifo_fast', 'fq_codel'];

/** What an enqueue did (NET_XMIT_*): queued; not queued (the caller frees it); or queued while the qdisc dropped packets of the same flow to make room (NET_XMIT_CN: TCP enters CWR). */
export type QdiscEnqueue = 'success' | 'drop' | 'cn';

/** pfifo_fast's bands (PFIFO_FAST_BANDS). */
export const PFIFO_FAST_BANDS = 3;

/** sch_generic.c prio2band: the pfifo_fast band of each skb->priority & TC_PRIO_MAX (`tc qdisc` prints it as the priomap). */
export const PFIFO_FAST_PRIOMAP: readonly number[] = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

/** Qdisc counters (`tc -s qdisc`): Sent bytes/pkt, dropped, overlimits, requeues, backlog. */
export interface QdiscStats {
  /** Bytes handed to the driver (skb->len, Ethernet header included). */
  bytes: number;
  /** Packets handed to the driver. */
  packets: number;
  /** Packets the qdisc dropped (queue full; fq_codel: also CoDel's drops at dequeue). */
  drops: number;
  /** Packets held back by a rate or shaping limit: pfifo_fast and fq_codel have none, so it stays 0 (`tc -s` prints it). */
  overlimits: number;
  /** Packets put back after NETDEV_TX_BUSY. */
  requeues: number;
}

/**
 * A qdisc attached to one or more TX queues (`struct Qdisc`): what the run loop (dev.ts
 * `qdiscRun`) and `tc -s qdisc` read. A qdisc on one TX queue (an mq child, or the root of a
 * single-queue device) is TCQ_F_ONETXQUEUE: the run loop checks that queue before dequeuing.
 */
export abstract class Qdisc {
  /** Its kind (`tc qdisc` KIND); `noop` for the builtin noop_qdisc (NoopQdisc). */
  abstract readonly kind: QdiscKind | 'noop';
  /** Counters. */
  readonly stats: QdiscStats = { bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0 };
  /** tcm_handle: 0 for a default qdisc, MAJ << 16 when tc gave or allocated one. */
  handle = 0;
  /** Attached to one TX queue only (TCQ_F_ONETXQUEUE): false for a root shared by the TX queues of a multiqueue device. */
  oneTxQueue = true;
  /** Queued on a CPU's NET_TX output queue (__QDISC_STATE_SCHED). */
  scheduled = false;
  /** @internal CPU that ran it last and until when (ns): the qdisc seqlock owner. */
  runningCpu: Cpu | null = null;
  /** @internal End of the last run (ns). */
  runningUntil = 0;
  /** @internal A reschedule is pending for the owner (__QDISC_STATE_MISSED). */
  missed = false;
  private readonly requeued: Skb[] = [];
  private requeuedBytes = 0;

  /** Packets queued (qlen), the requeued head included. */
  get qlen(): number {
    return this.queuedPackets() + this.requeued.length;
  }

  /** Bytes queued (backlog), the requeued head included. */
  get backlog(): number {
    return this.queuedBytes() + this.requeuedBytes;
  }

  /** Enqueue `skb` at `ctx.time` (or the qdisc's clock); on 'drop' nothing was queued and the caller frees it. */
  abstract enqueue(skb: Skb, ctx?: ExecContext): QdiscEnqueue;

  /** Put a refused skb back at the head (dev_requeue_skb). */
  requeue(skb: Skb): void {
    this.requeued.unshift(skb);
    this.requeuedBytes += skb.len;
    this.stats.requeues++;
  }

  /** The requeued head, if any (q->gso_skb), left in place. */
  peekRequeued(): Skb | undefined {
    return this.requeued[0];
  }

  /** Dequeue the next skb at `ctx.time` (a requeued one first); packets the qdisc drops meanwhile are freed on `ctx`'s CPU. */
  dequeue(ctx?: ExecContext): Skb | undefined {
    const skb = this.requeued.shift();
    if (skb !== undefined) {
      this.requeuedBytes -= skb.len;
      return skb;
    }
    return this.dequeueNext(ctx);
  }

  /** Remove and return everything queued (qdisc_reset). */
  purge(): Skb[] {
    const out = this.requeued.splice(0);
    this.requeuedBytes = 0;
    for (let s = this.dequeueNext(undefined, true); s !== undefined; s = this.dequeueNext(undefined, true)) out.push(s);
    this.resetState();
    return out;
  }

  /** The rest of the kind's qdisc_reset once it is empty (fq_codel: flow lists and CoDel state); nothing by default. */
  protected resetState(): void {}

  /** Packets queued by the kind itself (the requeued head not counted). */
  protected abstract queuedPackets(): number;
  /** Bytes queued by the kind itself (the requeued head not counted). */
  protected abstract queuedBytes(): number;
  /** The kind's dequeue; `reset` takes the next packet as qdisc_reset does (no AQM drop). */
  protected abstract dequeueNext(ctx: ExecContext | undefined, reset?: boolean): Skb | undefined;
}

/** The pfifo_fast qdisc (sch_generic.c): the kernel's default_qdisc. */
export class PfifoFast extends Qdisc {
  /** `pfifo_fast`. */
  readonly kind = 'pfifo_fast';
  private readonly bands: Fifo<Skb>[] = Array.from({ length: PFIFO_FAST_BANDS }, () => new Fifo<Skb>());
  private queued = 0;
  private bytes = 0;

  /** A pfifo_fast whose per-band limit is read from `limit()` (the device's txqueuelen, packets). */
  constructor(private readonly limit: () => number) {
    super();
  }

  /** Packets waiting in band `band` (0..2), the requeued head not counted. */
  bandQlen(band: number): number {
    return this.bands[band]?.length ?? 0;
  }

  /** Enqueue at the tail of the skb's band (PFIFO_FAST_PRIOMAP of its priority); 'drop' (and nothing queued) when that band is at the limit. */
  enqueue(skb: Skb): QdiscEnqueue {
    const band = this.bands[PFIFO_FAST_PRIOMAP[skb.priority & TC_PRIO_MAX] ?? 1] as Fifo<Skb>;
    if (band.length >= this.limit()) {
      this.stats.drops++;
      return 'drop';
    }
    band.push(skb);
    this.queued++;
    this.bytes += skb.len;
    return 'success';
  }

  protected queuedPackets(): number {
    return this.queued;
  }

  protected queuedBytes(): number {
    return this.bytes;
  }

  protected dequeueNext(): Skb | undefined {
    for (const band of this.bands) {
      const skb = band.shift();
      if (skb !== undefined) {
        this.queued--;
        this.bytes -= skb.len;
        return skb;
      }
    }
    return undefined;
  }
}

/**
 * The builtin noop_qdisc (sch_generic.c) on one TX queue: what `dev_graft_qdisc` puts there when
 * tc deletes the queue's mq child. `noop_enqueue` counts the skb in its device's tx_dropped
 * (dev_core_stats_tx_dropped_inc), frees it and answers NET_XMIT_CN (`'cn'`: the caller must not
 * free it); nothing is ever queued or counted here (tc does not dump it: TCQ_F_BUILTIN).
 */
export class NoopQdisc extends Qdisc {
  /** `noop`. */
  readonly kind = 'noop';

  /** noop_enqueue: tx_dropped of `skb.dev`, the skb freed on `ctx`'s CPU; always 'cn'. */
  enqueue(skb: Skb, ctx?: ExecContext): QdiscEnqueue {
    if (skb.dev !== null) skb.dev.stats.txDropped++;
    skb.free(ctx);
    return 'cn';
  }

  protected queuedPackets(): number {
    return 0;
  }

  protected queuedBytes(): number {
    return 0;
  }

  protected dequeueNext(): Skb | undefined {
    return undefined;
  }
}
