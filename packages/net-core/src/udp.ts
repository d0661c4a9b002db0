/**
 * UDP sockets (net/ipv4/udp.c). Send (`udp_sendmsg` → `ip_make_skb` → `udp_send_skb`): the
 * datagram's skb is charged to the socket's send buffer until the driver frees it; with the
 * buffer full a non-blocking send fails with EAGAIN (`sock_alloc_send_pskb`). When the qdisc is
 * full the datagram is dropped, `SndbufErrors` counts it and — as Linux does without
 * IP_RECVERR — the send still returns the length; with `setRecvErr(true)` it returns ENOBUFS.
 * The checksum is folded into the user copy (no offload). Receive (`__udp_enqueue_schedule_skb`):
 * a datagram is dropped when the receive memory already exceeds SO_RCVBUF (`RcvbufErrors`,
 * `InErrors`); `recv` verifies the checksum while copying (`skb_copy_and_csum_datagram_msg`)
 * and counts `InDatagrams`. A datagram larger than the route MTU is sent in IP fragments (DF
 * only on a datagram that fits, IP_PMTUDISC_WANT), each its own skb charged to the send buffer;
 * with `setMtuDiscover('do')` it fails with EMSGSIZE instead. Beyond 65507 bytes of payload a
 * send fails with EMSGSIZE. No ICMP port-unreachable is sent for `NoPorts`.
 */
import type { Cpu, ExecContext } from '@ntbsim/kernel';
import { NetError } from './errors.js';
import { skbChecksumOk } from './frame.js';
import { formatIpv4, IPPROTO, IPV4_HLEN, parseIpv4, UDP_HLEN, type Ipv4Addr } from './inet.js';
import { checkPort, InetSock, payloadOf } from './inetSock.js';
import type { NetStack } from './netStack.js';
import { ipAppendMemory } from './ipFrag.js';
import { Skb } from './skb.js';
import type { DatagramResult, OpResult, PollEvents, SendResult, SockAddr } from './types.js';

/** Largest UDP payload (bytes): 65535 − 20 − 8. */
export const UDP_MAX_PAYLOAD = 65507;

/** Counters of one UDP socket. */
export interface UdpSockStats {
  /** Datagrams accepted by send. */
  datagramsSent: number;
  /** Payload bytes accepted by send. */
  bytesSent: number;
  /** Datagrams read. */
  datagramsReceived: number;
  /** Payload bytes read. */
  bytesReceived: number;
  /** Datagrams dropped on receive (sk_drops). */
  drops: number;
}

/** A UDP socket. */
export class UdpSocket extends InetSock {
  /** Local port, 0 while unbound. */
  lport = 0;
  /** Bound local address (inet_rcv_saddr), 0 = any: the source of what it sends and the only destination it receives. */
  laddr: Ipv4Addr = 0;
  /** Connected peer, or null. */
  private peer: { addr: Ipv4Addr; port: number } | null = null;
  /** Memory of queued received datagrams (bytes), sk_rmem_alloc. */
  rmemAlloc = 0;
  /** Memory of sent datagrams not yet freed by the driver (bytes), sk_wmem_alloc. */
  wmemAlloc = 0;
  /** Counters. */
  readonly stats: UdpSockStats = { datagramsSent: 0, bytesSent: 0, datagramsReceived: 0, bytesReceived: 0, drops: 0 };
  private recvErr = false;
  private readonly rxq: Skb[] = [];

  /** A UDP socket of `stack` (use `stack.udpSocket()`). */
  constructor(stack: NetStack) {
    super(stack, stack.sysctl.wmemDefault, stack.sysctl.rmemDefault);
  }

  /** Connected sockets cache their TX queue. */
  get cachesTxQueue(): boolean {
    return this.peer !== null;
  }

  /**
   * Bind to `port` (0 = ephemeral) and optionally a local `addr` (inet_bind): EADDRNOTAVAIL for an
   * address the host does not have, then EINVAL if already bound, EADDRINUSE if the port is taken.
   */
  bind(port: number, addr?: string): OpResult {
    this.checkOpen('bind');
    checkPort('bind', port, true);
    const a = addr === undefined ? 0 : parseIpv4(addr);
    if (a !== 0 && !this.stack.isLocalAddr(a)) return { ok: false, errno: 'EADDRNOTAVAIL' };
    if (this.lport !== 0) return { ok: false, errno: 'EINVAL' };
    const table = this.stack.udpSocks;
    if (port !== 0 && table.has(port)) return { ok: false, errno: 'EADDRINUSE' };
    this.lport = port !== 0 ? port : this.stack.allocPort((p) => table.has(p));
    this.laddr = a;
    table.set(this.lport, this);
    return { ok: true };
  }

