/**
 * The socket calls of TCP (net/ipv4/tcp.c, with their af_inet.c and inet_connection_sock.c
 * entries): bind and the port references (`inet_bind`, `inet_csk_get_port`, `inet_unhash`),
 * listen and accept (`inet_listen`, `inet_csk_accept`), connect (`__inet_stream_connect`,
 * `tcp_v4_connect`), write (`tcp_sendmsg_locked`, `tcp_xmit_size_goal`, `tcp_push` with
 * autocorking), read (`tcp_recvmsg`, `tcp_cleanup_rbuf`), `tcp_shutdown`, `tcp_close`,
 * `tcp_poll`, `tcp_get_info`, and the end of a connection (`tcp_set_state`, `tcp_done`,
 * `tcp_disconnect`, the abort of `tcp_close`). `TcpSocket` checks its arguments and delegates
 * here.
 */
import type { ExecContext } from '@ntbsim/kernel';
import type { NetErrno } from '../errors.js';
import { parseIpv4, TCP_HLEN, TCPOLEN_TSTAMP_ALIGNED } from '../inet.js';
import type { Payload } from '../inetSock.js';
import type { AcceptResult, OpResult, PollEvents, RecvResult, SendResult, SockAddr, TcpInfo } from '../types.js';
import { MAX_TCP_HEADER, TCP_INFINITE_SSTHRESH, TCP_INIT_CWND, TCP_MSS_DEFAULT, TCP_SKB_OVERHEAD, TCPI_OPT } from './tcpConst.js';
import { TCP_ECN_OK, TCP_ECN_SEEN } from './tcpEcn.js';
import { tcpConnKey } from './tcpIpv4.js';
import { memSchedule, streamWriteable, wmemScheduleCopy } from './tcpMem.js';
import { timewaitJiffies } from './tcpMinisocks.js';
import { boundToHalfWnd, deferOutput, initIss, initPath, newSeg, pushPendingFrames, queueFin, sendAck, sendActiveReset, sendFin, sendSyn, writeXmit } from './tcpOutput.js';
import { rcvSpaceAdjust, receiveWindow, selectInitialWindow, selectWindowRaw, tcpFullSpace } from './tcpRcvWnd.js';
import { setCaState } from './tcpRecovery.js';
import { RttEstimator } from './tcpRtt.js';
import type { TcpSeg } from './tcpQueues.js';
import { ACK_PUSHED, ACK_PUSHED2, ACK_SCHED, RCV_SHUTDOWN, SEND_SHUTDOWN, type TcpSock } from './tcpSock.js';
import type { ShutdownHow, TcpState } from './tcpSocket.js';
import { clearXmitTimer, resetXmitTimer } from './tcpTimer.js';

/** sk_gso_max_size for a TCP socket: GSO_LEGACY_MAX_SIZE − (MAX_TCP_HEADER + 1) (bytes). */
const GSO_MAX_PAYLOAD = 65536 - (MAX_TCP_HEADER + 1);

/** inet_bind → inet_csk_get_port: the work of `TcpSocket.bind` (`port` checked). */
export function inetBind(tp: TcpSock, port: number, addr?: string): OpResult {
  if (tp.sk.lport !== 0 || tp.sk.state !== 'CLOSED') return { ok: false, errno: 'EINVAL' };
  const a = addr === undefined ? 0 : parseIpv4(addr);
  if (a !== 0 && !tp.stack.isLocalAddr(a)) return { ok: false, errno: 'EADDRNOTAVAIL' };
  if (port !== 0 && portConflict(tp, port)) return { ok: false, errno: 'EADDRINUSE' };
  const p = port !== 0 ? port : tp.stack.allocPort((x) => tp.stack.tcpPorts.has(x));
  tp.sk.laddr = a;
  tp.sk.lport = p;
  holdPort(tp);
  return { ok: true };
}

