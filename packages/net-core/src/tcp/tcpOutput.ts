/**
 * TCP output (net/ipv4/tcp_output.c): building and transmitting segments (`__tcp_transmit_skb`,
 * `tcp_wfree` and TCP small queues — `tcp_small_queue_check`, `tcp_tsq_handler`,
 * `tcp_release_cb`), `tcp_write_xmit` with Nagle/Minshall (`tcp_nagle_check`), cwnd validation
 * and `__tcp_push_pending_frames`, splitting skbs to the MSS (`tcp_fragment`), the control
 * segments (`tcp_send_ack`, `tcp_send_delayed_ack`, `tcp_connect`'s SYN, `tcp_make_synack`,
 * `tcp_send_fin`, `tcp_send_active_reset`), retransmission (`tcp_xmit_retransmit_queue`,
 * `__tcp_retransmit_skb`), the persist probe (`tcp_send_probe0`, `tcp_write_wakeup`), and the
 * MSS (`tcp_mtu_to_mss`, `tcp_bound_to_half_wnd`, `tcp_sync_mss`, `tcp_connect_init`). The
 * window a segment advertises is tcpRcvWnd.ts's `selectWindow`.
 */
import type { Cpu, ExecContext } from '@ntbsim/kernel';
import { IPPROTO, IPV4_HLEN, TCP_HLEN } from '../inet.js';
import type { NetDevice } from '../netDevice.js';
import type { IpXmit } from '../netStack.js';
import { allocSkbTruesize, Skb, TCP_FLAG, type TcpHeader } from '../skb.js';
import { ecnSend, ecnSynackFlags, ecnSynFlags } from './tcpEcn.js';
import { TCP_MIN_SND_MSS, TCP_MSS_DEFAULT, TCP_PACING_CA_RATIO, TCP_PACING_SHIFT, TCP_PACING_SS_RATIO, TCP_SKB_OVERHEAD } from './tcpConst.js';
import { mtuReduced } from './tcpIpv4.js';
import { segEnd, type TcpSeg } from './tcpQueues.js';
import { selectWindow } from './tcpRcvWnd.js';
import { enterCwr } from './tcpRecovery.js';
import { ACK_PUSHED, ACK_SCHED, ACK_TIMER, packetsInFlight, SENDING, tsNow, type TcpSock } from './tcpSock.js';
import { checkProbeTimer, delackTimer, probe0When, rearmRto, resetXmitTimer } from './tcpTimer.js';

const { FIN, SYN, RST, PSH, ACK } = TCP_FLAG;

/** What a segment to build carries: its sequence number, flags and payload (length, bytes or null, truesize). */
interface SegSpec {
  /** First sequence number (absolute). */
  readonly seq: number;
  /** TCP flags. */
  readonly flags: number;
  /** Payload bytes. */
  readonly len: number;
  /** The payload (functional mode), or null. */
  readonly data: Uint8Array | null;
  /** skb->truesize. */
  readonly truesize: number;
}

/** What __tcp_retransmit_skb did: sent, not sent for now (the clone still queued, or beyond the window), a qdisc drop, or another failure. */
export type RetransResult = 'ok' | 'busy' | 'drop' | 'fail';

/** The path part of tcp_connect_init (and of a connection request): the route's device and MTU, the advertised MSS (TCP_MAXSEG's at most), the sender MSS. */
export function initPath(tp: TcpSock, dev: NetDevice): void {
  tp.routeDev = dev;
  tp.pmtu = dev.mtu;
  // tcp_mss_clamp: TCP_MAXSEG caps the advertised MSS.
  const advmss = Math.min(dev.mtu - IPV4_HLEN - TCP_HLEN, 65535 - IPV4_HLEN - TCP_HLEN);
  tp.advmss = tp.userMss !== 0 && tp.userMss < advmss ? tp.userMss : advmss;
  tp.mssCache = mtuToMss(tp, tp.pmtu);
}

/**
 * The initial sequence numbers — the ISN of tcp_v4_connect or tcp_conn_request
 * (secure_tcp_seq) with the snd_una, snd_nxt, write_seq and snd_sml that tcp_connect_init
 * derives from it — and the timestamp offset (secure_tcp_ts_off).
 */
