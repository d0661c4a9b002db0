/**
 * IPv4 fragmentation and reassembly (net/ipv4/ip_output.c `ip_do_fragment`, net/ipv4/
 * ip_fragment.c `ip_defrag`, net/ipv4/inet_fragment.c).
 *
 * Output: a datagram over the route MTU without DF is cut into fragments whose IP payload is
 * `(mtu − 20) & ~7` bytes (the last takes the rest), each with its own IP header (same id, MF on
 * all but the last, the offset in 8-byte units). The first fragment carries the transport header
 * with the checksum (and UDP length) of the whole datagram; later ones carry only data. Each
 * fragment is its own skb charged to the sending socket (`LL_RESERVED_SPACE` + 15 bytes of
 * headroom each, as `ip_append_data` allocates them), so the socket's send memory is freed
 * fragment by fragment as the driver completes them.
 *
 * Input: fragments are queued per (source, destination, id, protocol) (`struct ipq`); a queue is
 * complete when the first and last fragments are in and the bytes held cover the datagram, then
 * the datagram is rebuilt as one skb whose truesize is the sum of its fragments'. A fragment
 * entirely within bytes already held is a duplicate (dropped, the queue kept); one that
 * partially overlaps them, or contradicts the datagram length, discards the whole queue
 * (RFC 5722; ReasmFails). Each queue expires `ipfrag_time` (30 s) after its first fragment:
 * ReasmTimeout and ReasmFails, its fragments freed. While the memory held by queues (the
 * fragments' truesize) is above `ipfrag_high_thresh` (4 MiB), every new fragment is refused
 * (ReasmFails), as `inet_frag_find` does; `ipfrag_low_thresh` is kept as a sysctl only (unused by
 * Linux since 4.17). Not modelled: the ICMP time-exceeded message on expiry, ipfrag_max_dist,
 * the queue descriptor's own memory, and the ECN combination of fragments.
 */
import type { ExecContext, Timer } from '@ntbsim/kernel';
import { NetError } from './errors.js';
import { skbL4Checksum } from './frame.js';
import { IPV4_HLEN, type Ipv4Addr } from './inet.js';
import type { NetStack } from './netStack.js';
import { allocSkbTruesize, ipIsFragment, l4HeaderLen, Skb, type Ipv4Header, type L4Header } from './skb.js';

/** Headroom ip_append_data reserves per skb (bytes): LL_RESERVED_SPACE 16 of an Ethernet device + 15 of alignment. */
export const LL_HEADROOM = 31;
/** The fragment offset unit (bytes). */
const FRAG_UNIT = 8;

/**
 * The IP payload sizes (bytes) of the fragments of an IP payload of `payloadLen` bytes at `mtu`
 * (ip_do_fragment): `(mtu − 20) & ~7` each, the last takes the rest; one size when it fits.
 */
export function ipFragmentSizes(payloadLen: number, mtu: number): number[] {
  if (!Number.isInteger(payloadLen) || payloadLen < 0) throw new NetError('EINVAL', `fragment payload ${String(payloadLen)}: allowed an integer ≥ 0 (bytes)`);
  if (!Number.isInteger(mtu) || mtu < IPV4_HLEN + FRAG_UNIT) throw new NetError('EINVAL', `fragment mtu ${String(mtu)}: allowed an integer ≥ ${IPV4_HLEN + FRAG_UNIT} (bytes)`);
  if (payloadLen + IPV4_HLEN <= mtu) return [payloadLen];
  const chunk = (mtu - IPV4_HLEN) & ~(FRAG_UNIT - 1);
  const sizes: number[] = [];
  let left = payloadLen;
  while (left > chunk) {
    sizes.push(chunk);
    left -= chunk;
  }
  sizes.push(left);
  return sizes;
}

/**
 * The memory (bytes of truesize) a datagram of `l4Len` transport bytes is charged at `mtu`: one
 * skb when it fits, else the sum over its fragments (each `__alloc_skb` of its IP packet plus
 * LL_HEADROOM), as ip_append_data allocates them.
 */