/** inet_listen → inet_csk_listen_start: the work of `TcpSocket.listen` (`backlog` checked). */
export function inetListen(tp: TcpSock, backlog: number): OpResult {
  if (tp.sk.state === 'LISTEN') {
    tp.maxAckBacklog = Math.min(Math.max(backlog, 0), tp.stack.sysctl.somaxconn);
    return { ok: true };
  }
  if (tp.sk.state !== 'CLOSED' || tp.sockState !== 'unconnected') return { ok: false, errno: 'EINVAL' };
  if (tp.sk.lport === 0) {
    const r = inetBind(tp, 0);
    if (!r.ok) return r;
  }
  if (tp.stack.tcpListeners.has(tp.sk.lport)) return { ok: false, errno: 'EADDRINUSE' };
  tp.maxAckBacklog = Math.min(Math.max(backlog, 0), tp.stack.sysctl.somaxconn);
  tp.sk.state = 'LISTEN';
  tp.stack.tcpListeners.set(tp.sk.lport, tp.sk);
  return { ok: true };
}

/** inet_csk_accept: the work of `TcpSocket.accept`. */
export function inetAccept(tp: TcpSock): AcceptResult {
  if (tp.sk.state !== 'LISTEN') return { ok: false, errno: 'EINVAL' };
  const c = tp.acceptQueue.shift();
  if (c === undefined) return { ok: false, errno: 'EAGAIN' };
  c.listener = null;
  return { ok: true, sock: c.sk };
}

/**
 * __inet_stream_connect → tcp_v4_connect (route, source port, 4-tuple hashing, ISN) →
 * tcp_connect (the SYN and its timer): the work of `TcpSocket.connect` (`to.port` checked).
 */
export function inetStreamConnect(tp: TcpSock, ctx: ExecContext, to: SockAddr): OpResult {
  if (tp.sockState === 'connected') return { ok: false, errno: 'EISCONN' };
  if (tp.sockState === 'connecting') {
    if (tp.sk.state === 'SYN_SENT' || tp.sk.state === 'SYN_RECV') return { ok: false, errno: 'EALREADY' };
    if (tp.sk.state === 'CLOSED') {
      tp.sockState = 'unconnected';
      return { ok: false, errno: sockError(tp) ?? 'ECONNABORTED' };
    }
    tp.sockState = 'connected';
    return { ok: true };
  }
  if (tp.sk.state !== 'CLOSED') return { ok: false, errno: 'EISCONN' };
  const raddr = parseIpv4(to.addr);
  const stack = tp.stack;
  const r = stack.route(raddr);
  if (r === null) {
    stack.snmp.Ip.OutNoRoutes++;
    return { ok: false, errno: 'ENETUNREACH' };
  }
  if (tp.sk.laddr === 0) tp.sk.laddr = r.src;
  if (!tp.portHeld) {
    if (tp.sk.lport === 0 || stack.tcpPorts.has(tp.sk.lport)) tp.sk.lport = stack.allocPort((x) => stack.tcpPorts.has(x));
    holdPort(tp);
  }
  tcpDisconnect(tp);
  tp.sk.raddr = raddr;
  tp.sk.rport = to.port;
  const key = tcpConnKey(tp.sk.laddr, tp.sk.lport, raddr, to.port);
  if (stack.tcpConns.has(key)) return { ok: false, errno: 'EADDRINUSE' };
  tp.connKey = key;
  stack.tcpConns.set(key, tp.sk);
  // tcp_connect_init: TCP_MAXSEG clamps the sender MSS until the SYN-ACK's MSS option comes.
  if (tp.userMss !== 0) tp.mssClamp = tp.userMss;
  initPath(tp, r.dev);
  initIss(tp);
  tp.sk.txhash = stack.rng.nextU32() || 1;
  tp.sk.txQueueMapping = -1;
  tp.tcpHeaderLen = TCP_HLEN + (stack.sysctl.tcpTimestamps ? TCPOLEN_TSTAMP_ALIGNED : 0);
  if (tp.sk.rcvbufLocked && (tp.windowClamp > tcpFullSpace(tp) || tp.windowClamp === 0)) tp.windowClamp = tcpFullSpace(tp);
  selectInitialWindow(tp, tcpFullSpace(tp), tp.advmss, stack.sysctl.tcpWindowScaling);
  tp.rcvSsthresh = tp.rcvWnd;
  tp.sk.state = 'SYN_SENT';
  tp.sockState = 'connecting';
  stack.snmp.Tcp.ActiveOpens++;
  sendSyn(tp, ctx);
  resetXmitTimer(tp, 'syn', tp.to.timeoutInit, ctx);
  return { ok: false, errno: 'EINPROGRESS' };
}

