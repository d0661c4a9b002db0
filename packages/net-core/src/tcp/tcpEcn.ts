/**
 * Classic ECN of TCP (RFC 3168) as Linux implements it in include/net/tcp_ecn.h,
 * net/ipv4/tcp_input.c and net/ipv4/tcp_output.c: the handshake (`tcp_ecn_send_syn`,
 * `tcp_ecn_clear_syn`, `tcp_ecn_create_request`, `tcp_ecn_make_synack`, `tcp_ecn_rcv_synack`),
 * the data sender (`tcp_ecn_send`: ECT(0) on new data through `INET_ECN_xmit`, none on
 * retransmissions and control segments through `INET_ECN_dontxmit`, CWR after a reduction via
 * `tcp_ecn_queue_cwr`), and the receiver (`tcp_data_ecn_check`: a CE mark demands CWR and ECE
 * echoes it until `tcp_ecn_accept_cwr`). The sender's reaction to ECE (`tcp_enter_cwr`) is
 * tcpRecovery.ts's. AccECN (tcp_ecn 3..5) and ECN-needing congestion controls (DCTCP) are not
 * modelled; neither is `tcp_ecn_withdraw_cwr`, which only undo uses.
 */
import { INET_ECN } from '../inet.js';
import { type Skb, TCP_FLAG, type TcpHeader } from '../skb.js';
import type { TcpSock } from './tcpSock.js';

const { SYN, ECE, CWR } = TCP_FLAG;

/** TCP_ECN_OK: the connection negotiated ECN. */
export const TCP_ECN_OK = 1;
/** TCP_ECN_QUEUE_CWR: a cwnd reduction happened; the next new data segment carries CWR. */
export const TCP_ECN_QUEUE_CWR = 2;
/** TCP_ECN_DEMAND_CWR: a CE mark arrived; ACKs carry ECE until a segment with CWR. */
export const TCP_ECN_DEMAND_CWR = 4;
/** TCP_ECN_SEEN: an ECT or CE data segment arrived. */
export const TCP_ECN_SEEN = 8;

/** tcp_ecn_send_syn (a first SYN) and tcp_ecn_clear_syn (a retransmitted one): the ECN flags of the SYN; sets TCP_ECN_OK when they ask for ECN. */
export function ecnSynFlags(tp: TcpSock, retransmit: boolean): number {
  const sysctl = tp.stack.sysctl;
  if (!retransmit) tp.ecnFlags = sysctl.tcpEcn === 1 ? TCP_ECN_OK : 0;
  if ((tp.ecnFlags & TCP_ECN_OK) === 0) return 0;
  // tcp_ecn_clear_syn: ECN fallback takes ECE|CWR off the retransmitted SYN; TCP_ECN_OK stays until the SYN-ACK.
  return retransmit && sysctl.tcpEcnFallback ? 0 : ECE | CWR;
}

/**
 * tcp_ecn_create_request + tcp_ecn_openreq_child: a SYN to a listener asks for ECN with ECE
 * and CWR; the child is ECN-capable when tcp_ecn is not 0 and the SYN itself came not-ECT (an
 * ECT SYN betrays a path that mangles the TOS byte).
 */
export function ecnCreateRequest(child: TcpSock, skb: Skb, h: TcpHeader): void {
  const asked = (h.flags & (ECE | CWR)) === (ECE | CWR);
  const ect = (skb.ip.tos & INET_ECN.MASK) !== INET_ECN.NOT_ECT;
  child.ecnFlags = asked && !ect && child.stack.sysctl.tcpEcn !== 0 ? TCP_ECN_OK : 0;
}

/** tcp_ecn_make_synack / tcp_ecn_send_synack: the SYN-ACK of an ECN-capable request carries ECE (never CWR). */
export function ecnSynackFlags(tp: TcpSock): number {
  return (tp.ecnFlags & TCP_ECN_OK) !== 0 ? ECE : 0;
}

