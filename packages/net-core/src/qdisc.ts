/**
 * The per-TX-queue qdisc (net/sched/sch_generic.c `pfifo_fast`, one band: the model's traffic
 * is all TOS 0, which pfifo_fast puts in band 1). Its limit is the device's `txqueuelen`;
 * an skb over the limit is dropped (`qdisc_drop_cpu`, counted in `drops` only: pfifo_fast has
 * no rate or shaping limit, so it never counts `overlimits`). A skb the driver
 * refused with NETDEV_TX_BUSY is requeued at the head (`dev_requeue_skb`, `q->gso_skb`).
 * The queue is lockless (TCQ_F_NOLOCK): a CPU that finds another CPU running it only
 * enqueues and marks it MISSED; the owner reschedules it when its run ends.
 */
import type { Cpu } from '@ntbsim/kernel';
import type { Skb } from './skb.js';

/** Qdisc counters (`tc -s qdisc`): Sent bytes/pkt, dropped, overlimits, requeues, backlog. */
export interface QdiscStats {
  /** Bytes handed to the driver (skb->len, Ethernet header included). */
  bytes: number;
  /** Packets handed to the driver. */
  packets: number;
  /** Packets dropped because the queue was full. */
  drops: number;
  /** Packets held back by a rate or shaping limit: pfifo_fast has none, so it stays 0 (`tc -s` prints it). */
  overlimits: number;
  /** Packets put back after NETDEV_TX_BUSY. */
  requeues: number;
}

/** A FIFO qdisc attached to one TX queue (`struct Qdisc`, pfifo_fast). */
export class Qdisc {
  /** Counters. */
  readonly stats: QdiscStats = { bytes: 0, packets: 0, drops: 0, overlimits: 0, requeues: 0 };
  /** Queued on a CPU's NET_TX output queue (__QDISC_STATE_SCHED). */
  scheduled = false;
  /** @internal CPU that ran it last and until when (ns): the qdisc seqlock owner. */
  runningCpu: Cpu | null = null;
  /** @internal End of the last run (ns). */
  runningUntil = 0;
  /** @internal A reschedule is pending for the owner (__QDISC_STATE_MISSED). */
  missed = false;
  private readonly requeued: Skb[] = [];
  private buf: (Skb | undefined)[] = [];
  private first = 0;
  private bytes = 0;

  /** A qdisc whose limit is read from `limit()` (the device's txqueuelen, packets). */
  constructor(private readonly limit: () => number) {}

  /** Packets queued (qlen), the requeued head included. */
  get qlen(): number {
    return this.buf.length - this.first + this.requeued.length;
  }

  /** Bytes queued (backlog). */
  get backlog(): number {
    return this.bytes;
  }

  /** Enqueue at the tail; false (and nothing queued) when at the limit. */
  enqueue(skb: Skb): boolean {
    if (this.qlen >= this.limit()) {
      this.stats.drops++;
      return false;
    }
    this.buf.push(skb);
    this.bytes += skb.len;
    return true;
  }

  /** Put a refused skb back at the head (dev_requeue_skb). */
  requeue(skb: Skb): void {
    this.requeued.unshift(skb);
    this.bytes += skb.len;
    this.stats.requeues++;
  }

  /** Dequeue the head (a requeued skb first). */
  dequeue(): Skb | undefined {
    let skb = this.requeued.shift();
    if (skb === undefined) {
      if (this.first >= this.buf.length) return undefined;
      skb = this.buf[this.first];
      this.buf[this.first++] = undefined;
      if (this.first > 64 && this.first * 2 > this.buf.length) {
        this.buf = this.buf.slice(this.first);
        this.first = 0;
      }
    }
    if (skb !== undefined) this.bytes -= skb.len;
    return skb;
  }

  /** Remove and return everything queued (qdisc_reset). */
  purge(): Skb[] {
    const out: Skb[] = [];
    for (let s = this.dequeue(); s !== undefined; s = this.dequeue()) out.push(s);
    return out;
  }
}
