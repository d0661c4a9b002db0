/**
 * What inet_diag (net/ipv4/inet_diag.c over tcp_diag.c) reports of a TCP socket besides its
 * addresses, queues and tcp_info: the fill function that describes it (`sk_diag_fill`'s choice
 * of `inet_sk_diag_fill`, `inet_twsk_diag_fill` or `inet_req_diag_fill`) and the timer fields
 * of struct inet_diag_msg. The model keeps full sockets where Linux has mini sockets — in
 * SYN_RECV for a request sock, in TIME_WAIT for a timewait sock, and in FIN_WAIT2 with the
 * TIME_WAIT timer for an orphan's FIN_WAIT2 timeout, which `tcp_time_wait(sk, TCP_FIN_WAIT2,
 * tmo)` hands to a timewait sock with that substate — and reports them as those.
 */
import type { TcpDiag } from '../types.js';
import type { TcpSock } from './tcpSock.js';

/** sk_diag_fill's choice for `tp`'s socket. */
function diagKind(tp: TcpSock): TcpDiag['kind'] {
  const st = tp.sk.state;
  if (st === 'SYN_RECV') return 'request';
  if (st === 'TIME_WAIT' || (st === 'FIN_WAIT2' && tp.xmitKind === 'timewait')) return 'timewait';
  return 'full';
}

/**
 * The inet_diag_msg timer fields: a request sock's rsk_timer (1, num_retrans), a timewait
 * sock's tw_timer (3), or a full socket's icsk_pending — ICSK_TIME_RETRANS (1,
 * icsk_retransmits), ICSK_TIME_PROBE0 (4, icsk_probes_out) — with `idiag_expires` the
 * `jiffies_delta_to_msecs` of icsk_timeout − jiffies (a negative delta reads 0). The model has
 * no keepalive (sk_timer, 2), TLP or RACK reordering timer (reported as 1 by Linux).
 */
export function tcpDiag(tp: TcpSock): TcpDiag {
  const kind = diagKind(tp);
  const host = tp.host;
  const expires = host.jiffiesToMsecs(Math.max(0, tp.xmitExpires - host.jiffies));
  if (kind === 'request') return { kind, timer: 1, expires, retrans: tp.synRetrans };
  if (kind === 'timewait') return { kind, timer: 3, expires, retrans: 0 };
  switch (tp.xmitKind) {
    case 'syn':
    case 'retrans':
      return { kind, timer: 1, expires, retrans: tp.retransmits };
    case 'probe0':
      return { kind, timer: 4, expires, retrans: tp.probesOut };
    case 'synack':
    case 'timewait':
    case null:
      return { kind, timer: 0, expires: 0, retrans: 0 };
  }
}
