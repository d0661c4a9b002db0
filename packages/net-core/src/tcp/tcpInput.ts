/**
 * TCP input demultiplexing (net/ipv4/tcp_ipv4.c `tcp_v4_rcv`, `tcp_v4_send_reset`): the
 * per-segment receive cost, checksum verification, the lookup of the connection (with a
 * one-entry cache for back-to-back segments of the same flow) or the listener, and the RST
 * that answers a segment for no socket.
 */
import type { ExecContext } from '@ntbsim/kernel';
import { skbChecksumOk } from '../frame.js';
import { IPPROTO, type Ipv4Addr } from '../inet.js';
import type { NetStack } from '../netStack.js';
import { Skb, TCP_FLAG, type TcpHeader } from '../skb.js';
import type { TcpSocket } from './tcpSocket.js';

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
