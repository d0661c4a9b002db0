/**
 * The socket buffer (`struct sk_buff`, include/linux/skbuff.h). An skb here carries real
 * protocol headers as fields (IPv4, then TCP, UDP or ICMP) and, in functional mode, the real
 * L4 payload bytes (`data`); in timing mode `data` is null and only `payloadLen` travels. Both
 * modes size and cost every step from lengths alone, so they give the same timeline.
 *
 * `len` follows the kernel's `skb->len` at each layer: from IP output until the driver it is
 * the L3 packet plus the 14-byte Ethernet header (`macLen` = ETH_HLEN, pushed by
 * `dev_hard_header`); after `eth_type_trans` on receive the Ethernet header is pulled
 * (`macLen` = 0) and `len` is the IP packet.
 */
import type { Cpu, ExecContext } from '@ntbsim/kernel';
import { NetError } from './errors.js';
import { ARP_PLEN, ETH_HLEN, ETH_P_ARP, ETH_P_IP, ICMP_HLEN, IPV4_HLEN, TCP_HLEN, TCPOLEN_TSTAMP_ALIGNED, UDP_HLEN, type Ipv4Addr } from './inet.js';
import type { NetDevice } from './netDevice.js';

/** TCP header flag bits (TCPHDR_FIN = 0x01 … TCPHDR_ACK = 0x10, TCPHDR_ECE = 0x40, TCPHDR_CWR = 0x80). */
export const TCP_FLAG = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, ECE: 0x40, CWR: 0x80 } as const;

/** An IPv4 header (struct iphdr) without options. */
export interface Ipv4Header {
  /** Source address. */
  src: Ipv4Addr;
  /** Destination address. */
  dst: Ipv4Addr;
  /** Protocol (IPPROTO_*). */
  protocol: number;
  /** Identification. */
  id: number;
  /** Time to live. */
  ttl: number;
  /** Don't Fragment. */
  df: boolean;
  /** Type of service. */
  tos: number;
  /** Fragment offset (bytes, a multiple of 8) of this packet's payload in its datagram; absent or 0 when first or unfragmented. */
  fragOff?: number;
  /** More Fragments (IP_MF): another fragment of the datagram follows this one. */
  mf?: boolean;
}

/** Whether an IPv4 header is a fragment's (ip_is_fragment: MF set or a non-zero offset). */
export function ipIsFragment(ip: Ipv4Header): boolean {
  return ip.mf === true || (ip.fragOff ?? 0) > 0;
}

/** A TCP header (struct tcphdr) with the options Linux sends (MSS, timestamps, window scale). */
export interface TcpHeader {
  /** Discriminant. */
  readonly kind: 'tcp';
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
  /** Sequence number (u32 on the wire). */
  seq: number;
  /** Acknowledgement number (u32). */
  ack: number;
  /** Flag bits (TCP_FLAG). */
  flags: number;
  /** Window field as sent (scaled by the sender's window-scale shift, 0..65535). */
  window: number;
  /** MSS option (SYN only). */
  mss?: number;
  /** Window-scale option shift (SYN only). */
  wscale?: number;
  /** Timestamp value (TSopt). */
  tsval?: number;
  /** Timestamp echo reply (TSopt). */
  tsecr?: number;
  /** Checksum as read from the wire (set by `skbFromFrame`), verified on receive when the payload is present. */
  check?: number;
}

/** A UDP header (struct udphdr); the length field is derived. */
export interface UdpHeader {
  /** Discriminant. */
  readonly kind: 'udp';
  /** Source port. */
  sport: number;
  /** Destination port. */
  dport: number;
  /** Checksum as read from the wire, or precomputed over the whole datagram on a first fragment. */
  check?: number;
  /** Length field (bytes) when it is not this skb's segment length: the whole datagram's, on a first fragment. */
  len?: number;
}

/** No transport header: the payload of a non-first IPv4 fragment (a slice of the datagram's bytes). */
export interface IpFragHeader {
  /** Discriminant. */
  readonly kind: 'frag';
}

