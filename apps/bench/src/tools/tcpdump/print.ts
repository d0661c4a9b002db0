/**
 * tcpdump 4.99's one-line decode of the packets the lab's stacks carry (Ethernet frames with
 * IPv4 — TCP, UDP, ICMP echo, fragments — or ARP), as its printers write them without `-v`:
 *
 * - the time stamp: `ts_print` (util-print.c): `HH:MM:SS.uuuuuu ` (default), none (`-t`),
 *   `SECS.uuuuuu ` (`-tt`), ` HH:MM:SS.uuuuuu ` since the previous packet (`-ttt`, a `-` when
 *   negative), `YYYY-MM-DD HH:MM:SS.uuuuuu ` (`-tttt`), and since the first (`-ttttt`); the
 *   boards' clock runs in UTC;
 * - with `-e`, the link header (print-ether.c `ether_addresses_print`, `ether_type_print`):
 *   `SRC > DST, ethertype IPv4 (0x0800), length FRAME: ` (`-q`: `SRC > DST, IPv4, length FRAME: `);
 * - IPv4 (print-ip.c `ip_print`): `IP ` (not with `-e`); a first fragment goes to its protocol's
 *   printer with the fragment's payload length; a later one prints `SRC > DST: ip-proto-N`
 *   (with `-n`; the protocol's name from /etc/protocols, `udp`, without);
 * - TCP (print-tcp.c `tcp_print`): `SRC.PORT > DST.PORT: Flags [S.], seq …, ack …, win W,
 *   options […], length L`: the flags in `tcp_flag_values`' order (`F S R P . U E W`), the
 *   sequence numbers relative to the conversation's first ones (`tcp_seq_hash`: recorded at
 *   the first segment with ACK that tcpdump sees, again at each SYN-ACK; `-S` absolute), `seq`
 *   only with data, SYN, FIN or RST, the raw 16-bit window, the options as the segment carries
 *   them (`tcp_option_values`: `mss`, `nop`, `TS val V ecr E`, `wscale`), and the payload
 *   length; `-q`: `tcp L`;
 * - UDP (print-udp.c `udp_print`): `SRC.PORT > DST.PORT: UDP, length L` with the UDP header's
 *   length (the whole datagram's in a first fragment: not `bad length`, since tcpdump 4.9.3);
 * - ICMP (print-icmp.c `icmp_print`): `SRC > DST: ICMP echo request, id I, seq S, length L`,
 *   `echo reply`, `type-#N` for the types the model never sends;
 * - ARP (print-arp.c `arp_print`): `ARP, Request who-has TPA tell SPA, length 28` (the target's
 *   MAC in parentheses when it is not zero), `ARP, Reply SPA is-at SHA, length 28`; `ARP, ` not
 *   with `-e`.
 *
 * Without `-n` tcpdump would look names up. The lab has no DNS or /etc/services entries for its
 * ports, so addresses and ports print as numbers either way (the real tool would print a name
 * for an address with a PTR record or a port listed in /etc/services); the lookups it makes
 * without a resolver are modelled: a MAC prints as `xx:…:xx (oui Unknown)` (`(oui Ethernet)`
 * for 00:00:00…, `Broadcast` for ff:…:ff: addrtoname.c's `etheraddr_string` and `etherlist`),
 * and a later fragment names its protocol.
 */
import { formatIpv4, IPPROTO, TCP_FLAG, type Skb, type TcpHeader } from '@ntbsim/net-core';
import { wallClockUs } from '../net/host.js';
import { strftime } from '../net/strftime.js';

/** What the command line asks of the decode. */
export interface PrintOptions {
  /** `-e`: print the link-level header. */
  readonly link: boolean;
  /** `-q`: quick (quiet) output. */
  readonly quick: boolean;
  /** `-S`: absolute TCP sequence numbers. */
  readonly absolute: boolean;
  /** `-n` (or `-nn`): no name lookups. */
  readonly numeric: boolean;
  /** How many `-t` (0 = the default time stamp; 1 none; 2 Unix; 3 delta; 4 date; 5 since the first). */
  readonly tflag: number;
}

/** The Ethernet frame's length on the wire (pcap's `len`): the header and the IP or ARP packet. */
export function frameLength(skb: Skb): number {
  return 14 + skb.networkLen;
}

