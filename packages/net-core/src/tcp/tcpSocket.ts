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
 * spurious reductions, HyStart, pacing (the pacing rate only sizes the TSQ budget), AccECN, PMTU
 * discovery beyond the local device, urgent data, keepalive, slow start after idle, cwnd
 * validation of application-limited flows, socket locking and the backlog queue, the
 * receive-queue collapse/prune under memory pressure (a segment over the receive buffer is
 * dropped), and fast open. TIME_WAIT and the orphan FIN_WAIT2 timeout last 1 s instead of 60 s.
 *
 * Layout: this class is the socket API (its arguments checked here, as the socket layer does);
 * the connection state is a `TcpSock` (tcpSock.ts, internal), and the work is done by the
 * modules that mirror the kernel's files: tcp.ts (tcp.c), tcpOutput.ts (tcp_output.c),
 * tcpInput.ts, tcpAck.ts, tcpRecovery.ts and tcpRcvWnd.ts (tcp_input.c), tcpTimer.ts
 * (tcp_timer.c), tcpMinisocks.ts (tcp_minisocks.c), tcpIpv4.ts (tcp_ipv4.c), tcpMem.ts
 * (TCP memory), tcpDiag.ts (inet_diag.c), cubic.ts (tcp_cubic.c), tcpRtt.ts, tcpQueues.ts and tcpConst.ts.
 */
import type { ExecContext } from '@ntbsim/kernel';
import { NetError, type NetErrno } from '../errors.js';
import { formatIpv4, type Ipv4Addr } from '../inet.js';
import { checkPort, InetSock, payloadOf } from '../inetSock.js';
import type { NetDevice } from '../netDevice.js';
import type { NetStack } from '../netStack.js';
import type { Skb, TcpHeader } from '../skb.js';
import type { AcceptResult, OpResult, PollEvents, RecvResult, SendResult, SockAddr, TcpDiag, TcpInfo } from '../types.js';
import type { CubicSock } from './cubic.js';
import { tcpCongestionOps } from './tcpCong.js';
import { tcpDiag } from './tcpDiag.js';
import { MAX_TCP_WINDOW, TCP_INFINITE_SSTHRESH, TCP_INIT_CWND, TCP_MIN_MSS } from './tcpConst.js';
import { inetAccept, inetBind, inetListen, inetStreamConnect, sockError, tcpClose, tcpGetInfo, tcpPoll, tcpRecvmsg, tcpSendmsg, tcpShutdown } from './tcp.js';
import { tcpV4DoRcv, tcpV4ErrFragNeeded, tcpV4ErrUnreach } from './tcpIpv4.js';
import { pacingRate, tcpDeviceChange, tcpTsqHandler } from './tcpOutput.js';
import type { RcvChunk } from './tcpQueues.js';
import { TcpSock } from './tcpSock.js';

/** TCP states (include/net/tcp_states.h). */
export type TcpState = 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'CLOSING' | 'TIME_WAIT' | 'CLOSE_WAIT' | 'LAST_ACK';

/** Congestion-avoidance states (enum tcp_ca_state: TCP_CA_Open … TCP_CA_Loss). */
export type TcpCaState = 'open' | 'disorder' | 'cwr' | 'recovery' | 'loss';

