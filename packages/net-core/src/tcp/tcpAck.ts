/**
 * ACK processing, the sender's half of TCP input (net/ipv4/tcp_input.c): `tcp_ack` (window
 * update, snd_una, the duplicate-ACK decision that drives tcpRecovery.ts),
 * `tcp_clean_rtx_queue`, the RTT sample and the RTO (`tcp_ack_update_rtt`,
 * `tcp_rtt_tsopt_us`, `tcp_set_rto`, over tcpRtt.ts's estimator), `tcp_ack_probe`, and what
 * freed send memory allows (`tcp_check_space`, `tcp_new_space`, `tcp_sndbuf_expand`).
 */
import type { ExecContext } from '@ntbsim/kernel';
import { type Skb, TCP_FLAG } from '../skb.js';
import { MAX_TCP_HEADER, roundupPowOfTwo, SKB_SHINFO_SIZE, SKB_STRUCT_SIZE, TCP_INIT_CWND, TCP_SNDBUF_EXPAND_FACTOR, unwrapSeq } from './tcpConst.js';
import { ecnAcceptCwr, ecnRcvEcnEcho } from './tcpEcn.js';
import { streamWriteable } from './tcpMem.js';
import { sendAck, syncMss, xmitRetransmitQueue } from './tcpOutput.js';
import { segEnd } from './tcpQueues.js';
import { anyRetransDone, cwndReduction, fastretransAlert, removeRenoSacks } from './tcpRecovery.js';
import { ACK_NOW, packetsInFlight, tcpHdr, tsNow, type TcpSock } from './tcpSock.js';
import { clearXmitTimer, probe0When, rearmRto, resetXmitTimer } from './tcpTimer.js';

const { PSH, ACK } = TCP_FLAG;

/** FLAG_DATA: the segment carried data. */
const FLAG_DATA = 0x01;
/** FLAG_WIN_UPDATE: the segment updated the send window. */
const FLAG_WIN_UPDATE = 0x02;
/** FLAG_DATA_ACKED: new data was acknowledged. */
const FLAG_DATA_ACKED = 0x04;
/** FLAG_RETRANS_DATA_ACKED: some of it had been retransmitted. */
const FLAG_RETRANS_DATA_ACKED = 0x08;
/** FLAG_SYN_ACKED: our SYN was acknowledged. */
const FLAG_SYN_ACKED = 0x10;
/** FLAG_ECE: the ACK echoed a CE mark (ECE on an ECN connection). */
export const FLAG_ECE = 0x40;
/** FLAG_SND_UNA_ADVANCED: snd_una moved. */
export const FLAG_SND_UNA_ADVANCED = 0x400;
/** FLAG_ACKED. */
const FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED;
/** FLAG_NOT_DUP: the ACK is not a duplicate. */
const FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED;

/** RTT samples of the data an ACK newly acknowledged (µs, -1 for none): seq_rtt_us from the first segment, ca_rtt_us from the last. */
interface AckRttSample {
  /** seq_rtt_us. */
  readonly seqRtt: number;
  /** ca_rtt_us. */
  readonly caRtt: number;
}

/** tcp_set_rto. */
export function setRto(tp: TcpSock): void {
  const rtoUs = tp.rtt.rtoUs();
  tp.rto = Math.min(tp.host.usecsToJiffies(rtoUs), tp.to.rtoMax);
}

/** tcp_rtt_tsopt_us: RTT from the echoed timestamp (ms resolution; a 0 ms delta counts as `minDelta` ms), or -1. */
export function tsoptRttUs(tp: TcpSock, ctx: ExecContext, minDelta: number): number {
  if (!tp.tsOk || tp.sawTsecr === 0) return -1;
  let delta = (tsNow(tp, ctx) - tp.sawTsecr) >>> 0;
  if (delta >= 0x7fffffff / 1000) return -1;
  if (delta === 0) delta = minDelta;
  return delta * 1000;
}

/** tcp_ack_update_rtt with the samples of the data newly acknowledged (µs, -1 for none); returns the RTT sample for congestion control (µs) or -1. */
function ackUpdateRtt(tp: TcpSock, flag: number, sample: AckRttSample, ctx: ExecContext): number {
  let seqRtt = sample.seqRtt;
  let caRtt = sample.caRtt;
  if (seqRtt < 0 && (flag & FLAG_ACKED) !== 0) {
    seqRtt = tsoptRttUs(tp, ctx, 1);
    caRtt = seqRtt;
  }
  if (seqRtt < 0) return caRtt;
  tp.rtt.updateMin(caRtt);
  tp.rtt.sample(seqRtt, tp.sndUna, tp.sndNxt);
  setRto(tp);
  tp.backoff = 0;
  return caRtt;
}

