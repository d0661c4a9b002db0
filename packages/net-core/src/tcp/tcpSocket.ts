/**
 * TCP over IPv4 (net/ipv4/tcp.c, tcp_input.c, tcp_output.c, tcp_timer.c, tcp_ipv4.c), with
 * Linux's defaults: CUBIC, timestamps, window scaling, Nagle with Minshall's rule and
 * autocorking, delayed ACKs with quick-ACK mode, TCP small queues, receive-window moderation
 * (DRS) and send-buffer growth unless SO_SNDBUF/SO_RCVBUF were set.
 *
 * Segmentation: one skb per segment on the wire (no TSO/GSO gain on a device without SG). A
 * write fills skbs up to the size goal (`tcp_xmit_size_goal`: the GSO size bounded to half the
 * peer's largest window, rounded to the MSS); transmit carves MSS-sized segments from them.
 * The MSS is the route MTU − 40, minus 12 with timestamps, clamped to the peer's MSS option and
 * to half the largest window the peer advertised (`tcp_bound_to_half_wnd`).
 *
 * Loss recovery is Linux's non-SACK path: duplicate ACKs count as Reno "sacked" segments,
 * `tcp_reordering` (3) of them mark the head lost and enter Recovery (fast retransmit), each
 * partial ACK marks the new head lost (NewReno), and PRR sets cwnd during the reduction. An RTO
 * (RFC 6298 estimator, 200 ms floor, exponential backoff, `tcp_retries2` as Linux's time-based
 * bound) marks everything outstanding lost and slow-starts from cwnd 1. A qdisc drop of a new
 * segment enters CWR. Zero windows are probed with the persist timer, and so is a head segment
 * IP output refused (over the MTU with DF): its ICMP FRAG_NEEDED locks a route MTU below
 * `ip_rt_min_pmtu` (DF goes, the segments are fragmented); with IP_PMTUDISC_DO the probes back
 * off until `tcp_retries2` (an orphan: `tcp_orphan_retries`) and the connection times out.
 *
 * Costs (ns, on the CPU of the context doing the work): `skbAlloc` per write skb; `userCopy`
 * per byte copied from or to the user (the transmit checksum is folded into the copy unless
 * the stack's `tcpTxChecksum` is `'xmit'`); `csum` of the segment at each transmission for
 * sendfile data or in `'xmit'` mode; `txPacket` per data or control segment sent, `ack` per
 * pure ACK sent; `rxPacket` (data or control) or `ack` (pure ACK) plus `csum` of the segment
 * for every segment received (no RX checksum offload). Costs depend on lengths only, so
 * functional mode (payload bytes) and timing mode (lengths) give the same timeline.
 *
 * Memory: each socket's send and receive memory counts toward the host's `tcp_mem` in whole
 * pages (`memSync`); growing past it is refused as `__sk_mem_raise_allocated` refuses it (a
 * write waits for this socket's ACKs to free memory, a received segment is dropped), and above
 * the pressure threshold buffers and windows stop growing.
 *
 * Not modelled: SACK, DSACK, RACK and TLP (tail losses wait for the RTO), F-RTO and undo of
 * spurious reductions, HyStart, pacing (the pacing rate only sizes the TSQ budget), ECN, PMTU
 * discovery beyond the local device, urgent data, keepalive, slow start after idle, cwnd
 * validation of application-limited flows, socket locking and the backlog queue, the
 * receive-queue collapse/prune under memory pressure (a segment over the receive buffer is
 * dropped), and fast open. TIME_WAIT and the orphan FIN_WAIT2 timeout last 1 s instead of 60 s.
 */
import type { Cpu, ExecContext, Host, Timer } from '@ntbsim/kernel';
import { NetError, type NetErrno } from '../errors.js';
import { formatIpv4, IPPROTO, IPV4_HLEN, parseIpv4, TCP_HLEN, TCPOLEN_TSTAMP_ALIGNED, type Ipv4Addr } from '../inet.js';
import { checkPort, InetSock, payloadOf, SOCK_MIN_SNDBUF } from '../inetSock.js';
import type { NetDevice } from '../netDevice.js';
import type { IpXmit, NetStack } from '../netStack.js';
import { allocSkbTruesize, Skb, TCP_FLAG, type TcpHeader } from '../skb.js';
import type { AcceptResult, OpResult, PollEvents, RecvResult, SendResult, SockAddr, TcpInfo } from '../types.js';
import { Cubic, type CubicSock } from './cubic.js';
import {
  MAX_TCP_HEADER,
  roundupPowOfTwo,
  SKB_SHINFO_SIZE,
  SKB_STRUCT_SIZE,
  TCP_DEFAULT_SCALING_RATIO,
  TCP_INFINITE_SSTHRESH,
  TCP_INIT_CWND,
  TCP_MAX_QUICKACKS,
  TCP_MAX_WSCALE,
  TCP_MIN_MSS,
  TCP_MIN_SND_MSS,
  TCP_MSS_DEFAULT,
  TCP_PACING_CA_RATIO,
  TCP_PACING_SHIFT,
  TCP_PACING_SS_RATIO,
  TCP_RMEM_TO_WIN_SCALE,
  TCP_SKB_OVERHEAD,
  TCP_SNDBUF_EXPAND_FACTOR,
  TCP_TIMEWAIT_LEN_NS,
  tcpModelTimeout,
  tcpTimeouts,
  unwrapSeq,
  type TcpTimeouts,
} from './tcpConst.js';
import { sendResetFor, tcpConnKey } from './tcpInput.js';
import { PAGE_SIZE } from './tcpMem.js';
import { RttEstimator } from './tcpRtt.js';
import { chunkEnd, Fifo, OfoQueue, segEnd, type RcvChunk, type TcpSeg } from './tcpQueues.js';

/** TCP states (include/net/tcp_states.h). */
export type TcpState = 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'CLOSING' | 'TIME_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK';

/** Congestion-avoidance states (enum tcp_ca_state: TCP_CA_Open … TCP_CA_Loss). */
export type TcpCaState = 'open' | 'disorder' | 'cwr' | 'recovery' | 'loss';

/** What `shutdown` closes: SHUT_RD, SHUT_WR or SHUT_RDWR. */
export type ShutdownHow = 'rd' | 'wr' | 'rdwr';

