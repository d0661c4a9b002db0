/**
 * TCP input (net/ipv4/tcp_input.c), the segment's way through a socket: the synchronized
 * states (`tcp_rcv_state_process`, `tcp_rcv_established`: sequence and RST/SYN checks, the
 * ACK — tcpAck.ts —, the FIN_WAIT/CLOSING/LAST_ACK transitions, the data), the handshake
 * (`tcp_rcv_synsent_state_process`, `tcp_conn_request`, option parsing, `tcp_init_transfer`),
 * the receive queues (`tcp_data_queue`, `tcp_queue_rcv`, `tcp_data_queue_ofo`,
 * `tcp_ofo_queue`, `tcp_fin`, `tcp_reset`), and the delayed-ACK engine (`tcp_event_data_recv`,
 * `tcp_measure_rcv_mss`, quick-ACK mode, `__tcp_ack_snd_check`, `tcp_send_dupack`). The
 * receive window it sizes is tcpRcvWnd.ts's; loss recovery is tcpRecovery.ts's.
 */
import type { ExecContext } from '@ntbsim/kernel';
import type { NetErrno } from '../errors.js';
import { TCP_HLEN, TCPOLEN_TSTAMP_ALIGNED } from '../inet.js';
import { type Skb, TCP_FLAG, type TcpHeader } from '../skb.js';
import { TCP_INIT_CWND, TCP_MAX_QUICKACKS, TCP_MAX_WSCALE, TCP_MIN_MSS, TCP_MSS_DEFAULT, unwrapSeq } from './tcpConst.js';
import { tcpDone, tcpSetState } from './tcp.js';
import { checkSpace, processAck, setRto } from './tcpAck.js';
import { ecnDataCheck, ecnRcvSynack } from './tcpEcn.js';
import { sendResetFor } from './tcpIpv4.js';
import { memSchedule } from './tcpMem.js';
import { createOpenreqChild, timeWait, timewaitJiffies } from './tcpMinisocks.js';
import { pushPendingFrames, sendAck, sendDelayedAck, sendSynAck, syncMss } from './tcpOutput.js';
import { chunkEnd } from './tcpQueues.js';
import { growWindow, initBufferSpace, initRcvMss, rcvRttMeasure, rcvRttMeasureTs, receiveWindow, RMEM_TO_WIN_DIV, selectWindowRaw, setWindowClamp, winFromSpace } from './tcpRcvWnd.js';
import { ACK_NOMEM, ACK_NOW, ACK_PUSHED, ACK_PUSHED2, ACK_SCHED, RCV_SHUTDOWN, SENDING, tcpHdr, type TcpSock } from './tcpSock.js';
import { clearXmitTimer, resetXmitTimer } from './tcpTimer.js';

const { FIN, SYN, RST, PSH, ACK } = TCP_FLAG;
/** TCP_REMNANT: the flags of a segment that may be short for a reason other than the sender's data running out. */
const TCP_REMNANT = FIN | SYN | PSH;

/** tcp_rcv_state_process / tcp_rcv_established for the synchronized states (ESTABLISHED through LAST_ACK). */
export function stateRcv(tp: TcpSock, skb: Skb, h: TcpHeader, ctx: ExecContext): void {
  const flags = h.flags;
  const seq = unwrapSeq(h.seq, tp.rcvNxt);
  const len = skb.payloadLen;
  const end = seq + len + ((flags & FIN) !== 0 ? 1 : 0);
  if (end < tp.rcvWup || seq > tp.rcvNxt + receiveWindow(tp)) {
    if ((flags & RST) === 0) sendDupack(tp, seq, end, ctx);
    return;
  }
  if ((flags & RST) !== 0) {
    if (seq === tp.rcvNxt) tcpReset(tp);
    else sendAck(tp, ctx);
    return;
  }
  if ((flags & SYN) !== 0) {
    sendAck(tp, ctx);
    return;
  }
  if ((flags & ACK) === 0) return;
  if (tp.tsOk && h.tsval !== undefined) {
    if (seq <= tp.rcvWup) tp.tsRecent = h.tsval;
    tp.sawTsecr = h.tsecr ?? 0;
  }
  if (processAck(tp, skb, seq, ctx) < 0) return;
  if (tp.finQueued && tp.sndUna === tp.writeSeq) {
    if (tp.sk.state === 'FIN_WAIT1') {
      tcpSetState(tp, 'FIN_WAIT2');
      tp.writeWq.wakeUp();
      if (tp.sk.closed) resetXmitTimer(tp, 'timewait', timewaitJiffies(tp), ctx);
    } else if (tp.sk.state === 'CLOSING') {
      timeWait(tp);
      return;
    } else if (tp.sk.state === 'LAST_ACK') {
      tcpDone(tp);
      return;
    }
  }
  const st = tp.sk.state;
  if (st === 'CLOSE_WAIT' || st === 'CLOSING' || st === 'LAST_ACK') {
    if (seq < tp.rcvNxt) dataQueue(tp, skb, seq, ctx);
  } else if (st === 'FIN_WAIT1' || st === 'FIN_WAIT2') {
    if ((tp.shutdownFlags & RCV_SHUTDOWN) !== 0 && len > 0 && seq + len > tp.rcvNxt) {
      tp.stack.tcpExt.TCPAbortOnData++;
      tcpReset(tp);
      return;
    }
    dataQueue(tp, skb, seq, ctx);
  } else if (st === 'ESTABLISHED') {
    dataQueue(tp, skb, seq, ctx);
  }
  if (SENDING.has(tp.sk.state)) {
    pushPendingFrames(tp, ctx, false);
    checkSpace(tp);
  }
  ackSndCheck(tp, ctx);
}

