/**
 * The per-TX-queue qdisc (net/sched/sch_generic.c `pfifo_fast`): three FIFO bands, an skb going
 * to band `prio2band[skb->priority & TC_PRIO_MAX]` (priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1:
 * best effort in band 1, interactive TOS in band 0, bulk in band 2), dequeued band 0 first.
 * Each band holds up to the device's `txqueuelen` packets (pfifo_fast_init sizes every band's
 * ring to it); an skb over its band's limit is dropped (`qdisc_drop_cpu`, counted in `drops`
 * only: pfifo_fast has no rate or shaping limit, so it never counts `overlimits`). A skb the
 * driver refused with NETDEV_TX_BUSY is requeued at the head (`dev_requeue_skb`, `q->gso_skb`).
 * The queue is lockless (TCQ_F_NOLOCK): a CPU that finds another CPU running it only
 * enqueues and marks it MISSED; the owner reschedules it when its run ends.
 */
import type { Cpu } from '@ntbsim/kernel';
import { TC_PRIO_MAX } from './inet.js';
import type { Skb } from './skb.js';

/** pfifo_fast's bands (PFIFO_FAST_BANDS). */
export const PFIFO_FAST_BANDS = 3;

/** sch_generic.c prio2band: the pfifo_fast band of each skb->priority & TC_PRIO_MAX (`tc qdisc` prints it as the priomap). */
export const PFIFO_FAST_PRIOMAP: readonly number[] = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

/** One band's FIFO: an array with a moving head. */
class Band {
  buf: (Skb | undefined)[] = [];
  first = 0;

  get length(): number {
    return this.buf.length - this.first;
  }

  shift(): Skb | undefined {
    if (this.first >= this.buf.length) return undefined;
    const skb = this.buf[this.first];
    this.buf[this.first++] = undefined;
    if (this.first > 64 && this.first * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.first);
      this.first = 0;
    }
    return skb;
  }
}

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

/** The pfifo_fast qdisc attached to one TX queue (`struct Qdisc`). */
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
  private readonly bands: Band[] = Array.from({ length: PFIFO_FAST_BANDS }, () => new Band());
  private queued = 0;
  private bytes = 0;

  /** A qdisc whose per-band limit is read from `limit()` (the device's txqueuelen, packets). */
  constructor(private readonly limit: () => number) {}

  /** Packets queued (qlen), the requeued head included. */
  get qlen(): number {
    return this.queued + this.requeued.length;
  }

  /** Bytes queued (backlog). */
  get backlog(): number {
    return this.bytes;
  }

  /** Packets waiting in band `band` (0..2), the requeued head not counted. */
  bandQlen(band: number): number {
    return this.bands[band]?.length ?? 0;
  }

  /** Enqueue at the tail of the skb's band (PFIFO_FAST_PRIOMAP of its priority); false (and nothing queued) when that band is at the limit. */
  enqueue(skb: Skb): boolean {
    const band = this.bands[PFIFO_FAST_PRIOMAP[skb.priority & TC_PRIO_MAX] ?? 1] as Band;
    if (band.length >= this.limit()) {
      this.stats.drops++;
      return false;
    }
    band.buf.push(skb);
    this.queued++;
    this.bytes += skb.len;
    return true;
  }

  /** Put a refused skb back at the head (dev_requeue_skb). */
  requeue(skb: Skb): void {
    this.requeued.unshift(skb);
    this.bytes += skb.len;
    this.stats.requeues++;
  }

  /** Dequeue the head (a requeued skb first, then band 0, 1, 2). */
  dequeue(): Skb | undefined {
    let skb = this.requeued.shift();
    if (skb === undefined) {
      for (const band of this.bands) {
        skb = band.shift();
        if (skb !== undefined) {
          this.queued--;
          break;
        }
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
