/**
 * TCP over IPv4 (net/ipv4/tcp_ipv4.c): input demultiplexing (`tcp_v4_rcv`, `tcp_v4_send_reset`)
 * — the per-segment receive cost, checksum verification, the lookup of the connection (with a
 * one-entry cache for back-to-back segments of the same flow) or the listener, and the RST
 * that answers a segment for no socket —, the socket's receive (`tcp_v4_do_rcv`), and ICMP
 * errors (`tcp_v4_err`, `tcp_ld_RTO_revert`, `tcp_v4_mtu_reduced`).
 */
import type { ExecContext } from '@ntbsim/kernel';
import type { NetErrno } from '../errors.js';
import { skbChecksumOk } from '../frame.js';
import { IPPROTO, type Ipv4Addr } from '../inet.js';
import type { NetStack } from '../netStack.js';
import { Skb, TCP_FLAG, type TcpHeader } from '../skb.js';
import { unwrapSeq } from './tcpConst.js';
import { setRto } from './tcpAck.js';
import { listenRcv, stateRcv, synSentRcv } from './tcpInput.js';
import { synRecvRcv, timeWaitRcv } from './tcpMinisocks.js';
import { tcpDone } from './tcp.js';
import type { TcpSock } from './tcpSock.js';
import type { TcpSocket } from './tcpSocket.js';
import { resetXmitTimer, retransmitTimer } from './tcpTimer.js';

const { FIN, SYN, RST, ACK } = TCP_FLAG;

/** The tcpConns key of a 4-tuple. */
export function tcpConnKey(laddr: Ipv4Addr, lport: number, raddr: Ipv4Addr, rport: number): string {
  return `${laddr}:${lport}>${raddr}:${rport}`;
}

/** Find the listener for `port` accepting on `addr`. */
function lookupListener(stack: NetStack, addr: Ipv4Addr, port: number): TcpSocket | undefined {
  const l = stack.tcpListeners.get(port);
  if (l === undefined || (l.laddr !== 0 && l.laddr !== addr)) return undefined;
  return l;
}

/** tcp_v4_send_reset: answer a segment that has no socket (never a RST). */
export function sendResetFor(stack: NetStack, skb: Skb, h: TcpHeader, ctx: ExecContext): void {
  if ((h.flags & RST) !== 0) return;
  const hasAck = (h.flags & ACK) !== 0;
  const l4: TcpHeader = hasAck
    ? { kind: 'tcp', sport: h.dport, dport: h.sport, seq: h.ack, ack: 0, flags: RST, window: 0 }
    : {
        kind: 'tcp',
        sport: h.dport,
        dport: h.sport,
        seq: 0,
        ack: (h.seq + skb.payloadLen + ((h.flags & SYN) !== 0 ? 1 : 0) + ((h.flags & FIN) !== 0 ? 1 : 0)) >>> 0,
        flags: RST | ACK,
        window: 0,
      };
  ctx.charge(ctx.host.costs.txPacket());
  const rst = new Skb({ ip: { src: skb.ip.dst, dst: skb.ip.src, protocol: IPPROTO.TCP, id: 0, ttl: stack.sysctl.ipDefaultTtl, df: true, tos: 0 }, l4 });
  const mib = stack.snmp.Tcp;
  mib.OutRsts++;
  mib.OutSegs++;
  stack.ipOutput(rst, ctx);
}

/**
 * TCP input (`tcp_v4_rcv`): charge the per-packet receive cost (`ack` for a pure ACK,
 * `rxPacket` otherwise) and the software checksum of the segment on this CPU, verify the
 * checksum (functional frames), find the connection or listener, or answer with RST.
 */
export function tcpV4Rcv(stack: NetStack, skb: Skb, ctx: ExecContext): void {
  const costs = ctx.host.costs;
  const h = skb.l4;
  const pureAck = h.kind === 'tcp' && skb.payloadLen === 0 && (h.flags & (SYN | FIN | RST)) === 0;
  ctx.charge((pureAck ? costs.ack() : costs.rxPacket()) + costs.csum(skb.l4Len));
  const mib = stack.snmp.Tcp;
  mib.InSegs++;
  if (h.kind !== 'tcp') {
    mib.InErrs++;
    skb.free(ctx);
    return;
  }
  if (!skbChecksumOk(skb)) {
    mib.InCsumErrors++;
    mib.InErrs++;
    skb.free(ctx);
    return;
  }
  const src = skb.ip.src;
  const dst = skb.ip.dst;
  const last = stack.tcpRcvCache;
  let sock: TcpSocket | undefined;
  if (last !== null && last.hashed && last.lport === h.dport && last.rport === h.sport && last.raddr === src && last.laddr === dst) sock = last;
  else {
    sock = stack.tcpConns.get(tcpConnKey(dst, h.dport, src, h.sport));
    stack.tcpRcvCache = sock ?? null;
    sock ??= lookupListener(stack, dst, h.dport);
  }
  if (sock === undefined) sendResetFor(stack, skb, h, ctx);
  else sock.rcvSkb(skb, h, ctx);
  skb.free(ctx);
}

