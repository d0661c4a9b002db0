/**
 * The receive window and receive-buffer autotuning: the buffer-to-window conversions of
 * include/net/tcp.h (`tcp_win_from_space`, `tcp_space`, `tcp_full_space`,
 * `tcp_receive_window`); window selection, from net/ipv4/tcp_output.c
 * (`tcp_select_initial_window`, `__tcp_select_window`, `tcp_select_window`); and from
 * net/ipv4/tcp_input.c the receiver's sizing of it: `tcp_init_buffer_space`,
 * `tcp_initialize_rcv_mss`, window growth (`tcp_grow_window`, `tcp_adjust_rcv_ssthresh`), the
 * receiver's RTT estimate (`tcp_rcv_rtt_measure`, `tcp_rcv_rtt_measure_ts`) and dynamic
 * right-sizing of the receive buffer (`tcp_rcv_space_adjust`).
 */
import type { ExecContext } from '@ntbsim/kernel';
import { SOCK_MIN_RCVBUF } from '../inetSock.js';
import type { Skb } from '../skb.js';
import { TCP_INIT_CWND, TCP_MAX_WSCALE, TCP_MIN_MSS, TCP_MSS_DEFAULT, TCP_RMEM_TO_WIN_SCALE } from './tcpConst.js';
import { sndbufExpand, tsoptRttUs } from './tcpAck.js';
import { ACK_NOMEM, type TcpSock } from './tcpSock.js';

/** tcp_app_win default. */
const TCP_APP_WIN = 31;
/** 2^TCP_RMEM_TO_WIN_SCALE. */
export const RMEM_TO_WIN_DIV = 2 ** TCP_RMEM_TO_WIN_SCALE;

/** tcp_win_from_space: the window `space` bytes of receive buffer give (scaling_ratio). */
export function winFromSpace(tp: TcpSock, space: number): number {
  return Math.floor((space * tp.scalingRatio) / RMEM_TO_WIN_DIV);
}

/** tcp_space_from_win: the receive buffer a window of `win` bytes takes. */
function spaceFromWin(tp: TcpSock, win: number): number {
  return Math.floor((win * RMEM_TO_WIN_DIV) / tp.scalingRatio);
}

/** tcp_space: the window the free receive memory allows (bytes). */
function tcpSpace(tp: TcpSock): number {
  return winFromSpace(tp, tp.sk.rcvbuf - tp.rmemAlloc);
}

/** tcp_full_space (bytes). */
export function tcpFullSpace(tp: TcpSock): number {
  return winFromSpace(tp, tp.sk.rcvbuf);
}

/** tcp_receive_window: what is left of the last advertised window (bytes). */
export function receiveWindow(tp: TcpSock): number {
  return Math.max(0, tp.rcvWup + tp.rcvWnd - tp.rcvNxt);
}

/** tcp_select_initial_window. */
export function selectInitialWindow(tp: TcpSock, space0: number, mss: number, wscaleOk: boolean): void {
  const clamp = tp.windowClamp === 0 ? 65535 * 2 ** TCP_MAX_WSCALE : tp.windowClamp;
  let space = Math.min(clamp, Math.max(0, space0));
  if (space > mss) space = Math.floor(space / mss) * mss;
  tp.rcvWnd = space;
  let ws = 0;
  if (wscaleOk) {
    const sysctl = tp.stack.sysctl;
    const s = Math.min(Math.max(space, sysctl.tcpRmem[2], sysctl.rmemMax), clamp);
    ws = Math.min(Math.max(Math.floor(Math.log2(s)) - 15, 0), TCP_MAX_WSCALE);
  }
  tp.rcvWscale = ws;
  tp.windowClamp = Math.min(65535 * 2 ** ws, clamp);
}

/** tcp_init_buffer_space at ESTABLISHED. */
export function initBufferSpace(tp: TcpSock, ctx: ExecContext): void {
  if (!tp.sk.sndbufLocked) sndbufExpand(tp);
  tp.rcvqTime = ctx.time;
  tp.rcvqSeq = tp.copiedSeq;
  const maxwin = tcpFullSpace(tp);
  if (tp.windowClamp >= maxwin) {
    tp.windowClamp = maxwin;
    if (maxwin > 4 * tp.advmss) tp.windowClamp = Math.max(maxwin - Math.floor(maxwin / 2 ** TCP_APP_WIN), 4 * tp.advmss);
  }
  if (tp.windowClamp > 2 * tp.advmss && tp.windowClamp + tp.advmss > maxwin) tp.windowClamp = Math.max(2 * tp.advmss, maxwin - tp.advmss);
  tp.rcvSsthresh = Math.min(tp.rcvSsthresh, tp.windowClamp);
  tp.rcvqSpace = Math.min(tp.rcvSsthresh, tp.rcvWnd, TCP_INIT_CWND * tp.advmss);
}