/** tcp_clean_rtx_queue: drop fully acknowledged segments; returns the ACK flags it adds. */
function cleanRtxQueue(tp: TcpSock, ack: number, ctx: ExecContext): number {
  let flag = 0;
  let pkts = 0;
  let firstAckt = -1;
  let lastAckt = -1;
  for (let s = tp.rtxQ.peek(); s !== undefined && segEnd(s) <= ack; s = tp.rtxQ.peek()) {
    if (s.everRetrans) flag |= FLAG_RETRANS_DATA_ACKED;
    else {
      if (firstAckt < 0) firstAckt = s.sentAt;
      lastAckt = s.sentAt;
    }
    if (s.retrans) tp.retransOut--;
    if (s.lost) tp.lostOut--;
    tp.packetsOut--;
    pkts++;
    tp.wmemQueued -= s.truesize;
    tp.rtxQ.shift();
    if (tp.rtxHint > 0) tp.rtxHint--;
  }
  if (pkts === 0) return 0;
  flag |= FLAG_DATA_ACKED;
  tp.queueShrunk = true;
  removeRenoSacks(tp, pkts);
  let seqRtt = -1;
  let caRtt = -1;
  if (firstAckt >= 0 && (flag & FLAG_RETRANS_DATA_ACKED) === 0) {
    seqRtt = Math.max(0, Math.floor((ctx.time - firstAckt) / 1000));
    caRtt = Math.max(0, Math.floor((ctx.time - lastAckt) / 1000));
  }
  const rtt = ackUpdateRtt(tp, flag, { seqRtt, caRtt }, ctx);
  tp.ca.pktsAcked(tp.sk, rtt);
  if (!anyRetransDone(tp)) tp.retransStamp = 0;
  return flag;
}

/** tcp_ack for the segment `skb` at (unwrapped) sequence `seq`: -1 invalid (discard the segment), 0 old (ignored), 1 processed. */
export function processAck(tp: TcpSock, skb: Skb, seq: number, ctx: ExecContext): number {
  const h = tcpHdr(skb);
  const len = skb.payloadLen;
  const ack = unwrapSeq(h.ack, tp.sndUna);
  const priorSndUna = tp.sndUna;
  if (ack > tp.sndNxt) return -1;
  if (ack < priorSndUna) {
    if (ack < priorSndUna - tp.maxWindow) {
      sendAck(tp, ctx);
      return -1;
    }
    return 0;
  }
  let flag = len > 0 ? FLAG_DATA : 0;
  const priorPackets = tp.packetsOut;
  const priorDelivered = tp.delivered;
  const priorLost = tp.lostTotal;
  const nwin = h.window * 2 ** tp.sndWscale;
  if (len === 0) {
    // Header prediction (tcp_rcv_established): an ACK-only segment in sequence with the window
    // last taken, while the fast path is on (no out-of-order data, an open receive window,
    // receive memory under the buffer), goes to tcp_ack without FLAG_SLOWPATH, which counts
    // it in TCPHPAcks when it advances snd_una; any other pure ACK counts in TCPPureAcks.
    const fast = (h.flags & ~(ACK | PSH)) === 0 && seq === tp.rcvNxt && nwin === tp.sndWnd && tp.ofo.length === 0 && tp.rcvWnd > 0 && tp.rmemAlloc < tp.sk.rcvbuf && ack > priorSndUna;
    if (fast) tp.stack.tcpExt.TCPHPAcks++;
    else tp.stack.tcpExt.TCPPureAcks++;
  }
  if (ack > tp.sndUna || seq > tp.sndWl1 || (seq === tp.sndWl1 && (nwin > tp.sndWnd || nwin === 0))) {
    flag |= FLAG_WIN_UPDATE;
    tp.sndWl1 = seq;
    if (tp.sndWnd !== nwin) {
      tp.sndWnd = nwin;
      if (nwin > tp.maxWindow) {
        tp.maxWindow = nwin;
        syncMss(tp);
      }
    }
  }
  if (ecnRcvEcnEcho(tp, h)) flag |= FLAG_ECE;
  if (ack > priorSndUna) {
    flag |= FLAG_SND_UNA_ADVANCED;
    tp.retransmits = 0;
    tp.bytesAcked += ack - priorSndUna;
  }
  tp.sndUna = ack;
  if (ecnAcceptCwr(tp, h, len)) tp.ackPending |= ACK_NOW;
  if (priorPackets === 0) {
    ackProbe(tp, ctx);
    return 1;
  }
  // Data was sent and acknowledged: forget any soft error (sk_err_soft = 0).
  tp.errSoft = null;
  flag |= cleanRtxQueue(tp, ack, ctx);
  let numDupack = 0;
  if ((flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP)) === 0) numDupack = 1;
  let rexmit = false;
  // tcp_ack_is_dubious: a duplicate, an ECE (FLAG_CA_ALERT), or a state other than Open.
  if ((flag & FLAG_NOT_DUP) === 0 || (flag & FLAG_ECE) !== 0 || tp.sk.caState !== 'open') rexmit = fastretransAlert(tp, numDupack, flag);
  if ((flag & FLAG_ACKED) !== 0) rearmRto(tp);
  // sk_dst_confirm on forward progress (or a pure duplicate): the neighbour is alive.
  if (((flag & FLAG_ACKED) !== 0 || (flag & FLAG_NOT_DUP) === 0) && tp.routeDev !== null) tp.stack.arp.confirm(tp.routeDev, tp.sk.raddr);
  const delivered = tp.delivered - priorDelivered;
  tp.stack.tcpExt.TCPDelivered += delivered;
  if ((flag & FLAG_ECE) !== 0) {
    tp.deliveredCe += delivered;
    tp.stack.tcpExt.TCPDeliveredCE += delivered;
  }
  if (tp.sk.caState === 'cwr' || tp.sk.caState === 'recovery') cwndReduction(tp, delivered, tp.lostTotal - priorLost, flag);
  else if ((flag & FLAG_DATA_ACKED) !== 0) tp.ca.congAvoid(tp.sk, delivered);
  if (rexmit) xmitRetransmitQueue(tp, ctx);
  return 1;
}