  /** Set the default destination (connect); binds an ephemeral port if unbound; ENETUNREACH without a route. */
  connect(to: SockAddr): OpResult {
    this.checkOpen('connect');
    checkPort('connect', to.port, false);
    const addr = parseIpv4(to.addr);
    if (this.stack.route(addr) === null) return { ok: false, errno: 'ENETUNREACH' };
    if (this.lport === 0) this.bind(0);
    this.peer = { addr, port: to.port };
    this.txhash = this.stack.rng.nextU32() || 1;
    this.txQueueMapping = -1;
    return { ok: true };
  }

  /** getpeername: the connected peer, or null when unconnected. */
  remoteAddress(): SockAddr | null {
    return this.peer === null ? null : { addr: formatIpv4(this.peer.addr), port: this.peer.port };
  }

  /** Report a qdisc drop on send as ENOBUFS (IP_RECVERR); default off, as iperf3 leaves it. */
  setRecvErr(on: boolean): void {
    this.recvErr = on;
  }

  /** Send a datagram to the connected peer; EDESTADDRREQ if not connected. */
  send(ctx: ExecContext, data: Uint8Array | number): SendResult {
    this.checkOpen('send');
    if (this.peer === null) return { ok: false, errno: 'EDESTADDRREQ' };
    this.rpsRecordFlow(ctx);
    return this.xmit(ctx, data, this.peer.addr, this.peer.port);
  }

  /** Send a datagram to `to` (sendto). */
  sendTo(ctx: ExecContext, data: Uint8Array | number, to: SockAddr): SendResult {
    this.checkOpen('sendTo');
    checkPort('sendTo', to.port, false);
    return this.xmit(ctx, data, parseIpv4(to.addr), to.port);
  }

  private xmit(ctx: ExecContext, data: Uint8Array | number, dst: Ipv4Addr, dport: number): SendResult {
    const p = payloadOf('send', data);
    if (p.len > UDP_MAX_PAYLOAD) return { ok: false, errno: 'EMSGSIZE' };
    const stack = this.stack;
    const l4Len = p.len + UDP_HLEN;
    const r = this.routeFor(dst, l4Len, { dev: null, saddr: this.laddr });
    if (typeof r === 'string') return { ok: false, errno: r };
    const mtu = r.mtu;
    if (this.lport === 0) this.bind(0);
    const mem = ipAppendMemory(this.wmemAlloc, this.sndbuf, l4Len, mtu);
    if (mem === 'EAGAIN') return { ok: false, errno: 'EAGAIN' };
    if (mem === 'ENOBUFS') {
      stack.snmp.Udp.SndbufErrors++;
      return { ok: false, errno: 'ENOBUFS' };
    }
    const costs = ctx.host.costs;
    ctx.charge(costs.skbAlloc() + costs.userCopy(p.len) + costs.txPacket());
    const skb = new Skb({
      ip: { src: r.src, dst, protocol: IPPROTO.UDP, id: 0, ttl: this.ipTtl(), df: this.dfFor(l4Len + IPV4_HLEN, mtu), tos: this.tos },
      l4: { kind: 'udp', sport: this.lport, dport },
      data: p.bytes === null ? null : p.bytes.slice(),
      payloadLen: p.len,
      truesize: mem,
    });
    skb.hash = this.txhash;
    skb.priority = this.priority;
    skb.setOwner(this, (s, cpu) => this.wfree(s, cpu));
    this.wmemAlloc += skb.truesize;
    const rc = stack.ipOutput(skb, ctx);
    if (rc === 'no-route') return { ok: false, errno: 'ENETUNREACH' };
    if (rc === 'too-big') return { ok: false, errno: 'EMSGSIZE' };
    if (rc === 'drop') {
      stack.snmp.Udp.SndbufErrors++;
      if (this.recvErr) return { ok: false, errno: 'ENOBUFS' };
    } else {
      stack.snmp.Udp.OutDatagrams++;
    }
    this.stats.datagramsSent++;
    this.stats.bytesSent += p.len;
    return { ok: true, bytes: p.len };
  }

  private wfree(skb: Skb, _cpu: Cpu): void {
    this.wmemAlloc -= skb.truesize;
    if (this.wmemAlloc < this.sndbuf / 2) this.writeWq.wakeUp(true);
  }

