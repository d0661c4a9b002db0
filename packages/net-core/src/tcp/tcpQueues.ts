/**
 * The queues of a TCP socket: the write queue and the retransmit queue (`sk_write_queue`,
 * `tcp_rtx_queue`) hold `TcpSeg`s, one per skb and so one per segment on the wire; the receive
 * queue (`sk_receive_queue`) holds in-order data until read; the out-of-order queue
 * (`out_of_order_queue`) holds segments beyond a hole, sorted by sequence. Every operation a
 * segment's life needs is O(1) amortised except inserting into the out-of-order queue
 * (O(log n) search, O(n) move in a window of a few segments) and splitting a segment that is
 * already in the retransmit queue (only after the MSS shrinks).
 */
import type { Skb } from '../skb.js';

/** One TCP skb of the write or retransmit queue (`struct tcp_skb_cb` plus the payload). */
export interface TcpSeg {
  /** First sequence number (absolute). */
  seq: number;
  /** Payload bytes. */
  len: number;
  /** Carries FIN (one more sequence number after the payload). */
  fin: boolean;
  /** TCPHDR_PSH in the skb's flags (tcp_mark_push): the segment ending the skb goes out with PSH. */
  psh: boolean;
  /** Payload store (functional mode): bytes [0, len) are the data; null in timing mode. */
  bytes: Uint8Array | null;
  /** Bytes the segment can hold (appends stop there). */
  cap: number;
  /** Data came from sendfile: no user copy, a checksum pass at transmit. */
  sendfile: boolean;
  /** Memory charged to the socket (bytes), skb->truesize. */
  truesize: number;
  /** Time of the last (re)transmission (ns), the skb timestamp. */
  sentAt: number;
  /** Marked lost (TCPCB_LOST). */
  lost: boolean;
  /** A retransmission is in flight (TCPCB_SACKED_RETRANS). */
  retrans: boolean;
  /** Ever retransmitted (TCPCB_EVER_RETRANS): no RTT sample from it (Karn). */
  everRetrans: boolean;
  /** The clone last handed to IP, to tell whether it still sits in a host queue (skb_fclone_busy). */
  lastSkb: Skb | null;
}

/** The sequence number after `s` (end_seq). */
export function segEnd(s: TcpSeg): number {
  return s.seq + s.len + (s.fin ? 1 : 0);
}

/** A received run of bytes waiting in the receive or out-of-order queue. */
export interface RcvChunk {
  /** First sequence number (absolute) of the unread part. */
  seq: number;
  /** Unread payload bytes. */
  len: number;
  /** The bytes (functional mode): the unread part is `data[off, off + len)`; null in timing mode. */
  data: Uint8Array | null;
  /** Offset of the unread part in `data`. */
  off: number;
  /** Memory charged for the skb (bytes), released when the chunk is fully read or dropped. */
  truesize: number;
  /** FIN follows the bytes. */
  fin: boolean;
}

/** The sequence number after a chunk's unread bytes (and its FIN). */
export function chunkEnd(c: RcvChunk): number {
  return c.seq + c.len + (c.fin ? 1 : 0);
}

/** The out-of-order queue: chunks sorted by sequence, none contained in another. */
export class OfoQueue {
  private chunks: RcvChunk[] = [];
  private head = 0;

  /** Chunks queued. */
  get length(): number {
    return this.chunks.length - this.head;
  }

  /** The chunk with the lowest sequence, or undefined. */
  peek(): RcvChunk | undefined {
    return this.chunks[this.head];
  }

  /** Remove the lowest chunk. */
  shift(): RcvChunk | undefined {
    const c = this.chunks[this.head];
    if (c === undefined) return undefined;
    this.head++;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return c;
  }

  /**
   * Insert `c` (tcp_data_queue_ofo): false, and nothing queued, when an existing chunk already
   * covers it; chunks it covers are removed and returned so their memory can be released.
   */
  insert(c: RcvChunk): { readonly queued: boolean; readonly removed: readonly RcvChunk[] } {
    const a = this.chunks;
    const end = chunkEnd(c);
    const last = a[a.length - 1];
    if (last === undefined || this.head === a.length || (last.seq < c.seq && chunkEnd(last) < end)) {
      if (last !== undefined && this.head < a.length && chunkEnd(last) >= end) return { queued: false, removed: NONE };
      a.push(c);
      return { queued: true, removed: NONE };
    }
    let lo = this.head;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((a[mid] as RcvChunk).seq < c.seq) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > this.head ? a[lo - 1] : undefined;
    if (prev !== undefined && chunkEnd(prev) >= end) return { queued: false, removed: NONE };
    const same = a[lo];
    if (same !== undefined && same.seq === c.seq && chunkEnd(same) >= end) return { queued: false, removed: NONE };
    let n = 0;
    for (let i = lo; i < a.length; i++) {
      if (chunkEnd(a[i] as RcvChunk) > end) break;
      n++;
    }
    const removed = a.splice(lo, n, c);
    return { queued: true, removed };
  }

  /** Remove everything. */
  drain(): RcvChunk[] {
    const out = this.chunks.slice(this.head);
    this.chunks = [];
    this.head = 0;
    return out;
  }
}

const NONE: readonly RcvChunk[] = [];