/** A segment for the socket `tp` (tcp_v4_do_rcv, and tcp_rcv_state_process's choice by state). */
export function tcpV4DoRcv(tp: TcpSock, skb: Skb, h: TcpHeader, ctx: ExecContext): void {
  tp.segsIn++;
  if (skb.payloadLen > 0) tp.dataSegsIn++;
  if (skb.rxQueue >= 0) tp.sk.rxQueueMapping = skb.rxQueue;
  switch (tp.sk.state) {
    case 'LISTEN':
      listenRcv(tp, skb, h, ctx);
      return;
    case 'SYN_SENT':
      synSentRcv(tp, skb, h, ctx);
      return;
    case 'SYN_RECV':
      synRecvRcv(tp, skb, h, ctx);
      return;
    case 'TIME_WAIT':
      timeWaitRcv(tp, h, skb.payloadLen, ctx);
      return;
    case 'CLOSED':
      sendResetFor(tp.stack, skb, h, ctx);
      return;
    case 'ESTABLISHED':
      // sock_rps_save_rxhash: the flow hash RFS records at the socket's reads and writes.
      tp.sk.rxhash = skb.hash;
      stateRcv(tp, skb, h, ctx);
      return;
    case 'FIN_WAIT1':
    case 'FIN_WAIT2':
    case 'CLOSING':
    case 'CLOSE_WAIT':
    case 'LAST_ACK':
      stateRcv(tp, skb, h, ctx);
  }
}

/**
 * `tcp_v4_err` for ICMP FRAG_NEEDED reporting `mtu` for the segment at wire
 * sequence `seq`: ignored for a listener, a closed or TIME_WAIT socket, or a sequence outside
 * snd_una..snd_nxt; otherwise `tcp_v4_mtu_reduced` runs once the current operation is over.
 */
export function tcpV4ErrFragNeeded(tp: TcpSock, seq: number, mtu: number, on: ExecContext): void {
  if (tp.sk.state === 'CLOSED' || tp.sk.state === 'LISTEN' || tp.sk.state === 'TIME_WAIT') return;
  const s = unwrapSeq(seq, tp.sndUna);
  if (s < tp.sndUna || s > tp.sndNxt) return;
  tp.mtuInfo = mtu;
  tp.mtuReducedPending = true;
  if (tp.tsqQueued) return;
  tp.tsqQueued = true;
  tp.stack.tsqSchedule(tp.sk, on);
}

/**
 * `tcp_v4_err` for a destination unreachable other than FRAG_NEEDED (`err`:
 * EHOSTUNREACH when ARP failed to resolve the next hop) about the segment at wire sequence
 * `seq`: ignored outside snd_una..snd_nxt; a connecting socket fails with `err` at once
 * (tcp_done_with_error), and a request (SYN_RECV) is dropped, counted in ListenDrops
 * (tcp_req_err); a synchronized one keeps it as its soft error (sk_err_soft: no
 * IP_RECVERR here), which a later timeout reports instead of ETIMEDOUT, and — for a net or host
 * unreachable about the head segment in RTO backoff — takes one backoff step back
 * (tcp_ld_RTO_revert, RFC 6069): the retransmission timer is re-armed for what is left of the
 * smaller RTO since the head was sent, or fires now when none is left.
 */
export function tcpV4ErrUnreach(tp: TcpSock, seq: number, err: NetErrno, ctx: ExecContext): void {
  if (tp.sk.state === 'CLOSED' || tp.sk.state === 'LISTEN' || tp.sk.state === 'TIME_WAIT') return;
  const s = unwrapSeq(seq, tp.sndUna);
  if (s < tp.sndUna || s > tp.sndNxt) return;
  if (tp.sk.state === 'SYN_RECV') {
    // tcp_req_err: a net or host unreachable aborts the request (the listener never sees it).
    tp.stack.tcpExt.ListenDrops++;
    tcpDone(tp);
    return;
  }
  if (tp.sk.state === 'SYN_SENT') {
    tp.softError = err;
    tcpDone(tp);
    return;
  }
  tp.errSoft = err;
  if (s === tp.sndUna) ldRtoRevert(tp, ctx);
}

/** tcp_ld_RTO_revert: undo one RTO backoff step for the head segment (see `tcpV4ErrUnreach`). */
function ldRtoRevert(tp: TcpSock, ctx: ExecContext): void {
  const head = tp.rtxQ.peek();
  if (tp.packetsOut === 0 || tp.retransmits === 0 || tp.backoff === 0 || head === undefined || tp.xmitKind !== 'retrans') return;
  tp.backoff--;
  if (tp.rtt.srttUs > 0) setRto(tp);
  else tp.rto = tp.to.timeoutInit;
  tp.rto = Math.min(tp.rto * 2 ** tp.backoff, tp.to.rtoMax);
  const elapsed = Math.floor((ctx.time - head.sentAt) / tp.host.tickNs);
  const remaining = tp.rto - elapsed;
  if (remaining > 0) resetXmitTimer(tp, 'retrans', remaining, ctx);
  else {
    tp.xmitKind = null;
    retransmitTimer(tp, ctx);
  }
}

/**
 * tcp_v4_mtu_reduced: update the route's PMTU with the reported MTU (`inet_csk_update_pmtu`;
 * below `ip_rt_min_pmtu` this locks it, and DF goes). The reported MTU is the device's, which
 * the MSS already follows (`tcp_current_mss`), so `tcp_sync_mss` and `tcp_simple_retransmit`
 * have nothing to do: the unsent segment waits for the probe timer.
 */
export function mtuReduced(tp: TcpSock, ctx: ExecContext): void {
  if (tp.sk.state === 'CLOSED' || tp.sk.state === 'LISTEN') return;
  tp.stack.ipRtUpdatePmtu(tp.sk.raddr, tp.mtuInfo, ctx.time);
}
