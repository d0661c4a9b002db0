/**
 * TCP timers (net/ipv4/tcp_timer.c, with the arming of inet_connection_sock.h and
 * `tcp_rearm_rto`, `tcp_check_probe_timer`): one retransmission timer per socket
 * (icsk_retransmit_timer; icsk_pending says what for) for the SYN and SYN-ACK timeouts, the
 * RTO (`tcp_retransmit_timer`, `retransmits_timed_out`, `tcp_write_err`), the zero-window probe
 * (`tcp_probe_timer`) and TIME_WAIT (the orphan FIN_WAIT2 timeout too), and the delayed-ACK timer
 * (`tcp_delack_timer_handler`).
 */
import type { ExecContext, Timer } from '@ntbsim/kernel';
import { tcpModelTimeout } from './tcpConst.js';
import { tcpDone } from './tcp.js';
import { retransmitSeg, sendAck, sendProbe0, sendSyn, sendSynAck } from './tcpOutput.js';
import { enterLoss } from './tcpRecovery.js';
import { ACK_SCHED, ACK_TIMER, SENDING, type TcpSock, type XmitKind } from './tcpSock.js';

/** tcp_orphan_retries with net.ipv4.tcp_orphan_retries at its default 0, while the backed-off RTO is below TCP_RTO_MAX. */
const TCP_ORPHAN_RETRIES_ALIVE = 8;

/** icsk_retransmit_timer, made on first use (inet_csk_init_xmit_timers). */
function xmitTimer(tp: TcpSock): Timer {
  tp.xmitTimerObj ??= tp.host.createTimer(`tcp-xmit:${tp.sk.lport}`, (ctx) => onXmitTimer(tp, ctx));
  return tp.xmitTimerObj;
}

/** icsk_delack_timer, made on first use. */
export function delackTimer(tp: TcpSock): Timer {
  tp.delackTimerObj ??= tp.host.createTimer(`tcp-delack:${tp.sk.lport}`, (ctx) => onDelackTimer(tp, ctx));
  return tp.delackTimerObj;
}

/** inet_csk_reset_xmit_timer: one timer for SYN, RTO, persist and TIME_WAIT (jiffies from now). */
export function resetXmitTimer(tp: TcpSock, kind: XmitKind, when: number, on?: ExecContext): void {
  tp.xmitKind = kind;
  const exp = tp.host.jiffies + Math.max(1, Math.min(when, tp.to.rtoMax));
  tp.xmitExpires = exp;
  const t = xmitTimer(tp);
  if (!t.pending || t.expires > exp) t.mod(exp, on);
}

/** inet_csk_clear_xmit_timer. */
export function clearXmitTimer(tp: TcpSock): void {
  tp.xmitKind = null;
  tp.xmitTimerObj?.del();
}

/** tcp_rearm_rto. */
export function rearmRto(tp: TcpSock): void {
  if (tp.packetsOut === 0) {
    if (tp.xmitKind === 'retrans') clearXmitTimer(tp);
    return;
  }
  resetXmitTimer(tp, 'retrans', tp.rto);
}

/** tcp_write_timer_handler: run what the timer is armed for; one that fires before its (pushed-back) expiry waits on. */
function onXmitTimer(tp: TcpSock, ctx: ExecContext): void {
  const kind = tp.xmitKind;
  if (kind === null) return;
  if (tp.host.jiffies < tp.xmitExpires) {
    xmitTimer(tp).mod(tp.xmitExpires, ctx);
    return;
  }
  tp.xmitKind = null;
  switch (kind) {
    case 'syn':
      synTimeout(tp, ctx);
      return;
    case 'synack':
      synackTimeout(tp, ctx);
      return;
    case 'retrans':
      retransmitTimer(tp, ctx);
      return;
    case 'probe0':
      probeTimer(tp, ctx);
      return;
    case 'timewait':
      if (tp.sk.state === 'TIME_WAIT' || tp.sk.state === 'FIN_WAIT2') tcpDone(tp);
      return;
  }
}

/** The SYN's timeout (tcp_retransmit_timer in SYN_SENT): resend it with backoff, up to tcp_syn_retries, then fail (tcp_write_timeout). */
function synTimeout(tp: TcpSock, ctx: ExecContext): void {
  if (tp.sk.state !== 'SYN_SENT') return;
  const stack = tp.stack;
  stack.tcpExt.TCPTimeouts++;
  if (tp.synRetrans >= stack.sysctl.tcpSynRetries) {
    writeErr(tp);
    return;
  }
  tp.synRetrans++;
  tp.retransmits++;
  tp.totalRetrans++;
  stack.tcpExt.TCPSynRetrans++;
  stack.snmp.Tcp.RetransSegs++;
  sendSyn(tp, ctx);
  tp.backoff++;
  tp.rto = Math.min(tp.rto * 2, tp.to.rtoMax);
  resetXmitTimer(tp, 'syn', tp.rto, ctx);
}