/** tcp_send_dupack for an out-of-window segment. */
function sendDupack(tp: TcpSock, seq: number, end: number, ctx: ExecContext): void {
  if (end !== seq && seq < tp.rcvNxt) {
    tp.stack.tcpExt.DelayedACKLost++;
    enterQuickackMode(tp);
  }
  sendAck(tp, ctx);
}

/** tcp_incr_quickack. */
function incrQuickack(tp: TcpSock, max: number): void {
  let q = Math.floor(tp.rcvWnd / (2 * tp.rcvMss));
  if (q === 0) q = 2;
  q = Math.min(q, max);
  if (q > tp.quick) tp.quick = q;
}

/** tcp_enter_quickack_mode: up to `max` quick ACKs. */
function enterQuickackMode(tp: TcpSock, max: number = TCP_MAX_QUICKACKS): void {
  incrQuickack(tp, max);
  tp.ato = tp.to.atoMin;
}

/** A segment tcp_data_queue drops as out of window: quick-ACK mode, and an ACK is due (tcp_enter_quickack_mode, inet_csk_schedule_ack). */
function outOfWindow(tp: TcpSock): void {
  enterQuickackMode(tp);
  tp.ackPending |= ACK_SCHED;
}

/** tcp_data_queue for the segment `skb` at (unwrapped) sequence `seq`. */
function dataQueue(tp: TcpSock, skb: Skb, seq: number, ctx: ExecContext): void {
  const fin = (tcpHdr(skb).flags & FIN) !== 0;
  const len = skb.payloadLen;
  if (len === 0 && !fin) return;
  const tcpExt = tp.stack.tcpExt;
  if (seq === tp.rcvNxt) {
    if (receiveWindow(tp) === 0 && len > 0) {
      tcpExt.TCPZeroWindowDrop++;
      outOfWindow(tp);
      return;
    }
    queueInOrder(tp, skb, seq, ctx);
    return;
  }
  if (seq + len + (fin ? 1 : 0) <= tp.rcvNxt) {
    tcpExt.DelayedACKLost++;
    outOfWindow(tp);
    return;
  }
  if (seq >= tp.rcvNxt + receiveWindow(tp)) {
    outOfWindow(tp);
    return;
  }
  if (seq < tp.rcvNxt) {
    if (receiveWindow(tp) === 0) {
      tcpExt.TCPZeroWindowDrop++;
      outOfWindow(tp);
      return;
    }
    queueInOrder(tp, skb, seq, ctx);
    return;
  }
  queueOfo(tp, skb, seq, fin);
}