/** An ICMP echo header (struct icmphdr). */
export interface IcmpHeader {
  /** Discriminant. */
  readonly kind: 'icmp';
  /** ICMP type (8 echo request, 0 echo reply). */
  type: number;
  /** ICMP code. */
  code: number;
  /** Echo identifier. */
  id: number;
  /** Echo sequence number. */
  seq: number;
  /** Checksum as read from the wire, or precomputed over the whole message on a first fragment. */
  check?: number;
}

/**
 * An Ethernet/IPv4 ARP packet (struct arphdr with its four addresses, net/ipv4/arp.c). An ARP
 * skb has no IPv4 header: its `ip` holds only the sender and target protocol addresses
 * (`src` = `spa`, `dst` = `tpa`, protocol 0), which nothing sends.
 */
export interface ArpHeader {
  /** Discriminant. */
  readonly kind: 'arp';
  /** Opcode (ARPOP_REQUEST 1, ARPOP_REPLY 2). */
  op: number;
  /** Sender hardware address (6 bytes). */
  sha: Uint8Array;
  /** Sender protocol (IPv4) address. */
  spa: Ipv4Addr;
  /** Target hardware address (6 bytes; zeros in a request). */
  tha: Uint8Array;
  /** Target protocol (IPv4) address. */
  tpa: Ipv4Addr;
}

/** A transport header, none in a non-first fragment, or the ARP packet of an ARP skb. */
export type L4Header = TcpHeader | UdpHeader | IcmpHeader | IpFragHeader | ArpHeader;

/** TCP header length with its options (bytes): 20, +4 MSS, +12 timestamps, +4 window scale. */
export function tcpHeaderLen(h: TcpHeader): number {
  return TCP_HLEN + (h.mss !== undefined ? 4 : 0) + (h.tsval !== undefined ? TCPOLEN_TSTAMP_ALIGNED : 0) + (h.wscale !== undefined ? 4 : 0);
}

/** Transport header length (bytes). */
export function l4HeaderLen(h: L4Header): number {
  switch (h.kind) {
    case 'tcp':
      return tcpHeaderLen(h);
    case 'udp':
      return UDP_HLEN;
    case 'icmp':
      return ICMP_HLEN;
    case 'frag':
      return 0;
    case 'arp':
      return ARP_PLEN;
  }
}

/** Called when the skb is orphaned or freed (skb->destructor: sock_wfree, tcp_wfree). */
export type SkbDestructor = (skb: Skb, cpu: Cpu) => void;

/** What the owner socket exposes to the queue pick (sk_tx_queue_mapping, sk_rx_queue_mapping). */
export interface SkbOwner {
  /** Cached TX queue (sk_tx_queue_mapping), -1 when unset. */
  txQueueMapping: number;
  /** Recorded RX queue of the flow (sk_rx_queue_mapping), -1 when unset. */
  readonly rxQueueMapping: number;
  /** Whether the socket caches its TX queue (a full, connected socket with a cached route). */
  readonly cachesTxQueue: boolean;
}

const SKB_SHINFO = 320;
const SKB_STRUCT = 256;
const KMALLOC_MAX_CACHE = 8192;
const PAGE = 4096;
const KMALLOC_SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];

/**
 * truesize (bytes) of a linear skb with `size` bytes of data, as `__alloc_skb` computes it:
 * SKB_DATA_ALIGN(size) plus the 320-byte skb_shared_info, rounded to the kmalloc bucket
 * (power-of-two pages above 8 KiB), plus the 256-byte struct sk_buff.
 */
export function allocSkbTruesize(size: number): number {
  if (!Number.isInteger(size) || size < 0) throw new NetError('EINVAL', `skb size ${size}: allowed an integer ≥ 0 (bytes)`);
  const want = Math.ceil(size / 64) * 64 + SKB_SHINFO;
  let alloc: number;
  if (want <= KMALLOC_MAX_CACHE) alloc = KMALLOC_SIZES.find((s) => s >= want) ?? KMALLOC_MAX_CACHE;
  else {
    alloc = PAGE;
    while (alloc < want) alloc *= 2;
  }
  return alloc + SKB_STRUCT;
}

