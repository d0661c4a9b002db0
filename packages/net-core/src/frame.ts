/**
 * The Ethernet frame as it sits in a driver's buffer: an Ethernet header (dst, src, EtherType)
 * and then either an ARP packet (EtherType 0x0806: htype 1, ptype 0x0800, hlen 6, plen 4, the
 * opcode, then sender MAC and IPv4, target MAC and IPv4 — 42 bytes in all, not padded to the
 * 60-byte Ethernet minimum, as a software device sends it), or (EtherType 0x0800) a 20-byte IPv4 header with its checksum, then the TCP (with the options
 * Linux writes: MSS, NOP NOP TS, NOP WS in `tcp_options_write` order), UDP or ICMP echo header
 * with its checksum, then the payload. All multi-byte fields are big-endian (network order).
 *
 * Functional mode carries the whole frame. Timing mode carries only the header bytes plus the
 * frame length: `skbFromFrame(headers, len)` rebuilds an skb whose payload is elided. The L4
 * checksum always covers the pseudo-header and header; it covers the payload when present
 * (an elided payload counts as zeros), and the receiver verifies it only when the payload is
 * present. An IPv4 fragment has MF and its offset in the IP header; the first one carries the
 * transport header of the whole datagram (its checksum and UDP length), a later one none (its
 * headers end with the IP header).
 */
import { NetError } from './errors.js';
import { ARP_PLEN, csumFold, csumPartial, ETH_ALEN, ETH_HLEN, ETH_P_ARP, ETH_P_IP, IPPROTO, IPV4_HLEN, pseudoHeaderSum } from './inet.js';
import { ipIsFragment, l4HeaderLen, Skb, type ArpHeader, type Ipv4Header, type L4Header } from './skb.js';

const ZERO_MAC = new Uint8Array(ETH_ALEN);

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 255;
  b[off + 1] = v & 255;
}

function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 255;
  b[off + 1] = (v >>> 16) & 255;
  b[off + 2] = (v >>> 8) & 255;
  b[off + 3] = v & 255;
}

function get16(b: Uint8Array, off: number): number {
  return (((b[off] as number) << 8) | (b[off + 1] as number)) >>> 0;
}

function get32(b: Uint8Array, off: number): number {
  return (((b[off] as number) << 24) | ((b[off + 1] as number) << 16) | ((b[off + 2] as number) << 8) | (b[off + 3] as number)) >>> 0;
}

const IP_DF = 0x4000;
const IP_MF = 0x2000;
const IP_OFFSET = 0x1fff;

function writeIp(b: Uint8Array, off: number, ip: Ipv4Header, totLen: number): void {
  b[off] = 0x45;
  b[off + 1] = ip.tos & 255;
  put16(b, off + 2, totLen);
  put16(b, off + 4, ip.id & 0xffff);
  put16(b, off + 6, (ip.df ? IP_DF : 0) | (ip.mf === true ? IP_MF : 0) | (((ip.fragOff ?? 0) >>> 3) & IP_OFFSET));
  b[off + 8] = ip.ttl & 255;
  b[off + 9] = ip.protocol & 255;
  put16(b, off + 10, 0);
  put32(b, off + 12, ip.src);
  put32(b, off + 16, ip.dst);
  put16(b, off + 10, csumFold(csumPartial(b.subarray(off, off + IPV4_HLEN))));
}

function writeL4(b: Uint8Array, off: number, l4: L4Header, segLen: number): void {
  switch (l4.kind) {
    case 'tcp': {
      const hlen = l4HeaderLen(l4);
      put16(b, off, l4.sport);
      put16(b, off + 2, l4.dport);
      put32(b, off + 4, l4.seq);
      put32(b, off + 8, l4.ack);
      b[off + 12] = (hlen / 4) << 4;
      b[off + 13] = l4.flags & 0xff;
      put16(b, off + 14, l4.window);
      put16(b, off + 16, 0);
      put16(b, off + 18, 0);
      let o = off + 20;
      if (l4.mss !== undefined) {
        b[o] = 2;
        b[o + 1] = 4;
        put16(b, o + 2, l4.mss);
        o += 4;
      }
      if (l4.tsval !== undefined) {
        b[o] = 1;
        b[o + 1] = 1;
        b[o + 2] = 8;
        b[o + 3] = 10;
        put32(b, o + 4, l4.tsval);
        put32(b, o + 8, l4.tsecr ?? 0);
        o += 12;
      }
      if (l4.wscale !== undefined) {
        b[o] = 1;
        b[o + 1] = 3;
        b[o + 2] = 3;
        b[o + 3] = l4.wscale;
      }
      return;
    }
    case 'udp':
      put16(b, off, l4.sport);
      put16(b, off + 2, l4.dport);
      put16(b, off + 4, l4.len ?? segLen);
      put16(b, off + 6, 0);
      return;
    case 'icmp':
      b[off] = l4.type;
      b[off + 1] = l4.code;
      put16(b, off + 2, 0);
      put16(b, off + 4, l4.id);
      put16(b, off + 6, l4.seq);
      return;
    case 'frag':
    case 'arp':
      return;
  }
}