export function initIss(tp: TcpSock): void {
  const rng = tp.stack.rng;
  tp.iss = rng.nextU32();
  tp.sndUna = tp.iss;
  tp.sndNxt = tp.iss + 1;
  tp.writeSeq = tp.iss + 1;
  tp.sndSml = tp.iss;
  tp.pushedSeq = tp.writeSeq;
  tp.sndWl1 = 0;
  tp.cwndUsageSeq = tp.sndNxt;
  tp.rtt.rttSeq = tp.sndNxt;
  tp.tsOffset = rng.nextU32();
}

/** tcp_mtu_to_mss: MTU − IP − TCP header, clamped to the peer MSS, minus TCP options (bytes). */
function mtuToMss(tp: TcpSock, pmtu: number): number {
  let mss = pmtu - IPV4_HLEN - TCP_HLEN;
  if (mss > tp.mssClamp) mss = tp.mssClamp;
  mss = Math.max(mss, TCP_MIN_SND_MSS);
  return mss - (tp.tcpHeaderLen - TCP_HLEN);
}

/** tcp_bound_to_half_wnd (bytes). */
export function boundToHalfWnd(tp: TcpSock, size: number): number {
  const cutoff = tp.maxWindow > TCP_MSS_DEFAULT ? Math.floor(tp.maxWindow / 2) : tp.maxWindow;
  if (cutoff > 0 && size > cutoff) return Math.max(cutoff, 68 - tp.tcpHeaderLen);
  return size;
}

/** tcp_sync_mss with the current path MTU. */
export function syncMss(tp: TcpSock): void {
  tp.mssCache = boundToHalfWnd(tp, mtuToMss(tp, tp.pmtu));
}

/** A device changed state or MTU: follow the route MTU (tcp_current_mss → tcp_sync_mss). */
export function tcpDeviceChange(tp: TcpSock, dev: NetDevice): void {
  if (tp.routeDev !== dev || tp.sk.state === 'CLOSED' || tp.sk.state === 'LISTEN') return;
  if (dev.mtu !== tp.pmtu) {
    tp.pmtu = dev.mtu;
    syncMss(tp);
  }
}

/** An skb from this socket to its peer with the current ACK, window and timestamps, and its ECN marks (tcp_ecn_send). */
function makeSkb(tp: TcpSock, payload: SegSpec, ctx: ExecContext): Skb {
  const seq = payload.seq;
  const flags = ecnSend(tp, payload.flags, payload.len > 0 && seq >= tp.sndNxt);
  const hasAck = (flags & ACK) !== 0;
  const ack = hasAck ? tp.rcvNxt >>> 0 : 0;
  const window = hasAck ? selectWindow(tp) : 0;
  const h: TcpHeader = tp.tsOk
    ? { kind: 'tcp', sport: tp.sk.lport, dport: tp.sk.rport, seq: seq >>> 0, ack, flags, window, tsval: tsNow(tp, ctx), tsecr: tp.tsRecent >>> 0 }
    : { kind: 'tcp', sport: tp.sk.lport, dport: tp.sk.rport, seq: seq >>> 0, ack, flags, window };
  return new Skb({
    ip: { src: tp.sk.laddr, dst: tp.sk.raddr, protocol: IPPROTO.TCP, id: 0, ttl: tp.sk.ipTtl(), df: dontFragment(tp, ctx), tos: tp.sk.tos },
    l4: h,
    data: payload.data,
    payloadLen: payload.len,
    truesize: payload.truesize,
  });
}

/** ip_dont_fragment in __ip_queue_xmit: DF unless IP_PMTUDISC_DONT, or IP_PMTUDISC_WANT on a route whose MTU is locked. */
function dontFragment(tp: TcpSock, ctx: ExecContext): boolean {
  return tp.sk.pmtudisc === 'do' || (tp.sk.pmtudisc === 'want' && !tp.stack.ipMtuLocked(tp.sk.raddr, ctx.time));
}

/** truesize of a header-only skb from this socket (bytes). */
function ctlTruesize(tp: TcpSock): number {
  return allocSkbTruesize(IPV4_HLEN + tp.tcpHeaderLen);
}