/** Queue in-order data (tcp_queue_rcv), trimming what was already received. */
function queueInOrder(tp: TcpSock, skb: Skb, seq: number, ctx: ExecContext): void {
  const h = tcpHdr(skb);
  const trim = tp.rcvNxt - seq;
  const fin = (h.flags & FIN) !== 0;
  const len = skb.payloadLen;
  if (tp.rmemAlloc > tp.sk.rcvbuf || !memSchedule(tp, skb.truesize, 'recv')) {
    tp.ackPending |= ACK_NOMEM | ACK_NOW | ACK_SCHED;
    tp.readWq.wakeUp(true);
    if (tp.rcvQ.length > 0 && len > 0) {
      tp.stack.tcpExt.TCPRcvQDrop++;
      return;
    }
  }
  const n = len - trim;
  if (n > 0) {
    tp.rcvQ.push({ seq: seq + trim, len: n, data: skb.data === null ? null : skb.data.subarray(trim), off: 0, truesize: skb.truesize, fin: false });
    tp.rmemAlloc += skb.truesize;
    tp.bytesReceived += n;
  }
  tp.rcvNxt = seq + len + (fin ? 1 : 0);
  if (len > 0) eventDataRecv(tp, skb, h, ctx);
  if (fin) tcpFin(tp, ctx);
  if (tp.ofo.length > 0) {
    ofoToRcv(tp, ctx);
    if (tp.ofo.length === 0) tp.ackPending |= ACK_NOW;
  }
  tp.readWq.wakeUp(true);
}

/** tcp_data_queue_ofo. */
function queueOfo(tp: TcpSock, skb: Skb, seq: number, fin: boolean): void {
  const tcpExt = tp.stack.tcpExt;
  ecnDataCheck(tp, skb, (max) => enterQuickackMode(tp, max));
  if (tp.rmemAlloc > tp.sk.rcvbuf || !memSchedule(tp, skb.truesize, 'recv')) {
    tcpExt.TCPOFODrop++;
    tp.readWq.wakeUp(true);
    return;
  }
  tp.ackPending |= ACK_SCHED;
  tcpExt.TCPOFOQueue++;
  const r = tp.ofo.insert({ seq, len: skb.payloadLen, data: skb.data, off: 0, truesize: skb.truesize, fin });
  if (!r.queued) return;
  tp.rmemAlloc += skb.truesize;
  for (const c of r.removed) tp.rmemAlloc -= c.truesize;
}

/** tcp_ofo_queue: move what the hole's filling made in order. */
function ofoToRcv(tp: TcpSock, ctx: ExecContext): void {
  for (let c = tp.ofo.peek(); c !== undefined && c.seq <= tp.rcvNxt; c = tp.ofo.peek()) {
    tp.ofo.shift();
    const end = chunkEnd(c);
    if (end <= tp.rcvNxt) {
      tp.rmemAlloc -= c.truesize;
      continue;
    }
    const trim = tp.rcvNxt - c.seq;
    c.seq += trim;
    c.off += trim;
    c.len -= trim;
    const fin = c.fin;
    c.fin = false;
    if (c.len > 0) {
      tp.rcvQ.push(c);
      tp.bytesReceived += c.len;
    } else {
      tp.rmemAlloc -= c.truesize;
    }
    tp.rcvNxt = end;
    if (fin) {
      tcpFin(tp, ctx);
      break;
    }
  }
}

/** tcp_fin: the peer closed its direction. */
function tcpFin(tp: TcpSock, ctx: ExecContext): void {
  tp.shutdownFlags |= RCV_SHUTDOWN;
  tp.ackPending |= ACK_SCHED;
  for (const c of tp.ofo.drain()) tp.rmemAlloc -= c.truesize;
  const st = tp.sk.state;
  if (st === 'SYN_RECV' || st === 'ESTABLISHED') tcpSetState(tp, 'CLOSE_WAIT');
  else if (st === 'FIN_WAIT1') {
    sendAck(tp, ctx);
    tcpSetState(tp, 'CLOSING');
  } else if (st === 'FIN_WAIT2') {
    sendAck(tp, ctx);
    timeWait(tp);
  }
  tp.readWq.wakeUp();
  tp.writeWq.wakeUp();
}

/** tcp_event_data_recv: delayed-ACK engine, receiver MSS and RTT, the ECN field (tcp_data_ecn_check), window growth. */
function eventDataRecv(tp: TcpSock, skb: Skb, h: TcpHeader, ctx: ExecContext): void {
  const len = skb.payloadLen;
  tp.ackPending |= ACK_SCHED;
  measureRcvMss(tp, skb, h);
  rcvRttMeasureTs(tp, len, ctx);
  rcvRttMeasure(tp, ctx);
  const now = tp.host.jiffies;
  const atoMin = tp.to.atoMin;
  if (tp.ato === 0) {
    incrQuickack(tp, TCP_MAX_QUICKACKS);
    tp.ato = atoMin;
  } else {
    const m = now - tp.lrcvtime;
    if (m <= Math.floor(atoMin / 2)) {
      tp.ato = Math.floor(tp.ato / 2) + Math.floor(atoMin / 2);
    } else if (m < tp.ato) {
      tp.ato = Math.floor(tp.ato / 2) + m;
      if (tp.ato > tp.rto) tp.ato = tp.rto;
    } else if (m > tp.rto) {
      incrQuickack(tp, TCP_MAX_QUICKACKS);
    }
  }
  tp.lrcvtime = now;
  ecnDataCheck(tp, skb, (max) => enterQuickackMode(tp, max));
  if (len >= 128) growWindow(tp, skb);
}