/** Options of `createSkb`. */
export interface SkbOptions {
  /** IPv4 header. */
  readonly ip: Ipv4Header;
  /** Transport header. */
  readonly l4: L4Header;
  /** Payload bytes (functional mode); sets `payloadLen`. */
  readonly data?: Uint8Array | null;
  /** Payload length (bytes) when `data` is absent (timing mode). */
  readonly payloadLen?: number;
  /** Memory charged for the skb (bytes); default `allocSkbTruesize(len)`. */
  readonly truesize?: number;
  /** Ethernet header present (ETH_HLEN) or pulled (0). Default 0. */
  readonly macLen?: number;
}

/** A socket buffer (`struct sk_buff`). */
export class Skb {
  /** IPv4 header. */
  ip: Ipv4Header;
  /** Transport header. */
  l4: L4Header;
  /** L4 payload bytes (functional mode) or null (timing mode). */
  data: Uint8Array | null;
  /** L4 payload length (bytes). */
  payloadLen: number;
  /** Ethernet header bytes in front of the IP header: ETH_HLEN on the TX path, 0 after eth_type_trans. */
  macLen: number;
  /** Ethernet destination address (6 bytes) once the header is built, else null. */
  ethDst: Uint8Array | null = null;
  /** Ethernet source address (6 bytes) once the header is built, else null. */
  ethSrc: Uint8Array | null = null;
  /** Memory charged to the owning socket (bytes), skb->truesize. */
  truesize: number;
  /** TX queue index (skb->queue_mapping). */
  queueMapping = 0;
  /** skb->priority (a TC_PRIO value on locally sent packets: the socket's sk_priority): pfifo_fast's band comes from it. */
  priority = 0;
  /** Flow hash (skb->hash); 0 = not computed yet. */
  hash = 0;
  /** Whom a received frame was addressed to (skb->pkt_type, set by eth_type_trans): this host, broadcast, multicast or another host. */
  pktType: 'host' | 'broadcast' | 'multicast' | 'otherhost' = 'host';
  /** Recorded RX queue (skb_record_rx_queue), -1 when not recorded. */
  rxQueue = -1;
  /** CPU that queued it for transmit (skb->sender_cpu − 1), -1 when unset. */
  senderCpu = -1;
  /** The socket has nothing else queued below it: the TX queue may be re-picked (skb->ooo_okay). */
  oooOkay = false;
  /** Device it is being sent on or was received on (skb->dev). */
  dev: NetDevice | null = null;
  /** Owning socket (skb->sk), null once orphaned. */
  sk: SkbOwner | null = null;
  private destructor: SkbDestructor | null = null;
  private freed = false;

  /** An skb with the given headers and payload. */
  constructor(options: SkbOptions) {
    this.ip = options.ip;
    this.l4 = options.l4;
    const data = options.data ?? null;
    const payloadLen = options.payloadLen ?? data?.length ?? 0;
    if (!Number.isInteger(payloadLen) || payloadLen < 0) {
      throw new NetError('EINVAL', `skb payloadLen ${payloadLen}: allowed an integer ≥ 0 (bytes)`);
    }
    if (data !== null && data.length !== payloadLen) {
      throw new NetError('EINVAL', `skb payloadLen ${payloadLen} differs from data.length ${data.length}: allowed equal values`);
    }
    const macLen = options.macLen ?? 0;
    if (macLen !== 0 && macLen !== ETH_HLEN) throw new NetError('EINVAL', `skb macLen ${macLen}: allowed 0 or ${ETH_HLEN}`);
    this.data = data;
    this.payloadLen = payloadLen;
    this.macLen = macLen;
    this.truesize = options.truesize ?? allocSkbTruesize(this.len);
  }

  /** Transport header length (bytes). */
  get l4HeaderLen(): number {
    return l4HeaderLen(this.l4);
  }

  /** Transport segment length: header plus payload (bytes). */
  get l4Len(): number {
    return this.l4HeaderLen + this.payloadLen;
  }