/** __tcp_transmit_skb tail: ownership (tcp_wfree for data), flow hash, ooo_okay, ACK bookkeeping, IP output. */
function transmitSkb(tp: TcpSock, skb: Skb, ctx: ExecContext, owned: boolean): IpXmit {
  skb.hash = tp.sk.txhash;
  skb.priority = tp.sk.priority;
  skb.oooOkay = tp.wmemAlloc === 0;
  if (owned) {
    tp.wfreeFn ??= (freed, cpu) => tcpWfree(tp, freed, cpu);
    skb.setOwner(tp.sk, tp.wfreeFn);
    tp.wmemAlloc += skb.truesize;
  } else {
    skb.setOwner(tp.sk, null);
  }
  if (((skb.l4 as TcpHeader).flags & ACK) !== 0) eventAckSent(tp);
  tp.segsOut++;
  const rc = tp.stack.ipOutput(skb, ctx);
  // __tcp_transmit_skb: NET_XMIT_CN (a qdisc that dropped to make room, or a down device's noop) enters CWR.
  if (rc === 'cn') enterCwr(tp);
  return rc;
}

/** tcp_wfree: an skb left the host (or was dropped); schedule the TSQ tasklet if output was throttled. */
function tcpWfree(tp: TcpSock, skb: Skb, cpu: Cpu): void {
  tp.wmemAlloc -= skb.truesize;
  if (tp.tsqThrottled && !(tp.tsqQueued && tp.tsqPush)) {
    tp.tsqThrottled = false;
    tp.tsqPush = true;
    if (tp.tsqQueued) return;
    tp.tsqQueued = true;
    tp.stack.tsqSchedule(tp.sk, cpu);
  }
}

/** tcp_pacing rate (bytes/s): 200 % (slow start) or 120 % of cwnd × MSS / srtt. */
export function pacingRate(tp: TcpSock): number {
  let rate = tp.mssCache * 80_000;
  rate *= tp.sk.cwnd < tp.sk.ssthresh / 2 ? TCP_PACING_SS_RATIO : TCP_PACING_CA_RATIO;
  rate *= Math.max(tp.sk.cwnd, tp.packetsOut);
  if (tp.rtt.srttUs > 0) rate /= tp.rtt.srttUs;
  return rate;
}

/** tcp_small_queue_check: true (and throttled) when enough of this socket already sits below TCP. */
function tsqCheck(tp: TcpSock, truesize: number, factor: number): boolean {
  let limit = Math.max(2 * truesize, Math.floor(pacingRate(tp) / 2 ** TCP_PACING_SHIFT));
  limit = Math.min(limit, tp.stack.sysctl.tcpLimitOutputBytes) * 2 ** factor;
  if (tp.wmemAlloc > limit) {
    if (tp.rtxQ.length <= 1) return false;
    tp.tsqThrottled = true;
    return true;
  }
  return false;
}

/**
 * tcp_event_ack_sent: an ACK went out (pure or piggybacked). A quick ACK is spent only by an
 * ACK of new data (tcp_dec_quickack_mode: one while an ACK is scheduled), not by a window
 * update or a duplicate.
 */
function eventAckSent(tp: TcpSock): void {
  if (tp.quick > 0 && (tp.ackPending & ACK_SCHED) !== 0) {
    tp.quick--;
    if (tp.quick === 0) tp.ato = tp.to.atoMin;
  }
  tp.ackPending = 0;
  if (tp.delackTimerObj?.pending === true) tp.delackTimerObj.del();
}

/** Transmit a data (or FIN) segment: costs, skb, IP output. */
function transmitSeg(tp: TcpSock, seg: TcpSeg, ctx: ExecContext): IpXmit {
  const costs = ctx.host.costs;
  let cost = costs.txPacket();
  if (seg.sendfile || tp.stack.tcpTxChecksum === 'xmit') cost += costs.csum(tp.tcpHeaderLen + seg.len);
  ctx.charge(cost);
  let flags = ACK;
  if (seg.fin) flags |= FIN;
  if (seg.psh) flags |= PSH;
  const data = seg.bytes === null ? null : seg.bytes.length === seg.len ? seg.bytes : seg.bytes.subarray(0, seg.len);
  const skb = makeSkb(tp, { seq: seg.seq, flags, len: seg.len, data, truesize: seg.truesize }, ctx);
  seg.lastSkb = skb;
  seg.sentAt = ctx.time;
  return transmitSkb(tp, skb, ctx, true);
}

