/**
 * The connection state of a TCP socket (include/linux/tcp.h `struct tcp_sock`, with the
 * `inet_connection_sock` and `struct sock` fields the public `TcpSocket` does not carry), and
 * the inlines of include/net/tcp.h and include/linux/tcp.h that every part of TCP reads it
 * with (`tcp_packets_in_flight`, `tcp_time_stamp`, `tcp_hdr`). `TcpSocket` (tcpSocket.ts)
 * holds one and delegates to the modules that mirror the kernel's files — tcp.c (tcp.ts),
 * tcp_output.c (tcpOutput.ts), tcp_input.c (tcpInput.ts, tcpAck.ts, tcpRecovery.ts,
 * tcpRcvWnd.ts), tcp_timer.c (tcpTimer.ts), tcp_minisocks.c (tcpMinisocks.ts), tcp_ipv4.c
 * (tcpIpv4.ts) — whose functions take a `TcpSock` as the kernel's take `struct sock *sk`; the
 * public fields (sk_state, addresses, cwnd, buffers) stay on the socket, reached as `tp.sk`.
 * Internal: the package does not export it.
 */
import type { ExecContext, Host, Timer } from '@ntbsim/kernel';
import type { NetErrno } from '../errors.js';
import { TCP_HLEN } from '../inet.js';
import type { NetDevice } from '../netDevice.js';
import type { NetStack } from '../netStack.js';
import type { Skb, SkbDestructor, TcpHeader } from '../skb.js';
import type { WaitQueue } from '../waitQueue.js';
import { Cubic } from './cubic.js';
import { tcpCongestionOps, type TcpCongestionOps } from './tcpCong.js';
import { TCP_DEFAULT_SCALING_RATIO, TCP_MSS_DEFAULT, tcpTimeouts, type TcpTimeouts } from './tcpConst.js';
import { memSync } from './tcpMem.js';
import { Fifo } from '../fifo.js';
import { OfoQueue, type RcvChunk, type TcpSeg } from './tcpQueues.js';
import { RttEstimator } from './tcpRtt.js';
import type { TcpSocket, TcpState } from './tcpSocket.js';