/** tcp_sendmsg_locked: copy `p` into the write queue as far as the send buffer allows, then push. */
export function tcpSendmsg(tp: TcpSock, ctx: ExecContext, p: Payload, sendfile: boolean): SendResult {
  if (tp.sk.state !== 'ESTABLISHED' && tp.sk.state !== 'CLOSE_WAIT') {
    const err = sockError(tp);
    if (err !== null) return { ok: false, errno: err };
    if (tp.sk.state === 'SYN_SENT' || tp.sk.state === 'SYN_RECV') return { ok: false, errno: 'EAGAIN' };
    return { ok: false, errno: 'EPIPE' };
  }
  if (tp.softError !== null) return { ok: false, errno: sockError(tp) ?? 'EPIPE' };
  if ((tp.shutdownFlags & SEND_SHUTDOWN) !== 0) return { ok: false, errno: 'EPIPE' };
  if (p.len === 0) return { ok: true, bytes: 0 };
  const costs = ctx.host.costs;
  const goal = sizeGoal(tp);
  const functional = p.bytes !== null;
  let copied = 0;
  while (copied < p.len) {
    let seg = tp.writeQ.tail();
    const fresh = seg === undefined || seg.fin || seg.len >= Math.min(goal, seg.cap) || (seg.bytes !== null) !== functional || seg.sendfile !== sendfile;
    if (fresh) {
      if (tp.wmemQueued >= tp.sk.sndbuf) break;
      if (!(tp.writeQ.length === 0 && tp.rtxQ.length === 0) && !memSchedule(tp, TCP_SKB_OVERHEAD, 'send')) {
        tp.memBlocked = true;
        break;
      }
    }
    const room = fresh || seg === undefined ? goal : Math.min(goal, seg.cap) - seg.len;
    const copy = wmemScheduleCopy(tp, Math.min(room, p.len - copied), fresh ? TCP_SKB_OVERHEAD : 0);
    if (copy <= 0) {
      tp.memBlocked = true;
      break;
    }
    if (fresh || seg === undefined) {
      ctx.charge(costs.skbAlloc());
      seg = newSeg(tp, tp.writeSeq, goal, { bytes: functional ? new Uint8Array(goal) : null, sendfile });
      tp.writeQ.push(seg);
    }
    if (p.bytes !== null && seg.bytes !== null) seg.bytes.set(p.bytes.subarray(copied, copied + copy), seg.len);
    if (!sendfile) ctx.charge(costs.userCopy(copy));
    // The first bytes of a write appended to a pushed skb take its PSH away.
    if (copied === 0) seg.psh = false;
    seg.len += copy;
    seg.truesize += copy;
    tp.wmemQueued += copy;
    tp.writeSeq += copy;
    copied += copy;
    if (copied >= p.len || seg.len < goal) continue;
    if (forcedPush(tp)) {
      markPush(tp, seg);
      pushPendingFrames(tp, ctx, true);
    } else if (seg === tp.writeQ.peek()) {
      writeXmit(tp, ctx, true, true);
    }
  }
  if (copied < p.len) tp.nospace = true;
  if (copied === 0) return { ok: false, errno: 'EAGAIN' };
  tcpPush(tp, ctx);
  return { ok: true, bytes: copied };
}