/** A local transmit failure (qdisc drop enters CWR; a route or MTU change re-reads the path). */
function localXmitFail(tp: TcpSock, rc: IpXmit): void {
  if (rc === 'drop') enterCwr(tp);
  else if (rc === 'too-big' && tp.routeDev !== null) tcpDeviceChange(tp, tp.routeDev);
}

/** tcp_send_ack. */
export function sendAck(tp: TcpSock, ctx: ExecContext): void {
  if (tp.sk.state === 'CLOSED') return;
  ctx.charge(ctx.host.costs.ack());
  const seq = tp.sndNxt <= tp.sndUna + tp.sndWnd ? tp.sndNxt : tp.sndUna + tp.sndWnd;
  const skb = makeSkb(tp, { seq, flags: ACK, len: 0, data: null, truesize: ctlTruesize(tp) }, ctx);
  tp.sk.stats.acksSent++;
  tp.stack.snmp.Tcp.OutSegs++;
  transmitSkb(tp, skb, ctx, false);
}

/** tcp_send_active_reset: RST|ACK at snd_nxt. */
export function sendActiveReset(tp: TcpSock, ctx: ExecContext): void {
  ctx.charge(ctx.host.costs.txPacket());
  const h: TcpHeader = { kind: 'tcp', sport: tp.sk.lport, dport: tp.sk.rport, seq: tp.sndNxt >>> 0, ack: tp.rcvNxt >>> 0, flags: ecnSend(tp, RST | ACK, false), window: 0 };
  const skb = new Skb({ ip: { src: tp.sk.laddr, dst: tp.sk.raddr, protocol: IPPROTO.TCP, id: 0, ttl: tp.sk.ipTtl(), df: dontFragment(tp, ctx), tos: tp.sk.tos }, l4: h });
  skb.hash = tp.sk.txhash;
  skb.priority = tp.sk.priority;
  const mib = tp.stack.snmp.Tcp;
  mib.OutRsts++;
  mib.OutSegs++;
  tp.stack.ipOutput(skb, ctx);
}

/** tcp_send_syn_data / tcp_connect: the SYN with MSS, timestamps and window scale, and ECE|CWR when it asks for ECN (tcp_ecn_send_syn). */
export function sendSyn(tp: TcpSock, ctx: ExecContext): void {
  const sysctl = tp.stack.sysctl;
  ctx.charge(ctx.host.costs.txPacket());
  const h: TcpHeader = { kind: 'tcp', sport: tp.sk.lport, dport: tp.sk.rport, seq: tp.iss >>> 0, ack: 0, flags: SYN | ecnSynFlags(tp, tp.synRetrans > 0), window: Math.min(tp.rcvWnd, 65535), mss: tp.advmss };
  if (sysctl.tcpTimestamps) {
    h.tsval = tsNow(tp, ctx);
    h.tsecr = 0;
  }
  if (sysctl.tcpWindowScaling) h.wscale = tp.rcvWscale;
  tp.synSentAt = ctx.time;
  sendControl(tp, h, ctx);
}

/** tcp_make_synack: the SYN-ACK answering the options the SYN carried (ECE for an ECN request: tcp_ecn_make_synack). */
export function sendSynAck(tp: TcpSock, ctx: ExecContext): void {
  ctx.charge(ctx.host.costs.txPacket());
  const h: TcpHeader = {
    kind: 'tcp',
    sport: tp.sk.lport,
    dport: tp.sk.rport,
    seq: tp.iss >>> 0,
    ack: tp.rcvNxt >>> 0,
    flags: SYN | ACK | ecnSynackFlags(tp),
    window: Math.min(tp.rcvWnd, 65535),
    mss: tp.advmss,
  };
  if (tp.tsOk) {
    h.tsval = tsNow(tp, ctx);
    h.tsecr = tp.tsRecent >>> 0;
  }
  if (tp.wscaleOffered) h.wscale = tp.rcvWscale;
  tp.synSentAt = ctx.time;
  sendControl(tp, h, ctx);
}