const CHECK_OFFSET = { tcp: 16, udp: 6, icmp: 2 } as const;

/** The L4 checksum of a segment whose header+payload bytes are `seg` (payload zeros when elided). */
function l4Checksum(ip: Ipv4Header, kind: keyof typeof CHECK_OFFSET, seg: Uint8Array, segLen: number): number {
  const base = kind === 'icmp' ? 0 : pseudoHeaderSum(ip.src, ip.dst, ip.protocol, segLen);
  const c = csumFold(csumPartial(seg, base));
  return kind === 'udp' && c === 0 ? 0xffff : c;
}

/**
 * The L4 checksum field of an unfragmented skb's transport segment (the payload counts as zeros
 * when elided): what `skbToFrame` writes, and what a first fragment carries for the whole datagram.
 */
export function skbL4Checksum(skb: Skb): number {
  const l4 = skb.l4;
  if (l4.kind === 'frag') throw new NetError('EINVAL', 'skbL4Checksum: a non-first fragment has no transport header');
  if (l4.kind === 'arp') throw new NetError('EINVAL', 'skbL4Checksum: an ARP packet has no transport header');
  const hlen = skb.l4HeaderLen;
  const seg = new Uint8Array(skb.data === null ? hlen : skb.l4Len);
  writeL4(seg, 0, l4, skb.l4Len);
  if (skb.data !== null) seg.set(skb.data, hlen);
  return l4Checksum(skb.ip, l4.kind, seg, skb.l4Len);
}

/**
 * The bytes of `skb` as a driver puts them in its buffer (eth_header + the linear data): the
 * whole frame when the payload is present, else the headers only (timing mode). A fragment
 * carries its IP flags and offset; a first fragment's transport header keeps the checksum (and
 * UDP length) of the whole datagram, set when it was cut; a later fragment has no transport
 * header.
 */
export function skbToFrame(skb: Skb): Uint8Array {
  if (skb.l4.kind === 'arp') return arpToFrame(skb, skb.l4);
  const hdr = ETH_HLEN + IPV4_HLEN + skb.l4HeaderLen;
  const total = ETH_HLEN + skb.networkLen;
  const b = new Uint8Array(skb.data === null ? hdr : total);
  b.set(skb.ethDst ?? ZERO_MAC, 0);
  b.set(skb.ethSrc ?? ZERO_MAC, ETH_ALEN);
  put16(b, 12, ETH_P_IP);
  writeIp(b, ETH_HLEN, skb.ip, skb.networkLen);
  const l4Off = ETH_HLEN + IPV4_HLEN;
  const l4 = skb.l4;
  writeL4(b, l4Off, l4, skb.l4Len);
  if (skb.data !== null) b.set(skb.data, hdr);
  if (l4.kind === 'frag') return b;
  const check = ipIsFragment(skb.ip) ? (l4.check ?? 0) : l4Checksum(skb.ip, l4.kind, b.subarray(l4Off), skb.l4Len);
  put16(b, l4Off + CHECK_OFFSET[l4.kind], check);
  return b;
}

/** ARP hardware type Ethernet (ARPHRD_ETHER). */
const ARPHRD_ETHER = 1;

function arpToFrame(skb: Skb, arp: ArpHeader): Uint8Array {
  const b = new Uint8Array(ETH_HLEN + ARP_PLEN);
  b.set(skb.ethDst ?? ZERO_MAC, 0);
  b.set(skb.ethSrc ?? ZERO_MAC, ETH_ALEN);
  put16(b, 12, ETH_P_ARP);
  const o = ETH_HLEN;
  put16(b, o, ARPHRD_ETHER);
  put16(b, o + 2, ETH_P_IP);
  b[o + 4] = ETH_ALEN;
  b[o + 5] = 4;
  put16(b, o + 6, arp.op);
  b.set(arp.sha, o + 8);
  put32(b, o + 14, arp.spa);
  b.set(arp.tha, o + 18);
  put32(b, o + 24, arp.tpa);
  return b;
}

