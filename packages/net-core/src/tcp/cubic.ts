/**
 * CUBIC congestion control (net/ipv4/tcp_cubic.c, RFC 9438), Linux's default. Ported from the
 * kernel's fixed-point code: `bictcp_update` with BICTCP_HZ = 10 (time in 1/1024 s), beta
 * 717/1024, bic_scale 41 (C ≈ 0.4), fast convergence and TCP friendliness on, the epoch and
 * the once-per-jiffy `cnt` update in jiffies, `delay_min` from RTT samples, and the state reset
 * on entering Loss. HyStart (the early slow-start exit) is not modelled: slow start runs until
 * loss or ssthresh.
 */

import { tcpCongAvoidAi, tcpSlowStart, type CongestionSock, type TcpCongestionOps } from './tcpCong.js';

/** BICTCP_BETA_SCALE. */
const BETA_SCALE = 1024;
/** beta: cwnd multiplier on loss, 717/1024 ≈ 0.7. */
const BETA = 717;
/** bic_scale. */
const BIC_SCALE = 41;
/** BICTCP_HZ: time unit 2^-10 s. */
const BICTCP_HZ = 10;
const CUBE_RTT_SCALE = BIC_SCALE * 10;
/** beta_scale = 8*(BETA_SCALE+beta)/3/(BETA_SCALE-beta). */
const BETA_SCALE_FRIENDLY = Math.floor((8 * (BETA_SCALE + BETA)) / 3 / (BETA_SCALE - BETA));
/** cube_factor = 2^(10+3*BICTCP_HZ) / cube_rtt_scale. */
const CUBE_FACTOR = Math.floor(2 ** (10 + 3 * BICTCP_HZ) / CUBE_RTT_SCALE);

/** What CUBIC reads and writes on the socket: the fields every congestion control touches. */
export type CubicSock = CongestionSock;

/** Per-connection CUBIC state (`struct bictcp`) and its hooks (`cubictcp` `tcp_congestion_ops`). */
export class Cubic implements TcpCongestionOps {
  /** `cubic`. */
  readonly name = 'cubic';
  /** Segments to ACK per cwnd increment. */
  cnt = 0;
  /** W_max before the last reduction (segments). */
  lastMaxCwnd = 0;
  private lastCwnd = 0;
  private lastTime = 0;
  /** Origin of the cubic curve (segments). */
  originPoint = 0;
  /** K: time to reach the origin (1/1024 s). */
  k = 0;
  /** Minimum RTT seen (µs). */
  delayMinUs = 0;
  /** Start of the current epoch (jiffies), or 0 when none. */
  epochStart = 0;
  private ackCnt = 0;
  private tcpCwnd = 0;

  /** Reset all state (bictcp_reset). */
  reset(): void {
    this.cnt = 0;
    this.lastMaxCwnd = 0;
    this.lastCwnd = 0;
    this.lastTime = 0;
    this.originPoint = 0;
    this.k = 0;
    this.delayMinUs = 0;
    this.epochStart = 0;
    this.ackCnt = 0;
    this.tcpCwnd = 0;
  }

  /** New ssthresh on loss, with fast convergence (cubictcp_recalc_ssthresh). */
  ssthresh(tp: CubicSock): number {
    this.epochStart = 0;
    if (tp.cwnd < this.lastMaxCwnd) this.lastMaxCwnd = Math.floor((tp.cwnd * (BETA_SCALE + BETA)) / (2 * BETA_SCALE));
    else this.lastMaxCwnd = tp.cwnd;
    return Math.max(Math.floor((tp.cwnd * BETA) / BETA_SCALE), 2);
  }

  /** Entering the Loss state resets CUBIC (cubictcp_state). */
  onLoss(): void {
    this.reset();
  }

  /** Sending resumed after idle: shift the epoch by the idle time (cubictcp_cwnd_event CA_EVENT_TX_START). */
  txStart(tp: CubicSock, lastSendJiffies: number): void {
    const now = tp.jiffies;
    const delta = now - lastSendJiffies;
    if (this.epochStart !== 0 && delta > 0) {
      this.epochStart += delta;
      if (this.epochStart > now) this.epochStart = now;
    }
  }

  /** An RTT sample (µs) for delay_min (cubictcp_acked). */
  pktsAcked(tp: CubicSock, rttUs: number): void {
    if (rttUs < 0) return;
    if (this.epochStart !== 0 && tp.jiffies - this.epochStart < tp.hz) return;
    const delay = rttUs === 0 ? 1 : rttUs;
    if (this.delayMinUs === 0 || this.delayMinUs > delay) this.delayMinUs = delay;
  }

  /** Window growth on an ACK of `acked` segments (cubictcp_cong_avoid). */
  congAvoid(tp: CubicSock, acked: number): void {
    if (!tp.isCwndLimited()) return;
    let a = acked;
    if (tp.cwnd < tp.ssthresh) {
      a = tcpSlowStart(tp, a);
      if (a <= 0) return;
    }
    this.update(tp, tp.cwnd, a);
    tcpCongAvoidAi(tp, this.cnt, a);
  }

  /** bictcp_update: the cubic target and the resulting `cnt`. */
  private update(tp: CubicSock, cwnd: number, acked: number): void {
    const now = tp.jiffies;
    this.ackCnt += acked;
    if (this.lastCwnd === cwnd && now - this.lastTime <= Math.floor(tp.hz / 32)) return;
    if (!(this.epochStart !== 0 && now === this.lastTime)) {
      this.lastCwnd = cwnd;
      this.lastTime = now;
      if (this.epochStart === 0) {
        this.epochStart = now === 0 ? 1 : now;
        this.ackCnt = acked;
        this.tcpCwnd = cwnd;
        if (this.lastMaxCwnd <= cwnd) {
          this.k = 0;
          this.originPoint = cwnd;
        } else {
          this.k = Math.floor(Math.cbrt(CUBE_FACTOR * (this.lastMaxCwnd - cwnd)));
          this.originPoint = this.lastMaxCwnd;
        }
      }
      let t = now - this.epochStart + tp.usecsToJiffies(this.delayMinUs);
      t = Math.floor((t * 2 ** BICTCP_HZ) / tp.hz);
      const offs = BigInt(t < this.k ? this.k - t : t - this.k);
      const delta = Number(BigInt.asUintN(32, (BigInt(CUBE_RTT_SCALE) * offs * offs * offs) >> BigInt(10 + 3 * BICTCP_HZ)));
      const target = t < this.k ? this.originPoint - delta : this.originPoint + delta;
      this.cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd;
      if (this.lastMaxCwnd === 0 && this.cnt > 20) this.cnt = 20;
    }
    const d = Math.floor((cwnd * BETA_SCALE_FRIENDLY) / 8);
    if (d > 0) {
      while (this.ackCnt > d) {
        this.ackCnt -= d;
        this.tcpCwnd++;
      }
    }
    if (this.tcpCwnd > cwnd) {
      const maxCnt = Math.floor(cwnd / (this.tcpCwnd - cwnd));
      if (this.cnt > maxCnt) this.cnt = maxCnt;
    }
    this.cnt = Math.max(this.cnt, 2);
  }
}