/** tcp_initialize_rcv_mss. */
export function initRcvMss(tp: TcpSock): void {
  let hint = Math.min(tp.advmss, tp.mssCache, Math.floor(tp.rcvWnd / 2), TCP_MSS_DEFAULT);
  hint = Math.max(hint, TCP_MIN_MSS);
  tp.rcvMss = hint;
}

/** __tcp_select_window: the window we can offer now (bytes, before scaling). */
export function selectWindowRaw(tp: TcpSock): number {
  let mss = tp.rcvMss;
  let freeSpace = tcpSpace(tp);
  const allowedSpace = tcpFullSpace(tp);
  const fullSpace = Math.min(tp.windowClamp, allowedSpace);
  const unit = 2 ** tp.rcvWscale;
  if (mss > fullSpace) {
    mss = fullSpace;
    if (mss <= 0) return 0;
  }
  if (freeSpace < Math.floor(fullSpace / 2)) {
    tp.quick = 0;
    if (tp.stack.tcpMemoryPressure) adjustRcvSsthresh(tp);
    // Only here, where free space may become the window, is it rounded down to the scale unit.
    freeSpace = Math.floor(freeSpace / unit) * unit;
    if (freeSpace < Math.floor(allowedSpace / 16) || freeSpace < mss) return 0;
  }
  if (freeSpace > tp.rcvSsthresh) freeSpace = tp.rcvSsthresh;
  if (tp.rcvWscale !== 0) return Math.ceil(freeSpace / unit) * unit;
  let window = tp.rcvWnd;
  if (window <= freeSpace - mss || window > freeSpace) window = Math.floor(freeSpace / mss) * mss;
  else if (mss === fullSpace && freeSpace > window + Math.floor(fullSpace / 2)) window = freeSpace;
  return window;
}

/** tcp_select_window: the window field of an outgoing segment (scaled), never shrinking the offer. */
export function selectWindow(tp: TcpSock): number {
  const tcpExt = tp.stack.tcpExt;
  const oldWin = tp.rcvWnd;
  const unit = 2 ** tp.rcvWscale;
  if ((tp.ackPending & ACK_NOMEM) !== 0) {
    tp.rcvWnd = 0;
    tp.rcvWup = tp.rcvNxt;
    if (oldWin !== 0) tcpExt.TCPToZeroWindowAdv++;
    return 0;
  }
  const curWin = receiveWindow(tp);
  let newWin = selectWindowRaw(tp);
  if (newWin < curWin) {
    if (newWin === 0) tcpExt.TCPWantZeroWindowAdv++;
    newWin = Math.ceil(curWin / unit) * unit;
  }
  tp.rcvWnd = newWin;
  tp.rcvWup = tp.rcvNxt;
  newWin = Math.floor(Math.min(newWin, 65535 * unit) / unit);
  if (newWin === 0) {
    if (oldWin !== 0) tcpExt.TCPToZeroWindowAdv++;
  } else if (oldWin === 0) {
    tcpExt.TCPFromZeroWindowAdv++;
  }
  return newWin;
}

/** tcp_rcv_rtt_update. */
function rcvRttUpdate(tp: TcpSock, sample: number, winDep: boolean): void {
  let s = tp.rcvRttUs;
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
  tp.rcvRttUs = s;
}

/** tcp_rcv_rtt_measure: one window of data per sample (no timestamps needed). */
export function rcvRttMeasure(tp: TcpSock, ctx: ExecContext): void {
  if (tp.rcvRttTime >= 0) {
    if (tp.rcvNxt < tp.rcvRttSeq) return;
    rcvRttUpdate(tp, Math.max(1, Math.floor((ctx.time - tp.rcvRttTime) / 1000)), true);
  }
  tp.rcvRttSeq = tp.rcvNxt + tp.rcvWnd;
  tp.rcvRttTime = ctx.time;
}