/**
 * An ARP skb (no IPv4 header: `ip` carries the sender and target protocol addresses only, see
 * `ArpHeader`), with the Ethernet header present (`macLen` ETH_HLEN) or not.
 */
export function arpSkb(arp: Omit<ArpHeader, 'kind'>, macLen: number): Skb {
  return new Skb({
    ip: { src: arp.spa, dst: arp.tpa, protocol: 0, id: 0, ttl: 0, df: false, tos: 0 },
    l4: { kind: 'arp', op: arp.op, sha: arp.sha, spa: arp.spa, tha: arp.tha, tpa: arp.tpa },
    macLen,
  });
}

/** arp_rcv's header checks of an Ethernet/IPv4 ARP packet at ETH_HLEN: the skb, or null. */
function arpFromFrame(frame: Uint8Array): Skb | null {
  const o = ETH_HLEN;
  if (frame.length < o + ARP_PLEN) return null;
  if (get16(frame, o) !== ARPHRD_ETHER || get16(frame, o + 2) !== ETH_P_IP || frame[o + 4] !== ETH_ALEN || frame[o + 5] !== 4) return null;
  const op = get16(frame, o + 6);
  if (op !== 1 && op !== 2) return null;
  const skb = arpSkb({ op, sha: frame.slice(o + 8, o + 14), spa: get32(frame, o + 14), tha: frame.slice(o + 18, o + 24), tpa: get32(frame, o + 24) }, ETH_HLEN);
  skb.ethDst = frame.slice(0, ETH_ALEN);
  skb.ethSrc = frame.slice(ETH_ALEN, 2 * ETH_ALEN);
  return skb;
}

/** Why a frame could not be parsed (the driver counts it as rx_length_errors or drops it). */
export type FrameError = 'short' | 'ethertype' | 'arp-header' | 'ip-header' | 'ip-checksum' | 'length' | 'protocol';

/** Result of `skbFromFrame`. */
export type FrameResult = { readonly ok: true; readonly skb: Skb } | { readonly ok: false; readonly error: FrameError };

function parseTcpOptions(b: Uint8Array, start: number, end: number, h: L4Header & { kind: 'tcp' }): boolean {
  let o = start;
  while (o < end) {
    const kind = b[o] as number;
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    const len = b[o + 1] ?? 0;
    if (len < 2 || o + len > end) return false;
    if (kind === 2 && len === 4) h.mss = get16(b, o + 2);
    else if (kind === 3 && len === 3) h.wscale = b[o + 2] as number;
    else if (kind === 8 && len === 10) {
      h.tsval = get32(b, o + 2);
      h.tsecr = get32(b, o + 6);
    }
    o += len;
  }
  return true;
}

/**
 * Parse a frame into an skb with the Ethernet header still in front (`macLen` = ETH_HLEN), as a
 * driver holds it before `eth_type_trans`. `len` is the frame length (default `frame.length`);
 * a shorter `frame` holds only the headers (timing mode) and yields a null payload.
 */