export function ipDatagramTruesize(l4Len: number, mtu: number): number {
  return ipFragmentTruesizes(l4Len, mtu).reduce((a, t) => a + t, 0);
}

/** The truesize (bytes) of each skb of a datagram of `l4Len` transport bytes at `mtu`, in order. */
export function ipFragmentTruesizes(l4Len: number, mtu: number): number[] {
  if (l4Len + IPV4_HLEN <= mtu) return [allocSkbTruesize(l4Len + IPV4_HLEN + LL_HEADROOM)];
  return ipFragmentSizes(l4Len, mtu).map((n) => allocSkbTruesize(n + IPV4_HLEN + LL_HEADROOM));
}

/**
 * The send-buffer check of a datagram of `l4Len` transport bytes at `mtu` (ip_append_data): its
 * memory in bytes (the sum of its skbs' truesize), or EAGAIN when the first skb does not fit
 * (`sock_alloc_send_skb`: `wmemAlloc` ≥ `sndbuf`), or ENOBUFS when a later fragment's skb would
 * take the socket's memory over twice `sndbuf`.
 */
export function ipAppendMemory(wmemAlloc: number, sndbuf: number, l4Len: number, mtu: number): number | 'EAGAIN' | 'ENOBUFS' {
  if (wmemAlloc >= sndbuf) return 'EAGAIN';
  const sizes = ipFragmentTruesizes(l4Len, mtu);
  let total = 0;
  for (const t of sizes) {
    if (total > 0 && wmemAlloc + total > 2 * sndbuf) return 'ENOBUFS';
    total += t;
  }
  return total;
}

function sliceOf(data: Uint8Array | null, from: number, to: number): Uint8Array | null {
  return data === null ? null : data.subarray(from, to);
}

/**
 * Cut `skb` (an IP datagram over `mtu`, without DF) into fragments (ip_do_fragment): the
 * fragments share the datagram's id, carry MF and their offsets, and are charged to its owner
 * (their truesize moves from `skb`, whose destructor then refunds only what is left). `skb`
 * itself is left for the caller to free.
 */
export function ipFragment(skb: Skb, mtu: number): Skb[] {
  const l4 = skb.l4;
  if (l4.kind === 'arp') throw new NetError('EINVAL', 'ipFragment: an ARP packet is not an IPv4 datagram');
  const hlen = skb.l4HeaderLen;
  const sizes = ipFragmentSizes(skb.l4Len, mtu);
  const baseOff = skb.ip.fragOff ?? 0;
  const lastMf = skb.ip.mf === true;
  let head: L4Header = l4;
  if (l4.kind !== 'frag') {
    const check = ipIsFragment(skb.ip) ? (l4.check ?? 0) : skbL4Checksum(skb);
    head = l4.kind === 'udp' ? { ...l4, check, len: l4.len ?? skb.l4Len } : { ...l4, check };
  }
  const frags: Skb[] = [];
  let off = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i] as number;
    const first = off === 0 && l4.kind !== 'frag';
    const dataFrom = first ? 0 : off - hlen;
    const payloadLen = first ? size - hlen : size;
    const ip: Ipv4Header = { ...skb.ip, fragOff: baseOff + off, mf: i < sizes.length - 1 || lastMf };
    const frag = new Skb({
      ip,
      l4: first ? head : { kind: 'frag' },
      data: sliceOf(skb.data, dataFrom, dataFrom + payloadLen),
      payloadLen,
      truesize: allocSkbTruesize(size + IPV4_HLEN + LL_HEADROOM),
    });
    frag.hash = skb.hash;
    frag.priority = skb.priority;
    frag.senderCpu = skb.senderCpu;
    skb.shareOwner(frag);
    frags.push(frag);
    off += size;
  }
  return frags;
}

/** What inserting a fragment into its queue did. */
export type FragInsert = 'queued' | 'complete' | 'dup' | 'bad';

interface HeldFrag {
  readonly off: number;
  readonly end: number;
  readonly skb: Skb;
}