  /** Read one datagram of at most `maxBytes` (recvfrom); EAGAIN when none is queued. */
  recv(ctx: ExecContext, maxBytes: number): DatagramResult {
    this.checkOpen('recv');
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new NetError('EINVAL', `recv: maxBytes ${String(maxBytes)}: allowed an integer ≥ 0`);
    this.rpsRecordFlow(ctx);
    const stack = this.stack;
    for (let skb = this.rxq.shift(); skb !== undefined; skb = this.rxq.shift()) {
      const copy = Math.min(maxBytes, skb.payloadLen);
      const costs = ctx.host.costs;
      ctx.charge(costs.csum(skb.l4Len) + costs.userCopy(copy));
      this.rmemAlloc -= skb.truesize;
      skb.free(ctx);
      if (!skbChecksumOk(skb)) {
        stack.snmp.Udp.InCsumErrors++;
        stack.snmp.Udp.InErrors++;
        continue;
      }
      stack.snmp.Udp.InDatagrams++;
      this.stats.datagramsReceived++;
      this.stats.bytesReceived += copy;
      const l4 = skb.l4;
      const sport = l4.kind === 'udp' ? l4.sport : 0;
      return {
        ok: true,
        bytes: copy,
        data: skb.data === null ? null : skb.data.slice(0, copy),
        from: { addr: formatIpv4(skb.ip.src), port: sport },
        truncated: copy < skb.payloadLen,
      };
    }
    return { ok: false, errno: 'EAGAIN' };
  }

  /** Datagrams waiting to be read. */
  get queued(): number {
    return this.rxq.length;
  }

  /** Readiness: readable with a datagram queued, writable below half the send buffer (sock_writeable). */
  poll(): PollEvents {
    return { readable: this.rxq.length > 0, writable: this.wmemAlloc < this.sndbuf / 2, error: false, hup: false };
  }

  /** Close: unbind and drop queued datagrams. */
  close(ctx?: ExecContext): void {
    if (this.userClosed) return;
    this.userClosed = true;
    if (this.lport !== 0 && this.stack.udpSocks.get(this.lport) === this) this.stack.udpSocks.delete(this.lport);
    for (const skb of this.rxq.splice(0)) {
      this.rmemAlloc -= skb.truesize;
      skb.free(ctx ?? this.stack.host.cpu(0));
    }
    this.readWq.wakeUp();
    this.writeWq.wakeUp();
  }

  /** Queue a received datagram (__udp_enqueue_schedule_skb); a subclass may override it to note or redirect arrivals, calling `super`. */
  queueRcv(skb: Skb, ctx: ExecContext): void {
    // __udp_queue_rcv_skb: a connected socket saves the flow hash RFS records (sock_rps_save_rxhash), before the receive buffer's check.
    if (this.peer !== null) this.rxhash = skb.hash;
    if (this.rmemAlloc > this.rcvbuf) {
      const mib = this.stack.snmp.Udp;
      mib.RcvbufErrors++;
      mib.InErrors++;
      this.stats.drops++;
      skb.free(ctx);
      return;
    }
    this.rmemAlloc += skb.truesize;
    this.rxq.push(skb);
    this.readWq.wakeUp(true);
  }

  /** sock_rps_record_flow: a connected socket (TCP_ESTABLISHED for UDP) records its flow's CPU in the RFS table. */
  private rpsRecordFlow(ctx: ExecContext): void {
    if (this.peer !== null) this.stack.rpsRecordFlow(this.rxhash, ctx.cpu);
  }

  /** Whether a datagram from `src:sport` to `dst` is for this socket (its bound address, if any, and its connected peer, if any): the port's demux asks it; a subclass may widen it. */
  accepts(src: Ipv4Addr, sport: number, dst: Ipv4Addr): boolean {
    return !this.userClosed && (this.laddr === 0 || this.laddr === dst) && (this.peer === null || (this.peer.addr === src && this.peer.port === sport));
  }
}

/** UDP input (`udp_rcv`): charge the per-packet receive cost, find the socket, queue the datagram. */
export function udpRcv(stack: NetStack, skb: Skb, ctx: ExecContext): void {
  ctx.charge(ctx.host.costs.rxPacket());
  const h = skb.l4;
  if (h.kind !== 'udp') {
    stack.snmp.Udp.InErrors++;
    skb.free(ctx);
    return;
  }
  const sock = stack.udpSocks.get(h.dport);
  if (sock === undefined || !sock.accepts(skb.ip.src, h.sport, skb.ip.dst)) {
    stack.snmp.Udp.NoPorts++;
    skb.free(ctx);
    return;
  }
  sock.queueRcv(skb, ctx);
}