const CA_ORDER: Readonly<Record<TcpCaState, number>> = { open: 0, disorder: 1, cwr: 2, recovery: 3, loss: 4 };
const SENDING = new Set<TcpState>(['ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'CLOSING', 'LAST_ACK']);

const RCV_SHUTDOWN = 1;
const SEND_SHUTDOWN = 2;

const ACK_SCHED = 1;
const ACK_TIMER = 2;
const ACK_PUSHED = 4;
const ACK_PUSHED2 = 8;
const ACK_NOW = 16;
const ACK_NOMEM = 32;

const FLAG_DATA = 0x01;
const FLAG_WIN_UPDATE = 0x02;
const FLAG_DATA_ACKED = 0x04;
const FLAG_RETRANS_DATA_ACKED = 0x08;
const FLAG_SYN_ACKED = 0x10;
const FLAG_SND_UNA_ADVANCED = 0x400;
const FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED;
const FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED;

const { FIN, SYN, RST, PSH, ACK } = TCP_FLAG;
const TCP_REMNANT = FIN | SYN | PSH;
/** sk_gso_max_size for a TCP socket: GSO_LEGACY_MAX_SIZE − (MAX_TCP_HEADER + 1) (bytes). */
const GSO_MAX_PAYLOAD = 65536 - (MAX_TCP_HEADER + 1);
/** tcp_orphan_retries with net.ipv4.tcp_orphan_retries at its default 0, while the backed-off RTO is below TCP_RTO_MAX. */
const TCP_ORPHAN_RETRIES_ALIVE = 8;
/** tcp_app_win default. */
const TCP_APP_WIN = 31;
/** tcp_max_reordering default. */
const TCP_MAX_REORDERING = 300;
/** 2^TCP_RMEM_TO_WIN_SCALE. */
const RMEM_TO_WIN_DIV = 2 ** TCP_RMEM_TO_WIN_SCALE;

type XmitKind = 'syn' | 'synack' | 'retrans' | 'probe0' | 'timewait';
type RetransResult = 'ok' | 'busy' | 'drop' | 'fail';

/** Counters of one TCP socket beyond `tcp_info`. */
export interface TcpSockStats {
  /** Retransmission timeouts that fired. */
  timeouts: number;
  /** Entries into fast recovery. */
  recoveries: number;
  /** Fast retransmissions. */
  fastRetrans: number;
  /** Times the peer's window stopped transmission (rwnd-limited events). */
  rwndLimited: number;
  /** Delayed ACKs sent by the delayed-ACK timer. */
  delayedAcks: number;
  /** Pure ACKs sent. */
  acksSent: number;
}

/** A TCP socket (`struct tcp_sock`): listen/accept, connect, send/sendfile, recv, shutdown/close. */
export class TcpSocket extends InetSock implements CubicSock {
  /** TCP state (sk_state). */
  state: TcpState = 'CLOSED';
  /** Congestion state (icsk_ca_state). */
  caState: TcpCaState = 'open';
  /** Congestion control algorithm (tcp_congestion_ops name). */
  readonly congestion = 'cubic';
  /** Local address (0 = any while unbound). */
  laddr: Ipv4Addr = 0;
  /** Local port (0 while unbound). */
  lport = 0;
  /** Peer address (0 when unconnected). */
  raddr: Ipv4Addr = 0;
  /** Peer port (0 when unconnected). */
  rport = 0;
  /** Congestion window (segments), snd_cwnd. */
  cwnd = TCP_INIT_CWND;
  /** Slow-start threshold (segments), snd_ssthresh. */
  ssthresh = TCP_INFINITE_SSTHRESH;
  /** Additive-increase credit (segments), snd_cwnd_cnt. */
  cwndCnt = 0;
  /** Upper bound of cwnd (segments), snd_cwnd_clamp. */
  readonly cwndClamp = 0xffffffff;
  /** Counters beyond tcp_info. */
  readonly stats: TcpSockStats = { timeouts: 0, recoveries: 0, fastRetrans: 0, rwndLimited: 0, delayedAcks: 0, acksSent: 0 };

  private readonly host: Host;
  private readonly hzValue: number;
  private readonly to: TcpTimeouts;
  private readonly cubic = new Cubic();
  private readonly wfreeFn: (skb: Skb, cpu: Cpu) => void;

  private connKey: string | null = null;
  private portHeld = false;
  private reuseAddr = false;
  private noDelay = false;
  private listener: TcpSocket | null = null;
  private readonly acceptQueue: TcpSocket[] = [];
  private maxAckBacklog = 0;
  private softError: NetErrno | null = null;
  /** sk_err_soft: an ICMP error kept for a synchronized socket, reported by a timeout in place of ETIMEDOUT. */
  private errSoft: NetErrno | null = null;
  private shutdownFlags = 0;
  private sockState: 'unconnected' | 'connecting' | 'connected' = 'unconnected';
  private wasConnected = false;
  private routeDev: NetDevice | null = null;

  private pmtu = 0;
  private advmss = 0;
  private mssCache = TCP_MSS_DEFAULT;
  private mssClamp = TCP_MSS_DEFAULT;
  private tcpHeaderLen = TCP_HLEN;
  private tsOk = false;
  private sndWscale = 0;
  private rcvWscale = 0;
  private wscaleOffered = false;
  private tsOffset = 0;
  private tsRecent = 0;
  private sawTsecr = 0;

  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  private writeSeq = 0;
  private sndWnd = 0;
  private sndWl1 = 0;
  private maxWindow = 0;
  private sndSml = 0;
  private finQueued = false;
  private readonly writeQ = new Fifo<TcpSeg>();
  private readonly rtxQ = new Fifo<TcpSeg>();
  private rtxHint = 0;
  private wmemQueuedBytes = 0;
  private wmemAlloc = 0;
  private nospace = false;
  /** A write stopped for the host's TCP memory (sk_stream_wait_memory): not writable until this socket frees memory. */
  private memBlocked = false;
  /** Pages this socket holds of the host's TCP memory: its send and receive memory rounded up. */
  private memPages = 0;
  private queueShrunk = false;

  private packetsOut = 0;
  private sackedOut = 0;
  private lostOut = 0;
  private retransOut = 0;
  private lostTotal = 0;
  private delivered = 0;
  private highSeq = 0;
  private priorCwnd = 0;
  private prrDelivered = 0;
  private prrOut = 0;
  private reordering: number;
  private cwndLimited = false;
  private maxPacketsOut = 0;
  private cwndUsageSeq = 0;
  private lsndtime = 0;

  private rtt: RttEstimator;
  private rto: number;
  private backoff = 0;
  private retransmits = 0;
  private retransStamp = 0;
  private probesOut = 0;
  private synRetrans = 0;
  private synSentAt = 0;

  private xmitTimerObj: Timer | null = null;
  private xmitKind: XmitKind | null = null;
  private xmitExpires = 0;
  private delackTimerObj: Timer | null = null;

  private irs = 0;
  private rcvNxt = 0;
  private rcvWup = 0;
  private rcvWnd = 0;
  private copiedSeq = 0;
  private windowClamp = 0;
  private rcvSsthresh = 0;
  private scalingRatio = TCP_DEFAULT_SCALING_RATIO;
  private rcvMss = TCP_MSS_DEFAULT;
  private lastSegSize = 0;
  private readonly rcvQ = new Fifo<RcvChunk>();
  private readonly ofo = new OfoQueue();
  private rmemAllocBytes = 0;
  private ackPending = 0;
  private ackTimeout = 0;
  private ato = 0;
  private quick = 0;
  private lrcvtime = 0;
  private rcvRttUs = 0;
  private rcvRttSeq = 0;
  private rcvRttTime = -1;
  private rcvRttLastTsecr = 0;
  private rcvqSpace = 0;
  private rcvqSeq = 0;
  private rcvqTime = 0;

  private tsqThrottled = false;
  private tsqQueued = false;
  /** The TSQ tasklet has output to push (TCP_TSQ_DEFERRED), not only an MTU report to take. */
  private tsqPush = false;
  private pendingRst = false;
  /** MTU of the last ICMP FRAG_NEEDED for this connection (tp->mtu_info). */
  private mtuInfo = 0;
  /** tcp_v4_mtu_reduced waits for the end of the current socket operation (TCP_MTU_REDUCED_DEFERRED). */
  private mtuReducedPending = false;

  private totalRetrans = 0;
  private bytesAcked = 0;
  private bytesReceived = 0;
  private bytesSent = 0;
  private bytesRetrans = 0;
  private segsOut = 0;
  private segsIn = 0;
  private dataSegsOut = 0;
  private dataSegsIn = 0;

  /** A TCP socket of `stack` (use `stack.tcpSocket()`). */
  constructor(stack: NetStack) {
    super(stack, stack.sysctl.tcpWmem[1], stack.sysctl.tcpRmem[1]);
    this.host = stack.host;
    this.hzValue = stack.host.profile.kernel.hz.value;
    this.to = tcpTimeouts(this.hzValue);
    this.rto = this.to.timeoutInit;
    this.rtt = new RttEstimator(Math.round((this.to.rtoMin * 1e6) / this.hzValue));
    this.reordering = stack.sysctl.tcpReordering;
    this.wfreeFn = (skb, cpu) => this.wfree(skb, cpu);
  }

  /** sk_wmem_queued (bytes): memory of the write and retransmit queues. */
  private get wmemQueued(): number {
    return this.wmemQueuedBytes;
  }

  private set wmemQueued(v: number) {
    this.wmemQueuedBytes = v;
    this.memSync();
  }

  /** sk_rmem_alloc (bytes): memory of the receive and out-of-order queues. */
  private get rmemAlloc(): number {
    return this.rmemAllocBytes;
  }

  private set rmemAlloc(v: number) {
    this.rmemAllocBytes = v;
    this.memSync();
  }

  /**
   * sk_mem_charge/uncharge with sk_mem_reclaim: the host's TCP memory follows this socket's,
   * in whole pages (what is freed returns at once, less than a page stays forward-allocated).
   */
  private memSync(): void {
    const pages = Math.ceil((this.wmemQueuedBytes + this.rmemAllocBytes) / PAGE_SIZE);
    if (pages === this.memPages) return;
    this.stack.tcpMemCharge(pages - this.memPages);
    this.memPages = pages;
  }

  /**
   * __sk_mem_schedule → __sk_mem_raise_allocated: may this socket's memory grow by `size` bytes
   * of send or receive memory under net.ipv4.tcp_mem? Within the pages it holds, yes; else with
   * the host at or below tcp_mem[0] (leaving memory pressure); above tcp_mem[1] TCP enters
   * memory pressure; up to tcp_mem[2] a socket below tcp_wmem[0]/tcp_rmem[0] may always grow,
   * and one outside pressure, or within its share (tcp_mem[2] over the TCP sockets of the
   * host); otherwise a send is refused — sk_stream_moderate_sndbuf shrinks an unlocked send
   * buffer — unless the socket is at its send buffer anyway (then forced).
   */
  private memSchedule(size: number, kind: 'send' | 'recv'): boolean {
    const need = Math.ceil((this.wmemQueuedBytes + this.rmemAllocBytes + size) / PAGE_SIZE) - this.memPages;
    if (need <= 0) return true;
    const stack = this.stack;
    const sysctl = stack.sysctl;
    const [low, pressure, high] = sysctl.tcpMem;
    const allocated = stack.tcpMemoryAllocated + need;
    if (allocated <= low) {
      stack.setTcpMemoryPressure(false);
      return true;
    }
    if (allocated > pressure) stack.setTcpMemoryPressure(true);
    if (allocated <= high) {
      if (kind === 'recv' ? this.rmemAllocBytes < sysctl.tcpRmem[0] : this.wmemQueuedBytes < sysctl.tcpWmem[0]) return true;
      if (!stack.tcpMemoryPressure) return true;
      if (high > (stack.tcpConns.size + stack.tcpListeners.size) * (this.memPages + need)) return true;
    }
    if (kind === 'recv') return false;
    if (!this.sndbufLocked) this.sndbuf = Math.max(Math.min(this.sndbuf, this.wmemQueuedBytes >> 1), SOCK_MIN_SNDBUF);
    return this.wmemQueuedBytes + size >= this.sndbuf;
  }

  /**
   * tcp_wmem_schedule: how much of a `copy` (plus `overhead` not yet charged, a new skb's) the
   * send memory allows: all of it when scheduled, else what the socket still holds
   * forward-allocated, with up to tcp_wmem[0] forced in so an empty socket makes progress.
   */
  private wmemScheduleCopy(copy: number, overhead: number): number {
    if (this.memSchedule(overhead + copy, 'send')) return copy;
    const used = this.wmemQueuedBytes + this.rmemAllocBytes;
    const left = this.stack.sysctl.tcpWmem[0] - this.wmemQueuedBytes - overhead;
    const reserved = Math.max(this.memPages * PAGE_SIZE, left > 0 ? Math.ceil((used + overhead + Math.min(left, copy)) / PAGE_SIZE) * PAGE_SIZE : 0);
    return Math.max(0, Math.min(copy, reserved - used - overhead));
  }

  // ---- CubicSock -------------------------------------------------------------------------

  /** tcp_jiffies32 of the host. */
  get jiffies(): number {
    return this.host.jiffies;
  }

  /** HZ of the host. */
  get hz(): number {
    return this.hzValue;
  }

  /** usecs_to_jiffies. */
  usecsToJiffies(us: number): number {
    return this.host.usecsToJiffies(us);
  }

  /** tcp_is_cwnd_limited: the last window was cwnd-limited, or slow start with cwnd below twice the flight. */
  isCwndLimited(): boolean {
    if (this.cwndLimited) return true;
    if (this.cwnd < this.ssthresh) return this.cwnd < 2 * this.maxPacketsOut;
    return false;
  }

  // ---- socket API ------------------------------------------------------------------------

  /** A connected socket caches its TX queue (sk_tx_queue_mapping). */
  get cachesTxQueue(): boolean {
    return this.raddr !== 0 && this.state !== 'LISTEN' && this.state !== 'CLOSED';
  }

  /** @internal Whether the socket is in the connection table (tcpConns). */
  get hashed(): boolean {
    return this.connKey !== null;
  }

  /** Sender MSS in use (bytes), tcp_current_mss. */
  get mss(): number {
    return this.mssCache;
  }

  /** Bytes written and not yet acknowledged (SIOCOUTQ). */
  get outq(): number {
    return this.writeSeq - this.sndUna - (this.finQueued ? 1 : 0);
  }

  /** Bytes received and not yet read (SIOCINQ). */
  get inq(): number {
    let n = 0;
    for (let i = 0; i < this.rcvQ.length; i++) n += (this.rcvQ.at(i) as RcvChunk).len;
    return n;
  }

  /** Sequence space received in order and not yet read, `rcv_nxt − copied_seq` (inet_diag's `idiag_rqueue`). */
  get unreadSeq(): number {
    return Math.max(0, this.rcvNxt - this.copiedSeq);
  }

  /** Sequence space written and not yet acknowledged, `write_seq − snd_una`, a queued SYN or FIN included (inet_diag's `idiag_wqueue`). */
  get unackedSeq(): number {
    return this.writeSeq - this.sndUna;
  }

  /** Completed connections waiting in a listener's accept queue (`sk_ack_backlog`). */
  get acceptQueueLen(): number {
    return this.acceptQueue.length;
  }

  /** A listener's accept backlog as listen() capped it (`sk_max_ack_backlog`). */
  get acceptBacklog(): number {
    return this.maxAckBacklog;
  }

  /** The window scale shifts (`snd_wscale`, `rcv_wscale`) once both ends agreed on window scaling, else null. */
  get windowScale(): { readonly snd: number; readonly rcv: number } | null {
    return this.wscaleOffered ? { snd: this.sndWscale, rcv: this.rcvWscale } : null;
  }

  /** The pacing rate `tcp_update_pacing_rate` gives the current cwnd and srtt (bytes/s, `sk_pacing_rate`). */
  get pacingRateBytes(): number {
    return this.pacingRate();
  }

  /** Segments delivered to the peer over the connection's life (`tp->delivered`). */
  get deliveredSegs(): number {
    return this.delivered;
  }

  /** The reordering degree in segments (`tp->reordering`, initially `tcp_reordering`). */
  get reorderingSegs(): number {
    return this.reordering;
  }

  /** SO_REUSEADDR: allow binding a port still held by non-listening sockets. */
  setReuseAddr(on: boolean): void {
    this.checkOpen('setReuseAddr');
    this.reuseAddr = on;
  }

  /** TCP_NODELAY: disable Nagle's algorithm (iperf3 -N). */
  setNoDelay(on: boolean): void {
    this.checkOpen('setNoDelay');
    this.noDelay = on;
  }

  /** Bind to `port` (0 = ephemeral) and optionally a local `addr`; EADDRINUSE, EADDRNOTAVAIL or EINVAL (already bound). */
  bind(port: number, addr?: string): OpResult {
    this.checkOpen('bind');
    checkPort('bind', port, true);
    if (this.lport !== 0 || this.state !== 'CLOSED') return { ok: false, errno: 'EINVAL' };
    const a = addr === undefined ? 0 : parseIpv4(addr);
    if (a !== 0 && !this.stack.isLocalAddr(a)) return { ok: false, errno: 'EADDRNOTAVAIL' };
    if (port !== 0 && this.portConflict(port)) return { ok: false, errno: 'EADDRINUSE' };
    const p = port !== 0 ? port : this.stack.allocPort((x) => this.stack.tcpPorts.has(x));
    this.laddr = a;
    this.lport = p;
    this.holdPort();
    return { ok: true };
  }

  /** Listen with an accept backlog (capped by net.core.somaxconn); binds an ephemeral port if unbound. */
  listen(backlog = 4096): OpResult {
    this.checkOpen('listen');
    if (!Number.isInteger(backlog)) throw new NetError('EINVAL', `listen: backlog ${String(backlog)}: allowed an integer`);
    if (this.state === 'LISTEN') {
      this.maxAckBacklog = Math.min(Math.max(backlog, 0), this.stack.sysctl.somaxconn);
      return { ok: true };
    }
    if (this.state !== 'CLOSED' || this.sockState !== 'unconnected') return { ok: false, errno: 'EINVAL' };
    if (this.lport === 0) {
      const r = this.bind(0);
      if (!r.ok) return r;
    }
    if (this.stack.tcpListeners.has(this.lport)) return { ok: false, errno: 'EADDRINUSE' };
    this.maxAckBacklog = Math.min(Math.max(backlog, 0), this.stack.sysctl.somaxconn);
    this.state = 'LISTEN';
    this.stack.tcpListeners.set(this.lport, this);
    return { ok: true };
  }

  /** Take a completed connection from the accept queue; EAGAIN when none, EINVAL when not listening. */
  accept(): AcceptResult {
    this.checkOpen('accept');
    if (this.state !== 'LISTEN') return { ok: false, errno: 'EINVAL' };
    const c = this.acceptQueue.shift();
    if (c === undefined) return { ok: false, errno: 'EAGAIN' };
    c.listener = null;
    return { ok: true, sock: c };
  }

  /**
   * Non-blocking connect: the first call sends the SYN and returns EINPROGRESS; later calls
   * return EALREADY while the handshake runs, then ok once established (EISCONN after that),
   * or the error that ended the attempt (ECONNREFUSED, ETIMEDOUT). ENETUNREACH without a route.
   */
  connect(ctx: ExecContext, to: SockAddr): OpResult {
    this.checkOpen('connect');
    checkPort('connect', to.port, false);
    if (this.sockState === 'connected') return { ok: false, errno: 'EISCONN' };
    if (this.sockState === 'connecting') {
      if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') return { ok: false, errno: 'EALREADY' };
      if (this.state === 'CLOSED') {
        this.sockState = 'unconnected';
        return { ok: false, errno: this.takeError() ?? 'ECONNABORTED' };
      }
      this.sockState = 'connected';
      return { ok: true };
    }
    if (this.state !== 'CLOSED') return { ok: false, errno: 'EISCONN' };
    const raddr = parseIpv4(to.addr);
    const stack = this.stack;
    const r = stack.route(raddr);
    if (r === null) {
      stack.snmp.Ip.OutNoRoutes++;
      return { ok: false, errno: 'ENETUNREACH' };
    }
    if (this.laddr === 0) this.laddr = r.src;
    if (!this.portHeld) {
      if (this.lport === 0 || stack.tcpPorts.has(this.lport)) this.lport = stack.allocPort((x) => stack.tcpPorts.has(x));
      this.holdPort();
    }
    this.resetConnection();
    this.raddr = raddr;
    this.rport = to.port;
    const key = tcpConnKey(this.laddr, this.lport, raddr, to.port);
    if (stack.tcpConns.has(key)) return { ok: false, errno: 'EADDRINUSE' };
    this.connKey = key;
    stack.tcpConns.set(key, this);
    this.initPath(r.dev);
    this.initIss();
    this.txhash = stack.rng.nextU32() || 1;
    this.txQueueMapping = -1;
    this.tcpHeaderLen = TCP_HLEN + (stack.sysctl.tcpTimestamps ? TCPOLEN_TSTAMP_ALIGNED : 0);
    if (this.rcvbufLocked && (this.windowClamp > this.fullSpace() || this.windowClamp === 0)) this.windowClamp = this.fullSpace();
    this.selectInitialWindow(this.fullSpace(), this.advmss, stack.sysctl.tcpWindowScaling);
    this.rcvSsthresh = this.rcvWnd;
    this.state = 'SYN_SENT';
    this.sockState = 'connecting';
    stack.snmp.Tcp.ActiveOpens++;
    this.sendSyn(ctx);
    this.resetXmitTimer('syn', this.to.timeoutInit, ctx);
    return { ok: false, errno: 'EINPROGRESS' };
  }

  /** Write bytes (functional) or a length (timing): copies what fits in the send buffer; EAGAIN if nothing fits, EPIPE after shutdown. */
  send(ctx: ExecContext, data: Uint8Array | number): SendResult {
    return this.sendmsg(ctx, 'send', data, false);
  }

  /** sendfile (iperf3 -Z): like send without the user copy; each transmission of the data pays a checksum pass. */
  sendfile(ctx: ExecContext, data: Uint8Array | number): SendResult {
    return this.sendmsg(ctx, 'sendfile', data, true);
  }

  /**
   * Read up to `maxBytes` in-order bytes, charging the user copy on the caller's CPU; bytes 0
   * at end of stream; EAGAIN when nothing is queued, the pending error (ECONNRESET, …) first.
   */
  recv(ctx: ExecContext, maxBytes: number): RecvResult {
    this.checkOpen('recv');
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new NetError('EINVAL', `recv: maxBytes ${String(maxBytes)}: allowed an integer ≥ 0`);
    if (this.state === 'LISTEN') return { ok: false, errno: 'ENOTCONN' };
    if (this.rcvQ.length === 0 || maxBytes === 0) {
      const err = this.takeError();
      if (err !== null) return { ok: false, errno: err };
      if ((this.shutdownFlags & RCV_SHUTDOWN) !== 0 || maxBytes === 0) return { ok: true, bytes: 0, data: null };
      if (this.state === 'CLOSED') return this.wasConnected ? { ok: true, bytes: 0, data: null } : { ok: false, errno: 'ENOTCONN' };
      return { ok: false, errno: 'EAGAIN' };
    }
    let n = 0;
    let allBytes = true;
    const pieces: Uint8Array[] = [];
    while (n < maxBytes) {
      const c = this.rcvQ.peek();
      if (c === undefined) break;
      const take = Math.min(c.len, maxBytes - n);
      if (c.data === null) allBytes = false;
      else pieces.push(c.data.subarray(c.off, c.off + take));
      c.off += take;
      c.seq += take;
      c.len -= take;
      n += take;
      if (c.len === 0) {
        this.rcvQ.shift();
        this.rmemAlloc -= c.truesize;
      }
    }
    ctx.charge(ctx.host.costs.userCopy(n));
    this.copiedSeq += n;
    let data: Uint8Array | null = null;
    if (allBytes) {
      data = new Uint8Array(n);
      let off = 0;
      for (const p of pieces) {
        data.set(p, off);
        off += p.length;
      }
    }
    this.rcvSpaceAdjust(ctx);
    this.cleanupRbuf(ctx, n);
    return { ok: true, bytes: n, data };
  }

  /** shutdown(2): 'wr' sends FIN after the queued data, 'rd' ends reading; ENOTCONN when not connected. */
  shutdown(ctx: ExecContext, how: ShutdownHow): OpResult {
    this.checkOpen('shutdown');
    if (how !== 'rd' && how !== 'wr' && how !== 'rdwr') throw new NetError('EINVAL', `shutdown: how "${String(how)}": allowed rd, wr or rdwr`);
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'SYN_SENT') return { ok: false, errno: 'ENOTCONN' };
    if (how !== 'wr') {
      this.shutdownFlags |= RCV_SHUTDOWN;
      this.readWq.wakeUp();
    }
    if (how !== 'rd' && (this.shutdownFlags & SEND_SHUTDOWN) === 0) {
      this.shutdownFlags |= SEND_SHUTDOWN;
      if (this.closeState()) this.sendFin(ctx);
      this.writeWq.wakeUp();
    }
    return { ok: true };
  }

  /**
   * close(2): a listener drops its queued connections; a connection with unread data is reset
   * (TCPAbortOnClose); otherwise FIN follows the queued data and the socket finishes the close
   * on its own (orphan). Without `ctx` the packets go out from a tasklet on CPU 0.
   */
  close(ctx?: ExecContext): void {
    if (this.userClosed) return;
    this.userClosed = true;
    const stack = this.stack;
    if (this.state === 'CLOSED') {
      this.purgeRcvQ();
      this.unhash();
      return;
    }
    if (this.state === 'LISTEN') {
      if (stack.tcpListeners.get(this.lport) === this) stack.tcpListeners.delete(this.lport);
      this.state = 'CLOSED';
      for (const c of this.acceptQueue.splice(0)) c.abort(ctx, false);
      this.unhash();
      return;
    }
    if (this.state === 'SYN_SENT') {
      this.tcpDone();
      return;
    }
    this.shutdownFlags = RCV_SHUTDOWN | SEND_SHUTDOWN;
    if (this.rcvQ.length > 0) {
      stack.tcpExt.TCPAbortOnClose++;
      this.abort(ctx, false);
      return;
    }
    if (this.closeState()) {
      if (ctx !== undefined) this.sendFin(ctx);
      else {
        this.queueFin();
        this.deferOutput();
      }
    }
    if (this.state === 'FIN_WAIT2') this.resetXmitTimer('timewait', this.timewaitJiffies(), ctx);
  }

  /** Readiness (tcp_poll). */
  poll(): PollEvents {
    const st = this.state;
    if (st === 'LISTEN') return { readable: this.acceptQueue.length > 0, writable: false, error: false, hup: false };
    let readable = (this.shutdownFlags & RCV_SHUTDOWN) !== 0;
    let writable = false;
    if (st !== 'SYN_SENT' && st !== 'SYN_RECV') {
      if (this.rcvQ.length > 0) readable = true;
      writable = (this.shutdownFlags & SEND_SHUTDOWN) !== 0 || this.streamWriteable();
    }
    const hup = this.shutdownFlags === (RCV_SHUTDOWN | SEND_SHUTDOWN) || st === 'CLOSED';
    return { readable, writable, error: this.softError !== null, hup };
  }

  /** SO_ERROR: the pending error, cleared by reading it. */
  getError(): NetErrno | null {
    return this.takeError();
  }

  /** getsockname: local address and port, or null before bind/connect. */
  localAddress(): SockAddr | null {
    return this.lport === 0 ? null : { addr: formatIpv4(this.laddr), port: this.lport };
  }

  /** getpeername: peer address and port, or null when unconnected. */
  remoteAddress(): SockAddr | null {
    return this.raddr === 0 ? null : { addr: formatIpv4(this.raddr), port: this.rport };
  }

  /** getsockopt(TCP_INFO) (times in µs). */
  tcpInfo(): TcpInfo {
    const usPerJiffy = 1e6 / this.hzValue;
    return {
      state: this.state,
      caState: this.caState,
      retransmits: this.retransmits,
      backoff: this.backoff,
      rto: Math.round(this.rto * usPerJiffy),
      ato: Math.round(this.ato * usPerJiffy),
      sndMss: this.mssCache,
      rcvMss: this.rcvMss,
      unacked: this.packetsOut,
      sacked: this.sackedOut,
      lost: this.lostOut,
      retrans: this.retransOut,
      pmtu: this.pmtu,
      rcvSsthresh: this.rcvSsthresh,
      rtt: this.rtt.srtt,
      rttvar: Math.floor(this.rtt.mdevUs / 4),
      sndSsthresh: this.ssthresh,
      sndCwnd: this.cwnd,
      advmss: this.advmss,
      rcvRtt: Math.floor(this.rcvRttUs / 8),
      rcvSpace: this.rcvqSpace,
      totalRetrans: this.totalRetrans,
      bytesAcked: this.bytesAcked,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      bytesRetrans: this.bytesRetrans,
      segsOut: this.segsOut,
      segsIn: this.segsIn,
      dataSegsOut: this.dataSegsOut,
      dataSegsIn: this.dataSegsIn,
      notsentBytes: Math.max(0, this.writeSeq - this.sndNxt - (this.finQueued && this.sndNxt < this.writeSeq ? 1 : 0)),
      minRtt: this.rtt.minRttUs,
      sndWnd: this.sndWnd,
      rcvWnd: this.rcvWnd,
      sndbuf: this.sndbuf,
      rcvbuf: this.rcvbuf,
    };
  }

  // ---- internal hooks used by the stack --------------------------------------------------

  /** @internal A device changed state or MTU: follow the route MTU (tcp_current_mss → tcp_sync_mss). */
  onDeviceChange(dev: NetDevice): void {
    if (this.routeDev !== dev || this.state === 'CLOSED' || this.state === 'LISTEN') return;
    if (dev.mtu !== this.pmtu) {
      this.pmtu = dev.mtu;
      this.syncMss();
    }
  }

  /**
   * @internal `tcp_v4_err` for ICMP FRAG_NEEDED reporting `mtu` for the segment at wire
   * sequence `seq`: ignored for a listener, a closed or TIME_WAIT socket, or a sequence outside
   * snd_una..snd_nxt; otherwise `tcp_v4_mtu_reduced` runs once the current operation is over.
   */
  icmpFragNeeded(seq: number, mtu: number, on: ExecContext): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'TIME_WAIT') return;
    const s = unwrapSeq(seq, this.sndUna);
    if (s < this.sndUna || s > this.sndNxt) return;
    this.mtuInfo = mtu;
    this.mtuReducedPending = true;
    if (this.tsqQueued) return;
    this.tsqQueued = true;
    this.stack.tsqSchedule(this, on);
  }

  /**
   * @internal `tcp_v4_err` for a destination unreachable other than FRAG_NEEDED (`err`:
   * EHOSTUNREACH when ARP failed to resolve the next hop) about the segment at wire sequence
   * `seq`: ignored outside snd_una..snd_nxt; a connecting socket fails with `err` at once
   * (tcp_done_with_error); a synchronized one keeps it as its soft error (sk_err_soft: no
   * IP_RECVERR here), which a later timeout reports instead of ETIMEDOUT, and — for a net or host
   * unreachable about the head segment in RTO backoff — takes one backoff step back
   * (tcp_ld_RTO_revert, RFC 6069): the retransmission timer is re-armed for what is left of the
   * smaller RTO since the head was sent, or fires now when none is left.
   */
  icmpUnreach(seq: number, err: NetErrno, ctx: ExecContext): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'TIME_WAIT') return;
    const s = unwrapSeq(seq, this.sndUna);
    if (s < this.sndUna || s > this.sndNxt) return;
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') {
      this.softError = err;
      this.tcpDone();
      return;
    }
    this.errSoft = err;
    if (s === this.sndUna) this.ldRtoRevert(ctx);
  }

  /** tcp_ld_RTO_revert: undo one RTO backoff step for the head segment (see `icmpUnreach`). */
  private ldRtoRevert(ctx: ExecContext): void {
    const head = this.rtxQ.peek();
    if (this.packetsOut === 0 || this.retransmits === 0 || this.backoff === 0 || head === undefined || this.xmitKind !== 'retrans') return;
    this.backoff--;
    if (this.rtt.srttUs > 0) this.setRto();
    else this.rto = this.to.timeoutInit;
    this.rto = Math.min(this.rto * 2 ** this.backoff, this.to.rtoMax);
    const elapsed = Math.floor((ctx.time - head.sentAt) / this.host.tickNs);
    const remaining = this.rto - elapsed;
    if (remaining > 0) this.resetXmitTimer('retrans', remaining, ctx);
    else {
      this.xmitKind = null;
      this.retransmitTimer(ctx);
    }
  }

  /** @internal TCP small queues tasklet (tcp_tsq_handler, tcp_release_cb): a deferred MTU report, then what TSQ held back or deferred output. */
  tsqHandler(ctx: ExecContext): void {
    this.tsqQueued = false;
    if (this.mtuReducedPending) {
      this.mtuReducedPending = false;
      this.mtuReduced(ctx);
      if (!this.tsqPush) return;
    }
    this.tsqPush = false;
    if (this.pendingRst) {
      this.pendingRst = false;
      this.sendActiveReset(ctx);
    }
    if (!SENDING.has(this.state)) return;
    if (this.lostOut > this.retransOut && this.cwnd > this.packetsInFlight()) this.xmitRetransmitQueue(ctx);
    this.pushPendingFrames(ctx, false);
  }

  /** @internal A segment for this socket (tcp_v4_do_rcv / tcp_rcv_state_process). */
  rcvSkb(skb: Skb, h: TcpHeader, ctx: ExecContext): void {
    this.segsIn++;
    if (skb.payloadLen > 0) this.dataSegsIn++;
    if (skb.rxQueue >= 0) this.rxQueueMapping = skb.rxQueue;
    switch (this.state) {
      case 'LISTEN':
        this.listenRcv(skb, h, ctx);
        return;
      case 'SYN_SENT':
        this.synSentRcv(skb, h, ctx);
        return;
      case 'SYN_RECV':
        this.synRecvRcv(skb, h, ctx);
        return;
      case 'TIME_WAIT':
        this.timeWaitRcv(h, skb.payloadLen, ctx);
        return;
      case 'CLOSED':
        sendResetFor(this.stack, skb, h, ctx);
        return;
      case 'ESTABLISHED':
      case 'FIN_WAIT1':
      case 'FIN_WAIT2':
      case 'CLOSING':
      case 'CLOSE_WAIT':
      case 'LAST_ACK':
        this.stateRcv(skb, h, ctx);
    }
  }

  // ---- helpers: errors, ports, state -----------------------------------------------------

  private takeError(): NetErrno | null {
    const e = this.softError;
    this.softError = null;
    return e;
  }

  private portConflict(port: number): boolean {
    const stack = this.stack;
    return stack.tcpListeners.has(port) || (stack.tcpPorts.has(port) && !this.reuseAddr);
  }

  private holdPort(): void {
    if (this.portHeld) return;
    const ports = this.stack.tcpPorts;
    ports.set(this.lport, (ports.get(this.lport) ?? 0) + 1);
    this.portHeld = true;
  }

  private unhash(): void {
    const stack = this.stack;
    if (this.connKey !== null && stack.tcpConns.get(this.connKey) === this) stack.tcpConns.delete(this.connKey);
    this.connKey = null;
    if (this.portHeld) {
      const n = (stack.tcpPorts.get(this.lport) ?? 1) - 1;
      if (n <= 0) stack.tcpPorts.delete(this.lport);
      else stack.tcpPorts.set(this.lport, n);
      this.portHeld = false;
    }
  }

  private setState(s: TcpState): void {
    if (s === 'CLOSED' && (this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT')) this.stack.snmp.Tcp.EstabResets++;
    this.state = s;
  }

  /** tcp_close_state: move to the state a close leads to; true if a FIN must be sent. */
  private closeState(): boolean {
    if (this.state === 'ESTABLISHED' || this.state === 'SYN_RECV') {
      this.setState('FIN_WAIT1');
      return true;
    }
    if (this.state === 'CLOSE_WAIT') {
      this.setState('LAST_ACK');
      return true;
    }
    return false;
  }

  /** tcp_disconnect: forget a previous attempt so the socket can connect again. */
  private resetConnection(): void {
    this.shutdownFlags = 0;
    this.softError = null;
    this.errSoft = null;
    this.finQueued = false;
    this.cwnd = TCP_INIT_CWND;
    this.ssthresh = TCP_INFINITE_SSTHRESH;
    this.cwndCnt = 0;
    this.setCaState('open');
    this.synRetrans = 0;
    this.retransmits = 0;
    this.backoff = 0;
    this.rto = this.to.timeoutInit;
    this.rtt = new RttEstimator(this.rtt.rtoMinUs);
    this.maxWindow = 0;
    this.sndWnd = 0;
    this.windowClamp = 0;
    this.rcvMss = TCP_MSS_DEFAULT;
    this.mssClamp = TCP_MSS_DEFAULT;
    this.ato = 0;
    this.quick = 0;
    this.rcvRttUs = 0;
    this.rcvRttTime = -1;
    this.wasConnected = false;
    this.rcvQ.drain();
    this.rmemAlloc = 0;
  }

  /** tcp_done: the connection is over; queues are purged, timers stopped, the 4-tuple freed. */
  private tcpDone(): void {
    const stack = this.stack;
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') stack.snmp.Tcp.AttemptFails++;
    this.setState('CLOSED');
    this.clearXmitTimer();
    this.delackTimerObj?.del();
    this.ackPending = 0;
    this.shutdownFlags = RCV_SHUTDOWN | SEND_SHUTDOWN;
    for (const s of this.writeQ.drain()) this.wmemQueued -= s.truesize;
    for (const s of this.rtxQ.drain()) this.wmemQueued -= s.truesize;
    this.packetsOut = 0;
    this.sackedOut = 0;
    this.lostOut = 0;
    this.retransOut = 0;
    for (const c of this.ofo.drain()) this.rmemAlloc -= c.truesize;
    this.unhash();
    this.readWq.wakeUp();
    this.writeWq.wakeUp();
  }

  /** tcp_reset: a valid RST arrived. */
  private tcpReset(): void {
    if (this.state === 'SYN_RECV' && this.listener !== null) {
      this.tcpDone();
      return;
    }
    const err: NetErrno = this.state === 'SYN_SENT' ? 'ECONNREFUSED' : this.state === 'CLOSE_WAIT' ? 'EPIPE' : 'ECONNRESET';
    this.softError = err;
    this.tcpDone();
  }

  /** Free what the receive queue holds (the purge of tcp_close / inet_csk_destroy_sock). */
  private purgeRcvQ(): void {
    for (const c of this.rcvQ.drain()) this.rmemAlloc -= c.truesize;
  }

  /** Send RST (tcp_send_active_reset) and close, freeing unread data; `err` marks the socket reset for its user. */
  private abort(ctx: ExecContext | undefined, err: boolean): void {
    this.purgeRcvQ();
    if (ctx !== undefined) this.sendActiveReset(ctx);
    else {
      this.pendingRst = true;
      this.deferOutput();
    }
    if (err) this.softError = 'ECONNRESET';
    this.tcpDone();
  }

  private deferOutput(): void {
    this.tsqPush = true;
    if (this.tsqQueued) return;
    this.tsqQueued = true;
    this.stack.tsqSchedule(this, this.host.cpu(0));
  }

  private timewaitJiffies(): number {
    return Math.max(1, Math.ceil(TCP_TIMEWAIT_LEN_NS / this.host.tickNs));
  }

  private timeWait(): void {
    this.setState('TIME_WAIT');
    this.delackTimerObj?.del();
    this.ackPending = 0;
    this.resetXmitTimer('timewait', this.timewaitJiffies());
    this.readWq.wakeUp();
    this.writeWq.wakeUp();
  }

  // ---- path, MSS, windows ----------------------------------------------------------------

  private initPath(dev: NetDevice): void {
    this.routeDev = dev;
    this.pmtu = dev.mtu;
    this.advmss = Math.min(dev.mtu - IPV4_HLEN - TCP_HLEN, 65535 - IPV4_HLEN - TCP_HLEN);
    this.mssCache = this.mtuToMss(this.pmtu);
  }

  private initIss(): void {
    const rng = this.stack.rng;
    this.iss = rng.nextU32();
    this.sndUna = this.iss;
    this.sndNxt = this.iss + 1;
    this.writeSeq = this.iss + 1;
    this.sndSml = this.iss;
    this.sndWl1 = 0;
    this.cwndUsageSeq = this.sndNxt;
    this.rtt.rttSeq = this.sndNxt;
    this.tsOffset = rng.nextU32();
  }

  /** tcp_mtu_to_mss: MTU − IP − TCP header, clamped to the peer MSS, minus TCP options (bytes). */
  private mtuToMss(pmtu: number): number {
    let mss = pmtu - IPV4_HLEN - TCP_HLEN;
    if (mss > this.mssClamp) mss = this.mssClamp;
    mss = Math.max(mss, TCP_MIN_SND_MSS);
    return mss - (this.tcpHeaderLen - TCP_HLEN);
  }

  /** tcp_bound_to_half_wnd (bytes). */
  private boundToHalfWnd(size: number): number {
    const cutoff = this.maxWindow > TCP_MSS_DEFAULT ? Math.floor(this.maxWindow / 2) : this.maxWindow;
    if (cutoff > 0 && size > cutoff) return Math.max(cutoff, 68 - this.tcpHeaderLen);
    return size;
  }

  /** tcp_sync_mss with the current path MTU. */
  private syncMss(): void {
    this.mssCache = this.boundToHalfWnd(this.mtuToMss(this.pmtu));
  }

  /** tcp_xmit_size_goal: bytes a write skb holds (whole MSS multiples of the GSO size). */
  private sizeGoal(): number {
    const mss = this.mssCache;
    return mss * Math.max(1, Math.floor(this.boundToHalfWnd(GSO_MAX_PAYLOAD) / mss));
  }

  private winFromSpace(space: number): number {
    return Math.floor((space * this.scalingRatio) / RMEM_TO_WIN_DIV);
  }

  private spaceFromWin(win: number): number {
    return Math.floor((win * RMEM_TO_WIN_DIV) / this.scalingRatio);
  }

  /** tcp_space: the window the free receive memory allows (bytes). */
  private tcpSpace(): number {
    return this.winFromSpace(this.rcvbuf - this.rmemAlloc);
  }

  /** tcp_full_space (bytes). */
  private fullSpace(): number {
    return this.winFromSpace(this.rcvbuf);
  }

  /** tcp_receive_window: what is left of the last advertised window (bytes). */
  private receiveWindow(): number {
    return Math.max(0, this.rcvWup + this.rcvWnd - this.rcvNxt);
  }

  /** tcp_select_initial_window. */
  private selectInitialWindow(space0: number, mss: number, wscaleOk: boolean): void {
    const clamp = this.windowClamp === 0 ? 65535 * 2 ** TCP_MAX_WSCALE : this.windowClamp;
    let space = Math.min(clamp, Math.max(0, space0));
    if (space > mss) space = Math.floor(space / mss) * mss;
    this.rcvWnd = space;
    let ws = 0;
    if (wscaleOk) {
      const sysctl = this.stack.sysctl;
      const s = Math.min(Math.max(space, sysctl.tcpRmem[2], sysctl.rmemMax), clamp);
      ws = Math.min(Math.max(Math.floor(Math.log2(s)) - 15, 0), TCP_MAX_WSCALE);
    }
    this.rcvWscale = ws;
    this.windowClamp = Math.min(65535 * 2 ** ws, clamp);
  }

  /** tcp_init_buffer_space at ESTABLISHED. */
  private initBufferSpace(ctx: ExecContext): void {
    if (!this.sndbufLocked) this.sndbufExpand();
    this.rcvqTime = ctx.time;
    this.rcvqSeq = this.copiedSeq;
    const maxwin = this.fullSpace();
    if (this.windowClamp >= maxwin) {
      this.windowClamp = maxwin;
      if (maxwin > 4 * this.advmss) this.windowClamp = Math.max(maxwin - Math.floor(maxwin / 2 ** TCP_APP_WIN), 4 * this.advmss);
    }
    if (this.windowClamp > 2 * this.advmss && this.windowClamp + this.advmss > maxwin) this.windowClamp = Math.max(2 * this.advmss, maxwin - this.advmss);
    this.rcvSsthresh = Math.min(this.rcvSsthresh, this.windowClamp);
    this.rcvqSpace = Math.min(this.rcvSsthresh, this.rcvWnd, TCP_INIT_CWND * this.advmss);
  }

  /** tcp_sndbuf_expand: room for twice the cwnd of worst-case (one kmalloc per segment) skbs. */
  private sndbufExpand(): void {
    if (this.sndbufLocked) return;
    const perMss = roundupPowOfTwo(Math.max(this.mssClamp, this.mssCache) + MAX_TCP_HEADER + SKB_SHINFO_SIZE) + SKB_STRUCT_SIZE;
    const nr = Math.max(TCP_INIT_CWND, this.cwnd, this.reordering + 1);
    const sndmem = TCP_SNDBUF_EXPAND_FACTOR * nr * perMss;
    if (this.sndbuf < sndmem) this.sndbuf = Math.min(sndmem, this.stack.sysctl.tcpWmem[2]);
  }

  /** tcp_initialize_rcv_mss. */
  private initRcvMss(): void {
    let hint = Math.min(this.advmss, this.mssCache, Math.floor(this.rcvWnd / 2), TCP_MSS_DEFAULT);
    hint = Math.max(hint, TCP_MIN_MSS);
    this.rcvMss = hint;
  }

  /** __tcp_select_window: the window we can offer now (bytes, before scaling). */
  private selectWindowRaw(): number {
    let mss = this.rcvMss;
    let freeSpace = this.tcpSpace();
    const allowedSpace = this.fullSpace();
    const fullSpace = Math.min(this.windowClamp, allowedSpace);
    const unit = 2 ** this.rcvWscale;
    if (mss > fullSpace) {
      mss = fullSpace;
      if (mss <= 0) return 0;
    }
    freeSpace = Math.floor(Math.max(0, freeSpace) / unit) * unit;
    if (freeSpace < Math.floor(fullSpace / 2)) {
      this.quick = 0;
      if (this.stack.tcpMemoryPressure) this.adjustRcvSsthresh();
      if (freeSpace < Math.floor(allowedSpace / 16) || freeSpace < mss) return 0;
    }
    if (freeSpace > this.rcvSsthresh) freeSpace = this.rcvSsthresh;
    if (this.rcvWscale !== 0) return Math.ceil(freeSpace / unit) * unit;
    let window = this.rcvWnd;
    if (window <= freeSpace - mss || window > freeSpace) window = Math.floor(freeSpace / mss) * mss;
    else if (mss === fullSpace && freeSpace > window + Math.floor(fullSpace / 2)) window = freeSpace;
    return window;
  }

  /** tcp_select_window: the window field of an outgoing segment (scaled), never shrinking the offer. */
  private selectWindow(): number {
    const tcpExt = this.stack.tcpExt;
    const oldWin = this.rcvWnd;
    const unit = 2 ** this.rcvWscale;
    if ((this.ackPending & ACK_NOMEM) !== 0) {
      this.rcvWnd = 0;
      this.rcvWup = this.rcvNxt;
      if (oldWin !== 0) tcpExt.TCPToZeroWindowAdv++;
      return 0;
    }
    const curWin = this.receiveWindow();
    let newWin = this.selectWindowRaw();
    if (newWin < curWin) {
      if (newWin === 0) tcpExt.TCPWantZeroWindowAdv++;
      newWin = Math.ceil(curWin / unit) * unit;
    }
    this.rcvWnd = newWin;
    this.rcvWup = this.rcvNxt;
    newWin = Math.floor(Math.min(newWin, 65535 * unit) / unit);
    if (newWin === 0) {
      if (oldWin !== 0) tcpExt.TCPToZeroWindowAdv++;
    } else if (oldWin === 0) {
      tcpExt.TCPFromZeroWindowAdv++;
    }
    return newWin;
  }

  // ---- output ----------------------------------------------------------------------------

  private tsNow(ctx: ExecContext): number {
    return (Math.floor(ctx.time / 1e6) + this.tsOffset) >>> 0;
  }

  /** An skb from this socket to its peer with the current ACK, window and timestamps. */
  private makeSkb(seq: number, flags: number, payload: { readonly len: number; readonly data: Uint8Array | null; readonly truesize: number }, ctx: ExecContext): Skb {
    const hasAck = (flags & ACK) !== 0;
    const ack = hasAck ? this.rcvNxt >>> 0 : 0;
    const window = hasAck ? this.selectWindow() : 0;
    const h: TcpHeader = this.tsOk
      ? { kind: 'tcp', sport: this.lport, dport: this.rport, seq: seq >>> 0, ack, flags, window, tsval: this.tsNow(ctx), tsecr: this.tsRecent >>> 0 }
      : { kind: 'tcp', sport: this.lport, dport: this.rport, seq: seq >>> 0, ack, flags, window };
    return new Skb({
      ip: { src: this.laddr, dst: this.raddr, protocol: IPPROTO.TCP, id: 0, ttl: this.stack.sysctl.ipDefaultTtl, df: this.dontFragment(ctx), tos: 0 },
      l4: h,
      data: payload.data,
      payloadLen: payload.len,
      truesize: payload.truesize,
    });
  }

  /** ip_dont_fragment in __ip_queue_xmit: DF unless IP_PMTUDISC_DONT, or IP_PMTUDISC_WANT on a route whose MTU is locked. */
  private dontFragment(ctx: ExecContext): boolean {
    return this.pmtudisc === 'do' || (this.pmtudisc === 'want' && !this.stack.ipMtuLocked(this.raddr, ctx.time));
  }

  /**
   * tcp_v4_mtu_reduced: update the route's PMTU with the reported MTU (`inet_csk_update_pmtu`;
   * below `ip_rt_min_pmtu` this locks it, and DF goes). The reported MTU is the device's, which
   * the MSS already follows (`tcp_current_mss`), so `tcp_sync_mss` and `tcp_simple_retransmit`
   * have nothing to do: the unsent segment waits for the probe timer.
   */
  private mtuReduced(ctx: ExecContext): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN') return;
    this.stack.ipRtUpdatePmtu(this.raddr, this.mtuInfo, ctx.time);
  }

  /** truesize of a header-only skb from this socket (bytes). */
  private ctlTruesize(): number {
    return allocSkbTruesize(IPV4_HLEN + this.tcpHeaderLen);
  }

  /** __tcp_transmit_skb tail: ownership (tcp_wfree for data), flow hash, ooo_okay, ACK bookkeeping, IP output. */
  private xmit(skb: Skb, ctx: ExecContext, owned: boolean): IpXmit {
    skb.hash = this.txhash;
    skb.oooOkay = this.wmemAlloc === 0;
    if (owned) {
      skb.setOwner(this, this.wfreeFn);
      this.wmemAlloc += skb.truesize;
    } else {
      skb.setOwner(this, null);
    }
    if (((skb.l4 as TcpHeader).flags & ACK) !== 0) this.eventAckSent();
    this.segsOut++;
    return this.stack.ipOutput(skb, ctx);
  }

  /** tcp_wfree: an skb left the host (or was dropped); schedule the TSQ tasklet if output was throttled. */
  private wfree(skb: Skb, cpu: Cpu): void {
    this.wmemAlloc -= skb.truesize;
    if (this.tsqThrottled && !(this.tsqQueued && this.tsqPush)) {
      this.tsqThrottled = false;
      this.tsqPush = true;
      if (this.tsqQueued) return;
      this.tsqQueued = true;
      this.stack.tsqSchedule(this, cpu);
    }
  }

  /** tcp_pacing rate (bytes/s): 200 % (slow start) or 120 % of cwnd × MSS / srtt. */
  private pacingRate(): number {
    let rate = this.mssCache * 80_000;
    rate *= this.cwnd < this.ssthresh / 2 ? TCP_PACING_SS_RATIO : TCP_PACING_CA_RATIO;
    rate *= Math.max(this.cwnd, this.packetsOut);
    if (this.rtt.srttUs > 0) rate /= this.rtt.srttUs;
    return rate;
  }

  /** tcp_small_queue_check: true (and throttled) when enough of this socket already sits below TCP. */
  private tsqCheck(truesize: number, factor: number): boolean {
    let limit = Math.max(2 * truesize, Math.floor(this.pacingRate() / 2 ** TCP_PACING_SHIFT));
    limit = Math.min(limit, this.stack.sysctl.tcpLimitOutputBytes) * 2 ** factor;
    if (this.wmemAlloc > limit) {
      if (this.rtxQ.length <= 1) return false;
      this.tsqThrottled = true;
      return true;
    }
    return false;
  }

  /** tcp_event_ack_sent: an ACK went out (pure or piggybacked). */
  private eventAckSent(): void {
    if (this.quick > 0) {
      this.quick--;
      if (this.quick === 0) this.ato = this.to.atoMin;
    }
    this.ackPending = 0;
    if (this.delackTimerObj?.pending === true) this.delackTimerObj.del();
  }

  /** Transmit a data (or FIN) segment: costs, skb, IP output. */
  private transmitSeg(seg: TcpSeg, ctx: ExecContext): IpXmit {
    const costs = ctx.host.costs;
    let cost = costs.txPacket();
    if (seg.sendfile || this.stack.tcpTxChecksum === 'xmit') cost += costs.csum(this.tcpHeaderLen + seg.len);
    ctx.charge(cost);
    let flags = ACK;
    if (seg.fin) flags |= FIN;
    if (seg.seq + seg.len >= this.writeSeq - (this.finQueued ? 1 : 0)) flags |= PSH;
    const data = seg.bytes === null ? null : seg.bytes.length === seg.len ? seg.bytes : seg.bytes.subarray(0, seg.len);
    const skb = this.makeSkb(seg.seq, flags, { len: seg.len, data, truesize: seg.truesize }, ctx);
    seg.lastSkb = skb;
    seg.sentAt = ctx.time;
    return this.xmit(skb, ctx, true);
  }

  /** A local transmit failure (qdisc drop enters CWR; a route or MTU change re-reads the path). */
  private localXmitFail(rc: IpXmit): void {
    if (rc === 'drop') this.enterCwr();
    else if (rc === 'too-big' && this.routeDev !== null) this.onDeviceChange(this.routeDev);
  }

  /** tcp_send_ack. */
  private sendAck(ctx: ExecContext): void {
    if (this.state === 'CLOSED') return;
    ctx.charge(ctx.host.costs.ack());
    const seq = this.sndNxt <= this.sndUna + this.sndWnd ? this.sndNxt : this.sndUna + this.sndWnd;
    const skb = this.makeSkb(seq, ACK, { len: 0, data: null, truesize: this.ctlTruesize() }, ctx);
    this.stats.acksSent++;
    this.stack.snmp.Tcp.OutSegs++;
    this.xmit(skb, ctx, false);
  }

  /** tcp_send_active_reset: RST|ACK at snd_nxt. */
  private sendActiveReset(ctx: ExecContext): void {
    ctx.charge(ctx.host.costs.txPacket());
    const h: TcpHeader = { kind: 'tcp', sport: this.lport, dport: this.rport, seq: this.sndNxt >>> 0, ack: this.rcvNxt >>> 0, flags: RST | ACK, window: 0 };
    const skb = new Skb({ ip: { src: this.laddr, dst: this.raddr, protocol: IPPROTO.TCP, id: 0, ttl: this.stack.sysctl.ipDefaultTtl, df: this.dontFragment(ctx), tos: 0 }, l4: h });
    skb.hash = this.txhash;
    const mib = this.stack.snmp.Tcp;
    mib.OutRsts++;
    mib.OutSegs++;
    this.stack.ipOutput(skb, ctx);
  }

  /** tcp_send_syn_data / tcp_connect: the SYN with MSS, timestamps and window scale. */
  private sendSyn(ctx: ExecContext): void {
    const sysctl = this.stack.sysctl;
    ctx.charge(ctx.host.costs.txPacket());
    const h: TcpHeader = { kind: 'tcp', sport: this.lport, dport: this.rport, seq: this.iss >>> 0, ack: 0, flags: SYN, window: Math.min(this.rcvWnd, 65535), mss: this.advmss };
    if (sysctl.tcpTimestamps) {
      h.tsval = this.tsNow(ctx);
      h.tsecr = 0;
    }
    if (sysctl.tcpWindowScaling) h.wscale = this.rcvWscale;
    this.synSentAt = ctx.time;
    this.sendControl(h, ctx);
  }

  /** tcp_make_synack: the SYN-ACK answering the options the SYN carried. */
  private sendSynAck(ctx: ExecContext): void {
    ctx.charge(ctx.host.costs.txPacket());
    const h: TcpHeader = {
      kind: 'tcp',
      sport: this.lport,
      dport: this.rport,
      seq: this.iss >>> 0,
      ack: this.rcvNxt >>> 0,
      flags: SYN | ACK,
      window: Math.min(this.rcvWnd, 65535),
      mss: this.advmss,
    };
    if (this.tsOk) {
      h.tsval = this.tsNow(ctx);
      h.tsecr = this.tsRecent >>> 0;
    }
    if (this.wscaleOffered) h.wscale = this.rcvWscale;
    this.synSentAt = ctx.time;
    this.sendControl(h, ctx);
  }

  private sendControl(h: TcpHeader, ctx: ExecContext): void {
    const skb = new Skb({ ip: { src: this.laddr, dst: this.raddr, protocol: IPPROTO.TCP, id: 0, ttl: this.stack.sysctl.ipDefaultTtl, df: this.dontFragment(ctx), tos: 0 }, l4: h });
    this.stack.snmp.Tcp.OutSegs++;
    this.xmit(skb, ctx, false);
  }

  /** tcp_send_fin: FIN on the unsent tail skb, or a FIN-only skb; then push. */
  private sendFin(ctx: ExecContext): void {
    this.queueFin();
    this.pushPendingFrames(ctx, true);
  }

  private queueFin(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    const tail = this.writeQ.tail();
    if (tail !== undefined) tail.fin = true;
    else {
      const s = this.newSeg(this.writeSeq, 0, null, false);
      s.fin = true;
      this.writeQ.push(s);
    }
    this.writeSeq++;
  }

  private newSeg(seq: number, cap: number, bytes: Uint8Array | null, sendfile: boolean): TcpSeg {
    this.wmemQueued += TCP_SKB_OVERHEAD;
    return { seq, len: 0, fin: false, bytes, cap, sendfile, truesize: TCP_SKB_OVERHEAD, sentAt: 0, lost: false, retrans: false, everRetrans: false, lastSkb: null };
  }

  /** Split the first `len` bytes off `seg` into a new skb (tcp_fragment): the front goes out, `seg` keeps the rest. */
  private splitFront(seg: TcpSeg, len: number): TcpSeg {
    const front = this.newSeg(seg.seq, len, seg.bytes === null ? null : seg.bytes.subarray(0, len), seg.sendfile);
    front.len = len;
    front.truesize += len;
    this.wmemQueued += len;
    seg.seq += len;
    seg.len -= len;
    seg.cap -= len;
    seg.truesize -= len;
    this.wmemQueued -= len;
    if (seg.bytes !== null) seg.bytes = seg.bytes.subarray(len);
    return front;
  }

  /** Whether a Nagle/Minshall check holds a partial last segment (tcp_nagle_check). */
  private nagleHolds(): boolean {
    if (this.noDelay) return false;
    return this.packetsOut > 0 && this.sndSml > this.sndUna && this.sndSml <= this.sndNxt;
  }

  /**
   * tcp_write_xmit: send new segments while cwnd, the peer's window, Nagle and TSQ allow.
   * Returns true when nothing is in flight but data waits (arm the persist timer).
   */
  private writeXmit(ctx: ExecContext, pushOne: boolean, nagleOff: boolean): boolean {
    if (!SENDING.has(this.state)) return false;
    let sent = 0;
    let cwndLimited = false;
    const mss = this.mssCache;
    for (let head = this.writeQ.peek(); head !== undefined; head = this.writeQ.peek()) {
      if (this.packetsInFlight() >= this.cwnd) {
        cwndLimited = true;
        break;
      }
      const partial = head.len < mss;
      const end = head.len > mss ? head.seq + mss : segEnd(head);
      if (end > this.sndUna + this.sndWnd) {
        this.stats.rwndLimited++;
        break;
      }
      if (partial && !head.fin && this.writeQ.length === 1 && !nagleOff && this.nagleHolds()) break;
      const truesize = head.len > mss ? TCP_SKB_OVERHEAD + mss : head.truesize;
      if (this.tsqCheck(truesize, 0)) break;
      const seg = head.len > mss ? this.splitFront(head, mss) : head;
      const rc = this.transmitSeg(seg, ctx);
      if (rc !== 'success' && rc !== 'cn') {
        if (seg !== head) this.mergeFront(seg, head);
        this.localXmitFail(rc);
        break;
      }
      if (seg === head) this.writeQ.shift();
      this.eventNewDataSent(seg, mss);
      sent++;
      if (pushOne) break;
    }
    if (sent > 0 && (this.caState === 'cwr' || this.caState === 'recovery')) this.prrOut += sent;
    if (this.packetsInFlight() >= this.cwnd) cwndLimited = true;
    if (sent > 0 || cwndLimited) this.cwndValidate(cwndLimited);
    return this.packetsOut === 0 && this.writeQ.length > 0;
  }

  /** Undo `splitFront` after a failed transmit. */
  private mergeFront(front: TcpSeg, seg: TcpSeg): void {
    seg.seq = front.seq;
    seg.len += front.len;
    seg.cap += front.len;
    seg.truesize += front.len;
    this.wmemQueued -= TCP_SKB_OVERHEAD;
    if (seg.bytes !== null && front.bytes !== null) seg.bytes = new Uint8Array(front.bytes.buffer, front.bytes.byteOffset, front.len + seg.bytes.length);
  }

  /** tcp_event_new_data_sent (+ tcp_event_data_sent, tcp_minshall_update). */
  private eventNewDataSent(seg: TcpSeg, mss: number): void {
    if (this.packetsInFlight() === 0) this.cubic.txStart(this, this.lsndtime);
    this.lsndtime = this.host.jiffies;
    const prior = this.packetsOut;
    this.rtxQ.push(seg);
    this.sndNxt = segEnd(seg);
    this.packetsOut++;
    this.stack.tcpExt.TCPOrigDataSent++;
    this.stack.snmp.Tcp.OutSegs++;
    if (seg.len > 0) this.dataSegsOut++;
    this.bytesSent += seg.len;
    if (seg.len < mss) this.sndSml = segEnd(seg);
    if (prior === 0) this.rearmRto();
  }

  /** tcp_cwnd_validate: remember whether this flight was cwnd-limited. */
  private cwndValidate(isCwndLimited: boolean): void {
    if (this.sndUna >= this.cwndUsageSeq || isCwndLimited || (!this.cwndLimited && this.packetsOut > this.maxPacketsOut)) {
      this.cwndLimited = isCwndLimited;
      this.maxPacketsOut = this.packetsOut;
      this.cwndUsageSeq = this.sndNxt;
    }
  }

  /** __tcp_push_pending_frames: write what can go, then arm the persist timer if nothing flies. */
  private pushPendingFrames(ctx: ExecContext, nagleOff: boolean): void {
    if (this.writeQ.length === 0) return;
    if (this.writeXmit(ctx, false, nagleOff)) this.checkProbeTimer(ctx);
  }

  /** tcp_push after a write: autocork a small tail while earlier skbs still sit below TCP. */
  private push(ctx: ExecContext): void {
    const tail = this.writeQ.tail();
    if (tail === undefined) return;
    if (tail.len < this.sizeGoal() && !tail.fin && this.rtxQ.length > 0 && this.wmemAlloc > tail.truesize) {
      this.tsqThrottled = true;
      return;
    }
    this.pushPendingFrames(ctx, false);
  }

  /** tcp_sendmsg_locked. */
  private sendmsg(ctx: ExecContext, op: string, data: Uint8Array | number, sendfile: boolean): SendResult {
    this.checkOpen(op);
    const p = payloadOf(op, data);
    if (this.state !== 'ESTABLISHED' && this.state !== 'CLOSE_WAIT') {
      const err = this.takeError();
      if (err !== null) return { ok: false, errno: err };
      if (this.state === 'SYN_SENT' || this.state === 'SYN_RECV') return { ok: false, errno: 'EAGAIN' };
      return { ok: false, errno: 'EPIPE' };
    }
    if (this.softError !== null) return { ok: false, errno: this.takeError() ?? 'EPIPE' };
    if ((this.shutdownFlags & SEND_SHUTDOWN) !== 0) return { ok: false, errno: 'EPIPE' };
    if (p.len === 0) return { ok: true, bytes: 0 };
    const costs = ctx.host.costs;
    const goal = this.sizeGoal();
    const functional = p.bytes !== null;
    let copied = 0;
    while (copied < p.len) {
      let seg = this.writeQ.tail();
      const fresh = seg === undefined || seg.fin || seg.len >= Math.min(goal, seg.cap) || (seg.bytes !== null) !== functional || seg.sendfile !== sendfile;
      if (fresh) {
        if (this.wmemQueued >= this.sndbuf) break;
        if (!(this.writeQ.length === 0 && this.rtxQ.length === 0) && !this.memSchedule(TCP_SKB_OVERHEAD, 'send')) {
          this.memBlocked = true;
          break;
        }
      }
      const room = fresh || seg === undefined ? goal : Math.min(goal, seg.cap) - seg.len;
      const copy = this.wmemScheduleCopy(Math.min(room, p.len - copied), fresh ? TCP_SKB_OVERHEAD : 0);
      if (copy <= 0) {
        this.memBlocked = true;
        break;
      }
      if (fresh || seg === undefined) {
        ctx.charge(costs.skbAlloc());
        seg = this.newSeg(this.writeSeq, goal, functional ? new Uint8Array(goal) : null, sendfile);
        this.writeQ.push(seg);
      }
      if (p.bytes !== null && seg.bytes !== null) seg.bytes.set(p.bytes.subarray(copied, copied + copy), seg.len);
      if (!sendfile) ctx.charge(costs.userCopy(copy));
      seg.len += copy;
      seg.truesize += copy;
      this.wmemQueued += copy;
      this.writeSeq += copy;
      copied += copy;
      if (seg.len >= goal && seg === this.writeQ.peek()) this.writeXmit(ctx, true, true);
    }
    if (copied < p.len) this.nospace = true;
    if (copied === 0) return { ok: false, errno: 'EAGAIN' };
    this.push(ctx);
    return { ok: true, bytes: copied };
  }

  /** sk_stream_is_writeable: free send space at least half of what is queued (and no write waiting for the host's TCP memory). */
  private streamWriteable(): boolean {
    return !this.memBlocked && this.sndbuf - this.wmemQueued >= Math.floor(this.wmemQueued / 2);
  }

  /**
   * tcp_check_space / tcp_new_space: grow the send buffer (tcp_should_expand_sndbuf: not
   * locked, no memory pressure, the host below tcp_mem[0], cwnd not filled) and wake writers
   * after ACKs freed memory; a write waiting for TCP memory retries now (sk_stream_write_space).
   */
  private checkSpace(): void {
    if (!this.queueShrunk) return;
    this.queueShrunk = false;
    this.memBlocked = false;
    if (!this.nospace && this.writeWq.size === 0) return;
    const stack = this.stack;
    if (!this.sndbufLocked && !stack.tcpMemoryPressure && stack.tcpMemoryAllocated < stack.sysctl.tcpMem[0] && this.packetsInFlight() < this.cwnd) this.sndbufExpand();
    if (this.streamWriteable()) {
      this.nospace = false;
      this.writeWq.wakeUp(true);
    }
  }

  // ---- timers ----------------------------------------------------------------------------

  private xmitTimer(): Timer {
    this.xmitTimerObj ??= this.host.createTimer(`tcp-xmit:${this.lport}`, (ctx) => this.onXmitTimer(ctx));
    return this.xmitTimerObj;
  }

  private delackTimer(): Timer {
    this.delackTimerObj ??= this.host.createTimer(`tcp-delack:${this.lport}`, (ctx) => this.onDelackTimer(ctx));
    return this.delackTimerObj;
  }

  /** inet_csk_reset_xmit_timer: one timer for SYN, RTO, persist and TIME_WAIT (jiffies from now). */
  private resetXmitTimer(kind: XmitKind, when: number, on?: ExecContext): void {
    this.xmitKind = kind;
    const exp = this.host.jiffies + Math.max(1, Math.min(when, this.to.rtoMax));
    this.xmitExpires = exp;
    const t = this.xmitTimer();
    if (!t.pending || t.expires > exp) t.mod(exp, on);
  }

  private clearXmitTimer(): void {
    this.xmitKind = null;
    this.xmitTimerObj?.del();
  }

  /** tcp_rearm_rto. */
  private rearmRto(): void {
    if (this.packetsOut === 0) {
      if (this.xmitKind === 'retrans') this.clearXmitTimer();
      return;
    }
    this.resetXmitTimer('retrans', this.rto);
  }

  private onXmitTimer(ctx: ExecContext): void {
    const kind = this.xmitKind;
    if (kind === null) return;
    if (this.host.jiffies < this.xmitExpires) {
      this.xmitTimer().mod(this.xmitExpires, ctx);
      return;
    }
    this.xmitKind = null;
    switch (kind) {
      case 'syn':
        this.synTimeout(ctx);
        return;
      case 'synack':
        this.synackTimeout(ctx);
        return;
      case 'retrans':
        this.retransmitTimer(ctx);
        return;
      case 'probe0':
        this.probeTimer(ctx);
        return;
      case 'timewait':
        if (this.state === 'TIME_WAIT' || this.state === 'FIN_WAIT2') this.tcpDone();
        return;
    }
  }

  private synTimeout(ctx: ExecContext): void {
    if (this.state !== 'SYN_SENT') return;
    const stack = this.stack;
    stack.tcpExt.TCPTimeouts++;
    if (this.synRetrans >= stack.sysctl.tcpSynRetries) {
      this.writeErr();
      return;
    }
    this.synRetrans++;
    this.retransmits++;
    this.totalRetrans++;
    stack.tcpExt.TCPSynRetrans++;
    stack.snmp.Tcp.RetransSegs++;
    this.sendSyn(ctx);
    this.backoff++;
    this.rto = Math.min(this.rto * 2, this.to.rtoMax);
    this.resetXmitTimer('syn', this.rto, ctx);
  }

  private synackTimeout(ctx: ExecContext): void {
    if (this.state !== 'SYN_RECV') return;
    const stack = this.stack;
    if (this.synRetrans >= stack.sysctl.tcpSynackRetries) {
      this.tcpDone();
      return;
    }
    this.synRetrans++;
    this.totalRetrans++;
    stack.tcpExt.TCPSynRetrans++;
    stack.snmp.Tcp.RetransSegs++;
    this.sendSynAck(ctx);
    this.resetXmitTimer('synack', Math.min(this.to.timeoutInit * 2 ** this.synRetrans, this.to.rtoMax), ctx);
  }

  /** retransmits_timed_out: time since the first retransmission against tcp_model_timeout(boundary). */
  private retransmitsTimedOut(boundary: number, ctx: ExecContext): boolean {
    if (this.retransmits === 0 || this.retransStamp === 0) return false;
    const timeoutNs = tcpModelTimeout(boundary, this.to.rtoMin, this.to.rtoMax) * this.host.tickNs;
    return ctx.time - this.retransStamp >= timeoutNs;
  }

  /**
   * tcp_retransmit_timer: RTO. Only local congestion (a qdisc drop, NET_XMIT_DROP) rearms in
   * TCP_RESOURCE_PROBE_INTERVAL without backing off; any other failure — the head still in the
   * host queue (-EBUSY), beyond the peer's window, no route — backs off like a sent retransmit.
   */
  private retransmitTimer(ctx: ExecContext): void {
    if (this.packetsOut === 0 || !SENDING.has(this.state)) return;
    const stack = this.stack;
    stack.tcpExt.TCPTimeouts++;
    this.stats.timeouts++;
    if (this.retransStamp === 0) this.retransStamp = ctx.time;
    if (this.retransmitsTimedOut(stack.sysctl.tcpRetries2, ctx)) {
      this.writeErr();
      return;
    }
    if (stack.sysctl.txrehash) {
      this.txhash = stack.rng.nextU32() || 1;
      stack.tcpExt.TCPTimeoutRehash++;
    }
    this.enterLoss();
    this.retransmits++;
    const head = this.rtxQ.peek();
    const rc = head === undefined ? 'fail' : this.retransmitSeg(0, head, ctx);
    if (rc === 'drop') {
      this.resetXmitTimer('retrans', this.to.resourceProbe, ctx);
      return;
    }
    this.backoff++;
    this.rto = Math.min(this.rto * 2, this.to.rtoMax);
    this.resetXmitTimer('retrans', this.rto, ctx);
  }

  /** tcp_write_err: the connection timed out; the user sees the soft error of an ICMP report, else ETIMEDOUT (sk_err), and the socket is done. */
  private writeErr(): void {
    this.softError = this.errSoft ?? 'ETIMEDOUT';
    this.stack.tcpExt.TCPAbortOnTimeout++;
    this.tcpDone();
  }

  /**
   * tcp_probe_timer: the persist timer while nothing is in flight and the head waits (a closed
   * peer window, or a transmit that failed locally). After `tcp_retries2` unanswered probes —
   * for an orphan, `tcp_orphan_retries` (8 while the backed-off RTO is below TCP_RTO_MAX, else
   * at once) — the connection is aborted (tcp_write_err).
   */
  private probeTimer(ctx: ExecContext): void {
    if (this.packetsOut > 0 || this.writeQ.length === 0 || !SENDING.has(this.state)) {
      this.probesOut = 0;
      return;
    }
    let maxProbes = this.stack.sysctl.tcpRetries2;
    if (this.userClosed) {
      const alive = Math.min(this.rto * 2 ** this.backoff, this.to.rtoMax) < this.to.rtoMax;
      maxProbes = alive ? TCP_ORPHAN_RETRIES_ALIVE : 0;
      if (!alive && this.backoff >= maxProbes) {
        this.writeErr();
        return;
      }
    }
    if (this.probesOut >= maxProbes) this.writeErr();
    else this.sendProbe0(ctx);
  }

  /**
   * tcp_send_probe0: send what the window allows of the head, or a zero-window probe; rearm
   * with exponential backoff, unless the transmit met local congestion (a qdisc drop: retry in
   * TCP_RESOURCE_PROBE_INTERVAL). A transmit refused outright (too big for DF, no route) backs
   * off like an unanswered probe.
   */
  private sendProbe0(ctx: ExecContext): void {
    const rc = this.writeWakeup(ctx);
    if (this.packetsOut > 0 || this.writeQ.length === 0) {
      this.probesOut = 0;
      this.backoff = 0;
      return;
    }
    this.probesOut++;
    let timeout: number;
    if (rc !== 'drop') {
      if (this.backoff < this.stack.sysctl.tcpRetries2) this.backoff++;
      timeout = this.probe0When();
    } else {
      timeout = this.to.resourceProbe;
    }
    this.resetXmitTimer('probe0', timeout, ctx);
  }

  private probe0When(): number {
    return Math.min(Math.max(this.rto, this.to.rtoMin) * 2 ** this.backoff, this.to.rtoMax);
  }

  /** tcp_write_wakeup: send what fits of the head in the window, or a zero-window probe; the IP output's result. */
  private writeWakeup(ctx: ExecContext): IpXmit {
    const head = this.writeQ.peek();
    const wndEnd = this.sndUna + this.sndWnd;
    if (head !== undefined && head.seq < wndEnd) {
      const mss = this.mssCache;
      const segSize = Math.min(wndEnd - head.seq, mss);
      const seg = head.len > segSize ? this.splitFront(head, segSize) : head;
      const rc = this.transmitSeg(seg, ctx);
      if (rc !== 'success' && rc !== 'cn') {
        if (seg !== head) this.mergeFront(seg, head);
        this.localXmitFail(rc);
        return rc;
      }
      if (seg === head) this.writeQ.shift();
      this.eventNewDataSent(seg, mss);
      return rc;
    }
    ctx.charge(ctx.host.costs.ack());
    const skb = this.makeSkb(this.sndUna - 1, ACK, { len: 0, data: null, truesize: this.ctlTruesize() }, ctx);
    this.stack.tcpExt.TCPWinProbe++;
    this.stack.snmp.Tcp.OutSegs++;
    return this.xmit(skb, ctx, false);
  }

  /** tcp_check_probe_timer. */
  private checkProbeTimer(ctx: ExecContext): void {
    if (this.packetsOut === 0 && this.xmitKind === null) this.resetXmitTimer('probe0', Math.max(this.rto, this.to.rtoMin), ctx);
  }

  /** tcp_ack_probe: an ACK arrived with nothing in flight. */
  private ackProbe(ctx: ExecContext): void {
    const head = this.writeQ.peek();
    if (head === undefined) return;
    const end = Math.min(segEnd(head), head.seq + this.mssCache);
    if (end <= this.sndUna + this.sndWnd) {
      this.backoff = 0;
      this.probesOut = 0;
      if (this.xmitKind === 'probe0') this.clearXmitTimer();
    } else {
      this.resetXmitTimer('probe0', this.probe0When(), ctx);
    }
  }

  /** tcp_send_delayed_ack. */
  private sendDelayedAck(ctx: ExecContext): void {
    let ato = this.ato;
    const to = this.to;
    if (ato > to.atoMin) {
      let maxAto = Math.floor(this.hzValue / 2);
      if ((this.ackPending & ACK_PUSHED) !== 0) maxAto = to.delackMax;
      if (this.rtt.srttUs > 0) {
        const rtt = Math.max(this.host.usecsToJiffies(this.rtt.srtt), to.atoMin);
        if (rtt < maxAto) maxAto = rtt;
      }
      ato = Math.min(ato, maxAto);
    }
    ato = Math.min(ato, to.delackMax);
    const now = this.host.jiffies;
    let timeout = now + ato;
    if ((this.ackPending & ACK_TIMER) !== 0) {
      if (this.ackTimeout <= now + Math.floor(ato / 4)) {
        this.sendAck(ctx);
        return;
      }
      if (timeout >= this.ackTimeout) timeout = this.ackTimeout;
    }
    this.ackPending |= ACK_SCHED | ACK_TIMER;
    this.ackTimeout = timeout;
    const t = this.delackTimer();
    if (!t.pending || t.expires > timeout) t.mod(timeout, ctx);
  }

  /** tcp_delack_timer_handler. */
  private onDelackTimer(ctx: ExecContext): void {
    if ((this.ackPending & ACK_TIMER) === 0 || this.state === 'CLOSED') return;
    if (this.ackTimeout > this.host.jiffies) {
      this.delackTimer().mod(this.ackTimeout, ctx);
      return;
    }
    this.ackPending &= ~ACK_TIMER;
    if ((this.ackPending & ACK_SCHED) !== 0) {
      this.ato = Math.min(this.ato * 2, this.rto);
      this.stats.delayedAcks++;
      this.stack.tcpExt.DelayedACKs++;
      this.sendAck(ctx);
    }
  }

  // ---- congestion control and loss recovery ----------------------------------------------

  /** tcp_packets_in_flight. */
  private packetsInFlight(): number {
    return this.packetsOut - (this.sackedOut + this.lostOut) + this.retransOut;
  }

  private setCaState(s: TcpCaState): void {
    if (s === 'loss') this.cubic.onLoss();
    this.caState = s;
  }

  private anyRetransDone(): boolean {
    if (this.retransOut > 0) return true;
    return this.rtxQ.peek()?.everRetrans === true;
  }

  /** tcp_init_cwnd_reduction. */
  private initCwndReduction(): void {
    this.highSeq = this.sndNxt;
    this.cwndCnt = 0;
    this.priorCwnd = this.cwnd;
    this.prrDelivered = 0;
    this.prrOut = 0;
    this.ssthresh = this.cubic.ssthresh(this);
  }

  /** tcp_end_cwnd_reduction. */
  private endCwndReduction(): void {
    if (this.caState === 'cwr' || this.ssthresh < TCP_INFINITE_SSTHRESH) this.cwnd = this.ssthresh;
  }

  /** tcp_cwnd_reduction: proportional rate reduction (RFC 6937). */
  private cwndReduction(newlyAckedSacked: number, newlyLost: number, flag: number): void {
    if (newlyAckedSacked <= 0 || this.priorCwnd === 0) return;
    this.prrDelivered += newlyAckedSacked;
    const delta = this.ssthresh - this.packetsInFlight();
    let sndcnt: number;
    if (delta < 0) {
      sndcnt = Math.floor((this.ssthresh * this.prrDelivered + this.priorCwnd - 1) / this.priorCwnd) - this.prrOut;
    } else {
      sndcnt = Math.max(this.prrDelivered - this.prrOut, newlyAckedSacked);
      if ((flag & FLAG_SND_UNA_ADVANCED) !== 0 && newlyLost === 0) sndcnt++;
      sndcnt = Math.min(delta, sndcnt);
    }
    sndcnt = Math.max(sndcnt, this.prrOut > 0 ? 0 : 1);
    this.cwnd = this.packetsInFlight() + sndcnt;
  }

  /** tcp_enter_cwr: a local drop; reduce cwnd once per window. */
  private enterCwr(): void {
    if (CA_ORDER[this.caState] < CA_ORDER.cwr) {
      this.initCwndReduction();
      this.setCaState('cwr');
      this.stack.tcpExt.TCPCwr++;
    }
  }

  /** tcp_enter_recovery (Reno). */
  private enterRecovery(): void {
    this.stack.tcpExt.TCPRenoRecovery++;
    this.stats.recoveries++;
    if (this.caState !== 'cwr' && this.caState !== 'recovery') this.initCwndReduction();
    this.setCaState('recovery');
  }

  /** tcp_enter_loss: the RTO fired; everything outstanding is lost, cwnd restarts at 1. */
  private enterLoss(): void {
    this.sackedOut = 0;
    for (let i = 0; i < this.rtxQ.length; i++) {
      const s = this.rtxQ.at(i) as TcpSeg;
      if (s.retrans) {
        s.retrans = false;
        this.retransOut--;
      }
      if (!s.lost) {
        s.lost = true;
        this.lostOut++;
        this.lostTotal++;
      }
    }
    this.rtxHint = 0;
    if (CA_ORDER[this.caState] <= CA_ORDER.disorder || this.highSeq <= this.sndUna || (this.caState === 'loss' && this.retransmits === 0)) {
      this.priorCwnd = this.cwnd;
      this.ssthresh = this.cubic.ssthresh(this);
    }
    this.cwnd = this.packetsInFlight() + 1;
    this.cwndCnt = 0;
    this.setCaState('loss');
    this.highSeq = this.sndNxt;
  }

  /** tcp_add_reno_sack: duplicate ACKs stand for segments that left the network. */
  private addRenoSack(n: number): void {
    if (n === 0) return;
    const prior = this.sackedOut;
    this.sackedOut += n;
    const holes = Math.min(Math.max(this.lostOut, 1), this.packetsOut);
    if (this.sackedOut + holes > this.packetsOut) {
      this.sackedOut = Math.max(0, this.packetsOut - holes);
      this.reordering = Math.min(this.packetsOut, TCP_MAX_REORDERING);
    }
    const d = this.sackedOut - prior;
    if (d > 0) this.delivered += d;
  }

  /** tcp_remove_reno_sacks: a cumulative ACK of `acked` segments. */
  private removeRenoSacks(acked: number): void {
    if (acked <= 0) return;
    this.delivered += Math.max(acked - this.sackedOut, 1);
    if (acked - 1 >= this.sackedOut) this.sackedOut = 0;
    else this.sackedOut -= acked - 1;
  }

  /** tcp_newreno_mark_lost: the head is lost after `reordering` dupacks, or after a partial ACK in Recovery. */
  private newrenoMarkLost(unaAdvanced: boolean): void {
    const st = this.caState;
    if ((CA_ORDER[st] < CA_ORDER.recovery && this.sackedOut >= this.reordering) || (st === 'recovery' && unaAdvanced)) {
      const head = this.rtxQ.peek();
      if (head === undefined || head.lost) return;
      head.lost = true;
      this.lostOut++;
      this.lostTotal++;
      this.rtxHint = 0;
    }
  }

  /** tcp_try_undo_recovery without undo: leave Recovery/Loss once above high_seq (Reno holds at high_seq). */
  private tryUndoRecovery(): boolean {
    if (this.sndUna === this.highSeq) {
      if (!this.anyRetransDone()) this.retransStamp = 0;
      return true;
    }
    this.setCaState('open');
    return false;
  }

  /** tcp_try_to_open / tcp_try_keep_open. */
  private tryToOpen(): void {
    if (!this.anyRetransDone()) this.retransStamp = 0;
    if (this.caState === 'cwr') return;
    const st: TcpCaState = this.sackedOut + this.lostOut > 0 || this.anyRetransDone() ? 'disorder' : 'open';
    if (this.caState !== st) {
      this.setCaState(st);
      this.highSeq = this.sndNxt;
    }
  }

  /** tcp_fastretrans_alert for a non-SACK flow; true when lost segments should be retransmitted. */
  private fastretransAlert(numDupack: number, flag: number): boolean {
    const advanced = (flag & FLAG_SND_UNA_ADVANCED) !== 0;
    if (this.packetsOut === 0 && this.sackedOut > 0) this.sackedOut = 0;
    if (this.caState !== 'open' && this.sndUna >= this.highSeq) {
      if (this.caState === 'cwr') {
        if (this.sndUna !== this.highSeq) {
          this.endCwndReduction();
          this.setCaState('open');
        }
      } else if (this.caState === 'recovery') {
        this.sackedOut = 0;
        if (this.tryUndoRecovery()) return false;
        this.endCwndReduction();
      }
    }
    if (this.caState === 'recovery') {
      if (!advanced) this.addRenoSack(numDupack);
      this.newrenoMarkLost(advanced);
      return true;
    }
    if (this.caState === 'loss') {
      const recovered = this.sndUna >= this.highSeq;
      if (recovered) this.tryUndoRecovery();
      else {
        if (this.sndNxt > this.highSeq && numDupack > 0) this.addRenoSack(numDupack);
        else if (advanced) this.sackedOut = 0;
        return true;
      }
      if ((this.caState as TcpCaState) !== 'open') return false;
    }
    if (advanced) this.sackedOut = 0;
    this.addRenoSack(numDupack);
    this.newrenoMarkLost(advanced);
    if (this.lostOut === 0) {
      this.tryToOpen();
      return false;
    }
    this.enterRecovery();
    return true;
  }

  /** tcp_xmit_retransmit_queue: retransmit lost segments as cwnd allows. */
  private xmitRetransmitQueue(ctx: ExecContext): void {
    if (this.packetsOut === 0) return;
    const tcpExt = this.stack.tcpExt;
    let rearm = false;
    let i = Math.max(0, this.rtxHint);
    for (; i < this.rtxQ.length; i++) {
      if (this.retransOut >= this.lostOut) break;
      if (this.cwnd - this.packetsInFlight() <= 0) break;
      const s = this.rtxQ.at(i) as TcpSeg;
      if (!s.lost || s.retrans) continue;
      if (this.tsqCheck(s.truesize, 1)) break;
      if (this.retransmitSeg(i, s, ctx) !== 'ok') break;
      if (this.caState !== 'loss') {
        tcpExt.TCPFastRetrans++;
        this.stats.fastRetrans++;
      } else {
        tcpExt.TCPSlowStartRetrans++;
      }
      if (this.caState === 'cwr' || this.caState === 'recovery') this.prrOut++;
      if (i === 0) rearm = true;
    }
    this.rtxHint = i;
    if (rearm) this.resetXmitTimer('retrans', this.rto, ctx);
  }

  /** __tcp_retransmit_skb: retransmit the segment at rtx queue position `i`. */
  private retransmitSeg(i: number, s: TcpSeg, ctx: ExecContext): RetransResult {
    const stack = this.stack;
    if (s.lastSkb !== null && !s.lastSkb.isFreed) {
      stack.tcpExt.TCPSpuriousRtxHostQueues++;
      this.tsqThrottled = true;
      return 'busy';
    }
    if (s.seq < this.sndUna) {
      const trim = Math.min(this.sndUna - s.seq, s.len);
      s.seq += trim;
      s.len -= trim;
      s.cap = Math.max(0, s.cap - trim);
      s.truesize -= trim;
      this.wmemQueued -= trim;
      if (s.bytes !== null) s.bytes = s.bytes.subarray(trim);
    }
    if (s.seq >= this.sndUna + this.sndWnd && s.seq !== this.sndUna) return 'busy';
    const mss = this.mssCache;
    if (s.len > mss) this.splitInRtx(i, s, mss);
    const rc = this.transmitSeg(s, ctx);
    if (rc !== 'success' && rc !== 'cn') {
      stack.tcpExt.TCPRetransFail++;
      return rc === 'drop' ? 'drop' : 'fail';
    }
    if (!s.retrans) {
      s.retrans = true;
      this.retransOut++;
    }
    s.everRetrans = true;
    this.totalRetrans++;
    this.bytesRetrans += s.len;
    stack.snmp.Tcp.RetransSegs++;
    if (this.retransStamp === 0) this.retransStamp = ctx.time;
    return 'ok';
  }

  /** tcp_fragment in the retransmit queue (after the MSS shrank). */
  private splitInRtx(i: number, s: TcpSeg, mss: number): void {
    const rest = this.newSeg(s.seq + mss, s.len - mss, s.bytes === null ? null : s.bytes.subarray(mss), s.sendfile);
    rest.len = s.len - mss;
    rest.fin = s.fin;
    rest.truesize += rest.len;
    rest.lost = s.lost;
    rest.everRetrans = s.everRetrans;
    rest.sentAt = s.sentAt;
    s.fin = false;
    s.len = mss;
    s.cap = mss;
    s.truesize -= rest.len;
    if (s.bytes !== null) s.bytes = s.bytes.subarray(0, mss);
    this.rtxQ.insertAfter(i, rest);
    this.packetsOut++;
    if (rest.lost) {
      this.lostOut++;
      this.lostTotal++;
    }
  }

  // ---- RTT ------------------------------------------------------------------------------

  /** tcp_set_rto. */
  private setRto(): void {
    const rtoUs = this.rtt.rtoUs();
    this.rto = Math.min(this.host.usecsToJiffies(rtoUs), this.to.rtoMax);
  }

  /** tcp_rtt_tsopt_us: RTT from the echoed timestamp (ms resolution, at least 1 ms), or -1. */
  private tsoptRttUs(ctx: ExecContext): number {
    if (!this.tsOk || this.sawTsecr === 0) return -1;
    let delta = (this.tsNow(ctx) - this.sawTsecr) >>> 0;
    if (delta >= 0x7fffffff / 1000) return -1;
    if (delta === 0) delta = 1;
    return delta * 1000;
  }

  /** tcp_ack_update_rtt; returns the RTT sample for congestion control (µs) or -1. */
  private ackUpdateRtt(flag: number, seqRtt0: number, caRtt0: number, ctx: ExecContext): number {
    let seqRtt = seqRtt0;
    let caRtt = caRtt0;
    if (seqRtt < 0 && (flag & FLAG_ACKED) !== 0) {
      seqRtt = this.tsoptRttUs(ctx);
      caRtt = seqRtt;
    }
    if (seqRtt < 0) return caRtt;
    this.rtt.updateMin(caRtt);
    this.rtt.sample(seqRtt, this.sndUna, this.sndNxt);
    this.setRto();
    this.backoff = 0;
    return caRtt;
  }

  // ---- input: ACK processing -------------------------------------------------------------

  /** tcp_clean_rtx_queue: drop fully acknowledged segments; returns the ACK flags it adds. */
  private cleanRtxQueue(ack: number, ctx: ExecContext): number {
    let flag = 0;
    let pkts = 0;
    let firstAckt = -1;
    let lastAckt = -1;
    for (let s = this.rtxQ.peek(); s !== undefined && segEnd(s) <= ack; s = this.rtxQ.peek()) {
      if (s.everRetrans) flag |= FLAG_RETRANS_DATA_ACKED;
      else {
        if (firstAckt < 0) firstAckt = s.sentAt;
        lastAckt = s.sentAt;
      }
      if (s.retrans) this.retransOut--;
      if (s.lost) this.lostOut--;
      this.packetsOut--;
      pkts++;
      this.wmemQueued -= s.truesize;
      this.rtxQ.shift();
      if (this.rtxHint > 0) this.rtxHint--;
    }
    if (pkts === 0) return 0;
    flag |= FLAG_DATA_ACKED;
    this.queueShrunk = true;
    this.removeRenoSacks(pkts);
    let seqRtt = -1;
    let caRtt = -1;
    if (firstAckt >= 0 && (flag & FLAG_RETRANS_DATA_ACKED) === 0) {
      seqRtt = Math.max(0, Math.floor((ctx.time - firstAckt) / 1000));
      caRtt = Math.max(0, Math.floor((ctx.time - lastAckt) / 1000));
    }
    const rtt = this.ackUpdateRtt(flag, seqRtt, caRtt, ctx);
    this.cubic.pktsAcked(this, rtt);
    if (!this.anyRetransDone()) this.retransStamp = 0;
    return flag;
  }

  /** tcp_ack: -1 invalid (discard the segment), 0 old (ignored), 1 processed. */
  private processAck(h: TcpHeader, seq: number, len: number, ctx: ExecContext): number {
    const ack = unwrapSeq(h.ack, this.sndUna);
    const priorSndUna = this.sndUna;
    if (ack > this.sndNxt) return -1;
    if (ack < priorSndUna) {
      if (ack < priorSndUna - this.maxWindow) {
        this.sendAck(ctx);
        return -1;
      }
      return 0;
    }
    let flag = len > 0 ? FLAG_DATA : 0;
    const priorPackets = this.packetsOut;
    const priorDelivered = this.delivered;
    const priorLost = this.lostTotal;
    const nwin = h.window * 2 ** this.sndWscale;
    if (len === 0) {
      // Header prediction (tcp_rcv_established): an ACK-only segment in sequence with the window
      // last taken, while the fast path is on (no out-of-order data, an open receive window,
      // receive memory under the buffer), goes to tcp_ack without FLAG_SLOWPATH, which counts
      // it in TCPHPAcks when it advances snd_una; any other pure ACK counts in TCPPureAcks.
      const fast = (h.flags & ~(ACK | PSH)) === 0 && seq === this.rcvNxt && nwin === this.sndWnd && this.ofo.length === 0 && this.rcvWnd > 0 && this.rmemAlloc < this.rcvbuf && ack > priorSndUna;
      if (fast) this.stack.tcpExt.TCPHPAcks++;
      else this.stack.tcpExt.TCPPureAcks++;
    }
    if (ack > this.sndUna || seq > this.sndWl1 || (seq === this.sndWl1 && (nwin > this.sndWnd || nwin === 0))) {
      flag |= FLAG_WIN_UPDATE;
      this.sndWl1 = seq;
      if (this.sndWnd !== nwin) {
        this.sndWnd = nwin;
        if (nwin > this.maxWindow) {
          this.maxWindow = nwin;
          this.syncMss();
        }
      }
    }
    if (ack > priorSndUna) {
      flag |= FLAG_SND_UNA_ADVANCED;
      this.retransmits = 0;
      this.bytesAcked += ack - priorSndUna;
    }
    this.sndUna = ack;
    if (priorPackets === 0) {
      this.ackProbe(ctx);
      return 1;
    }
    // Data was sent and acknowledged: forget any soft error (sk_err_soft = 0).
    this.errSoft = null;
    flag |= this.cleanRtxQueue(ack, ctx);
    let numDupack = 0;
    if ((flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP)) === 0) numDupack = 1;
    let rexmit = false;
    if ((flag & FLAG_NOT_DUP) === 0 || this.caState !== 'open') rexmit = this.fastretransAlert(numDupack, flag);
    if ((flag & FLAG_ACKED) !== 0) this.rearmRto();
    // sk_dst_confirm on forward progress (or a pure duplicate): the neighbour is alive.
    if (((flag & FLAG_ACKED) !== 0 || (flag & FLAG_NOT_DUP) === 0) && this.routeDev !== null) this.stack.arp.confirm(this.routeDev, this.raddr);
    const delivered = this.delivered - priorDelivered;
    this.stack.tcpExt.TCPDelivered += delivered;
    if (this.caState === 'cwr' || this.caState === 'recovery') this.cwndReduction(delivered, this.lostTotal - priorLost, flag);
    else if ((flag & FLAG_DATA_ACKED) !== 0) this.cubic.congAvoid(this, delivered);
    if (rexmit) this.xmitRetransmitQueue(ctx);
    return 1;
  }

  // ---- input: receive path ---------------------------------------------------------------

  /** tcp_rcv_state_process / tcp_rcv_established for the synchronized states. */
  private stateRcv(skb: Skb, h: TcpHeader, ctx: ExecContext): void {
    const flags = h.flags;
    const seq = unwrapSeq(h.seq, this.rcvNxt);
    const len = skb.payloadLen;
    const end = seq + len + ((flags & FIN) !== 0 ? 1 : 0);
    if (end < this.rcvWup || seq > this.rcvNxt + this.receiveWindow()) {
      if ((flags & RST) === 0) this.sendDupack(seq, end, ctx);
      return;
    }
    if ((flags & RST) !== 0) {
      if (seq === this.rcvNxt) this.tcpReset();
      else this.sendAck(ctx);
      return;
    }
    if ((flags & SYN) !== 0) {
      this.sendAck(ctx);
      return;
    }
    if ((flags & ACK) === 0) return;
    if (this.tsOk && h.tsval !== undefined) {
      if (seq <= this.rcvWup) this.tsRecent = h.tsval;
      this.sawTsecr = h.tsecr ?? 0;
    }
    if (this.processAck(h, seq, len, ctx) < 0) return;
    if (this.finQueued && this.sndUna === this.writeSeq) {
      if (this.state === 'FIN_WAIT1') {
        this.setState('FIN_WAIT2');
        this.writeWq.wakeUp();
        if (this.userClosed) this.resetXmitTimer('timewait', this.timewaitJiffies(), ctx);
      } else if (this.state === 'CLOSING') {
        this.timeWait();
        return;
      } else if (this.state === 'LAST_ACK') {
        this.tcpDone();
        return;
      }
    }
    const st = this.state;
    if (st === 'CLOSE_WAIT' || st === 'CLOSING' || st === 'LAST_ACK') {
      if (seq < this.rcvNxt) this.dataQueue(skb, h, seq, ctx);
    } else if (st === 'FIN_WAIT1' || st === 'FIN_WAIT2') {
      if ((this.shutdownFlags & RCV_SHUTDOWN) !== 0 && len > 0 && seq + len > this.rcvNxt) {
        this.stack.tcpExt.TCPAbortOnData++;
        this.tcpReset();
        return;
      }
      this.dataQueue(skb, h, seq, ctx);
    } else if (st === 'ESTABLISHED') {
      this.dataQueue(skb, h, seq, ctx);
    }
    if (SENDING.has(this.state)) {
      this.pushPendingFrames(ctx, false);
      this.checkSpace();
    }
    this.ackSndCheck(ctx);
  }

  /** tcp_send_dupack for an out-of-window segment. */
  private sendDupack(seq: number, end: number, ctx: ExecContext): void {
    if (end !== seq && seq < this.rcvNxt) {
      this.stack.tcpExt.DelayedACKLost++;
      this.enterQuickackMode();
    }
    this.sendAck(ctx);
  }

  /** tcp_incr_quickack. */
  private incrQuickack(max: number): void {
    let q = Math.floor(this.rcvWnd / (2 * this.rcvMss));
    if (q === 0) q = 2;
    q = Math.min(q, max);
    if (q > this.quick) this.quick = q;
  }

  /** tcp_enter_quickack_mode. */
  private enterQuickackMode(): void {
    this.incrQuickack(TCP_MAX_QUICKACKS);
    this.ato = this.to.atoMin;
  }

  private outOfWindow(): void {
    this.enterQuickackMode();
    this.ackPending |= ACK_SCHED;
  }

  /** tcp_data_queue. */
  private dataQueue(skb: Skb, h: TcpHeader, seq: number, ctx: ExecContext): void {
    const fin = (h.flags & FIN) !== 0;
    const len = skb.payloadLen;
    if (len === 0 && !fin) return;
    const tcpExt = this.stack.tcpExt;
    if (seq === this.rcvNxt) {
      if (this.receiveWindow() === 0 && len > 0) {
        tcpExt.TCPZeroWindowDrop++;
        this.outOfWindow();
        return;
      }
      this.queueInOrder(skb, h, seq, ctx);
      return;
    }
    if (seq + len + (fin ? 1 : 0) <= this.rcvNxt) {
      tcpExt.DelayedACKLost++;
      this.outOfWindow();
      return;
    }
    if (seq >= this.rcvNxt + this.receiveWindow()) {
      this.outOfWindow();
      return;
    }
    if (seq < this.rcvNxt) {
      if (this.receiveWindow() === 0) {
        tcpExt.TCPZeroWindowDrop++;
        this.outOfWindow();
        return;
      }
      this.queueInOrder(skb, h, seq, ctx);
      return;
    }
    this.queueOfo(skb, seq, fin);
  }

  /** Queue in-order data (tcp_queue_rcv), trimming what was already received. */
  private queueInOrder(skb: Skb, h: TcpHeader, seq: number, ctx: ExecContext): void {
    const trim = this.rcvNxt - seq;
    const fin = (h.flags & FIN) !== 0;
    const len = skb.payloadLen;
    if (this.rmemAlloc > this.rcvbuf || !this.memSchedule(skb.truesize, 'recv')) {
      this.ackPending |= ACK_NOMEM | ACK_NOW | ACK_SCHED;
      this.readWq.wakeUp(true);
      if (this.rcvQ.length > 0 && len > 0) {
        this.stack.tcpExt.TCPRcvQDrop++;
        return;
      }
    }
    const n = len - trim;
    if (n > 0) {
      this.rcvQ.push({ seq: seq + trim, len: n, data: skb.data === null ? null : skb.data.subarray(trim), off: 0, truesize: skb.truesize, fin: false });
      this.rmemAlloc += skb.truesize;
      this.bytesReceived += n;
    }
    this.rcvNxt = seq + len + (fin ? 1 : 0);
    if (len > 0) this.eventDataRecv(skb, h, ctx);
    if (fin) this.tcpFin(ctx);
    if (this.ofo.length > 0) {
      this.ofoToRcv(ctx);
      if (this.ofo.length === 0) this.ackPending |= ACK_NOW;
    }
    this.readWq.wakeUp(true);
  }

  /** tcp_data_queue_ofo. */
  private queueOfo(skb: Skb, seq: number, fin: boolean): void {
    const tcpExt = this.stack.tcpExt;
    if (this.rmemAlloc > this.rcvbuf || !this.memSchedule(skb.truesize, 'recv')) {
      tcpExt.TCPOFODrop++;
      this.readWq.wakeUp(true);
      return;
    }
    this.ackPending |= ACK_SCHED;
    tcpExt.TCPOFOQueue++;
    const r = this.ofo.insert({ seq, len: skb.payloadLen, data: skb.data, off: 0, truesize: skb.truesize, fin });
    if (!r.queued) return;
    this.rmemAlloc += skb.truesize;
    for (const c of r.removed) this.rmemAlloc -= c.truesize;
  }

  /** tcp_ofo_queue: move what the hole's filling made in order. */
  private ofoToRcv(ctx: ExecContext): void {
    for (let c = this.ofo.peek(); c !== undefined && c.seq <= this.rcvNxt; c = this.ofo.peek()) {
      this.ofo.shift();
      const end = chunkEnd(c);
      if (end <= this.rcvNxt) {
        this.rmemAlloc -= c.truesize;
        continue;
      }
      const trim = this.rcvNxt - c.seq;
      c.seq += trim;
      c.off += trim;
      c.len -= trim;
      const fin = c.fin;
      c.fin = false;
      if (c.len > 0) {
        this.rcvQ.push(c);
        this.bytesReceived += c.len;
      } else {
        this.rmemAlloc -= c.truesize;
      }
      this.rcvNxt = end;
      if (fin) {
        this.tcpFin(ctx);
        break;
      }
    }
  }

  /** tcp_fin: the peer closed its direction. */
  private tcpFin(ctx: ExecContext): void {
    this.shutdownFlags |= RCV_SHUTDOWN;
    this.ackPending |= ACK_SCHED;
    for (const c of this.ofo.drain()) this.rmemAlloc -= c.truesize;
    const st = this.state;
    if (st === 'SYN_RECV' || st === 'ESTABLISHED') this.setState('CLOSE_WAIT');
    else if (st === 'FIN_WAIT1') {
      this.sendAck(ctx);
      this.setState('CLOSING');
    } else if (st === 'FIN_WAIT2') {
      this.sendAck(ctx);
      this.timeWait();
    }
    this.readWq.wakeUp();
    this.writeWq.wakeUp();
  }

  /** tcp_event_data_recv: delayed-ACK engine, receiver MSS and RTT, window growth. */
  private eventDataRecv(skb: Skb, h: TcpHeader, ctx: ExecContext): void {
    const len = skb.payloadLen;
    this.ackPending |= ACK_SCHED;
    this.measureRcvMss(skb, h);
    this.rcvRttMeasureTs(len, ctx);
    this.rcvRttMeasure(ctx);
    const now = this.host.jiffies;
    const atoMin = this.to.atoMin;
    if (this.ato === 0) {
      this.incrQuickack(TCP_MAX_QUICKACKS);
      this.ato = atoMin;
    } else {
      const m = now - this.lrcvtime;
      if (m <= Math.floor(atoMin / 2)) {
        this.ato = Math.floor(this.ato / 2) + Math.floor(atoMin / 2);
      } else if (m < this.ato) {
        this.ato = Math.floor(this.ato / 2) + m;
        if (this.ato > this.rto) this.ato = this.rto;
      } else if (m > this.rto) {
        this.incrQuickack(TCP_MAX_QUICKACKS);
      }
    }
    this.lrcvtime = now;
    if (len >= 128) this.growWindow(skb);
  }

  /** tcp_measure_rcv_mss (with the skb len/truesize scaling ratio). */
  private measureRcvMss(skb: Skb, h: TcpHeader): void {
    const len = skb.payloadLen;
    const lss = this.lastSegSize;
    this.lastSegSize = 0;
    if (len >= this.rcvMss) {
      if (len !== this.rcvMss) {
        const val = Math.floor((len * RMEM_TO_WIN_DIV) / skb.truesize);
        const old = this.scalingRatio;
        this.scalingRatio = Math.min(255, val) || 1;
        if (old !== this.scalingRatio) {
          this.windowClamp = this.winFromSpace(this.rcvbuf);
          if (this.windowClamp < this.rcvqSpace) this.rcvqSpace = this.windowClamp;
        }
      }
      this.rcvMss = Math.min(len, this.advmss);
      return;
    }
    let l = len + skb.l4HeaderLen;
    if (l >= TCP_MSS_DEFAULT + TCP_HLEN || (l >= TCP_MIN_MSS + TCP_HLEN && (h.flags & TCP_REMNANT) === 0)) {
      l -= this.tcpHeaderLen;
      this.lastSegSize = l;
      if (l === lss) {
        this.rcvMss = l;
        return;
      }
    }
    if ((this.ackPending & ACK_PUSHED) !== 0) this.ackPending |= ACK_PUSHED2;
    this.ackPending |= ACK_PUSHED;
  }

  /** tcp_rcv_rtt_update. */
  private rcvRttUpdate(sample: number, winDep: boolean): void {
    let s = this.rcvRttUs;
    let m = sample;
    if (s !== 0) {
      if (!winDep) {
        m -= Math.floor(s / 8);
        s += m;
      } else {
        m *= 8;
        if (m < s) s = m;
      }
    } else {
      s = m * 8;
    }
    this.rcvRttUs = s;
  }

  /** tcp_rcv_rtt_measure: one window of data per sample (no timestamps needed). */
  private rcvRttMeasure(ctx: ExecContext): void {
    if (this.rcvRttTime >= 0) {
      if (this.rcvNxt < this.rcvRttSeq) return;
      this.rcvRttUpdate(Math.max(1, Math.floor((ctx.time - this.rcvRttTime) / 1000)), true);
    }
    this.rcvRttSeq = this.rcvNxt + this.rcvWnd;
    this.rcvRttTime = ctx.time;
  }

  /** tcp_rcv_rtt_measure_ts. */
  private rcvRttMeasureTs(len: number, ctx: ExecContext): void {
    if (!this.tsOk || this.sawTsecr === this.rcvRttLastTsecr) return;
    this.rcvRttLastTsecr = this.sawTsecr;
    if (len >= this.rcvMss) {
      const d = this.tsoptRttUs(ctx);
      if (d >= 0) this.rcvRttUpdate(d, false);
    }
  }

  /** tcp_grow_window: raise rcv_ssthresh while skbs are efficient enough; under TCP memory pressure clamp it instead. */
  private growWindow(skb: Skb): void {
    const room = Math.min(this.windowClamp, this.tcpSpace()) - this.rcvSsthresh;
    if (room <= 0) return;
    if (this.stack.tcpMemoryPressure) {
      this.adjustRcvSsthresh();
      return;
    }
    const len = skb.payloadLen;
    let incr: number;
    if (this.winFromSpace(skb.truesize) <= len) incr = 2 * this.advmss;
    else {
      incr = 0;
      let truesize = Math.floor(this.winFromSpace(skb.truesize) / 2);
      let window = Math.floor(this.winFromSpace(this.stack.sysctl.tcpRmem[2]) / 2);
      while (this.rcvSsthresh <= window) {
        if (truesize <= len) {
          incr = 2 * this.rcvMss;
          break;
        }
        truesize = Math.floor(truesize / 2);
        window = Math.floor(window / 2);
      }
    }
    if (incr > 0) {
      incr = Math.max(incr, 2 * len);
      this.rcvSsthresh += Math.min(room, incr);
      if (this.quick === 0) this.quick = 1;
    }
  }

  /** tcp_adjust_rcv_ssthresh under memory pressure: at most four advertised MSS. */
  private adjustRcvSsthresh(): void {
    this.rcvSsthresh = Math.min(this.rcvSsthresh, 4 * this.advmss);
  }

  /** tcp_rcv_space_adjust: receive-buffer autotuning (DRS), once per receiver RTT. */
  private rcvSpaceAdjust(ctx: ExecContext): void {
    const timeUs = Math.floor((ctx.time - this.rcvqTime) / 1000);
    if (this.rcvRttUs === 0 || timeUs < Math.floor(this.rcvRttUs / 8)) return;
    const copied = this.copiedSeq - this.rcvqSeq;
    if (copied > this.rcvqSpace) {
      const sysctl = this.stack.sysctl;
      if (sysctl.tcpModerateRcvbuf && !this.rcvbufLocked) {
        let rcvwin = 2 * copied + 16 * this.advmss;
        const grow = Math.floor((rcvwin * (copied - this.rcvqSpace)) / this.rcvqSpace);
        rcvwin += 2 * grow;
        const rcvbuf = Math.min(this.spaceFromWin(rcvwin), sysctl.tcpRmem[2]);
        if (rcvbuf > this.rcvbuf) {
          this.rcvbuf = rcvbuf;
          this.windowClamp = this.winFromSpace(rcvbuf);
        }
      }
      this.rcvqSpace = copied;
    }
    this.rcvqSeq = this.copiedSeq;
    this.rcvqTime = ctx.time;
  }

  /** tcp_cleanup_rbuf: ACK after a read that freed a lot of window. */
  private cleanupRbuf(ctx: ExecContext, copied: number): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'TIME_WAIT') return;
    let timeToAck = false;
    if ((this.ackPending & ACK_SCHED) !== 0) {
      if (this.rcvNxt - this.rcvWup > this.rcvMss || (copied > 0 && (this.ackPending & (ACK_PUSHED | ACK_PUSHED2)) !== 0 && this.rmemAlloc === 0)) timeToAck = true;
    }
    if (copied > 0 && !timeToAck && (this.shutdownFlags & RCV_SHUTDOWN) === 0) {
      const now = this.receiveWindow();
      if (2 * now <= this.windowClamp) {
        const w = this.selectWindowRaw();
        if (w > 0 && w >= 2 * now) timeToAck = true;
      }
    }
    if (timeToAck) this.sendAck(ctx);
  }

  /** __tcp_ack_snd_check. */
  private ackSndCheck(ctx: ExecContext): void {
    if ((this.ackPending & ACK_SCHED) === 0 || this.state === 'CLOSED') return;
    if (
      (this.rcvNxt - this.rcvWup > this.rcvMss && (this.rcvNxt - this.copiedSeq < 1 || this.selectWindowRaw() >= this.rcvWnd)) ||
      this.quick > 0 ||
      (this.ackPending & ACK_NOW) !== 0
    ) {
      this.sendAck(ctx);
      return;
    }
    if (this.ofo.length === 0) {
      this.sendDelayedAck(ctx);
      return;
    }
    this.sendAck(ctx);
  }

  /** A segment in TIME_WAIT (tcp_timewait_state_process): re-ACK a retransmitted FIN. */
  private timeWaitRcv(h: TcpHeader, len: number, ctx: ExecContext): void {
    if ((h.flags & RST) !== 0) {
      this.tcpDone();
      return;
    }
    if ((h.flags & FIN) !== 0 || len > 0) {
      this.sendAck(ctx);
      this.resetXmitTimer('timewait', this.timewaitJiffies(), ctx);
    }
  }

  // ---- input: handshake ------------------------------------------------------------------

  /** Negotiate options from a SYN or SYN-ACK (tcp_parse_options + the synsent/openreq setup). */
  private negotiate(h: TcpHeader): void {
    const sysctl = this.stack.sysctl;
    this.mssClamp = h.mss ?? TCP_MSS_DEFAULT;
    this.tsOk = sysctl.tcpTimestamps && h.tsval !== undefined;
    if (sysctl.tcpWindowScaling && h.wscale !== undefined) {
      this.sndWscale = Math.min(h.wscale, TCP_MAX_WSCALE);
      this.wscaleOffered = true;
    } else {
      this.sndWscale = 0;
      this.rcvWscale = 0;
      this.wscaleOffered = false;
      this.windowClamp = Math.min(this.windowClamp === 0 ? 65535 : this.windowClamp, 65535);
    }
    if (this.tsOk) this.tsRecent = h.tsval ?? 0;
    this.tcpHeaderLen = TCP_HLEN + (this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
  }

  /** tcp_init_transfer at ESTABLISHED: initial cwnd, buffers, CUBIC. */
  private initTransfer(ctx: ExecContext): void {
    this.cwnd = this.synRetrans > 1 ? 1 : TCP_INIT_CWND;
    this.cubic.reset();
    this.lsndtime = this.host.jiffies;
    this.initBufferSpace(ctx);
    this.wasConnected = true;
  }

  /** The SYN (or SYN-ACK) round trip as the first RTT sample, unless it was retransmitted. */
  private synRttSample(ctx: ExecContext): void {
    if (this.synRetrans === 0) {
      const us = Math.max(1, Math.floor((ctx.time - this.synSentAt) / 1000));
      this.rtt.updateMin(us);
      this.rtt.sample(us, this.sndUna, this.sndNxt);
      this.setRto();
    } else {
      this.rto = this.to.timeoutInit;
    }
    this.backoff = 0;
    this.retransmits = 0;
  }

  private synSentRcv(skb: Skb, h: TcpHeader, ctx: ExecContext): void {
    const flags = h.flags;
    if ((flags & ACK) !== 0) {
      const ack = unwrapSeq(h.ack, this.sndUna);
      if (ack !== this.iss + 1) {
        if ((flags & RST) === 0) sendResetFor(this.stack, skb, h, ctx);
        return;
      }
      if ((flags & RST) !== 0) {
        this.tcpReset();
        return;
      }
    } else if ((flags & RST) !== 0) {
      return;
    }
    if ((flags & SYN) === 0 || (flags & ACK) === 0) return;
    this.irs = h.seq;
    this.rcvNxt = this.irs + 1;
    this.rcvWup = this.rcvNxt;
    this.copiedSeq = this.rcvNxt;
    this.negotiate(h);
    this.sawTsecr = h.tsecr ?? 0;
    this.sndUna = this.iss + 1;
    // tcp_ack of the SYN-ACK moves snd_una over the SYN: tcp_snd_una_update counts its 1 byte.
    this.bytesAcked = 1;
    this.sndWnd = h.window;
    this.sndWl1 = h.seq;
    this.maxWindow = this.sndWnd;
    this.advmss -= this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0;
    this.syncMss();
    this.initRcvMss();
    this.clearXmitTimer();
    this.synRttSample(ctx);
    this.state = 'ESTABLISHED';
    this.initTransfer(ctx);
    this.sendAck(ctx);
    this.writeWq.wakeUp();
    this.readWq.wakeUp();
  }

  /** A SYN on a listener (tcp_conn_request): create the request (a SYN_RECV child) and answer. */
  private listenRcv(skb: Skb, h: TcpHeader, ctx: ExecContext): void {
    const flags = h.flags;
    const stack = this.stack;
    if ((flags & RST) !== 0) return;
    if ((flags & ACK) !== 0) {
      sendResetFor(stack, skb, h, ctx);
      return;
    }
    if ((flags & SYN) === 0) return;
    if (this.acceptQueue.length > this.maxAckBacklog) {
      stack.tcpExt.ListenOverflows++;
      stack.tcpExt.ListenDrops++;
      return;
    }
    const r = stack.route(skb.ip.src);
    if (r === null) {
      stack.tcpExt.ListenDrops++;
      return;
    }
    const c = new TcpSocket(stack);
    c.listener = this;
    c.sndbuf = this.sndbuf;
    c.rcvbuf = this.rcvbuf;
    c.sndbufLocked = this.sndbufLocked;
    c.rcvbufLocked = this.rcvbufLocked;
    c.noDelay = this.noDelay;
    c.laddr = skb.ip.dst;
    c.lport = this.lport;
    c.raddr = skb.ip.src;
    c.rport = h.sport;
    c.holdPort();
    c.connKey = tcpConnKey(c.laddr, c.lport, c.raddr, c.rport);
    stack.tcpConns.set(c.connKey, c);
    c.initPath(r.dev);
    c.initIss();
    c.txhash = stack.rng.nextU32() || 1;
    c.irs = h.seq;
    c.rcvNxt = c.irs + 1;
    c.rcvWup = c.rcvNxt;
    c.copiedSeq = c.rcvNxt;
    c.negotiate(h);
    c.sndWnd = h.window;
    c.sndWl1 = h.seq;
    const fullSpace = c.fullSpace();
    if (c.rcvbufLocked && (c.windowClamp > fullSpace || c.windowClamp === 0)) c.windowClamp = fullSpace;
    c.selectInitialWindow(fullSpace, c.advmss - (c.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0), c.wscaleOffered);
    c.rcvSsthresh = c.rcvWnd;
    c.state = 'SYN_RECV';
    c.sockState = 'connected';
    c.sendSynAck(ctx);
    c.resetXmitTimer('synack', c.to.timeoutInit, ctx);
  }

  /** The handshake's last ACK on a SYN_RECV child (tcp_check_req → tcp_child_process). */
  private synRecvRcv(skb: Skb, h: TcpHeader, ctx: ExecContext): void {
    const flags = h.flags;
    const stack = this.stack;
    if ((flags & RST) !== 0) {
      this.tcpReset();
      return;
    }
    if ((flags & SYN) !== 0) {
      if (h.seq === this.irs >>> 0) {
        this.totalRetrans++;
        stack.tcpExt.TCPSynRetrans++;
        stack.snmp.Tcp.RetransSegs++;
        this.sendSynAck(ctx);
      }
      return;
    }
    if ((flags & ACK) === 0) return;
    const ack = unwrapSeq(h.ack, this.sndUna);
    if (ack !== this.iss + 1) {
      sendResetFor(stack, skb, h, ctx);
      return;
    }
    const l = this.listener;
    if (l === null || l.state !== 'LISTEN') {
      this.abort(ctx, false);
      return;
    }
    if (l.acceptQueue.length > l.maxAckBacklog) {
      stack.tcpExt.ListenOverflows++;
      return;
    }
    if (this.tsOk) this.sawTsecr = h.tsecr ?? 0;
    this.sndUna = this.iss + 1;
    this.sndWnd = h.window * 2 ** this.sndWscale;
    this.sndWl1 = unwrapSeq(h.seq, this.rcvNxt);
    this.maxWindow = this.sndWnd;
    this.advmss -= this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0;
    this.syncMss();
    this.initRcvMss();
    this.clearXmitTimer();
    this.synRttSample(ctx);
    this.state = 'ESTABLISHED';
    this.initTransfer(ctx);
    stack.snmp.Tcp.PassiveOpens++;
    l.acceptQueue.push(this);
    l.readWq.wakeUp(true);
    if (skb.payloadLen > 0 || (flags & FIN) !== 0) this.stateRcv(skb, h, ctx);
  }
}

export { tcpConnKey, tcpV4Rcv } from './tcpInput.js';