/** tcp_measure_rcv_mss (with the skb len/truesize scaling ratio). */
function measureRcvMss(tp: TcpSock, skb: Skb, h: TcpHeader): void {
  const len = skb.payloadLen;
  const lss = tp.lastSegSize;
  tp.lastSegSize = 0;
  if (len >= tp.rcvMss) {
    if (len !== tp.rcvMss) {
      const val = Math.floor((len * RMEM_TO_WIN_DIV) / skb.truesize);
      const old = tp.scalingRatio;
      tp.scalingRatio = Math.min(255, val) || 1;
      if (old !== tp.scalingRatio) {
        setWindowClamp(tp, winFromSpace(tp, tp.sk.rcvbuf));
        if (tp.windowClamp < tp.rcvqSpace) tp.rcvqSpace = tp.windowClamp;
      }
    }
    tp.rcvMss = Math.min(len, tp.advmss);
    // A full-sized segment with PSH likely ends a write: let the read that drains it ACK at once.
    if ((h.flags & PSH) !== 0) tp.ackPending |= ACK_PUSHED;
    return;
  }
  let l = len + skb.l4HeaderLen;
  if (l >= TCP_MSS_DEFAULT + TCP_HLEN || (l >= TCP_MIN_MSS + TCP_HLEN && (h.flags & TCP_REMNANT) === 0)) {
    l -= tp.tcpHeaderLen;
    tp.lastSegSize = l;
    if (l === lss) {
      tp.rcvMss = l;
      return;
    }
  }
  if ((tp.ackPending & ACK_PUSHED) !== 0) tp.ackPending |= ACK_PUSHED2;
  tp.ackPending |= ACK_PUSHED;
}

/** __tcp_ack_snd_check. */
function ackSndCheck(tp: TcpSock, ctx: ExecContext): void {
  if ((tp.ackPending & ACK_SCHED) === 0 || tp.sk.state === 'CLOSED') return;
  if (
    (tp.rcvNxt - tp.rcvWup > tp.rcvMss && (tp.rcvNxt - tp.copiedSeq < 1 || selectWindowRaw(tp) >= tp.rcvWnd)) ||
    tp.quick > 0 ||
    (tp.ackPending & ACK_NOW) !== 0
  ) {
    sendAck(tp, ctx);
    return;
  }
  if (tp.ofo.length === 0) {
    sendDelayedAck(tp, ctx);
    return;
  }
  sendAck(tp, ctx);
}