/** Send a SYN or SYN-ACK whose header the caller built (the transmit of tcp_connect / tcp_v4_send_synack). */
function sendControl(tp: TcpSock, h: TcpHeader, ctx: ExecContext): void {
  const skb = new Skb({ ip: { src: tp.sk.laddr, dst: tp.sk.raddr, protocol: IPPROTO.TCP, id: 0, ttl: tp.sk.ipTtl(), df: dontFragment(tp, ctx), tos: tp.sk.tos }, l4: h });
  tp.stack.snmp.Tcp.OutSegs++;
  transmitSkb(tp, skb, ctx, false);
}

/** tcp_send_fin: FIN on the unsent tail skb, or a FIN-only skb; then push. */
export function sendFin(tp: TcpSock, ctx: ExecContext): void {
  queueFin(tp);
  pushPendingFrames(tp, ctx, true);
}

/** The FIN of tcp_send_fin: on the unsent tail skb, else on a new FIN-only skb; it takes a sequence number of write_seq. */
export function queueFin(tp: TcpSock): void {
  if (tp.finQueued) return;
  tp.finQueued = true;
  const tail = tp.writeQ.tail();
  if (tail !== undefined) tail.fin = true;
  else {
    const s = newSeg(tp, tp.writeSeq, 0, { bytes: null, sendfile: false });
    s.fin = true;
    tp.writeQ.push(s);
  }
  tp.writeSeq++;
}

/** tcp_stream_alloc_skb: an empty skb at `seq` that can hold `cap` bytes of `src`'s kind, charged to sk_wmem_queued. */
export function newSeg(tp: TcpSock, seq: number, cap: number, src: Pick<TcpSeg, 'bytes' | 'sendfile'>): TcpSeg {
  tp.wmemQueued += TCP_SKB_OVERHEAD;
  return { seq, len: 0, fin: false, psh: false, bytes: src.bytes, cap, sendfile: src.sendfile, truesize: TCP_SKB_OVERHEAD, sentAt: 0, lost: false, retrans: false, everRetrans: false, lastSkb: null };
}

/** Split the first `len` bytes off `seg` into a new skb (tcp_fragment): the front goes out, `seg` keeps the rest (and FIN and PSH). */
function splitFront(tp: TcpSock, seg: TcpSeg, len: number): TcpSeg {
  const front = newSeg(tp, seg.seq, len, { bytes: seg.bytes === null ? null : seg.bytes.subarray(0, len), sendfile: seg.sendfile });
  front.len = len;
  front.truesize += len;
  tp.wmemQueued += len;
  seg.seq += len;
  seg.len -= len;
  seg.cap -= len;
  seg.truesize -= len;
  tp.wmemQueued -= len;
  if (seg.bytes !== null) seg.bytes = seg.bytes.subarray(len);
  return front;
}

/** Undo `splitFront` after a failed transmit. */
function mergeFront(tp: TcpSock, front: TcpSeg, seg: TcpSeg): void {
  seg.seq = front.seq;
  seg.len += front.len;
  seg.cap += front.len;
  seg.truesize += front.len;
  tp.wmemQueued -= TCP_SKB_OVERHEAD;
  if (seg.bytes !== null && front.bytes !== null) seg.bytes = new Uint8Array(front.bytes.buffer, front.bytes.byteOffset, front.len + seg.bytes.length);
}

/** Whether a Nagle/Minshall check holds a partial last segment (tcp_nagle_check). */
function nagleHolds(tp: TcpSock): boolean {
  if (tp.noDelay) return false;
  return tp.packetsOut > 0 && tp.sndSml > tp.sndUna && tp.sndSml <= tp.sndNxt;
}

/**
 * tcp_write_xmit: send new segments while cwnd, the peer's window, Nagle and TSQ allow.
 * Returns true when nothing is in flight but data waits (arm the persist timer).
 */