/** tcp_recvmsg: the work of `TcpSocket.recv` (`maxBytes` checked), then receive-space moderation and tcp_cleanup_rbuf. */
export function tcpRecvmsg(tp: TcpSock, ctx: ExecContext, maxBytes: number): RecvResult {
  if (tp.sk.state === 'LISTEN') return { ok: false, errno: 'ENOTCONN' };
  if (tp.rcvQ.length === 0 || maxBytes === 0) {
    const err = sockError(tp);
    if (err !== null) return { ok: false, errno: err };
    if ((tp.shutdownFlags & RCV_SHUTDOWN) !== 0 || maxBytes === 0) return { ok: true, bytes: 0, data: null };
    if (tp.sk.state === 'CLOSED') return tp.wasConnected ? { ok: true, bytes: 0, data: null } : { ok: false, errno: 'ENOTCONN' };
    return { ok: false, errno: 'EAGAIN' };
  }
  let n = 0;
  let allBytes = true;
  const pieces: Uint8Array[] = [];
  while (n < maxBytes) {
    const c = tp.rcvQ.peek();
    if (c === undefined) break;
    const take = Math.min(c.len, maxBytes - n);
    if (c.data === null) allBytes = false;
    else pieces.push(c.data.subarray(c.off, c.off + take));
    c.off += take;
    c.seq += take;
    c.len -= take;
    n += take;
    if (c.len === 0) {
      tp.rcvQ.shift();
      tp.rmemAlloc -= c.truesize;
    }
  }
  ctx.charge(ctx.host.costs.userCopy(n));
  tp.copiedSeq += n;
  let data: Uint8Array | null = null;
  if (allBytes) {
    data = new Uint8Array(n);
    let off = 0;
    for (const p of pieces) {
      data.set(p, off);
      off += p.length;
    }
  }
  rcvSpaceAdjust(tp, ctx);
  cleanupRbuf(tp, ctx, n);
  return { ok: true, bytes: n, data };
}

/** inet_shutdown → tcp_shutdown: the work of `TcpSocket.shutdown` (`how` checked). */
export function tcpShutdown(tp: TcpSock, ctx: ExecContext, how: ShutdownHow): OpResult {
  if (tp.sk.state === 'CLOSED' || tp.sk.state === 'LISTEN' || tp.sk.state === 'SYN_SENT') return { ok: false, errno: 'ENOTCONN' };
  if (how !== 'wr') {
    tp.shutdownFlags |= RCV_SHUTDOWN;
    tp.readWq.wakeUp();
  }
  if (how !== 'rd' && (tp.shutdownFlags & SEND_SHUTDOWN) === 0) {
    tp.shutdownFlags |= SEND_SHUTDOWN;
    if (tcpCloseState(tp)) sendFin(tp, ctx);
    tp.writeWq.wakeUp();
  }
  return { ok: true };
}

/** tcp_close (inet_csk_listen_stop for a listener): the work of `TcpSocket.close` once the user has closed the socket. */
export function tcpClose(tp: TcpSock, ctx?: ExecContext): void {
  const stack = tp.stack;
  if (tp.sk.state === 'CLOSED') {
    purgeRcvQ(tp);
    unhash(tp);
    return;
  }
  if (tp.sk.state === 'LISTEN') {
    if (stack.tcpListeners.get(tp.sk.lport) === tp.sk) stack.tcpListeners.delete(tp.sk.lport);
    tp.sk.state = 'CLOSED';
    for (const c of tp.acceptQueue.splice(0)) tcpAbort(c, ctx, false);
    unhash(tp);
    return;
  }
  if (tp.sk.state === 'SYN_SENT') {
    tcpDone(tp);
    return;
  }
  tp.shutdownFlags = RCV_SHUTDOWN | SEND_SHUTDOWN;
  if (tp.rcvQ.length > 0) {
    stack.tcpExt.TCPAbortOnClose++;
    tcpAbort(tp, ctx, false);
    return;
  }
  if (tcpCloseState(tp)) {
    if (ctx !== undefined) sendFin(tp, ctx);
    else {
      queueFin(tp);
      deferOutput(tp);
    }
  }
  if (tp.sk.state === 'FIN_WAIT2') resetXmitTimer(tp, 'timewait', timewaitJiffies(tp), ctx);
}