/** Negotiate options from a SYN or SYN-ACK (tcp_parse_options + the synsent/openreq setup). */
export function negotiate(tp: TcpSock, h: TcpHeader): void {
  const sysctl = tp.stack.sysctl;
  // tcp_parse_options: the peer's MSS option (536 without one), TCP_MAXSEG's at most.
  const inMss = h.mss ?? TCP_MSS_DEFAULT;
  tp.mssClamp = tp.userMss !== 0 && tp.userMss < inMss ? tp.userMss : inMss;
  tp.tsOk = sysctl.tcpTimestamps && h.tsval !== undefined;
  if (sysctl.tcpWindowScaling && h.wscale !== undefined) {
    tp.sndWscale = Math.min(h.wscale, TCP_MAX_WSCALE);
    tp.wscaleOffered = true;
  } else {
    tp.sndWscale = 0;
    tp.rcvWscale = 0;
    tp.wscaleOffered = false;
    tp.windowClamp = Math.min(tp.windowClamp === 0 ? 65535 : tp.windowClamp, 65535);
  }
  if (tp.tsOk) tp.tsRecent = h.tsval ?? 0;
  tp.tcpHeaderLen = TCP_HLEN + (tp.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
}

/** tcp_init_transfer at ESTABLISHED: initial cwnd, buffers, CUBIC. */
function initTransfer(tp: TcpSock, ctx: ExecContext): void {
  tp.sk.cwnd = tp.synRetrans > 1 ? 1 : TCP_INIT_CWND;
  tp.ca.reset();
  tp.lsndtime = tp.host.jiffies;
  initBufferSpace(tp, ctx);
  tp.wasConnected = true;
}

/** The SYN (or SYN-ACK) round trip as the first RTT sample, unless it was retransmitted. */
function synRttSample(tp: TcpSock, ctx: ExecContext): void {
  if (tp.synRetrans === 0) {
    const us = Math.max(1, Math.floor((ctx.time - tp.synSentAt) / 1000));
    tp.rtt.updateMin(us);
    tp.rtt.sample(us, tp.sndUna, tp.sndNxt);
    setRto(tp);
  } else {
    tp.rto = tp.to.timeoutInit;
  }
  tp.backoff = 0;
  tp.retransmits = 0;
}

/**
 * The end of the handshake at either side (tcp_finish_connect; the SYN_RECV case of
 * tcp_rcv_state_process), once snd_una and snd_wnd took the peer's ACK: that window is the
 * largest yet, the timestamp option comes off the advertised MSS, the sender and receiver MSS
 * are set, the SYN timer stops, the handshake gives the first RTT sample, and the connection
 * is ESTABLISHED (tcp_init_transfer).
 */
export function handshakeEstablished(tp: TcpSock, ctx: ExecContext): void {
  tp.maxWindow = tp.sndWnd;
  tp.advmss -= tp.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0;
  syncMss(tp);
  initRcvMss(tp);
  clearXmitTimer(tp);
  synRttSample(tp, ctx);
  tp.sk.state = 'ESTABLISHED';
  initTransfer(tp, ctx);
}

/** tcp_rcv_synsent_state_process: the SYN-ACK of an active open (a wrong ACK is answered with RST, a RST with a right one refuses the connection). */
export function synSentRcv(tp: TcpSock, skb: Skb, h: TcpHeader, ctx: ExecContext): void {
  const flags = h.flags;
  if ((flags & ACK) !== 0) {
    const ack = unwrapSeq(h.ack, tp.sndUna);
    if (ack !== tp.iss + 1) {
      if ((flags & RST) === 0) sendResetFor(tp.stack, skb, h, ctx);
      return;
    }
    if ((flags & RST) !== 0) {
      tcpReset(tp);
      return;
    }
  } else if ((flags & RST) !== 0) {
    return;
  }
  if ((flags & SYN) === 0 || (flags & ACK) === 0) return;
  tp.irs = h.seq;
  tp.rcvNxt = tp.irs + 1;
  tp.rcvWup = tp.rcvNxt;
  tp.copiedSeq = tp.rcvNxt;
  negotiate(tp, h);
  ecnRcvSynack(tp, h);
  tp.sawTsecr = h.tsecr ?? 0;
  tp.sndUna = tp.iss + 1;
  // tcp_ack of the SYN-ACK moves snd_una over the SYN: tcp_snd_una_update counts its 1 byte.
  tp.bytesAcked = 1;
  tp.sndWnd = h.window;
  tp.sndWl1 = h.seq;
  handshakeEstablished(tp, ctx);
  sendAck(tp, ctx);
  tp.writeWq.wakeUp();
  tp.readWq.wakeUp();
}

/** A SYN on a listener (tcp_conn_request): create the request (a SYN_RECV child) and answer. */
export function listenRcv(tp: TcpSock, skb: Skb, h: TcpHeader, ctx: ExecContext): void {
  const flags = h.flags;
  const stack = tp.stack;
  if ((flags & RST) !== 0) return;
  if ((flags & ACK) !== 0) {
    sendResetFor(stack, skb, h, ctx);
    return;
  }
  if ((flags & SYN) === 0) return;
  if (tp.acceptQueue.length > tp.maxAckBacklog) {
    stack.tcpExt.ListenOverflows++;
    stack.tcpExt.ListenDrops++;
    return;
  }
  const r = stack.route(skb.ip.src);
  if (r === null) {
    stack.tcpExt.ListenDrops++;
    return;
  }
  const c = createOpenreqChild(tp, skb, r.dev);
  sendSynAck(c, ctx);
  resetXmitTimer(c, 'synack', c.to.timeoutInit, ctx);
}

/** tcp_reset: a valid RST arrived. */
export function tcpReset(tp: TcpSock): void {
  if (tp.sk.state === 'SYN_RECV' && tp.listener !== null) {
    tcpDone(tp);
    return;
  }
  const err: NetErrno = tp.sk.state === 'SYN_SENT' ? 'ECONNREFUSED' : tp.sk.state === 'CLOSE_WAIT' ? 'EPIPE' : 'ECONNRESET';
  tp.softError = err;
  tcpDone(tp);
}