export function writeXmit(tp: TcpSock, ctx: ExecContext, pushOne: boolean, nagleOff: boolean): boolean {
  if (!SENDING.has(tp.sk.state)) return false;
  let sent = 0;
  let cwndLimited = false;
  const mss = tp.mssCache;
  for (let head = tp.writeQ.peek(); head !== undefined; head = tp.writeQ.peek()) {
    if (packetsInFlight(tp) >= tp.sk.cwnd) {
      cwndLimited = true;
      break;
    }
    const partial = head.len < mss;
    const end = head.len > mss ? head.seq + mss : segEnd(head);
    if (end > tp.sndUna + tp.sndWnd) {
      tp.sk.stats.rwndLimited++;
      break;
    }
    if (partial && !head.fin && tp.writeQ.length === 1 && !nagleOff && nagleHolds(tp)) break;
    const truesize = head.len > mss ? TCP_SKB_OVERHEAD + mss : head.truesize;
    if (tsqCheck(tp, truesize, 0)) break;
    const seg = head.len > mss ? splitFront(tp, head, mss) : head;
    const rc = transmitSeg(tp, seg, ctx);
    if (rc !== 'success' && rc !== 'cn') {
      if (seg !== head) mergeFront(tp, seg, head);
      localXmitFail(tp, rc);
      break;
    }
    if (seg === head) tp.writeQ.shift();
    eventNewDataSent(tp, seg, mss);
    sent++;
    if (pushOne) break;
  }
  if (sent > 0 && (tp.sk.caState === 'cwr' || tp.sk.caState === 'recovery')) tp.prrOut += sent;
  if (packetsInFlight(tp) >= tp.sk.cwnd) cwndLimited = true;
  if (sent > 0 || cwndLimited) cwndValidate(tp, cwndLimited);
  return tp.packetsOut === 0 && tp.writeQ.length > 0;
}

/** tcp_event_new_data_sent (+ tcp_event_data_sent, tcp_minshall_update). */
function eventNewDataSent(tp: TcpSock, seg: TcpSeg, mss: number): void {
  if (packetsInFlight(tp) === 0) tp.ca.txStart(tp.sk, tp.lsndtime);
  tp.lsndtime = tp.host.jiffies;
  const prior = tp.packetsOut;
  tp.rtxQ.push(seg);
  tp.sndNxt = segEnd(seg);
  tp.packetsOut++;
  tp.stack.tcpExt.TCPOrigDataSent++;
  tp.stack.snmp.Tcp.OutSegs++;
  if (seg.len > 0) tp.dataSegsOut++;
  tp.bytesSent += seg.len;
  if (seg.len < mss) tp.sndSml = segEnd(seg);
  if (prior === 0) rearmRto(tp);
}

/** tcp_cwnd_validate: remember whether this flight was cwnd-limited. */
function cwndValidate(tp: TcpSock, isCwndLimited: boolean): void {
  if (tp.sndUna >= tp.cwndUsageSeq || isCwndLimited || (!tp.cwndLimited && tp.packetsOut > tp.maxPacketsOut)) {
    tp.cwndLimited = isCwndLimited;
    tp.maxPacketsOut = tp.packetsOut;
    tp.cwndUsageSeq = tp.sndNxt;
  }
}

/** __tcp_push_pending_frames: write what can go, then arm the persist timer if nothing flies. */
export function pushPendingFrames(tp: TcpSock, ctx: ExecContext, nagleOff: boolean): void {
  if (tp.writeQ.length === 0) return;
  if (writeXmit(tp, ctx, false, nagleOff)) checkProbeTimer(tp, ctx);
}