export function skbFromFrame(frame: Uint8Array, len: number = frame.length): FrameResult {
  if (!Number.isInteger(len) || len < frame.length) {
    throw new NetError('EINVAL', `frame len ${len}: allowed an integer ≥ the ${frame.length} bytes given`);
  }
  if (frame.length >= ETH_HLEN && get16(frame, 12) === ETH_P_ARP) {
    if (len !== frame.length) return { ok: false, error: 'length' };
    const arp = arpFromFrame(frame);
    return arp === null ? { ok: false, error: 'arp-header' } : { ok: true, skb: arp };
  }
  if (frame.length < ETH_HLEN + IPV4_HLEN) return { ok: false, error: 'short' };
  if (get16(frame, 12) !== ETH_P_IP) return { ok: false, error: 'ethertype' };
  const ipOff = ETH_HLEN;
  if (frame[ipOff] !== 0x45) return { ok: false, error: 'ip-header' };
  if (csumFold(csumPartial(frame.subarray(ipOff, ipOff + IPV4_HLEN))) !== 0) return { ok: false, error: 'ip-checksum' };
  const totLen = get16(frame, ipOff + 2);
  if (totLen !== len - ETH_HLEN) return { ok: false, error: 'length' };
  const flags = get16(frame, ipOff + 6);
  const ip: Ipv4Header = {
    tos: frame[ipOff + 1] as number,
    id: get16(frame, ipOff + 4),
    df: (flags & IP_DF) !== 0,
    ttl: frame[ipOff + 8] as number,
    protocol: frame[ipOff + 9] as number,
    src: get32(frame, ipOff + 12),
    dst: get32(frame, ipOff + 16),
  };
  const fragOff = (flags & IP_OFFSET) * 8;
  const mf = (flags & IP_MF) !== 0;
  if (fragOff > 0 || mf) {
    ip.fragOff = fragOff;
    ip.mf = mf;
  }
  const l4Off = ipOff + IPV4_HLEN;
  let l4: L4Header;
  let hlen: number;
  if (fragOff > 0) {
    if (ip.protocol !== IPPROTO.TCP && ip.protocol !== IPPROTO.UDP && ip.protocol !== IPPROTO.ICMP) return { ok: false, error: 'protocol' };
    l4 = { kind: 'frag' };
    hlen = 0;
  } else if (ip.protocol === IPPROTO.TCP) {
    if (frame.length < l4Off + 20) return { ok: false, error: 'short' };
    hlen = ((frame[l4Off + 12] as number) >>> 4) * 4;
    if (hlen < 20 || frame.length < l4Off + hlen) return { ok: false, error: 'short' };
    const tcp: L4Header & { kind: 'tcp' } = {
      kind: 'tcp',
      sport: get16(frame, l4Off),
      dport: get16(frame, l4Off + 2),
      seq: get32(frame, l4Off + 4),
      ack: get32(frame, l4Off + 8),
      flags: frame[l4Off + 13] as number,
      window: get16(frame, l4Off + 14),
    };
    if (!parseTcpOptions(frame, l4Off + 20, l4Off + hlen, tcp)) return { ok: false, error: 'ip-header' };
    l4 = tcp;
  } else if (ip.protocol === IPPROTO.UDP) {
    hlen = 8;
    if (frame.length < l4Off + hlen) return { ok: false, error: 'short' };
    const udpLen = get16(frame, l4Off + 4);
    if (mf ? udpLen <= totLen - IPV4_HLEN : udpLen !== totLen - IPV4_HLEN) return { ok: false, error: 'length' };
    l4 = mf ? { kind: 'udp', sport: get16(frame, l4Off), dport: get16(frame, l4Off + 2), len: udpLen } : { kind: 'udp', sport: get16(frame, l4Off), dport: get16(frame, l4Off + 2) };
  } else if (ip.protocol === IPPROTO.ICMP) {
    hlen = 8;
    if (frame.length < l4Off + hlen) return { ok: false, error: 'short' };
    l4 = { kind: 'icmp', type: frame[l4Off] as number, code: frame[l4Off + 1] as number, id: get16(frame, l4Off + 4), seq: get16(frame, l4Off + 6) };
  } else {
    return { ok: false, error: 'protocol' };
  }
  if (l4HeaderLen(l4) !== hlen) return { ok: false, error: 'ip-header' };
  const payloadLen = totLen - IPV4_HLEN - hlen;
  if (payloadLen < 0) return { ok: false, error: 'length' };
  const full = frame.length === len;
  if (!full && frame.length !== l4Off + hlen) return { ok: false, error: 'length' };
  if (full && l4.kind !== 'frag') l4.check = get16(frame, l4Off + CHECK_OFFSET[l4.kind]);
  const data = full ? frame.slice(l4Off + hlen) : null;
  const skb = new Skb({ ip, l4, data, payloadLen, macLen: ETH_HLEN });
  skb.ethDst = frame.slice(0, ETH_ALEN);
  skb.ethSrc = frame.slice(ETH_ALEN, 2 * ETH_ALEN);
  return { ok: true, skb };
}

/**
 * Verify the L4 checksum of a received skb whose payload is present; true when absent or valid,
 * and for a fragment (the datagram is verified once reassembled).
 */
export function skbChecksumOk(skb: Skb): boolean {
  const l4 = skb.l4;
  if (l4.kind === 'frag' || l4.kind === 'arp' || ipIsFragment(skb.ip)) return true;
  const expected = l4.check;
  if (expected === undefined || skb.data === null) return true;
  const seg = new Uint8Array(skb.l4Len);
  writeL4(seg, 0, l4, skb.l4Len);
  seg.set(skb.data, skb.l4HeaderLen);
  const c = l4Checksum(skb.ip, l4.kind, seg, skb.l4Len);
  return c === expected || (l4.kind === 'udp' && expected === 0);
}
