/**
 * Loss recovery of a connection without SACK (net/ipv4/tcp_input.c): the congestion state
 * machine (`tcp_fastretrans_alert`: Open, Disorder, CWR, Recovery, Loss), NewReno's accounting
 * of duplicate ACKs as Reno "sacked" segments (`tcp_add_reno_sack`, `tcp_remove_reno_sacks`,
 * `tcp_newreno_mark_lost`), proportional rate reduction during a reduction
 * (`tcp_init_cwnd_reduction`, `tcp_cwnd_reduction`, `tcp_end_cwnd_reduction`, RFC 6937), and
 * the entries into CWR, Recovery and Loss (`tcp_enter_cwr`, `tcp_enter_recovery`,
 * `tcp_enter_loss`; an ECE's `tcp_enter_cwr` in `tcp_try_to_open`). The retransmissions themselves are tcpOutput.ts's; RACK and TLP
 * (net/ipv4/tcp_recovery.c) are not modelled.
 */
import { TCP_INFINITE_SSTHRESH } from './tcpConst.js';
import { FLAG_ECE, FLAG_SND_UNA_ADVANCED } from './tcpAck.js';
import { ecnQueueCwr } from './tcpEcn.js';
import type { TcpSeg } from './tcpQueues.js';
import { packetsInFlight, type TcpSock } from './tcpSock.js';
import type { TcpCaState } from './tcpSocket.js';

/** The order of the congestion states (enum tcp_ca_state). */
const CA_ORDER: Readonly<Record<TcpCaState, number>> = { open: 0, disorder: 1, cwr: 2, recovery: 3, loss: 4 };
/** tcp_max_reordering default. */
const TCP_MAX_REORDERING = 300;

/** tcp_set_ca_state (entering Loss resets CUBIC: bictcp_state). */
export function setCaState(tp: TcpSock, s: TcpCaState): void {
  if (s === 'loss') tp.ca.onLoss();
  tp.sk.caState = s;
}

/** tcp_any_retrans_done: a retransmission is out, or the head segment was retransmitted once. */
export function anyRetransDone(tp: TcpSock): boolean {
  if (tp.retransOut > 0) return true;
  return tp.rtxQ.peek()?.everRetrans === true;
}

/** tcp_init_cwnd_reduction (an ECN connection then queues CWR: tcp_ecn_queue_cwr). */
function initCwndReduction(tp: TcpSock): void {
  tp.highSeq = tp.sndNxt;
  tp.sk.cwndCnt = 0;
  tp.priorCwnd = tp.sk.cwnd;
  tp.prrDelivered = 0;
  tp.prrOut = 0;
  tp.sk.ssthresh = tp.ca.ssthresh(tp.sk);
  ecnQueueCwr(tp);
}

/** tcp_end_cwnd_reduction. */
function endCwndReduction(tp: TcpSock): void {
  if (tp.sk.caState === 'cwr' || tp.sk.ssthresh < TCP_INFINITE_SSTHRESH) tp.sk.cwnd = tp.sk.ssthresh;
}