/** The SYN-ACK's timeout (reqsk_timer_handler → inet_rtx_syn_ack): resend it up to tcp_synack_retries, then drop the request. */
function synackTimeout(tp: TcpSock, ctx: ExecContext): void {
  if (tp.sk.state !== 'SYN_RECV') return;
  const stack = tp.stack;
  if (tp.synRetrans >= stack.sysctl.tcpSynackRetries) {
    tcpDone(tp);
    return;
  }
  tp.synRetrans++;
  tp.totalRetrans++;
  stack.tcpExt.TCPSynRetrans++;
  stack.snmp.Tcp.RetransSegs++;
  sendSynAck(tp, ctx);
  resetXmitTimer(tp, 'synack', Math.min(tp.to.timeoutInit * 2 ** tp.synRetrans, tp.to.rtoMax), ctx);
}

/** retransmits_timed_out: time since the first retransmission against tcp_model_timeout(boundary). */
function retransmitsTimedOut(tp: TcpSock, boundary: number, ctx: ExecContext): boolean {
  if (tp.retransmits === 0 || tp.retransStamp === 0) return false;
  const timeoutNs = tcpModelTimeout(boundary, tp.to.rtoMin, tp.to.rtoMax) * tp.host.tickNs;
  return ctx.time - tp.retransStamp >= timeoutNs;
}

/**
 * tcp_retransmit_timer: RTO. Only local congestion (a qdisc drop, NET_XMIT_DROP) rearms in
 * TCP_RESOURCE_PROBE_INTERVAL without backing off; any other failure — the head still in the
 * host queue (-EBUSY), beyond the peer's window, no route — backs off like a sent retransmit.
 */
export function retransmitTimer(tp: TcpSock, ctx: ExecContext): void {
  if (tp.packetsOut === 0 || !SENDING.has(tp.sk.state)) return;
  const stack = tp.stack;
  stack.tcpExt.TCPTimeouts++;
  tp.sk.stats.timeouts++;
  if (tp.retransStamp === 0) tp.retransStamp = ctx.time;
  if (retransmitsTimedOut(tp, stack.sysctl.tcpRetries2, ctx)) {
    writeErr(tp);
    return;
  }
  if (stack.sysctl.txrehash) {
    tp.sk.txhash = stack.rng.nextU32() || 1;
    stack.tcpExt.TCPTimeoutRehash++;
  }
  enterLoss(tp);
  tp.retransmits++;
  const head = tp.rtxQ.peek();
  const rc = head === undefined ? 'fail' : retransmitSeg(tp, 0, head, ctx);
  if (rc === 'drop') {
    resetXmitTimer(tp, 'retrans', tp.to.resourceProbe, ctx);
    return;
  }
  tp.backoff++;
  tp.rto = Math.min(tp.rto * 2, tp.to.rtoMax);
  resetXmitTimer(tp, 'retrans', tp.rto, ctx);
}

/** tcp_write_err: the connection timed out; the user sees the soft error of an ICMP report, else ETIMEDOUT (sk_err), and the socket is done. */
function writeErr(tp: TcpSock): void {
  tp.softError = tp.errSoft ?? 'ETIMEDOUT';
  tp.stack.tcpExt.TCPAbortOnTimeout++;
  tcpDone(tp);
}

/**
 * tcp_probe_timer: the persist timer while nothing is in flight and the head waits (a closed
 * peer window, or a transmit that failed locally). After `tcp_retries2` unanswered probes —
 * for an orphan, `tcp_orphan_retries` (8 while the backed-off RTO is below TCP_RTO_MAX, else
 * at once) — the connection is aborted (tcp_write_err).
 */
function probeTimer(tp: TcpSock, ctx: ExecContext): void {
  if (tp.packetsOut > 0 || tp.writeQ.length === 0 || !SENDING.has(tp.sk.state)) {
    tp.probesOut = 0;
    return;
  }
  let maxProbes = tp.stack.sysctl.tcpRetries2;
  if (tp.sk.closed) {
    const alive = Math.min(tp.rto * 2 ** tp.backoff, tp.to.rtoMax) < tp.to.rtoMax;
    maxProbes = alive ? TCP_ORPHAN_RETRIES_ALIVE : 0;
    if (!alive && tp.backoff >= maxProbes) {
      writeErr(tp);
      return;
    }
  }
  if (tp.probesOut >= maxProbes) writeErr(tp);
  else sendProbe0(tp, ctx);
}

/** tcp_probe0_when: the backed-off persist interval (jiffies). */
export function probe0When(tp: TcpSock): number {
  return Math.min(Math.max(tp.rto, tp.to.rtoMin) * 2 ** tp.backoff, tp.to.rtoMax);
}

/** tcp_check_probe_timer. */
export function checkProbeTimer(tp: TcpSock, ctx: ExecContext): void {
  if (tp.packetsOut === 0 && tp.xmitKind === null) resetXmitTimer(tp, 'probe0', Math.max(tp.rto, tp.to.rtoMin), ctx);
}

/** tcp_delack_timer_handler. */
function onDelackTimer(tp: TcpSock, ctx: ExecContext): void {
  if ((tp.ackPending & ACK_TIMER) === 0 || tp.sk.state === 'CLOSED') return;
  if (tp.ackTimeout > tp.host.jiffies) {
    delackTimer(tp).mod(tp.ackTimeout, ctx);
    return;
  }
  tp.ackPending &= ~ACK_TIMER;
  if ((tp.ackPending & ACK_SCHED) !== 0) {
    tp.ato = Math.min(tp.ato * 2, tp.rto);
    tp.sk.stats.delayedAcks++;
    tp.stack.tcpExt.DelayedACKs++;
    sendAck(tp, ctx);
  }
}