/** tcp_xmit_retransmit_queue: retransmit lost segments as cwnd allows. */
export function xmitRetransmitQueue(tp: TcpSock, ctx: ExecContext): void {
  if (tp.packetsOut === 0) return;
  const tcpExt = tp.stack.tcpExt;
  let rearm = false;
  let i = Math.max(0, tp.rtxHint);
  for (; i < tp.rtxQ.length; i++) {
    if (tp.retransOut >= tp.lostOut) break;
    if (tp.sk.cwnd - packetsInFlight(tp) <= 0) break;
    const s = tp.rtxQ.at(i) as TcpSeg;
    if (!s.lost || s.retrans) continue;
    if (tsqCheck(tp, s.truesize, 1)) break;
    if (retransmitSeg(tp, i, s, ctx) !== 'ok') break;
    if (tp.sk.caState !== 'loss') {
      tcpExt.TCPFastRetrans++;
      tp.sk.stats.fastRetrans++;
    } else {
      tcpExt.TCPSlowStartRetrans++;
    }
    if (tp.sk.caState === 'cwr' || tp.sk.caState === 'recovery') tp.prrOut++;
    if (i === 0) rearm = true;
  }
  tp.rtxHint = i;
  if (rearm) resetXmitTimer(tp, 'retrans', tp.rto, ctx);
}

/** __tcp_retransmit_skb: retransmit the segment at rtx queue position `i`. */
export function retransmitSeg(tp: TcpSock, i: number, s: TcpSeg, ctx: ExecContext): RetransResult {
  const stack = tp.stack;
  if (s.lastSkb !== null && !s.lastSkb.isFreed) {
    stack.tcpExt.TCPSpuriousRtxHostQueues++;
    tp.tsqThrottled = true;
    return 'busy';
  }
  if (s.seq < tp.sndUna) {
    const trim = Math.min(tp.sndUna - s.seq, s.len);
    s.seq += trim;
    s.len -= trim;
    s.cap = Math.max(0, s.cap - trim);
    s.truesize -= trim;
    tp.wmemQueued -= trim;
    if (s.bytes !== null) s.bytes = s.bytes.subarray(trim);
  }
  if (s.seq >= tp.sndUna + tp.sndWnd && s.seq !== tp.sndUna) return 'busy';
  const mss = tp.mssCache;
  if (s.len > mss) splitInRtx(tp, i, s, mss);
  const rc = transmitSeg(tp, s, ctx);
  if (rc !== 'success' && rc !== 'cn') {
    stack.tcpExt.TCPRetransFail++;
    return rc === 'drop' ? 'drop' : 'fail';
  }
  if (!s.retrans) {
    s.retrans = true;
    tp.retransOut++;
  }
  s.everRetrans = true;
  tp.totalRetrans++;
  tp.bytesRetrans += s.len;
  stack.snmp.Tcp.RetransSegs++;
  if (tp.retransStamp === 0) tp.retransStamp = ctx.time;
  return 'ok';
}

/** tcp_fragment in the retransmit queue (after the MSS shrank). */
function splitInRtx(tp: TcpSock, i: number, s: TcpSeg, mss: number): void {
  const rest = newSeg(tp, s.seq + mss, s.len - mss, { bytes: s.bytes === null ? null : s.bytes.subarray(mss), sendfile: s.sendfile });
  rest.len = s.len - mss;
  rest.fin = s.fin;
  rest.psh = s.psh;
  rest.truesize += rest.len;
  rest.lost = s.lost;
  rest.everRetrans = s.everRetrans;
  rest.sentAt = s.sentAt;
  s.fin = false;
  s.psh = false;
  s.len = mss;
  s.cap = mss;
  s.truesize -= rest.len;
  if (s.bytes !== null) s.bytes = s.bytes.subarray(0, mss);
  tp.rtxQ.insertAfter(i, rest);
  tp.packetsOut++;
  if (rest.lost) {
    tp.lostOut++;
    tp.lostTotal++;
  }
}

/** tcp_write_wakeup: send what fits of the head in the window, or a zero-window probe; the IP output's result. */
function writeWakeup(tp: TcpSock, ctx: ExecContext): IpXmit {
  const head = tp.writeQ.peek();
  const wndEnd = tp.sndUna + tp.sndWnd;
  if (head !== undefined && head.seq < wndEnd) {
    const mss = tp.mssCache;
    const segSize = Math.min(wndEnd - head.seq, mss);
    // The probe goes out with PSH (and a split leaves it on the rest too).
    head.psh = true;
    const seg = head.len > segSize ? splitFront(tp, head, segSize) : head;
    seg.psh = true;
    const rc = transmitSeg(tp, seg, ctx);
    if (rc !== 'success' && rc !== 'cn') {
      if (seg !== head) mergeFront(tp, seg, head);
      localXmitFail(tp, rc);
      return rc;
    }
    if (seg === head) tp.writeQ.shift();
    eventNewDataSent(tp, seg, mss);
    return rc;
  }
  ctx.charge(ctx.host.costs.ack());
  const skb = makeSkb(tp, { seq: tp.sndUna - 1, flags: ACK, len: 0, data: null, truesize: ctlTruesize(tp) }, ctx);
  tp.stack.tcpExt.TCPWinProbe++;
  tp.stack.snmp.Tcp.OutSegs++;
  return transmitSkb(tp, skb, ctx, false);
}