/** tcp_poll: the readiness `TcpSocket.poll` reports. */
export function tcpPoll(tp: TcpSock): PollEvents {
  const st = tp.sk.state;
  if (st === 'LISTEN') return { readable: tp.acceptQueue.length > 0, writable: false, error: false, hup: false };
  let readable = (tp.shutdownFlags & RCV_SHUTDOWN) !== 0;
  let writable = false;
  if (st !== 'SYN_SENT' && st !== 'SYN_RECV') {
    if (tp.rcvQ.length > 0) readable = true;
    writable = (tp.shutdownFlags & SEND_SHUTDOWN) !== 0 || streamWriteable(tp);
  }
  const hup = tp.shutdownFlags === (RCV_SHUTDOWN | SEND_SHUTDOWN) || st === 'CLOSED';
  return { readable, writable, error: tp.softError !== null, hup };
}

/** tcp_get_info: what getsockopt(TCP_INFO) reports (times in µs). */
export function tcpGetInfo(tp: TcpSock): TcpInfo {
  const usPerJiffy = 1e6 / tp.hzValue;
  return {
    state: tp.sk.state,
    caState: tp.sk.caState,
    retransmits: tp.retransmits,
    backoff: tp.backoff,
    rto: Math.round(tp.rto * usPerJiffy),
    ato: Math.round(tp.ato * usPerJiffy),
    sndMss: tp.mssCache,
    rcvMss: tp.rcvMss,
    unacked: tp.packetsOut,
    sacked: tp.sackedOut,
    lost: tp.lostOut,
    retrans: tp.retransOut,
    pmtu: tp.pmtu,
    rcvSsthresh: tp.rcvSsthresh,
    rtt: tp.rtt.srtt,
    rttvar: Math.floor(tp.rtt.mdevUs / 4),
    sndSsthresh: tp.sk.ssthresh,
    sndCwnd: tp.sk.cwnd,
    advmss: tp.advmss,
    rcvRtt: Math.floor(tp.rcvRttUs / 8),
    rcvSpace: tp.rcvqSpace,
    totalRetrans: tp.totalRetrans,
    bytesAcked: tp.bytesAcked,
    bytesReceived: tp.bytesReceived,
    bytesSent: tp.bytesSent,
    bytesRetrans: tp.bytesRetrans,
    segsOut: tp.segsOut,
    segsIn: tp.segsIn,
    dataSegsOut: tp.dataSegsOut,
    dataSegsIn: tp.dataSegsIn,
    notsentBytes: Math.max(0, tp.writeSeq - tp.sndNxt - (tp.finQueued && tp.sndNxt < tp.writeSeq ? 1 : 0)),
    minRtt: tp.rtt.minRttUs,
    sndWnd: tp.sndWnd,
    rcvWnd: tp.rcvWnd,
    sndbuf: tp.sk.sndbuf,
    rcvbuf: tp.sk.rcvbuf,
    options:
      (tp.tsOk ? TCPI_OPT.TIMESTAMPS : 0) |
      (tp.wscaleOffered ? TCPI_OPT.WSCALE : 0) |
      ((tp.ecnFlags & TCP_ECN_OK) !== 0 ? TCPI_OPT.ECN : 0) |
      ((tp.ecnFlags & TCP_ECN_SEEN) !== 0 ? TCPI_OPT.ECN_SEEN : 0),
  };
}

/** sock_error: take the pending error (sk_err), clearing it. */
export function sockError(tp: TcpSock): NetErrno | null {
  const e = tp.softError;
  tp.softError = null;
  return e;
}