  /** IP total length (bytes), iph->tot_len; for an ARP skb the ARP packet's length. */
  get networkLen(): number {
    return (this.l4.kind === 'arp' ? 0 : IPV4_HLEN) + this.l4Len;
  }

  /** The EtherType (skb->protocol): ETH_P_ARP for an ARP packet, else ETH_P_IP. */
  get protocol(): number {
    return this.l4.kind === 'arp' ? ETH_P_ARP : ETH_P_IP;
  }

  /** skb->len (bytes): the IP packet plus `macLen`. */
  get len(): number {
    return this.macLen + this.networkLen;
  }

  /** Whether it has been freed. */
  get isFreed(): boolean {
    return this.freed;
  }

  /** Charge it to `owner` with `destructor` run on orphan/free (skb_set_owner_w). */
  setOwner(owner: SkbOwner, destructor: SkbDestructor | null): void {
    this.sk = owner;
    this.destructor = destructor;
  }

  /**
   * @internal Charge `frag`, a fragment cut from this skb, to this skb's owner (ip_do_fragment's
   * skb_set_owner_w): it gets the owner and destructor, and `frag.truesize` moves from this skb
   * to it, so the owner's memory accounting stays exact whatever is freed first.
   */
  shareOwner(frag: Skb): void {
    if (this.sk === null) return;
    frag.sk = this.sk;
    frag.destructor = this.destructor;
    this.truesize -= frag.truesize;
  }

  /** Record the RX queue it arrived on (skb_record_rx_queue). */
  recordRxQueue(queue: number): void {
    this.rxQueue = queue;
  }

  /** Run the destructor and drop the owner (skb_orphan), on `on` (default: the sender's CPU or CPU 0 of the device's host). */
  orphan(on?: Cpu | ExecContext): void {
    const d = this.destructor;
    this.destructor = null;
    this.sk = null;
    if (d !== null) d(this, this.cpuFor(on));
  }

  /** Free it (kfree_skb / consume_skb / dev_kfree_skb_any); throws EINVAL on a double free. */
  free(on?: Cpu | ExecContext): void {
    if (this.freed) throw new NetError('EINVAL', 'skb freed twice (kfree_skb of a freed skb)');
    this.freed = true;
    this.orphan(on);
  }

  private cpuFor(on: Cpu | ExecContext | undefined): Cpu {
    if (on !== undefined) return 'cpu' in on ? on.cpu : on;
    const host = this.dev?.host;
    if (host === undefined) throw new NetError('EINVAL', 'skb orphan/free without a CPU: pass the context or set skb.dev');
    return host.cpu(this.senderCpu >= 0 && this.senderCpu < host.cpus.length ? this.senderCpu : 0);
  }
}

/** reciprocal_scale: map a 32-bit value to [0, n) as ((u64)val * n) >> 32. */
export function reciprocalScale(val: number, n: number): number {
  return Math.floor(((val >>> 0) * n) / 4294967296);
}

function fmix(h0: number): number {
  let h = h0 >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The software flow hash of an skb's 5-tuple with `seed` (skb_get_hash / flow dissector); never
 * 0. A fragment hashes on addresses and protocol only (the dissector does not parse its ports);
 * an ARP packet on its EtherType only (the hash keys hold no ARP fields).
 */
export function flowHash(skb: Skb, seed: number): number {
  const l4 = skb.l4;
  if (l4.kind === 'arp') {
    const h = fmix((seed >>> 0) ^ Math.imul(ETH_P_ARP, 0x9e3779b1));
    return h === 0 ? 1 : h;
  }
  const ports = l4.kind === 'frag' || ipIsFragment(skb.ip) ? 0 : l4.kind === 'icmp' ? l4.id : ((l4.sport << 16) | l4.dport) >>> 0;
  let h = seed >>> 0;
  for (const w of [skb.ip.src, skb.ip.dst, ports, skb.ip.protocol]) h = fmix(h ^ Math.imul(w >>> 0, 0x9e3779b1));
  return h === 0 ? 1 : h;
}