/** tcp_rcv_rtt_measure_ts. */
export function rcvRttMeasureTs(tp: TcpSock, len: number, ctx: ExecContext): void {
  if (!tp.tsOk || tp.sawTsecr === tp.rcvRttLastTsecr) return;
  tp.rcvRttLastTsecr = tp.sawTsecr;
  if (len >= tp.rcvMss) {
    // A sample under the timestamp clock's resolution says nothing for autotuning: skipped.
    const d = tsoptRttUs(tp, ctx, 0);
    if (d > 0) rcvRttUpdate(tp, d, false);
  }
}

/**
 * tcp_set_window_clamp for a new clamp `val` (bytes, at least SOCK_MIN_RCVBUF / 2): a lower
 * clamp pulls rcv_ssthresh under it, a higher one lets rcv_ssthresh rise to the window offered.
 */
export function setWindowClamp(tp: TcpSock, val: number): void {
  const old = tp.windowClamp;
  const clamp = Math.max(Math.floor(SOCK_MIN_RCVBUF / 2), val);
  if (clamp === old) return;
  tp.windowClamp = clamp;
  if (clamp < old) tp.rcvSsthresh = Math.min(tp.rcvSsthresh, clamp);
  else tp.rcvSsthresh = Math.max(Math.min(tp.rcvWnd, clamp), tp.rcvSsthresh);
}

/** tcp_grow_window: raise rcv_ssthresh while skbs are efficient enough; under TCP memory pressure clamp it instead. */
export function growWindow(tp: TcpSock, skb: Skb): void {
  const room = Math.min(tp.windowClamp, tcpSpace(tp)) - tp.rcvSsthresh;
  if (room <= 0) return;
  if (tp.stack.tcpMemoryPressure) {
    adjustRcvSsthresh(tp);
    return;
  }
  const len = skb.payloadLen;
  let incr: number;
  if (winFromSpace(tp, skb.truesize) <= len) incr = 2 * tp.advmss;
  else {
    incr = 0;
    let truesize = Math.floor(winFromSpace(tp, skb.truesize) / 2);
    let window = Math.floor(winFromSpace(tp, tp.stack.sysctl.tcpRmem[2]) / 2);
    while (tp.rcvSsthresh <= window) {
      if (truesize <= len) {
        incr = 2 * tp.rcvMss;
        break;
      }
      truesize = Math.floor(truesize / 2);
      window = Math.floor(window / 2);
    }
  }
  if (incr > 0) {
    incr = Math.max(incr, 2 * len);
    tp.rcvSsthresh += Math.min(room, incr);
    // icsk_ack.quick |= 1: at least one quick ACK (an even count gains one).
    tp.quick |= 1;
  }
}

/** tcp_adjust_rcv_ssthresh under memory pressure: at most four advertised MSS. */
function adjustRcvSsthresh(tp: TcpSock): void {
  tp.rcvSsthresh = Math.min(tp.rcvSsthresh, 4 * tp.advmss);
}

/** tcp_rcv_space_adjust: receive-buffer autotuning (DRS), once per receiver RTT. */
export function rcvSpaceAdjust(tp: TcpSock, ctx: ExecContext): void {
  const timeUs = Math.floor((ctx.time - tp.rcvqTime) / 1000);
  if (tp.rcvRttUs === 0 || timeUs < Math.floor(tp.rcvRttUs / 8)) return;
  const copied = tp.copiedSeq - tp.rcvqSeq;
  if (copied > tp.rcvqSpace) {
    const sysctl = tp.stack.sysctl;
    if (sysctl.tcpModerateRcvbuf && !tp.sk.rcvbufLocked) {
      let rcvwin = 2 * copied + 16 * tp.advmss;
      const grow = Math.floor((rcvwin * (copied - tp.rcvqSpace)) / tp.rcvqSpace);
      rcvwin += 2 * grow;
      const rcvbuf = Math.min(spaceFromWin(tp, rcvwin), sysctl.tcpRmem[2]);
      if (rcvbuf > tp.sk.rcvbuf) {
        tp.sk.rcvbuf = rcvbuf;
        tp.windowClamp = winFromSpace(tp, rcvbuf);
      }
    }
    tp.rcvqSpace = copied;
  }
  tp.rcvqSeq = tp.copiedSeq;
  tp.rcvqTime = ctx.time;
}
