/**
 * Pluggable congestion control (net/ipv4/tcp_cong.c): the `tcp_congestion_ops` hooks the TCP
 * code calls, the helpers the algorithms share (`tcp_slow_start`, `tcp_cong_avoid_ai`), New
 * Reno (`tcp_reno_cong_avoid`, `tcp_reno_ssthresh`: always built in), and the algorithms a board
 * has: `net.ipv4.tcp_available_congestion_control` is `reno cubic`, CUBIC the default
 * (`tcp_congestion_control`), both in `tcp_allowed_congestion_control`, so any user may pick
 * either with TCP_CONGESTION; any other name is ENOENT (no module to load).
 */
import { Cubic } from './cubic.js';

/** What a congestion control reads and writes on the socket (the tcp_sock fields it touches). */
export interface CongestionSock {
  /** Congestion window (segments), snd_cwnd. */
  cwnd: number;
  /** Slow-start threshold (segments), snd_ssthresh. */
  ssthresh: number;
  /** Additive-increase credit (segments), snd_cwnd_cnt. */
  cwndCnt: number;
  /** Upper bound of cwnd, snd_cwnd_clamp. */
  readonly cwndClamp: number;
  /** Current jiffies (tcp_jiffies32). */
  readonly jiffies: number;
  /** Jiffies per second (HZ). */
  readonly hz: number;
  /** usecs_to_jiffies. */
  usecsToJiffies(us: number): number;
  /** tcp_is_cwnd_limited. */
  isCwndLimited(): boolean;
}

/** The hooks of a congestion control (`struct tcp_congestion_ops`) the model calls, with its per-connection state. */
export interface TcpCongestionOps {
  /** Its name (`ca->name`): what TCP_CONGESTION, `ss -ti` and iperf3 show. */
  readonly name: string;
  /** Forget the connection's state (`init`, and `tcp_reinit_congestion_control`). */
  reset(): void;
  /** The new ssthresh on a loss or a reduction (segments; `ssthresh`). */
  ssthresh(tp: CongestionSock): number;
  /** The connection entered the Loss state (`set_state(TCP_CA_Loss)`). */
  onLoss(): void;
  /** Sending resumed with nothing in flight since `lastSendJiffies` (`cwnd_event(CA_EVENT_TX_START)`). */
  txStart(tp: CongestionSock, lastSendJiffies: number): void;
  /** An RTT sample of newly acknowledged data (µs, -1 for none; `pkts_acked`). */
  pktsAcked(tp: CongestionSock, rttUs: number): void;
  /** Window growth on an ACK that acknowledged `acked` segments (`cong_avoid`). */
  congAvoid(tp: CongestionSock, acked: number): void;
}

/**
 * tcp_slow_start: grow cwnd by `acked` up to ssthresh (and the clamp); returns the segments
 * left for congestion avoidance.
 */
export function tcpSlowStart(tp: CongestionSock, acked: number): number {
  const cwnd = Math.min(tp.cwnd + acked, tp.ssthresh);
  const left = acked - (cwnd - tp.cwnd);
  tp.cwnd = Math.min(cwnd, tp.cwndClamp);
  return left;
}

/** tcp_cong_avoid_ai: one segment more per `w` segments acknowledged. */
export function tcpCongAvoidAi(tp: CongestionSock, w: number, acked: number): void {
  if (tp.cwndCnt >= w) {
    tp.cwndCnt = 0;
    tp.cwnd++;
  }
  tp.cwndCnt += acked;
  if (tp.cwndCnt >= w) {
    const delta = Math.floor(tp.cwndCnt / w);
    tp.cwndCnt -= delta * w;
    tp.cwnd += delta;
  }
  tp.cwnd = Math.min(tp.cwnd, tp.cwndClamp);
}

/** New Reno (`tcp_reno_congestion_ops`): slow start, then one segment per window; half the window on loss. */
export class Reno implements TcpCongestionOps {
  /** `reno`. */
  readonly name = 'reno';

  /** Reno keeps no state. */
  reset(): void {
    return;
  }

  /** tcp_reno_ssthresh: half the window, at least 2. */
  ssthresh(tp: CongestionSock): number {
    return Math.max(Math.floor(tp.cwnd / 2), 2);
  }

  /** Nothing to reset on Loss. */
  onLoss(): void {
    return;
  }

  /** Reno has no CA_EVENT_TX_START handling. */
  txStart(): void {
    return;
  }

  /** Reno takes no RTT samples. */
  pktsAcked(): void {
    return;
  }

  /** tcp_reno_cong_avoid. */
  congAvoid(tp: CongestionSock, acked: number): void {
    if (!tp.isCwndLimited()) return;
    let a = acked;
    if (tp.cwnd < tp.ssthresh) {
      a = tcpSlowStart(tp, a);
      if (a <= 0) return;
    }
    tcpCongAvoidAi(tp, tp.cwnd, a);
  }
}

/** The congestion controls a board's kernel has, in tcp_available_congestion_control's order (registration order: reno is built in first). */
const AVAILABLE: ReadonlyMap<string, () => TcpCongestionOps> = new Map<string, () => TcpCongestionOps>([
  ['reno', () => new Reno()],
  ['cubic', () => new Cubic()],
]);

/** net.ipv4.tcp_available_congestion_control: the names, space-separated. */
export const TCP_AVAILABLE_CONGESTION_CONTROL = [...AVAILABLE.keys()].join(' ');

/** A fresh instance of congestion control `name` (tcp_ca_find), or null when the kernel has none of that name. */
export function tcpCongestionOps(name: string): TcpCongestionOps | null {
  return AVAILABLE.get(name)?.() ?? null;
}