const TCP_FLAG_VALUES: readonly (readonly [number, string])[] = [
  [TCP_FLAG.FIN, 'F'],
  [TCP_FLAG.SYN, 'S'],
  [TCP_FLAG.RST, 'R'],
  [TCP_FLAG.PSH, 'P'],
  [TCP_FLAG.ACK, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];

/** print-tcp.c: `bittok2str_nosep(tcp_flag_values, "none", flags)`. */
export function tcpFlagString(flags: number): string {
  const s = TCP_FLAG_VALUES.filter(([bit]) => (flags & bit) !== 0)
    .map(([, c]) => c)
    .join('');
  return s === '' ? 'none' : s;
}

/** /etc/protocols' names of the protocols a later fragment can carry (netdb_protoname). */
const PROTO_NAMES: Readonly<Record<number, string>> = { [IPPROTO.ICMP]: 'icmp', [IPPROTO.TCP]: 'tcp', [IPPROTO.UDP]: 'udp' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `HH:MM:SS` of a second count (UTC), with the date in front when `date`. */
function clock(seconds: number, date: boolean): string {
  return strftime(date ? '%Y-%m-%d %H:%M:%S' : '%H:%M:%S', seconds);
}

/** addrtoname.c `etheraddr_string`: the hex address; without -n the `etherlist` name or ` (oui …)`. */
export function macString(mac: Uint8Array | null, numeric: boolean): string {
  const b = mac ?? new Uint8Array(6);
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
  if (numeric) return hex;
  if (b.every((x) => x === 0xff)) return 'Broadcast';
  const oui = ((b[0] ?? 0) << 16) | ((b[1] ?? 0) << 8) | (b[2] ?? 0);
  // oui_values: 0x000000 is OUI_ENCAP_ETHER; the lab's boards have random, locally administered MACs.
  return `${hex} (oui ${oui === 0 ? 'Ethernet' : 'Unknown'})`;
}

/** A TCP conversation's first sequence numbers (print-tcp.c `struct tcp_seq_hash`). */
interface SeqEntry {
  seq: number;
  ack: number;
}

/**
 * A tcpdump process's decoder: one line per packet, keeping what tcpdump keeps between packets
 * (the TCP conversations' first sequence numbers, the previous time stamp for `-ttt`).
 */
export class TcpdumpPrinter {
  private readonly seqHash = new Map<string, SeqEntry>();
  private tvRef: number | null = null;

  constructor(private readonly o: PrintOptions) {}

  /** The line tcpdump prints for `skb` captured at `tsNs` (virtual ns), with its newline. */
  line(skb: Skb, tsNs: number): string {
    const us = Math.floor(tsNs / 1000);
    return `${this.stamp(us)}${this.linkHeader(skb)}${skb.l4.kind === 'arp' ? this.arp(skb) : this.ip(skb)}\n`;
  }

  /** ts_print: the time stamp and its space, `us` microseconds of virtual time. */
  private stamp(us: number): string {
    const wall = wallClockUs(us * 1000);
    const frac = (u: number): string => `.${pad(u % 1_000_000, 6)}`;
    switch (this.o.tflag) {
      case 1:
        return '';
      case 2:
        return `${Math.floor(wall / 1_000_000)}${frac(wall)} `;
      case 3:
      case 5: {
        this.tvRef ??= us;
        const d = us - this.tvRef;
        const a = Math.abs(d);
        if (this.o.tflag === 3) this.tvRef = us;
        return `${d < 0 ? '-' : ' '}${clock(Math.floor(a / 1_000_000), false)}${frac(a)} `;
      }
      case 4:
        return `${clock(Math.floor(wall / 1_000_000), true)}${frac(wall)} `;
      default:
        return `${clock(Math.floor(wall / 1_000_000), false)}${frac(wall)} `;
    }
  }

  /** print-ether.c with -e: the addresses, the EtherType and the frame length. */
  private linkHeader(skb: Skb): string {
    if (!this.o.link) return '';
    const arp = skb.l4.kind === 'arp';
    const name = arp ? 'ARP' : 'IPv4';
    const type = this.o.quick ? name : `ethertype ${name} (0x${(arp ? 0x0806 : 0x0800).toString(16).padStart(4, '0')})`;
    return `${macString(skb.ethSrc, this.o.numeric)} > ${macString(skb.ethDst, this.o.numeric)}, ${type}, length ${frameLength(skb)}: `;
  }

  /** print-arp.c arp_print for an Ethernet/IPv4 ARP packet. */
  private arp(skb: Skb): string {
    const a = skb.l4;
    if (a.kind !== 'arp') return '';
    const head = this.o.link ? '' : 'ARP, ';
    const len = `, length ${skb.networkLen}`;
    if (a.op === 1) {
      const tha = a.tha.some((b) => b !== 0) ? ` (${macString(a.tha, this.o.numeric)})` : '';
      return `${head}Request who-has ${formatIpv4(a.tpa)}${tha} tell ${formatIpv4(a.spa)}${len}`;
    }
    if (a.op === 2) return `${head}Reply ${formatIpv4(a.spa)} is-at ${macString(a.sha, this.o.numeric)}${len}`;
    return `${head}Unknown (${a.op})${len}`;
  }

  /** print-ip.c ip_print without -v, then the protocol's printer. */
  private ip(skb: Skb): string {
    const ip = skb.ip;
    const head = this.o.link ? '' : 'IP ';
    const src = formatIpv4(ip.src);
    const dst = formatIpv4(ip.dst);
    if ((ip.fragOff ?? 0) > 0) {
      const name = this.o.numeric ? undefined : PROTO_NAMES[ip.protocol];
      return `${head}${src} > ${dst}: ${name ?? `ip-proto-${ip.protocol}`}`;
    }
    const l4 = skb.l4;
    switch (l4.kind) {
      case 'tcp':
        return `${head}${src}.${l4.sport} > ${dst}.${l4.dport}: ${this.tcp(skb, l4)}`;
      case 'udp':
        // udp_print: uh_ulen minus the header; a first fragment's is the whole datagram's.
        return `${head}${src}.${l4.sport} > ${dst}.${l4.dport}: UDP, length ${(l4.len ?? skb.l4Len) - 8}`;
      case 'icmp': {
        const what = l4.type === 8 || l4.type === 0 ? `echo ${l4.type === 8 ? 'request' : 'reply'}, id ${l4.id}, seq ${l4.seq}` : `type-#${l4.type}`;
        return `${head}${src} > ${dst}: ICMP ${what}, length ${skb.l4Len}`;
      }
      case 'frag':
      case 'arp':
        // Neither reaches here: a later fragment has a non-zero offset, ARP has its own printer.
        return `${head}${src} > ${dst}: ip-proto-${ip.protocol} ${skb.l4Len}`;
    }
  }

  /** print-tcp.c tcp_print after the addresses. */
  private tcp(skb: Skb, h: TcpHeader): string {
    const length = skb.payloadLen;
    if (this.o.quick) return `tcp ${length}`;
    const flags = h.flags;
    let seq = h.seq >>> 0;
    let ack = h.ack >>> 0;
    if (!this.o.absolute && (flags & TCP_FLAG.ACK) !== 0) {
      // tcp_seq_hash: one entry per conversation, keyed in a collating order of ports, then addresses.
      const { src, dst } = skb.ip;
      const rev = h.sport > h.dport || (h.sport === h.dport && src >>> 0 > dst >>> 0);
      const key = rev ? `${dst}>${src}:${((h.dport << 16) | h.sport) >>> 0}` : `${src}>${dst}:${((h.sport << 16) | h.dport) >>> 0}`;
      const th = this.seqHash.get(key);
      if (th === undefined || (flags & TCP_FLAG.SYN) !== 0) {
        // A new conversation: this segment's numbers print as they are.
        this.seqHash.set(key, rev ? { ack: seq, seq: (ack - 1) >>> 0 } : { seq, ack: (ack - 1) >>> 0 });
      } else if (rev) {
        seq = (seq - th.ack) >>> 0;
        ack = (ack - th.seq) >>> 0;
      } else {
        seq = (seq - th.seq) >>> 0;
        ack = (ack - th.ack) >>> 0;
      }
    }
    let out = `Flags [${tcpFlagString(flags)}]`;
    if (length > 0 || (flags & (TCP_FLAG.SYN | TCP_FLAG.FIN | TCP_FLAG.RST)) !== 0) out += `, seq ${seq}${length > 0 ? `:${(seq + length) >>> 0}` : ''}`;
    if ((flags & TCP_FLAG.ACK) !== 0) out += `, ack ${ack}`;
    out += `, win ${h.window}`;
    // The options in the order net-core's frame writer lays them out (MSS, NOP NOP TS, NOP WS).
    const opts: string[] = [];
    if (h.mss !== undefined) opts.push(`mss ${h.mss}`);
    if (h.tsval !== undefined) opts.push('nop', 'nop', `TS val ${h.tsval >>> 0} ecr ${(h.tsecr ?? 0) >>> 0}`);
    if (h.wscale !== undefined) opts.push('nop', `wscale ${h.wscale}`);
    if (opts.length > 0) out += `, options [${opts.join(',')}]`;
    return `${out}, length ${length}`;
  }
}