/** tcp_ack_probe: an ACK arrived with nothing in flight. */
function ackProbe(tp: TcpSock, ctx: ExecContext): void {
  const head = tp.writeQ.peek();
  if (head === undefined) return;
  const end = Math.min(segEnd(head), head.seq + tp.mssCache);
  if (end <= tp.sndUna + tp.sndWnd) {
    tp.backoff = 0;
    tp.probesOut = 0;
    if (tp.xmitKind === 'probe0') clearXmitTimer(tp);
  } else {
    resetXmitTimer(tp, 'probe0', probe0When(tp), ctx);
  }
}

/** tcp_sndbuf_expand: room for twice the cwnd of worst-case (one kmalloc per segment) skbs. */
export function sndbufExpand(tp: TcpSock): void {
  if (tp.sk.sndbufLocked) return;
  const perMss = roundupPowOfTwo(Math.max(tp.mssClamp, tp.mssCache) + MAX_TCP_HEADER + SKB_SHINFO_SIZE) + SKB_STRUCT_SIZE;
  const nr = Math.max(TCP_INIT_CWND, tp.sk.cwnd, tp.reordering + 1);
  const sndmem = TCP_SNDBUF_EXPAND_FACTOR * nr * perMss;
  if (tp.sk.sndbuf < sndmem) tp.sk.sndbuf = Math.min(sndmem, tp.stack.sysctl.tcpWmem[2]);
}

/**
 * tcp_check_space / tcp_new_space: grow the send buffer (tcp_should_expand_sndbuf: not
 * locked, no memory pressure, the host below tcp_mem[0], cwnd not filled) and wake writers
 * after ACKs freed memory; a write waiting for TCP memory retries now (sk_stream_write_space).
 */
export function checkSpace(tp: TcpSock): void {
  if (!tp.queueShrunk) return;
  tp.queueShrunk = false;
  tp.memBlocked = false;
  if (!tp.nospace && tp.writeWq.size === 0) return;
  const stack = tp.stack;
  if (!tp.sk.sndbufLocked && !stack.tcpMemoryPressure && stack.tcpMemoryAllocated < stack.sysctl.tcpMem[0] && packetsInFlight(tp) < tp.sk.cwnd) sndbufExpand(tp);
  if (streamWriteable(tp)) {
    tp.nospace = false;
    tp.writeWq.wakeUp(true);
  }
}