function trimTo(skb: Skb, l4Len: number): boolean {
  const payloadLen = l4Len - skb.l4HeaderLen;
  if (payloadLen < 0) return false;
  skb.payloadLen = payloadLen;
  if (skb.data !== null) skb.data = skb.data.subarray(0, payloadLen);
  return true;
}

function withoutFragFields(ip: Ipv4Header): Ipv4Header {
  return { src: ip.src, dst: ip.dst, protocol: ip.protocol, id: ip.id, ttl: ip.ttl, df: ip.df, tos: ip.tos };
}

function wholeL4(l4: L4Header): L4Header {
  if (l4.kind !== 'udp') return { ...l4 };
  const h: L4Header = { kind: 'udp', sport: l4.sport, dport: l4.dport };
  if (l4.check !== undefined) h.check = l4.check;
  return h;
}

/** One datagram being reassembled (`struct ipq`): its fragments by offset, none overlapping. */
export class IpFragQueue {
  /** The fragments held, in offset order. */
  readonly frags: HeldFrag[] = [];
  /** Datagram IP payload length (bytes): the last fragment's end once it is in, else the largest end seen. */
  len = 0;
  /** The fragment at offset 0 is in (INET_FRAG_FIRST_IN). */
  firstIn = false;
  /** The fragment without MF is in (INET_FRAG_LAST_IN). */
  lastIn = false;
  /** IP payload bytes held (meat). */
  meat = 0;
  /** Memory held (bytes): the sum of the fragments' truesize. */
  truesize = 0;
  /** The expiry timer (ip_expire), armed when the queue is created. */
  timer: Timer | null = null;

  /** A queue for the datagram named `key` (saddr, daddr, id, protocol). */
  constructor(readonly key: string) {}

  /**
   * Queue a fragment (ip_frag_queue + inet_frag_queue_insert): 'dup' when its bytes are all
   * held already (the caller drops it), 'bad' when it overlaps held bytes in part or contradicts
   * the datagram length (the caller discards the queue), else 'queued' or 'complete'.
   */
  insert(skb: Skb): FragInsert {
    const off = skb.ip.fragOff ?? 0;
    let end = off + skb.l4Len;
    if (skb.ip.mf !== true) {
      if (end < this.len || (this.lastIn && end !== this.len)) return 'bad';
      this.lastIn = true;
      this.len = end;
    } else {
      if (end % FRAG_UNIT !== 0) {
        end -= end % FRAG_UNIT;
        if (!trimTo(skb, end - off)) return 'bad';
      }
      if (end > this.len) {
        if (this.lastIn) return 'bad';
        this.len = end;
      }
    }
    if (end === off) return 'bad';
    const frags = this.frags;
    let pos = 0;
    while (pos < frags.length && (frags[pos] as HeldFrag).end <= off) pos++;
    let cover = off;
    let k = pos;
    for (; k < frags.length && (frags[k] as HeldFrag).off < end; k++) {
      const f = frags[k] as HeldFrag;
      if (f.off > cover) return 'bad';
      cover = Math.max(cover, f.end);
    }
    if (k > pos) return cover >= end ? 'dup' : 'bad';
    frags.splice(pos, 0, { off, end, skb });
    this.meat += end - off;
    this.truesize += skb.truesize;
    if (off === 0) this.firstIn = true;
    return this.firstIn && this.lastIn && this.meat === this.len ? 'complete' : 'queued';
  }

  /**
   * The datagram of a complete queue as one skb (ip_frag_reasm): the first fragment's headers
   * without MF/offset, the payload of all fragments in order (null when any was elided), the sum
   * of their truesize; null when it cannot be rebuilt (over 65535 bytes, or a later fragment
   * inside the transport header).
   */
  reassemble(): Skb | null {
    const head = this.frags[0];
    if (head === undefined || head.off !== 0 || !this.firstIn || !this.lastIn || this.meat !== this.len) return null;
    const h = head.skb;
    if (h.l4.kind === 'frag' || IPV4_HLEN + this.len > 0xffff) return null;
    const hlen = l4HeaderLen(h.l4);
    const payloadLen = this.len - hlen;
    if (payloadLen < 0 || this.frags.some((f) => f.off > 0 && f.off < hlen)) return null;
    let data: Uint8Array | null = null;
    if (this.frags.every((f) => f.skb.data !== null)) {
      data = new Uint8Array(payloadLen);
      for (const f of this.frags) data.set(f.skb.data as Uint8Array, f.off === 0 ? 0 : f.off - hlen);
    }
    const skb = new Skb({ ip: withoutFragFields(h.ip), l4: wholeL4(h.l4), data, payloadLen, truesize: this.truesize });
    skb.ethSrc = h.ethSrc;
    skb.ethDst = h.ethDst;
    return skb;
  }
}