/** tcp_cwnd_reduction: proportional rate reduction (RFC 6937). */
export function cwndReduction(tp: TcpSock, newlyAckedSacked: number, newlyLost: number, flag: number): void {
  if (newlyAckedSacked <= 0 || tp.priorCwnd === 0) return;
  tp.prrDelivered += newlyAckedSacked;
  const delta = tp.sk.ssthresh - packetsInFlight(tp);
  let sndcnt: number;
  if (delta < 0) {
    sndcnt = Math.floor((tp.sk.ssthresh * tp.prrDelivered + tp.priorCwnd - 1) / tp.priorCwnd) - tp.prrOut;
  } else {
    sndcnt = Math.max(tp.prrDelivered - tp.prrOut, newlyAckedSacked);
    if ((flag & FLAG_SND_UNA_ADVANCED) !== 0 && newlyLost === 0) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  sndcnt = Math.max(sndcnt, tp.prrOut > 0 ? 0 : 1);
  tp.sk.cwnd = packetsInFlight(tp) + sndcnt;
}

/** tcp_enter_cwr: a local drop or an ECE; reduce cwnd once per window (not while already in CWR, Recovery or Loss). */
export function enterCwr(tp: TcpSock): void {
  if (CA_ORDER[tp.sk.caState] < CA_ORDER.cwr) {
    initCwndReduction(tp);
    setCaState(tp, 'cwr');
    tp.stack.tcpExt.TCPCwr++;
  }
}

/** tcp_enter_recovery (Reno). */
function enterRecovery(tp: TcpSock): void {
  tp.stack.tcpExt.TCPRenoRecovery++;
  tp.sk.stats.recoveries++;
  if (tp.sk.caState !== 'cwr' && tp.sk.caState !== 'recovery') initCwndReduction(tp);
  setCaState(tp, 'recovery');
}

/** tcp_enter_loss: the RTO fired; everything outstanding is lost, cwnd restarts at 1. */
export function enterLoss(tp: TcpSock): void {
  tp.sackedOut = 0;
  for (let i = 0; i < tp.rtxQ.length; i++) {
    const s = tp.rtxQ.at(i) as TcpSeg;
    if (s.retrans) {
      s.retrans = false;
      tp.retransOut--;
    }
    if (!s.lost) {
      s.lost = true;
      tp.lostOut++;
      tp.lostTotal++;
    }
  }
  tp.rtxHint = 0;
  if (CA_ORDER[tp.sk.caState] <= CA_ORDER.disorder || tp.highSeq <= tp.sndUna || (tp.sk.caState === 'loss' && tp.retransmits === 0)) {
    tp.priorCwnd = tp.sk.cwnd;
    tp.sk.ssthresh = tp.ca.ssthresh(tp.sk);
  }
  tp.sk.cwnd = packetsInFlight(tp) + 1;
  tp.sk.cwndCnt = 0;
  setCaState(tp, 'loss');
  tp.highSeq = tp.sndNxt;
  ecnQueueCwr(tp);
}

/** tcp_add_reno_sack: duplicate ACKs stand for segments that left the network. */
function addRenoSack(tp: TcpSock, n: number): void {
  if (n === 0) return;
  const prior = tp.sackedOut;
  tp.sackedOut += n;
  const holes = Math.min(Math.max(tp.lostOut, 1), tp.packetsOut);
  if (tp.sackedOut + holes > tp.packetsOut) {
    tp.sackedOut = Math.max(0, tp.packetsOut - holes);
    tp.reordering = Math.min(tp.packetsOut, TCP_MAX_REORDERING);
  }
  const d = tp.sackedOut - prior;
  if (d > 0) tp.delivered += d;
}

/** tcp_remove_reno_sacks: a cumulative ACK of `acked` segments. */
export function removeRenoSacks(tp: TcpSock, acked: number): void {
  if (acked <= 0) return;
  tp.delivered += Math.max(acked - tp.sackedOut, 1);
  if (acked - 1 >= tp.sackedOut) tp.sackedOut = 0;
  else tp.sackedOut -= acked - 1;
}

/** tcp_newreno_mark_lost: the head is lost after `reordering` dupacks, or after a partial ACK in Recovery. */
function newrenoMarkLost(tp: TcpSock, unaAdvanced: boolean): void {
  const st = tp.sk.caState;
  if ((CA_ORDER[st] < CA_ORDER.recovery && tp.sackedOut >= tp.reordering) || (st === 'recovery' && unaAdvanced)) {
    const head = tp.rtxQ.peek();
    if (head === undefined || head.lost) return;
    head.lost = true;
    tp.lostOut++;
    tp.lostTotal++;
    tp.rtxHint = 0;
  }
}

/** tcp_try_undo_recovery without undo: leave Recovery/Loss once above high_seq (Reno holds at high_seq). */
function tryUndoRecovery(tp: TcpSock): boolean {
  if (tp.sndUna === tp.highSeq) {
    if (!anyRetransDone(tp)) tp.retransStamp = 0;
    return true;
  }
  setCaState(tp, 'open');
  return false;
}

/** tcp_try_to_open / tcp_try_keep_open: an ECE enters CWR. */
function tryToOpen(tp: TcpSock, flag: number): void {
  if (!anyRetransDone(tp)) tp.retransStamp = 0;
  if ((flag & FLAG_ECE) !== 0) enterCwr(tp);
  if (tp.sk.caState === 'cwr') return;
  const st: TcpCaState = tp.sackedOut + tp.lostOut > 0 || anyRetransDone(tp) ? 'disorder' : 'open';
  if (tp.sk.caState !== st) {
    setCaState(tp, st);
    tp.highSeq = tp.sndNxt;
  }
}

/** tcp_fastretrans_alert for a non-SACK flow; true when lost segments should be retransmitted. */
export function fastretransAlert(tp: TcpSock, numDupack: number, flag: number): boolean {
  const advanced = (flag & FLAG_SND_UNA_ADVANCED) !== 0;
  if (tp.packetsOut === 0 && tp.sackedOut > 0) tp.sackedOut = 0;
  if (tp.sk.caState !== 'open' && tp.sndUna >= tp.highSeq) {
    if (tp.sk.caState === 'cwr') {
      if (tp.sndUna !== tp.highSeq) {
        endCwndReduction(tp);
        setCaState(tp, 'open');
      }
    } else if (tp.sk.caState === 'recovery') {
      tp.sackedOut = 0;
      if (tryUndoRecovery(tp)) return false;
      endCwndReduction(tp);
    }
  }
  if (tp.sk.caState === 'recovery') {
    if (!advanced) addRenoSack(tp, numDupack);
    newrenoMarkLost(tp, advanced);
    return true;
  }
  if (tp.sk.caState === 'loss') {
    const recovered = tp.sndUna >= tp.highSeq;
    if (recovered) tryUndoRecovery(tp);
    else {
      if (tp.sndNxt > tp.highSeq && numDupack > 0) addRenoSack(tp, numDupack);
      else if (advanced) tp.sackedOut = 0;
      return true;
    }
    if ((tp.sk.caState as TcpCaState) !== 'open') return false;
  }
  if (advanced) tp.sackedOut = 0;
  addRenoSack(tp, numDupack);
  newrenoMarkLost(tp, advanced);
  if (tp.lostOut === 0) {
    tryToOpen(tp, flag);
    return false;
  }
  enterRecovery(tp);
  return true;
}
