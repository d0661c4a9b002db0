/**
 * The mini-socket states (net/ipv4/tcp_minisocks.c): the passive open's child
 * (`tcp_create_openreq_child`) and the handshake's last ACK on it (`tcp_check_req` →
 * `tcp_child_process`: the child is established and queued for accept), and TIME_WAIT
 * (`tcp_time_wait`, `tcp_timewait_state_process`). The model keeps a full socket in SYN_RECV
 * and TIME_WAIT instead of a request sock or timewait sock.
 */
import type { ExecContext } from '@ntbsim/kernel';
import { TCPOLEN_TSTAMP_ALIGNED } from '../inet.js';
import type { NetDevice } from '../netDevice.js';
import { type Skb, TCP_FLAG, type TcpHeader } from '../skb.js';
import { TCP_TIMEWAIT_LEN_NS, unwrapSeq } from './tcpConst.js';
import { tcpCongestionOps } from './tcpCong.js';
import { ecnCreateRequest } from './tcpEcn.js';
import { holdPort, tcpAbort, tcpDone, tcpSetState } from './tcp.js';
import { handshakeEstablished, negotiate, stateRcv, tcpReset } from './tcpInput.js';
import { sendResetFor, tcpConnKey } from './tcpIpv4.js';
import { initIss, initPath, sendAck, sendSynAck } from './tcpOutput.js';
import { selectInitialWindow, tcpFullSpace } from './tcpRcvWnd.js';
import { tcpHdr, type TcpSock } from './tcpSock.js';
import { resetXmitTimer } from './tcpTimer.js';

const { FIN, SYN, RST, ACK } = TCP_FLAG;

/**
 * tcp_create_openreq_child for a SYN to the listener `tp` (inet_csk_clone_lock): a new socket
 * in SYN_RECV that inherits the listener's buffers and TCP_NODELAY, hashed on the 4-tuple of
 * `skb` and routed through `dev`, with the SYN's options and ECN (tcp_ecn_create_request)
 * negotiated and its initial window chosen. The model makes the child at the SYN (a full socket for the request sock).
 */
export function createOpenreqChild(tp: TcpSock, skb: Skb, dev: NetDevice): TcpSock {
  const stack = tp.stack;
  const h = tcpHdr(skb);
  const c = tp.spawn();
  const sk = c.sk;
  c.listener = tp;
  sk.sndbuf = tp.sk.sndbuf;
  sk.rcvbuf = tp.sk.rcvbuf;
  sk.sndbufLocked = tp.sk.sndbufLocked;
  sk.rcvbufLocked = tp.sk.rcvbufLocked;
  c.noDelay = tp.noDelay;
  c.userMss = tp.userMss;
  // tcp_ca_openreq_child: a listener's TCP_CONGESTION choice passes to the child (fresh state);
  // otherwise the child runs the system default of now (what `spawn` gave it).
  if (tp.caSetsockopt) {
    c.ca = tcpCongestionOps(tp.ca.name) ?? c.ca;
    c.caSetsockopt = true;
  }
  sk.laddr = skb.ip.dst;
  sk.lport = tp.sk.lport;
  sk.raddr = skb.ip.src;
  sk.rport = h.sport;
  holdPort(c);
  c.connKey = tcpConnKey(sk.laddr, sk.lport, sk.raddr, sk.rport);
  stack.tcpConns.set(c.connKey, sk);
  initPath(c, dev);
  initIss(c);
  sk.txhash = stack.rng.nextU32() || 1;
  c.irs = h.seq;
  c.rcvNxt = c.irs + 1;
  c.rcvWup = c.rcvNxt;
  c.copiedSeq = c.rcvNxt;
  negotiate(c, h);
  ecnCreateRequest(c, skb, h);
  c.sndWnd = h.window;
  c.sndWl1 = h.seq;
  const space = tcpFullSpace(c);
  if (sk.rcvbufLocked && (c.windowClamp > space || c.windowClamp === 0)) c.windowClamp = space;
  selectInitialWindow(c, space, c.advmss - (c.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0), c.wscaleOffered);
  c.rcvSsthresh = c.rcvWnd;
  sk.state = 'SYN_RECV';
  c.sockState = 'connected';
  return c;
}

/** The handshake's last ACK on a SYN_RECV child (tcp_check_req → tcp_child_process). */
export function synRecvRcv(tp: TcpSock, skb: Skb, h: TcpHeader, ctx: ExecContext): void {
  const flags = h.flags;
  const stack = tp.stack;
  if ((flags & RST) !== 0) {
    // tcp_check_req: a RST on a request is an AttemptFails, and embryonic_reset drops it.
    stack.snmp.Tcp.AttemptFails++;
    stack.tcpExt.EmbryonicRsts++;
    tcpReset(tp);
    return;
  }
  if ((flags & SYN) !== 0) {
    if (h.seq === tp.irs >>> 0) {
      tp.totalRetrans++;
      stack.tcpExt.TCPSynRetrans++;
      stack.snmp.Tcp.RetransSegs++;
      sendSynAck(tp, ctx);
    }
    return;
  }
  if ((flags & ACK) === 0) return;
  const ack = unwrapSeq(h.ack, tp.sndUna);
  if (ack !== tp.iss + 1) {
    sendResetFor(stack, skb, h, ctx);
    return;
  }
  const l = tp.listener;
  if (l === null || l.sk.state !== 'LISTEN') {
    tcpAbort(tp, ctx, false);
    return;
  }
  if (l.acceptQueue.length > l.maxAckBacklog) {
    stack.tcpExt.ListenOverflows++;
    return;
  }
  if (tp.tsOk) tp.sawTsecr = h.tsecr ?? 0;
  tp.sndUna = tp.iss + 1;
  tp.sndWnd = h.window * 2 ** tp.sndWscale;
  tp.sndWl1 = unwrapSeq(h.seq, tp.rcvNxt);
  handshakeEstablished(tp, ctx);
  stack.snmp.Tcp.PassiveOpens++;
  l.acceptQueue.push(tp);
  l.readWq.wakeUp(true);
  if (skb.payloadLen > 0 || (flags & FIN) !== 0) stateRcv(tp, skb, h, ctx);
}

/** A segment in TIME_WAIT (tcp_timewait_state_process): re-ACK a retransmitted FIN. */
export function timeWaitRcv(tp: TcpSock, h: TcpHeader, len: number, ctx: ExecContext): void {
  if ((h.flags & RST) !== 0) {
    tcpDone(tp);
    return;
  }
  if ((h.flags & FIN) !== 0 || len > 0) {
    sendAck(tp, ctx);
    resetXmitTimer(tp, 'timewait', timewaitJiffies(tp), ctx);
  }
}

/** tcp_time_wait: enter TIME_WAIT for the (shortened) TIME_WAIT length. */
export function timeWait(tp: TcpSock): void {
  tcpSetState(tp, 'TIME_WAIT');
  tp.delackTimerObj?.del();
  tp.ackPending = 0;
  resetXmitTimer(tp, 'timewait', timewaitJiffies(tp));
  tp.readWq.wakeUp();
  tp.writeWq.wakeUp();
}

/** The TIME_WAIT (and orphan FIN_WAIT2) length in jiffies: TCP_TIMEWAIT_LEN_NS here. */
export function timewaitJiffies(tp: TcpSock): number {
  return Math.max(1, Math.ceil(TCP_TIMEWAIT_LEN_NS / tp.host.tickNs));
}