/** What `shutdown` closes: SHUT_RD, SHUT_WR or SHUT_RDWR. */
export type ShutdownHow = 'rd' | 'wr' | 'rdwr';

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

  /** The connection state the TCP modules work on (tcp_sk). */
  private readonly tp: TcpSock;

  /** A TCP socket of `stack` (use `stack.tcpSocket()`). */
  constructor(stack: NetStack) {
    super(stack, stack.sysctl.tcpWmem[1], stack.sysctl.tcpRmem[1]);
    this.tp = new TcpSock(this, this.readWq, this.writeWq, () => new TcpSocket(stack).tp);
  }

  // ---- CubicSock -------------------------------------------------------------------------

  /** tcp_jiffies32 of the host. */
  get jiffies(): number {
    return this.tp.host.jiffies;
  }

  /** HZ of the host. */
  get hz(): number {
    return this.tp.hzValue;
  }

  /** usecs_to_jiffies. */
  usecsToJiffies(us: number): number {
    return this.tp.host.usecsToJiffies(us);
  }

  /** tcp_is_cwnd_limited: the last window was cwnd-limited, or slow start with cwnd below twice the flight. */
  isCwndLimited(): boolean {
    if (this.tp.cwndLimited) return true;
    if (this.cwnd < this.ssthresh) return this.cwnd < 2 * this.tp.maxPacketsOut;
    return false;
  }

  // ---- socket API ------------------------------------------------------------------------

  /** A TCP socket is a stream socket: IP_TOS leaves its ECN bits alone. */
  protected override get isStream(): boolean {
    return true;
  }

  /** A connected socket caches its TX queue (sk_tx_queue_mapping). */
  get cachesTxQueue(): boolean {
    return this.raddr !== 0 && this.state !== 'LISTEN' && this.state !== 'CLOSED';
  }

  /** @internal Whether the socket is in the connection table (tcpConns). */
  get hashed(): boolean {
    return this.tp.connKey !== null;
  }

  /** Sender MSS in use (bytes), tcp_current_mss. */
  get mss(): number {
    return this.tp.mssCache;
  }

  /** Bytes written and not yet acknowledged (SIOCOUTQ). */
  get outq(): number {
    const tp = this.tp;
    return tp.writeSeq - tp.sndUna - (tp.finQueued ? 1 : 0);
  }

  /** Bytes received and not yet read (SIOCINQ). */
  get inq(): number {
    const rcvQ = this.tp.rcvQ;
    let n = 0;
    for (let i = 0; i < rcvQ.length; i++) n += (rcvQ.at(i) as RcvChunk).len;
    return n;
  }

  /** Sequence space received in order and not yet read, `rcv_nxt − copied_seq` (inet_diag's `idiag_rqueue`). */
  get unreadSeq(): number {
    return Math.max(0, this.tp.rcvNxt - this.tp.copiedSeq);
  }

  /** Sequence space written and not yet acknowledged, `write_seq − snd_una`, a queued SYN or FIN included (inet_diag's `idiag_wqueue`). */
  get unackedSeq(): number {
    return this.tp.writeSeq - this.tp.sndUna;
  }

  /** Completed connections waiting in a listener's accept queue (`sk_ack_backlog`). */
  get acceptQueueLen(): number {
    return this.tp.acceptQueue.length;
  }

  /** A listener's accept backlog as listen() capped it (`sk_max_ack_backlog`). */
  get acceptBacklog(): number {
    return this.tp.maxAckBacklog;
  }

  /** The window scale shifts (`snd_wscale`, `rcv_wscale`) once both ends agreed on window scaling, else null. */
  get windowScale(): { readonly snd: number; readonly rcv: number } | null {
    const tp = this.tp;
    return tp.wscaleOffered ? { snd: tp.sndWscale, rcv: tp.rcvWscale } : null;
  }

  /** The pacing rate `tcp_update_pacing_rate` gives the current cwnd and srtt (bytes/s, `sk_pacing_rate`). */
  get pacingRateBytes(): number {
    return pacingRate(this.tp);
  }

  /** Segments delivered to the peer over the connection's life (`tp->delivered`). */
  get deliveredSegs(): number {
    return this.tp.delivered;
  }

  /** The reordering degree in segments (`tp->reordering`, initially `tcp_reordering`). */
  get reorderingSegs(): number {
    return this.tp.reordering;
  }

  /** SO_REUSEADDR: allow binding a port still held by non-listening sockets. */
  setReuseAddr(on: boolean): void {
    this.checkOpen('setReuseAddr');
    this.tp.reuseAddr = on;
  }

  /** Congestion control algorithm (the tcp_congestion_ops name: what getsockopt TCP_CONGESTION reads). */
  get congestion(): string {
    return this.tp.ca.name;
  }

  /**
   * setsockopt TCP_CONGESTION (tcp_set_congestion_control): use congestion control `name` from
   * now on, its state fresh (tcp_reinit_congestion_control); ENOENT for an algorithm the host
   * does not have (net.ipv4.tcp_available_congestion_control).
   */
  setCongestion(name: string): OpResult {
    this.checkOpen('setCongestion');
    const ca = tcpCongestionOps(name);
    if (ca === null) return { ok: false, errno: 'ENOENT' };
    this.tp.ca = ca;
    this.tp.caSetsockopt = true;
    return { ok: true };
  }

  /**
   * setsockopt(TCP_MAXSEG): the largest MSS the connection advertises in its SYN (or SYN-ACK, set
   * on a listener: its children inherit it) and accepts from the peer's (`tcp_mss_clamp`); 0
   * clears it. EINVAL (thrown, nothing changed) outside TCP_MIN_MSS (88)..MAX_TCP_WINDOW (32767).
   */
  setMaxSeg(mss: number): void {
    this.checkOpen('setMaxSeg');
    if (!Number.isInteger(mss) || (mss !== 0 && (mss < TCP_MIN_MSS || mss > MAX_TCP_WINDOW))) throw new NetError('EINVAL', `TCP_MAXSEG ${String(mss)}: allowed 0 or ${TCP_MIN_MSS}..${MAX_TCP_WINDOW}`);
    this.tp.userMss = mss;
  }

  /** TCP_NODELAY: disable Nagle's algorithm (iperf3 -N). */
  setNoDelay(on: boolean): void {
    this.checkOpen('setNoDelay');
    this.tp.noDelay = on;
  }

  /** Bind to `port` (0 = ephemeral) and optionally a local `addr`; EADDRINUSE, EADDRNOTAVAIL or EINVAL (already bound). */
  bind(port: number, addr?: string): OpResult {
    this.checkOpen('bind');
    checkPort('bind', port, true);
    return inetBind(this.tp, port, addr);
  }

  /** Listen with an accept backlog (capped by net.core.somaxconn); binds an ephemeral port if unbound. */
  listen(backlog = 4096): OpResult {
    this.checkOpen('listen');
    if (!Number.isInteger(backlog)) throw new NetError('EINVAL', `listen: backlog ${String(backlog)}: allowed an integer`);
    return inetListen(this.tp, backlog);
  }

  /** Take a completed connection from the accept queue; EAGAIN when none, EINVAL when not listening. */
  accept(): AcceptResult {
    this.checkOpen('accept');
    return inetAccept(this.tp);
  }

  /**
   * Non-blocking connect: the first call sends the SYN and returns EINPROGRESS; later calls
   * return EALREADY while the handshake runs, then ok once established (EISCONN after that),
   * or the error that ended the attempt (ECONNREFUSED, ETIMEDOUT). ENETUNREACH without a route.
   */
  connect(ctx: ExecContext, to: SockAddr): OpResult {
    this.checkOpen('connect');
    checkPort('connect', to.port, false);
    return inetStreamConnect(this.tp, ctx, to);
  }

  /** Write bytes (functional) or a length (timing): copies what fits in the send buffer; EAGAIN if nothing fits, EPIPE after shutdown. */
  send(ctx: ExecContext, data: Uint8Array | number): SendResult {
    this.rpsRecordFlow(ctx);
    return this.sendmsg(ctx, 'send', data, false);
  }

  /** sendfile (iperf3 -Z): like send without the user copy; each transmission of the data pays a checksum pass. */
  sendfile(ctx: ExecContext, data: Uint8Array | number): SendResult {
    this.rpsRecordFlow(ctx);
    return this.sendmsg(ctx, 'sendfile', data, true);
  }

  /**
   * Read up to `maxBytes` in-order bytes, charging the user copy on the caller's CPU; bytes 0
   * at end of stream; EAGAIN when nothing is queued, the pending error (ECONNRESET, …) first.
   */
  recv(ctx: ExecContext, maxBytes: number): RecvResult {
    this.checkOpen('recv');
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new NetError('EINVAL', `recv: maxBytes ${String(maxBytes)}: allowed an integer ≥ 0`);
    this.rpsRecordFlow(ctx);
    return tcpRecvmsg(this.tp, ctx, maxBytes);
  }

  /** sock_rps_record_flow (inet_recvmsg, inet_sendmsg): an established socket records its flow's CPU in the RFS table. */
  private rpsRecordFlow(ctx: ExecContext): void {
    if (this.state === 'ESTABLISHED') this.stack.rpsRecordFlow(this.rxhash, ctx.cpu);
  }

  /** shutdown(2): 'wr' sends FIN after the queued data, 'rd' ends reading; ENOTCONN when not connected. */
  shutdown(ctx: ExecContext, how: ShutdownHow): OpResult {
    this.checkOpen('shutdown');
    if (how !== 'rd' && how !== 'wr' && how !== 'rdwr') throw new NetError('EINVAL', `shutdown: how "${String(how)}": allowed rd, wr or rdwr`);
    return tcpShutdown(this.tp, ctx, how);
  }

  /**
   * close(2): a listener drops its queued connections; a connection with unread data is reset
   * (TCPAbortOnClose); otherwise FIN follows the queued data and the socket finishes the close
   * on its own (orphan). Without `ctx` the packets go out from a tasklet on CPU 0.
   */
  close(ctx?: ExecContext): void {
    if (this.userClosed) return;
    this.userClosed = true;
    tcpClose(this.tp, ctx);
  }

  /** Readiness (tcp_poll). */
  poll(): PollEvents {
    return tcpPoll(this.tp);
  }

  /** SO_ERROR: the pending error, cleared by reading it. */
  getError(): NetErrno | null {
    return sockError(this.tp);
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
    return tcpGetInfo(this.tp);
  }

  /** What inet_diag reports of the socket (sock_diag): the mini socket Linux would have in its place, and the timer (`ss -o`). */
  diag(): TcpDiag {
    return tcpDiag(this.tp);
  }

  // ---- internal hooks used by the stack --------------------------------------------------

  /** @internal A device changed state or MTU: follow the route MTU (tcp_current_mss → tcp_sync_mss). */
  onDeviceChange(dev: NetDevice): void {
    tcpDeviceChange(this.tp, dev);
  }

  /** @internal `tcp_v4_err` for ICMP FRAG_NEEDED reporting `mtu` for the segment at wire sequence `seq` (see tcpIpv4.ts). */
  icmpFragNeeded(seq: number, mtu: number, on: ExecContext): void {
    tcpV4ErrFragNeeded(this.tp, seq, mtu, on);
  }

  /** @internal `tcp_v4_err` for a destination unreachable other than FRAG_NEEDED about the segment at wire sequence `seq` (see tcpIpv4.ts). */
  icmpUnreach(seq: number, err: NetErrno, ctx: ExecContext): void {
    tcpV4ErrUnreach(this.tp, seq, err, ctx);
  }

  /** @internal TCP small queues tasklet (tcp_tsq_handler, tcp_release_cb): a deferred MTU report, then what TSQ held back or deferred output. */
  tsqHandler(ctx: ExecContext): void {
    tcpTsqHandler(this.tp, ctx);
  }

  /** @internal A segment for this socket (tcp_v4_do_rcv / tcp_rcv_state_process). */
  rcvSkb(skb: Skb, h: TcpHeader, ctx: ExecContext): void {
    tcpV4DoRcv(this.tp, skb, h, ctx);
  }

  /** The send calls (sock_sendmsg → tcp_sendmsg): `op` names the call in errors. */
  private sendmsg(ctx: ExecContext, op: string, data: Uint8Array | number, sendfile: boolean): SendResult {
    this.checkOpen(op);
    return tcpSendmsg(this.tp, ctx, payloadOf(op, data), sendfile);
  }
}

export { tcpConnKey, tcpV4Rcv } from './tcpIpv4.js';