/** tcp_ecn_rcv_synack: ECN stays on only when the SYN-ACK carries ECE without CWR (AccECN's other codepoints are not modelled). */
export function ecnRcvSynack(tp: TcpSock, h: TcpHeader): void {
  if ((tp.ecnFlags & TCP_ECN_OK) !== 0 && (h.flags & (ECE | CWR)) !== ECE) tp.ecnFlags = 0;
}

/**
 * tcp_ecn_send for a non-SYN segment about to leave an ECN connection: a new data segment
 * (payload, at or past snd_nxt) sets the socket's ECN field to ECT(0) (INET_ECN_xmit) and
 * takes a queued CWR; anything else — pure ACK, FIN-only, window probe, RST, retransmission —
 * clears it (INET_ECN_dontxmit). ECE goes on every segment while the receiver demands CWR.
 * Returns `flags` with those bits; the IP header then takes the socket's TOS byte.
 */
export function ecnSend(tp: TcpSock, flags: number, newData: boolean): number {
  const ecn = tp.ecnFlags;
  if ((ecn & TCP_ECN_OK) === 0 || (flags & SYN) !== 0) return flags;
  const sk = tp.sk;
  let out = flags;
  if (newData) {
    sk.tos = (sk.tos & ~INET_ECN.MASK) | INET_ECN.ECT_0;
    if ((ecn & TCP_ECN_QUEUE_CWR) !== 0) {
      tp.ecnFlags &= ~TCP_ECN_QUEUE_CWR;
      out |= CWR;
    }
  } else {
    sk.tos &= ~INET_ECN.MASK;
  }
  if ((ecn & TCP_ECN_DEMAND_CWR) !== 0) out |= ECE;
  return out;
}

/** tcp_ecn_queue_cwr: a cwnd reduction began (tcp_init_cwnd_reduction, tcp_enter_loss); tell the receiver with the next new data. */
export function ecnQueueCwr(tp: TcpSock): void {
  if ((tp.ecnFlags & TCP_ECN_OK) !== 0) tp.ecnFlags |= TCP_ECN_QUEUE_CWR;
}

/** tcp_ecn_rcv_ecn_echo: an ACK (not a SYN) of an ECN connection carries ECE. */
export function ecnRcvEcnEcho(tp: TcpSock, h: TcpHeader): boolean {
  return (h.flags & ECE) !== 0 && (h.flags & SYN) === 0 && (tp.ecnFlags & TCP_ECN_OK) !== 0;
}

/**
 * tcp_ecn_accept_cwr, run by tcp_ack for every acceptable ACK: a segment with CWR ends the
 * demand (ECE stops), and one with data is ACKed at once (ICSK_ACK_NOW, done by the caller on
 * a true return): the sender's cwnd may be down to 1.
 */
export function ecnAcceptCwr(tp: TcpSock, h: TcpHeader, len: number): boolean {
  if ((tp.ecnFlags & TCP_ECN_OK) === 0 || (h.flags & CWR) === 0) return false;
  tp.ecnFlags &= ~TCP_ECN_DEMAND_CWR;
  return len > 0;
}

/**
 * tcp_data_ecn_check for a data segment on an ECN connection: CE demands CWR (entering
 * quick-ACK mode for two ACKs the first time: `enterQuickack`), ECT marks the flow as seen, and
 * a not-ECT segment after ECT ones — likely a retransmission — is ACKed quickly too.
 */
export function ecnDataCheck(tp: TcpSock, skb: Skb, enterQuickack: (max: number) => void): void {
  if ((tp.ecnFlags & TCP_ECN_OK) === 0) return;
  switch (skb.ip.tos & INET_ECN.MASK) {
    case INET_ECN.NOT_ECT:
      if ((tp.ecnFlags & TCP_ECN_SEEN) !== 0) enterQuickack(2);
      return;
    case INET_ECN.CE:
      if ((tp.ecnFlags & TCP_ECN_DEMAND_CWR) === 0) {
        enterQuickack(2);
        tp.ecnFlags |= TCP_ECN_DEMAND_CWR;
      }
      tp.ecnFlags |= TCP_ECN_SEEN;
      return;
    default:
      tp.ecnFlags |= TCP_ECN_SEEN;
  }
}