/** inet_csk_get_port's conflict check: a listener has the port, or other sockets hold it and SO_REUSEADDR is off. */
function portConflict(tp: TcpSock, port: number): boolean {
  const stack = tp.stack;
  return stack.tcpListeners.has(port) || (stack.tcpPorts.has(port) && !tp.reuseAddr);
}

/** inet_bind_hash: take (once) a reference on the local port. */
export function holdPort(tp: TcpSock): void {
  if (tp.portHeld) return;
  const ports = tp.stack.tcpPorts;
  ports.set(tp.sk.lport, (ports.get(tp.sk.lport) ?? 0) + 1);
  tp.portHeld = true;
}

/** inet_unhash and inet_put_port: leave the connection table and drop the port reference. */
function unhash(tp: TcpSock): void {
  const stack = tp.stack;
  if (tp.connKey !== null && stack.tcpConns.get(tp.connKey) === tp.sk) stack.tcpConns.delete(tp.connKey);
  tp.connKey = null;
  if (tp.portHeld) {
    const n = (stack.tcpPorts.get(tp.sk.lport) ?? 1) - 1;
    if (n <= 0) stack.tcpPorts.delete(tp.sk.lport);
    else stack.tcpPorts.set(tp.sk.lport, n);
    tp.portHeld = false;
  }
}

/** tcp_set_state: change sk_state (an established connection that closes counts in EstabResets). */
export function tcpSetState(tp: TcpSock, s: TcpState): void {
  if (s === 'CLOSED' && (tp.sk.state === 'ESTABLISHED' || tp.sk.state === 'CLOSE_WAIT')) tp.stack.snmp.Tcp.EstabResets++;
  tp.sk.state = s;
}

/** tcp_close_state: move to the state a close leads to; true if a FIN must be sent. */
function tcpCloseState(tp: TcpSock): boolean {
  if (tp.sk.state === 'ESTABLISHED' || tp.sk.state === 'SYN_RECV') {
    tcpSetState(tp, 'FIN_WAIT1');
    return true;
  }
  if (tp.sk.state === 'CLOSE_WAIT') {
    tcpSetState(tp, 'LAST_ACK');
    return true;
  }
  return false;
}

/** tcp_disconnect: forget a previous attempt so the socket can connect again. */
function tcpDisconnect(tp: TcpSock): void {
  tp.shutdownFlags = 0;
  tp.softError = null;
  tp.errSoft = null;
  tp.finQueued = false;
  tp.sk.cwnd = TCP_INIT_CWND;
  tp.sk.ssthresh = TCP_INFINITE_SSTHRESH;
  tp.sk.cwndCnt = 0;
  setCaState(tp, 'open');
  tp.synRetrans = 0;
  tp.retransmits = 0;
  tp.backoff = 0;
  tp.rto = tp.to.timeoutInit;
  tp.rtt = new RttEstimator(tp.rtt.rtoMinUs);
  tp.maxWindow = 0;
  tp.sndWnd = 0;
  tp.windowClamp = 0;
  tp.rcvMss = TCP_MSS_DEFAULT;
  tp.mssClamp = TCP_MSS_DEFAULT;
  tp.ato = 0;
  tp.quick = 0;
  tp.rcvRttUs = 0;
  tp.rcvRttTime = -1;
  tp.wasConnected = false;
  tp.rcvQ.drain();
  tp.rmemAlloc = 0;
}

/**
 * tcp_done: the connection is over; queues are purged, timers stopped, the 4-tuple freed. A
 * connect that fails is an AttemptFails; a SYN_RECV socket here is the model's request sock,
 * counted where the kernel counts a request's end (a RST: AttemptFails and EmbryonicRsts; an
 * ICMP unreachable: ListenDrops; the SYN-ACK's retries spent: nothing).
 */