/** The key of a fragment's queue: source, destination, id and protocol. */
function fragKey(src: Ipv4Addr, dst: Ipv4Addr, id: number, protocol: number): string {
  return `${src}/${dst}/${id}/${protocol}`;
}

/** The reassembly queues of one host (`struct fqdir` of the IPv4 netns) and their memory. */
export class IpDefrag {
  /** Incomplete datagrams by key. */
  private readonly queues = new Map<string, IpFragQueue>();
  /** Memory held by the queues (bytes of truesize), frag_mem_limit. */
  mem = 0;

  /** The reassembly state of `stack`. */
  constructor(private readonly stack: NetStack) {}

  /** Datagrams being reassembled (/proc/net/sockstat FRAG inuse). */
  get count(): number {
    return this.queues.size;
  }

  /**
   * ip_defrag: queue a received fragment; the reassembled datagram once complete, else null (the
   * fragment is held or dropped). Counts ReasmReqds, ReasmOKs and ReasmFails.
   */
  defrag(skb: Skb, ctx: ExecContext): Skb | null {
    const stack = this.stack;
    const mib = stack.snmp.Ip;
    mib.ReasmReqds++;
    const high = stack.sysctl.ipfragHighThresh;
    if (high === 0 || this.mem > high) {
      mib.ReasmFails++;
      skb.free(ctx);
      return null;
    }
    const key = fragKey(skb.ip.src, skb.ip.dst, skb.ip.id, skb.ip.protocol);
    let q = this.queues.get(key);
    if (q === undefined) {
      q = this.create(key, ctx);
    }
    const r = q.insert(skb);
    if (r === 'dup') {
      skb.free(ctx);
      return null;
    }
    if (r === 'bad') {
      this.kill(q, ctx);
      mib.ReasmFails++;
      skb.free(ctx);
      return null;
    }
    this.mem += skb.truesize;
    if (r === 'queued') return null;
    const whole = q.reassemble();
    this.unlink(q);
    if (whole === null) {
      for (const f of q.frags) f.skb.free(ctx);
      mib.ReasmFails++;
      return null;
    }
    whole.dev = skb.dev;
    whole.rxQueue = skb.rxQueue;
    mib.ReasmOKs++;
    return whole;
  }

  private create(key: string, ctx: ExecContext): IpFragQueue {
    const q = new IpFragQueue(key);
    const host = this.stack.host;
    q.timer = host.createTimer('ip_expire', (tctx) => this.expire(q, tctx));
    q.timer.mod(host.jiffies + host.msecsToJiffies(this.stack.sysctl.ipfragTime * 1000), ctx);
    this.queues.set(key, q);
    return q;
  }

  /** ip_expire: the queue timed out; its fragments are freed (ReasmTimeout, ReasmFails). */
  private expire(q: IpFragQueue, ctx: ExecContext): void {
    if (this.queues.get(q.key) !== q) return;
    this.kill(q, ctx);
    const mib = this.stack.snmp.Ip;
    mib.ReasmTimeout++;
    mib.ReasmFails++;
  }

  /** inet_frag_kill + free: drop the queue and its fragments. */
  private kill(q: IpFragQueue, ctx: ExecContext): void {
    this.unlink(q);
    for (const f of q.frags) f.skb.free(ctx);
  }

  private unlink(q: IpFragQueue): void {
    q.timer?.del();
    if (this.queues.get(q.key) === q) this.queues.delete(q.key);
    this.mem -= q.truesize;
  }
}
