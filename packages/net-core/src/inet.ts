/**
 * Ethernet, ARP and IPv4 wire constants, address helpers and the Internet checksum (RFC 1071), as in
 * include/uapi/linux/{if_ether,if_arp,ip,tcp,udp,icmp}.h and lib/checksum.c. Addresses are held
 * as unsigned 32-bit numbers in host order (10.0.0.1 = 0x0a000001).
 */
import { NetError } from './errors.js';

/** Ethernet header length (bytes), ETH_HLEN. */
export const ETH_HLEN = 14;
/** Ethernet address length (bytes), ETH_ALEN. */
export const ETH_ALEN = 6;
/** IPv4 EtherType, ETH_P_IP. */
export const ETH_P_IP = 0x0800;
/** ARP EtherType, ETH_P_ARP. */
export const ETH_P_ARP = 0x0806;
/** An Ethernet/IPv4 ARP packet (bytes): struct arphdr (8) + sender and target MAC and IPv4 (2 × (6 + 4)). */
export const ARP_PLEN = 28;
/** ARP opcodes (ARPOP_REQUEST, ARPOP_REPLY). */
export const ARPOP = { REQUEST: 1, REPLY: 2 } as const;
/** IPv4 header length without options (bytes). */
export const IPV4_HLEN = 20;
/** TCP header length without options (bytes). */
export const TCP_HLEN = 20;
/** Aligned TCP timestamp option length (NOP, NOP, TS: bytes), TCPOLEN_TSTAMP_ALIGNED. */
export const TCPOLEN_TSTAMP_ALIGNED = 12;
/** UDP header length (bytes). */
export const UDP_HLEN = 8;
/** ICMP echo header length (bytes). */
export const ICMP_HLEN = 8;
/** IP protocol numbers (IPPROTO_*). */
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17 } as const;
/** Smallest MTU IPv4 runs on (bytes), IPV4_MIN_MTU: below it the device loses its IPv4 configuration. */
export const IPV4_MIN_MTU = 68;
/** Largest IPv4 packet (bytes), IP_MAX_MTU. */
export const IP_MAX_MTU = 0xffff;
/** Default IP TTL (net.ipv4.ip_default_ttl). */
export const IP_DEFAULT_TTL = 64;

/** TC_PRIO_* (include/uapi/linux/pkt_sched.h): skb->priority values the TOS byte maps to. */
export const TC_PRIO = { BESTEFFORT: 0, FILLER: 1, BULK: 2, INTERACTIVE_BULK: 4, INTERACTIVE: 6, CONTROL: 7 } as const;

/** TC_PRIO_MAX: skb->priority & TC_PRIO_MAX indexes pfifo_fast's priomap. */
export const TC_PRIO_MAX = 15;

/** The ECN field of the TOS byte (include/net/inet_ecn.h): INET_ECN_NOT_ECT, INET_ECN_ECT_1, INET_ECN_ECT_0, INET_ECN_CE and INET_ECN_MASK. */
export const INET_ECN = { NOT_ECT: 0, ECT_1: 1, ECT_0: 2, CE: 3, MASK: 3 } as const;

/** net/ipv4/route.c ip_tos2prio: TC_PRIO by IPTOS_TOS(tos) >> 1; an ECN_OR_COST entry is the same class. */
const IP_TOS2PRIO: readonly number[] = [
  TC_PRIO.BESTEFFORT, TC_PRIO.BESTEFFORT, TC_PRIO.BESTEFFORT, TC_PRIO.BESTEFFORT,
  TC_PRIO.BULK, TC_PRIO.BULK, TC_PRIO.BULK, TC_PRIO.BULK,
  TC_PRIO.INTERACTIVE, TC_PRIO.INTERACTIVE, TC_PRIO.INTERACTIVE, TC_PRIO.INTERACTIVE,
  TC_PRIO.INTERACTIVE_BULK, TC_PRIO.INTERACTIVE_BULK, TC_PRIO.INTERACTIVE_BULK, TC_PRIO.INTERACTIVE_BULK,
];

/** rt_tos2priority: the skb->priority of a TOS byte (ip_tos2prio[IPTOS_TOS(tos) >> 1], IPTOS_TOS masking 0x1e). */
export function rtTos2Priority(tos: number): number {
  return IP_TOS2PRIO[(tos & 0x1e) >> 1] ?? TC_PRIO.BESTEFFORT;
}

/** An IPv4 address as an unsigned 32-bit number. */
export type Ipv4Addr = number;

/** Parse dotted-quad `a.b.c.d`; throws EINVAL naming the bad text. */
export function parseIpv4(text: string): Ipv4Addr {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new NetError('EINVAL', `address "${text}": allowed a dotted-quad IPv4 address such as 10.0.0.1`);
  }
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

/** Format an IPv4 address as dotted-quad. */
export function formatIpv4(addr: Ipv4Addr): string {
  return [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255].join('.');
}

/** An address with its prefix, as `ip addr add 10.0.0.1/24` takes it. */
export interface Ipv4Prefix {
  /** The address. */
  readonly addr: Ipv4Addr;
  /** Prefix length in bits (0..32). */
  readonly prefixLen: number;
}

/** Parse `a.b.c.d/len` (len defaults to 32); throws EINVAL naming the bad text. */
export function parseIpv4Prefix(text: string): Ipv4Prefix {
  const [a, l, extra] = text.split('/');
  const prefixLen = l === undefined ? 32 : Number(l);
  if (a === undefined || extra !== undefined || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32 || (l !== undefined && !/^\d+$/.test(l))) {
    throw new NetError('EINVAL', `prefix "${text}": allowed a.b.c.d/len with len 0..32`);
  }
  return { addr: parseIpv4(a), prefixLen };
}

/** The netmask of a prefix length. */
export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Ones'-complement sum of `bytes` added to `sum` (not folded), as csum_partial. */
export function csumPartial(bytes: Uint8Array, sum = 0): number {
  let s = sum;
  const n = bytes.length;
  let i = 0;
  for (; i + 1 < n; i += 2) s += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < n) s += (bytes[i] as number) << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Fold a partial sum and complement it (csum_fold): the 16-bit checksum field value. */
export function csumFold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** Partial sum of the TCP/UDP pseudo-header (csum_tcpudp_nofold). */
export function pseudoHeaderSum(src: Ipv4Addr, dst: Ipv4Addr, protocol: number, l4Len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + l4Len;
}