/** The states that send data (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK). */
export const SENDING: ReadonlySet<TcpState> = new Set<TcpState>(['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'CLOSING', 'LAST_ACK']);

/** RCV_SHUTDOWN (sk_shutdown): no more data will be received. */
export const RCV_SHUTDOWN = 1;
/** SEND_SHUTDOWN (sk_shutdown): no more data will be sent. */
export const SEND_SHUTDOWN = 2;

/** ICSK_ACK_SCHED: an ACK is due. */
export const ACK_SCHED = 1;
/** ICSK_ACK_TIMER: the delayed-ACK timer is armed. */
export const ACK_TIMER = 2;
/** ICSK_ACK_PUSHED: a short segment arrived (the sender pushed). */
export const ACK_PUSHED = 4;
/** ICSK_ACK_PUSHED2: two short segments arrived in a row. */
export const ACK_PUSHED2 = 8;
/** ICSK_ACK_NOW: send the next ACK at once. */
export const ACK_NOW = 16;
/** ICSK_ACK_NOMEM: a segment was dropped for memory; advertise a zero window. */
export const ACK_NOMEM = 32;

/** What the one retransmission timer (icsk_retransmit_timer with icsk_pending) is armed for. */
export type XmitKind = 'syn' | 'synack' | 'retrans' | 'probe0' | 'timewait';

/** The per-connection state of a `TcpSocket` that is not part of its public API (`struct tcp_sock`). */
export class TcpSock {
  /** The stack the socket belongs to (sock_net). */
  readonly stack: NetStack;
  /** The stack's host. */
  readonly host: Host;
  /** HZ of the host. */
  readonly hzValue: number;
  /** TCP's jiffies timeouts at that HZ. */
  readonly to: TcpTimeouts;
  /** The congestion control and its per-connection state (icsk_ca_ops + inet_csk_ca): the stack's tcp_congestion_control at creation. */
  ca: TcpCongestionOps;
  /** icsk_ca_setsockopt: TCP_CONGESTION chose `ca` (an accepted child then keeps it; else it takes the default of its time). */
  caSetsockopt = false;
  /** This socket's data-skb destructor (tcp_wfree bound to it), made at the first data transmit. */
  wfreeFn: SkbDestructor | null = null;

  /** tcpConns key of the hashed 4-tuple, null while unhashed. */
  connKey: string | null = null;
  /** The socket holds a reference on its local port (inet_bind_bucket). */
  portHeld = false;
  /** SO_REUSEADDR. */
  reuseAddr = false;
  /** TCP_NODELAY. */
  noDelay = false;
  /** The listener of a connection not yet accepted. */
  listener: TcpSock | null = null;
  /** A listener's completed connections (icsk_accept_queue). */
  readonly acceptQueue: TcpSock[] = [];
  /** sk_max_ack_backlog. */
  maxAckBacklog = 0;
  /** sk_err: the pending error, reported and cleared by the next call. */
  softError: NetErrno | null = null;
  /** sk_err_soft: an ICMP error kept for a synchronized socket, reported by a timeout in place of ETIMEDOUT. */
  errSoft: NetErrno | null = null;
  /** sk_shutdown: RCV_SHUTDOWN | SEND_SHUTDOWN. */
  shutdownFlags = 0;
  /** socket->state (SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED). */
  sockState: 'unconnected' | 'connecting' | 'connected' = 'unconnected';
  /** The connection was established once: reads at its end return 0, not ENOTCONN. */
  wasConnected = false;
  /** The device of the route (sk_dst_cache's dev). */
  routeDev: NetDevice | null = null;

  /** Path MTU (icsk_pmtu_cookie). */
  pmtu = 0;
  /** Advertised MSS (tp->advmss). */
  advmss = 0;
  /** Current sender MSS (tp->mss_cache). */
  mssCache = TCP_MSS_DEFAULT;
  /** The peer's MSS option (tp->rx_opt.mss_clamp). */
  mssClamp = TCP_MSS_DEFAULT;
  /** TCP_MAXSEG (rx_opt.user_mss): the MSS the socket advertises and accepts at most, 0 = none set. */
  userMss = 0;
  /** TCP header length with options (tp->tcp_header_len). */
  tcpHeaderLen = TCP_HLEN;
  /** Timestamps negotiated (rx_opt.tstamp_ok). */
  tsOk = false;
  /** The peer's window scale (rx_opt.snd_wscale). */
  sndWscale = 0;
  /** Our window scale (rx_opt.rcv_wscale). */
  rcvWscale = 0;
  /** Window scaling negotiated (rx_opt.wscale_ok). */
  wscaleOffered = false;
  /** Random timestamp offset (tp->tsoffset). */
  tsOffset = 0;
  /** The peer's last timestamp to echo (rx_opt.ts_recent). */
  tsRecent = 0;
  /** The echoed timestamp of the last segment (rx_opt.rcv_tsecr). */
  sawTsecr = 0;

  /** tp->ecn_flags: TCP_ECN_OK, TCP_ECN_QUEUE_CWR, TCP_ECN_DEMAND_CWR, TCP_ECN_SEEN (tcpEcn.ts). */
  ecnFlags = 0;
  /** tp->delivered_ce: segments delivered by ACKs echoing CE (ECE). */
  deliveredCe = 0;

  /** Initial send sequence number. */
  iss = 0;
  /** snd_una. */
  sndUna = 0;
  /** snd_nxt. */
  sndNxt = 0;
  /** write_seq: the end of the data written. */
  writeSeq = 0;
  /** The peer's window (bytes), snd_wnd. */
  sndWnd = 0;
  /** snd_wl1: the segment sequence of the last window update. */
  sndWl1 = 0;
  /** The largest window the peer offered (max_window). */
  maxWindow = 0;
  /** snd_sml: the end of the last small segment sent (Minshall). */
  sndSml = 0;
  /** pushed_seq: write_seq when PSH was last marked (tcp_mark_push). */
  pushedSeq = 0;
  /** A FIN is queued (it takes the sequence number before write_seq). */
  finQueued = false;
  /** sk_write_queue: segments not yet sent. */
  readonly writeQ = new Fifo<TcpSeg>();
  /** tcp_rtx_queue: segments sent and not acknowledged. */
  readonly rtxQ = new Fifo<TcpSeg>();
  /** retransmit_skb_hint: where the retransmit scan resumes. */
  rtxHint = 0;
  /** Backing store of `wmemQueued`. */
  wmemQueuedBytes = 0;
  /** sk_wmem_alloc (bytes): skbs handed to IP and not yet freed. */
  wmemAlloc = 0;
  /** SOCK_NOSPACE: a write found the send buffer full. */
  nospace = false;
  /** A write stopped for the host's TCP memory (sk_stream_wait_memory): not writable until this socket frees memory. */
  memBlocked = false;
  /** Pages this socket holds of the host's TCP memory: its send and receive memory rounded up. */
  memPages = 0;
  /** SOCK_QUEUE_SHRUNK: ACKs freed send memory. */
  queueShrunk = false;

  /** packets_out. */
  packetsOut = 0;
  /** sacked_out (Reno: duplicate ACKs). */
  sackedOut = 0;
  /** lost_out. */
  lostOut = 0;
  /** retrans_out. */
  retransOut = 0;
  /** Segments ever marked lost (tp->lost). */
  lostTotal = 0;
  /** tp->delivered. */
  delivered = 0;
  /** high_seq: snd_nxt when the reduction or loss began. */
  highSeq = 0;
  /** prior_cwnd (PRR). */
  priorCwnd = 0;
  /** prr_delivered. */
  prrDelivered = 0;
  /** prr_out. */
  prrOut = 0;
  /** tp->reordering. */
  reordering: number;
  /** is_cwnd_limited. */
  cwndLimited = false;
  /** max_packets_out. */
  maxPacketsOut = 0;
  /** cwnd_usage_seq. */
  cwndUsageSeq = 0;
  /** lsndtime (jiffies). */
  lsndtime = 0;

  /** The RTT estimator (srtt_us, mdev_us, …). */
  rtt: RttEstimator;
  /** icsk_rto (jiffies). */
  rto: number;
  /** icsk_backoff. */
  backoff = 0;
  /** icsk_retransmits. */
  retransmits = 0;
  /** retrans_stamp (ns), 0 when none. */
  retransStamp = 0;
  /** icsk_probes_out. */
  probesOut = 0;
  /** SYN or SYN-ACK retransmissions (num_retrans). */
  synRetrans = 0;
  /** When the last SYN or SYN-ACK was sent (ns). */
  synSentAt = 0;

  /** icsk_retransmit_timer, made on first use. */
  xmitTimerObj: Timer | null = null;
  /** icsk_pending: what that timer is armed for, null when idle. */
  xmitKind: XmitKind | null = null;
  /** icsk_timeout (jiffies). */
  xmitExpires = 0;
  /** icsk_delack_timer, made on first use. */
  delackTimerObj: Timer | null = null;

  /** Initial receive sequence number. */
  irs = 0;
  /** rcv_nxt. */
  rcvNxt = 0;
  /** rcv_wup: rcv_nxt when the window was last advertised. */
  rcvWup = 0;
  /** rcv_wnd: the window last advertised (bytes). */
  rcvWnd = 0;
  /** copied_seq: the end of the data read. */
  copiedSeq = 0;
  /** window_clamp. */
  windowClamp = 0;
  /** rcv_ssthresh. */
  rcvSsthresh = 0;
  /** scaling_ratio: the window share of the receive buffer (/256). */
  scalingRatio = TCP_DEFAULT_SCALING_RATIO;
  /** icsk_ack.rcv_mss. */
  rcvMss = TCP_MSS_DEFAULT;
  /** icsk_ack.last_seg_size. */
  lastSegSize = 0;
  /** sk_receive_queue. */
  readonly rcvQ = new Fifo<RcvChunk>();
  /** out_of_order_queue. */
  readonly ofo = new OfoQueue();
  /** Backing store of `rmemAlloc`. */
  rmemAllocBytes = 0;
  /** icsk_ack.pending: ACK_* flags. */
  ackPending = 0;
  /** icsk_ack.timeout (jiffies). */
  ackTimeout = 0;
  /** icsk_ack.ato (jiffies). */
  ato = 0;
  /** icsk_ack.quick: quick ACKs left. */
  quick = 0;
  /** icsk_ack.lrcvtime (jiffies). */
  lrcvtime = 0;
  /** rcv_rtt_est.rtt_us (× 8). */
  rcvRttUs = 0;
  /** rcv_rtt_est.seq. */
  rcvRttSeq = 0;
  /** rcv_rtt_est.time (ns), -1 before the first measurement. */
  rcvRttTime = -1;
  /** rcv_rtt_last_tsecr. */
  rcvRttLastTsecr = 0;
  /** rcvq_space.space. */
  rcvqSpace = 0;
  /** rcvq_space.seq. */
  rcvqSeq = 0;
  /** rcvq_space.time (ns). */
  rcvqTime = 0;

  /** TSQ_THROTTLED. */
  tsqThrottled = false;
  /** TSQ_QUEUED: the socket is on a TSQ tasklet list. */
  tsqQueued = false;
  /** The TSQ tasklet has output to push (TCP_TSQ_DEFERRED), not only an MTU report to take. */
  tsqPush = false;
  /** A RST waits for the TSQ tasklet (a close without a context). */
  pendingRst = false;
  /** MTU of the last ICMP FRAG_NEEDED for this connection (tp->mtu_info). */
  mtuInfo = 0;
  /** tcp_v4_mtu_reduced waits for the end of the current socket operation (TCP_MTU_REDUCED_DEFERRED). */
  mtuReducedPending = false;

  /** total_retrans. */
  totalRetrans = 0;
  /** bytes_acked. */
  bytesAcked = 0;
  /** bytes_received. */
  bytesReceived = 0;
  /** bytes_sent. */
  bytesSent = 0;
  /** bytes_retrans. */
  bytesRetrans = 0;
  /** segs_out. */
  segsOut = 0;
  /** segs_in. */
  segsIn = 0;
  /** data_segs_out. */
  dataSegsOut = 0;
  /** data_segs_in. */
  dataSegsIn = 0;

  /**
   * The state of `sk`, given the wait queues `sk` keeps for its user (protected in InetSock)
   * and `spawn`, which makes a new socket of the same stack and returns its state (the
   * allocation of sk_clone_lock, for a connection request).
   */
  constructor(
    readonly sk: TcpSocket,
    readonly readWq: WaitQueue,
    readonly writeWq: WaitQueue,
    readonly spawn: () => TcpSock,
  ) {
    const stack = sk.stack;
    this.stack = stack;
    this.host = stack.host;
    this.hzValue = stack.host.profile.kernel.hz.value;
    this.to = tcpTimeouts(this.hzValue);
    this.ca = tcpCongestionOps(stack.sysctl.tcpCongestionControl) ?? new Cubic();
    this.rto = this.to.timeoutInit;
    this.rtt = new RttEstimator(Math.round((this.to.rtoMin * 1e6) / this.hzValue));
    this.reordering = stack.sysctl.tcpReordering;
  }

  /** sk_wmem_queued (bytes): memory of the write and retransmit queues. */
  get wmemQueued(): number {
    return this.wmemQueuedBytes;
  }

  set wmemQueued(v: number) {
    this.wmemQueuedBytes = v;
    memSync(this);
  }

  /** sk_rmem_alloc (bytes): memory of the receive and out-of-order queues. */
  get rmemAlloc(): number {
    return this.rmemAllocBytes;
  }

  set rmemAlloc(v: number) {
    this.rmemAllocBytes = v;
    memSync(this);
  }
}

/** tcp_packets_in_flight. */
export function packetsInFlight(tp: TcpSock): number {
  return tp.packetsOut - (tp.sackedOut + tp.lostOut) + tp.retransOut;
}

/** The TCP timestamp clock (tcp_time_stamp_ms plus tsoffset, modulo 2^32). */
export function tsNow(tp: TcpSock, ctx: ExecContext): number {
  return (Math.floor(ctx.time / 1e6) + tp.tsOffset) >>> 0;
}

/** tcp_hdr: the TCP header of a segment TCP input took (tcp_v4_rcv lets only TCP through). */
export function tcpHdr(skb: Skb): TcpHeader {
  return skb.l4 as TcpHeader;
}
