/**
 * TCP constants of include/net/tcp.h and the per-HZ timer values derived from them, plus the
 * sequence-number helpers. Inside the model sequence numbers are absolute (the ISN plus the
 * bytes since, never wrapped, exact in a JS number); on the wire they are taken modulo 2^32
 * and `unwrapSeq` brings a wire value back next to a reference.
 */
import { allocSkbTruesize } from '../skb.js';

/** TCP_INIT_CWND: initial congestion window (segments). */
export const TCP_INIT_CWND = 10;
/** TCP_INFINITE_SSTHRESH: ssthresh before the first loss (segments). */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;
/** TCP_MSS_DEFAULT: MSS assumed without an MSS option (bytes). */
export const TCP_MSS_DEFAULT = 536;
/** TCP_MIN_MSS (bytes). */
export const TCP_MIN_MSS = 88;
/** MAX_TCP_WINDOW: the largest TCP_MAXSEG (bytes). */
export const MAX_TCP_WINDOW = 32767;
/** net.ipv4.tcp_min_snd_mss default (bytes). */
export const TCP_MIN_SND_MSS = 48;
/** MAX_TCP_HEADER: headroom of a TCP skb (bytes), L1_CACHE_ALIGN(128 + MAX_HEADER). */
export const MAX_TCP_HEADER = 320;
/** TCP_MAX_QUICKACKS: quick ACKs granted at connection start or after a hole (ACKs). */
export const TCP_MAX_QUICKACKS = 16;
/** TCP_MAX_WSCALE: largest window-scale shift. */
export const TCP_MAX_WSCALE = 14;
/** TCP_RMEM_TO_WIN_SCALE: fixed-point shift of the receive-buffer to window ratio. */
export const TCP_RMEM_TO_WIN_SCALE = 8;
/** TCP_DEFAULT_SCALING_RATIO: window share of the receive buffer before measuring skbs (128/256 = 50 %). */
export const TCP_DEFAULT_SCALING_RATIO = 128;
/** tcp_sndbuf_expand headroom: send buffer for 2 × cwnd worst-case skbs (CUBIC needs ~1.7, rounded up). */
export const TCP_SNDBUF_EXPAND_FACTOR = 2;
/** TIME_WAIT length (ns): 1 s here instead of TCP_TIMEWAIT_LEN 60 s, so runs end soon after the last close. */
export const TCP_TIMEWAIT_LEN_NS = 1_000_000_000;
/** tcp_pacing_ss_ratio: pacing rate in slow start (% of cwnd/srtt). */
export const TCP_PACING_SS_RATIO = 200;
/** tcp_pacing_ca_ratio: pacing rate in congestion avoidance (% of cwnd/srtt). */
export const TCP_PACING_CA_RATIO = 120;
/** sk_pacing_shift default: the TSQ budget is about 1 ms of the pacing rate (2^-10 s). */
export const TCP_PACING_SHIFT = 10;
/** skb_shared_info size (bytes) added to a kmalloc'ed skb head. */
export const SKB_SHINFO_SIZE = 320;
/** struct sk_buff size (bytes), SKB_DATA_ALIGN(sizeof(struct sk_buff)). */
export const SKB_STRUCT_SIZE = 256;
/** truesize of a TCP skb without payload (bytes): the MAX_TCP_HEADER head; payload is added as page frags. */
export const TCP_SKB_OVERHEAD = allocSkbTruesize(MAX_TCP_HEADER);

/** The jiffies timeouts of TCP at a given HZ (include/net/tcp.h). */
export interface TcpTimeouts {
  /** TCP_RTO_MIN = HZ/5 (200 ms). */
  readonly rtoMin: number;
  /** TCP_RTO_MAX = 120 s. */
  readonly rtoMax: number;
  /** TCP_TIMEOUT_INIT = 1 s: SYN, SYN-ACK and pre-RTT RTO. */
  readonly timeoutInit: number;
  /** TCP_ATO_MIN = TCP_DELACK_MIN = HZ/25 (40 ms). */
  readonly atoMin: number;
  /** TCP_DELACK_MAX = HZ/5 (200 ms). */
  readonly delackMax: number;
  /** TCP_RESOURCE_PROBE_INTERVAL = HZ/2 (500 ms): retry after a local transmit failure. */
  readonly resourceProbe: number;
}

/** The TCP timeouts in jiffies at `hz`. */
export function tcpTimeouts(hz: number): TcpTimeouts {
  const j = (x: number): number => Math.max(1, Math.floor(x));
  return {
    rtoMin: j(hz / 5),
    rtoMax: j(120 * hz),
    timeoutInit: j(hz),
    atoMin: j(hz / 25),
    delackMax: j(hz / 5),
    resourceProbe: j(hz / 2),
  };
}

/** The absolute sequence number nearest `ref` whose low 32 bits are `wire`. */
export function unwrapSeq(wire: number, ref: number): number {
  return ref + ((wire - ref) | 0);
}

/** roundup_pow_of_two for a positive integer. */
export function roundupPowOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** tcp_model_timeout: time (jiffies) `boundary` exponential RTO retries take from `rtoBase`, capped by `rtoMax`. */
export function tcpModelTimeout(boundary: number, rtoBase: number, rtoMax: number): number {
  const linearBackoffThresh = Math.floor(Math.log2(rtoMax / rtoBase));
  if (boundary <= linearBackoffThresh) return (2 ** (boundary + 1) - 1) * rtoBase;
  return (2 ** (linearBackoffThresh + 1) - 1) * rtoBase + (boundary - linearBackoffThresh) * rtoMax;
}

/** tcpi_options bits (include/uapi/linux/tcp.h TCPI_OPT_*). */
export const TCPI_OPT = Object.freeze({
  /** TCPI_OPT_TIMESTAMPS: timestamps negotiated (rx_opt.tstamp_ok). */
  TIMESTAMPS: 1,
  /** TCPI_OPT_SACK: SACK negotiated (never: SACK is not modelled). */
  SACK: 2,
  /** TCPI_OPT_WSCALE: window scaling negotiated (rx_opt.wscale_ok). */
  WSCALE: 4,
  /** TCPI_OPT_ECN: ECN negotiated (TCP_ECN_OK). */
  ECN: 8,
  /** TCPI_OPT_ECN_SEEN: an ECT or CE data segment arrived (TCP_ECN_SEEN). */
  ECN_SEEN: 16,
  /** TCPI_OPT_SYN_DATA: the SYN carried data (never: fast open is not modelled). */
  SYN_DATA: 32,
} as const);