/**
 * tcp_send_probe0: send what the window allows of the head, or a zero-window probe; rearm
 * with exponential backoff, unless the transmit met local congestion (a qdisc drop: retry in
 * TCP_RESOURCE_PROBE_INTERVAL). A transmit refused outright (too big for DF, no route) backs
 * off like an unanswered probe.
 */
export function sendProbe0(tp: TcpSock, ctx: ExecContext): void {
  const rc = writeWakeup(tp, ctx);
  if (tp.packetsOut > 0 || tp.writeQ.length === 0) {
    tp.probesOut = 0;
    tp.backoff = 0;
    return;
  }
  tp.probesOut++;
  let timeout: number;
  if (rc !== 'drop') {
    if (tp.backoff < tp.stack.sysctl.tcpRetries2) tp.backoff++;
    timeout = probe0When(tp);
  } else {
    timeout = tp.to.resourceProbe;
  }
  resetXmitTimer(tp, 'probe0', timeout, ctx);
}

/** tcp_send_delayed_ack. */
export function sendDelayedAck(tp: TcpSock, ctx: ExecContext): void {
  let ato = tp.ato;
  const to = tp.to;
  if (ato > to.atoMin) {
    let maxAto = Math.floor(tp.hzValue / 2);
    if ((tp.ackPending & ACK_PUSHED) !== 0) maxAto = to.delackMax;
    if (tp.rtt.srttUs > 0) {
      const rtt = Math.max(tp.host.usecsToJiffies(tp.rtt.srtt), to.atoMin);
      if (rtt < maxAto) maxAto = rtt;
    }
    ato = Math.min(ato, maxAto);
  }
  ato = Math.min(ato, to.delackMax);
  const now = tp.host.jiffies;
  let timeout = now + ato;
  if ((tp.ackPending & ACK_TIMER) !== 0) {
    if (tp.ackTimeout <= now + Math.floor(ato / 4)) {
      sendAck(tp, ctx);
      return;
    }
    if (timeout >= tp.ackTimeout) timeout = tp.ackTimeout;
  }
  tp.ackPending |= ACK_SCHED | ACK_TIMER;
  tp.ackTimeout = timeout;
  const t = delackTimer(tp);
  if (!t.pending || t.expires > timeout) t.mod(timeout, ctx);
}

/** TCP small queues tasklet (tcp_tsq_handler, tcp_release_cb): a deferred MTU report, then what TSQ held back or deferred output. */
export function tcpTsqHandler(tp: TcpSock, ctx: ExecContext): void {
  tp.tsqQueued = false;
  if (tp.mtuReducedPending) {
    tp.mtuReducedPending = false;
    mtuReduced(tp, ctx);
    if (!tp.tsqPush) return;
  }
  tp.tsqPush = false;
  if (tp.pendingRst) {
    tp.pendingRst = false;
    sendActiveReset(tp, ctx);
  }
  if (!SENDING.has(tp.sk.state)) return;
  if (tp.lostOut > tp.retransOut && tp.sk.cwnd > packetsInFlight(tp)) xmitRetransmitQueue(tp, ctx);
  pushPendingFrames(tp, ctx, false);
}

/** Output without a task's context (a close from none): the TSQ tasklet on CPU 0 sends it, as tcp_release_cb does deferred work (TCP_TSQ_DEFERRED). */
export function deferOutput(tp: TcpSock): void {
  tp.tsqPush = true;
  if (tp.tsqQueued) return;
  tp.tsqQueued = true;
  tp.stack.tsqSchedule(tp.sk, tp.host.cpu(0));
}