export function tcpDone(tp: TcpSock): void {
  const stack = tp.stack;
  if (tp.sk.state === 'SYN_SENT') stack.snmp.Tcp.AttemptFails++;
  tcpSetState(tp, 'CLOSED');
  clearXmitTimer(tp);
  tp.delackTimerObj?.del();
  tp.ackPending = 0;
  tp.shutdownFlags = RCV_SHUTDOWN | SEND_SHUTDOWN;
  for (const s of tp.writeQ.drain()) tp.wmemQueued -= s.truesize;
  for (const s of tp.rtxQ.drain()) tp.wmemQueued -= s.truesize;
  tp.packetsOut = 0;
  tp.sackedOut = 0;
  tp.lostOut = 0;
  tp.retransOut = 0;
  for (const c of tp.ofo.drain()) tp.rmemAlloc -= c.truesize;
  unhash(tp);
  tp.readWq.wakeUp();
  tp.writeWq.wakeUp();
}

/** Free what the receive queue holds (the purge of tcp_close / inet_csk_destroy_sock). */
function purgeRcvQ(tp: TcpSock): void {
  for (const c of tp.rcvQ.drain()) tp.rmemAlloc -= c.truesize;
}

/** Send RST (tcp_send_active_reset) and close, freeing unread data; `err` marks the socket reset for its user. */
export function tcpAbort(tp: TcpSock, ctx: ExecContext | undefined, err: boolean): void {
  purgeRcvQ(tp);
  if (ctx !== undefined) sendActiveReset(tp, ctx);
  else {
    tp.pendingRst = true;
    deferOutput(tp);
  }
  if (err) tp.softError = 'ECONNRESET';
  tcpDone(tp);
}

/** tcp_xmit_size_goal: bytes a write skb holds (whole MSS multiples of the GSO size). */
function sizeGoal(tp: TcpSock): number {
  const mss = tp.mssCache;
  return mss * Math.max(1, Math.floor(boundToHalfWnd(tp, GSO_MAX_PAYLOAD) / mss));
}

/** forced_push: more than half the peer's largest window was written since PSH was last marked. */
function forcedPush(tp: TcpSock): boolean {
  return tp.writeSeq > tp.pushedSeq + Math.floor(tp.maxWindow / 2);
}

/** tcp_mark_push: PSH on `seg`, the write queue's tail. */
function markPush(tp: TcpSock, seg: TcpSeg): void {
  seg.psh = true;
  tp.pushedSeq = tp.writeSeq;
}

/** tcp_push after a write: PSH on the unsent tail (the end of the write), then autocork a small tail while earlier skbs still sit below TCP. */
function tcpPush(tp: TcpSock, ctx: ExecContext): void {
  const tail = tp.writeQ.tail();
  if (tail === undefined) return;
  markPush(tp, tail);
  if (tail.len < sizeGoal(tp) && !tail.fin && tp.rtxQ.length > 0 && tp.wmemAlloc > tail.truesize) {
    tp.tsqThrottled = true;
    return;
  }
  pushPendingFrames(tp, ctx, false);
}

/** tcp_cleanup_rbuf: ACK after a read that freed a lot of window. */
function cleanupRbuf(tp: TcpSock, ctx: ExecContext, copied: number): void {
  if (tp.sk.state === 'CLOSED' || tp.sk.state === 'LISTEN' || tp.sk.state === 'TIME_WAIT') return;
  let timeToAck = false;
  if ((tp.ackPending & ACK_SCHED) !== 0) {
    if (tp.rcvNxt - tp.rcvWup > tp.rcvMss || (copied > 0 && (tp.ackPending & (ACK_PUSHED | ACK_PUSHED2)) !== 0 && tp.rmemAlloc === 0)) timeToAck = true;
  }
  if (copied > 0 && !timeToAck && (tp.shutdownFlags & RCV_SHUTDOWN) === 0) {
    const now = receiveWindow(tp);
    if (2 * now <= tp.windowClamp) {
      const w = selectWindowRaw(tp);
      if (w > 0 && w >= 2 * now) timeToAck = true;
    }
  }
  if (timeToAck) sendAck(tp, ctx);
}
