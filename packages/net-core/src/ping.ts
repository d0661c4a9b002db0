/**
 * ICMP echo (net/ipv4/icmp.c `icmp_echo`/`icmp_reply`) and ICMP echo sockets (net/ipv4/ping.c,
 * what `ping` uses as an unprivileged user). The receiving host answers an echo request in
 * NET_RX context with the same identifier, sequence and payload; a reply is queued on the ping
 * socket whose identifier matches. Costs: the request and reply each pay the per-packet stack
 * cost and a checksum pass over the ICMP message (no offload). A message larger than the route
 * MTU is fragmented (IP_PMTUDISC_WANT, as iputils ping leaves it), and so is the reply (the ICMP
 * socket of `icmp_reply` never sets DF); each fragment pays the per-packet costs.
 */
import type { Cpu, ExecContext } from '@ntbsim/kernel';
import { NetError } from './errors.js';
import { skbChecksumOk } from './frame.js';
import { formatIpv4, ICMP_HLEN, IPPROTO, IPV4_HLEN, parseIpv4, type Ipv4Addr } from './inet.js';
import { InetSock, payloadOf } from './inetSock.js';
import type { NetDevice } from './netDevice.js';
import type { NetStack } from './netStack.js';
import { ipAppendMemory } from './ipFrag.js';
import { Skb } from './skb.js';
import type { EchoReplyResult, IcmpErrorResult, PollEvents, SendResult } from './types.js';

/** ICMP types used here. */
export const ICMP_TYPE = { ECHOREPLY: 0, ECHO: 8 } as const;

/** Largest echo payload (bytes): 65535 − 20 − 8. */
export const ICMP_MAX_PAYLOAD = 65507;

/** An echo request to send. */
export interface EchoRequest {
  /** Destination address (dotted quad). */
  readonly addr: string;
  /** Sequence number (0..65535). */
  readonly seq: number;
  /** Payload bytes (functional mode) or its length (timing mode), like `ping -s`. */
  readonly data: Uint8Array | number;
}

/**
 * An ICMP echo socket; its identifier is its "port", taken when the socket is bound — by
 * `bind`, or by its first request (inet_send_prepare's autobind) — as ping_get_port does.
 */
export class PingSocket extends InetSock {
  /** Memory of queued replies (bytes). */
  rmemAlloc = 0;
  /** Memory of requests not yet freed by the driver (bytes). */
  wmemAlloc = 0;
  /** The device it is bound to (SO_BINDTODEVICE, sk_bound_dev_if), null for none. */
  boundDev: NetDevice | null = null;
  /** The source address it is bound to (bind(), inet_saddr), 0 for none. */
  saddr: Ipv4Addr = 0;
  private id = 0;
  private readonly rxq: Skb[] = [];
  private readonly errq: Extract<IcmpErrorResult, { ok: true }>[] = [];

  /** A ping socket of `stack` (use `stack.pingSocket()`). */
  constructor(stack: NetStack) {
    super(stack, stack.sysctl.wmemDefault, stack.sysctl.rmemDefault);
  }

  /** Echo identifier (inet_num), 0 until the socket is bound. */
  get ident(): number {
    return this.id;
  }

  /** ping_get_port(sk, 0): a free identifier from a random start; EADDRINUSE (thrown) when none is left. */
  private autobind(): void {
    if (this.id !== 0) return;
    const table = this.stack.pingSocks;
    const start = 1 + this.stack.rng.int(65535);
    for (let i = 0; i < 65535 && this.id === 0; i++) {
      const c = 1 + ((start - 1 + i) % 65535);
      if (!table.has(c)) this.id = c;
    }
    if (this.id === 0) throw new NetError('EADDRINUSE', `${this.stack.host.name}: no free ICMP echo identifier`);
    table.set(this.id, this);
  }

  /** Ping sockets do not cache a TX queue (unconnected). */
  get cachesTxQueue(): boolean {
    return false;
  }

  /**
   * setsockopt(SO_BINDTODEVICE): route the requests through the device named `name` only (see
   * `NetStack.route`); `''` unbinds. ENODEV (thrown) when the stack has no such device.
   */
  bindToDevice(name: string): void {
    this.checkOpen('bindToDevice');
    this.boundDev = name === '' ? null : this.stack.device(name);
  }

  /**
   * bind() to a source address (ping_bind): EINVAL (thrown) when already bound; anything but
   * 0.0.0.0 or a local address (a broadcast address included) is EADDRNOTAVAIL (thrown,
   * ping_check_bind_addr). The requests then leave from it, whatever the route's source, and
   * the socket has its identifier.
   */
  bind(addr: string): void {
    this.checkOpen('bind');
    if (this.id !== 0) throw new NetError('EINVAL', `bind ${addr}: already bound (identifier ${this.id})`);
    const a = parseIpv4(addr);
    if (a !== 0 && (!this.stack.isLocalAddr(a) || this.stack.isBroadcast(a))) throw new NetError('EADDRNOTAVAIL', `bind ${addr}: not a local address of ${this.stack.host.name}`);
    this.saddr = a;
    this.autobind();
  }

  /**
   * Send an echo request; ENETUNREACH without a route, EMSGSIZE over 65507 bytes (or over the MTU
   * with `setMtuDiscover('do')`), EAGAIN with the send buffer full, EINVAL from a loopback source
   * off `lo`. A request over the MTU goes in IP fragments. Its TTL and TOS are the socket's
   * (`setTtl`, `setTos`).
   */
  sendEcho(ctx: ExecContext, req: EchoRequest): SendResult {
    this.checkOpen('sendEcho');
    if (!Number.isInteger(req.seq) || req.seq < 0 || req.seq > 0xffff) throw new NetError('EINVAL', `sendEcho: seq ${String(req.seq)}: allowed 0..65535`);
    this.autobind();
    const p = payloadOf('sendEcho', req.data);
    if (p.len > ICMP_MAX_PAYLOAD) return { ok: false, errno: 'EMSGSIZE' };
    const dst = parseIpv4(req.addr);
    const stack = this.stack;
    const l4Len = p.len + ICMP_HLEN;
    const r = this.routeFor(dst, l4Len, { dev: this.boundDev, saddr: this.saddr });
    if (typeof r === 'string') return { ok: false, errno: r };
    const mtu = r.mtu;
    const mem = ipAppendMemory(this.wmemAlloc, this.sndbuf, l4Len, mtu);
    if (mem === 'EAGAIN' || mem === 'ENOBUFS') return { ok: false, errno: mem };
    const costs = ctx.host.costs;
    ctx.charge(costs.skbAlloc() + costs.userCopy(p.len) + costs.txPacket());
    const skb = new Skb({
      ip: { src: r.src, dst, protocol: IPPROTO.ICMP, id: 0, ttl: this.ipTtl(), df: this.dfFor(l4Len + IPV4_HLEN, mtu), tos: this.tos },
      l4: { kind: 'icmp', type: ICMP_TYPE.ECHO, code: 0, id: this.id, seq: req.seq },
      data: p.bytes === null ? null : p.bytes.slice(),
      payloadLen: p.len,
      truesize: mem,
    });
    skb.priority = this.priority;
    skb.setOwner(this, (s, cpu) => this.wfree(s, cpu));
    this.wmemAlloc += skb.truesize;
    const rc = stack.ipOutput(skb, ctx, this.boundDev);
    if (rc === 'no-route') return { ok: false, errno: 'ENETUNREACH' };
    if (rc === 'too-big') return { ok: false, errno: 'EMSGSIZE' };
    stack.snmp.Icmp.OutMsgs++;
    stack.snmp.Icmp.OutEchos++;
    return { ok: true, bytes: p.len };
  }

  private wfree(skb: Skb, _cpu: Cpu): void {
    this.wmemAlloc -= skb.truesize;
    if (this.wmemAlloc < this.sndbuf / 2) this.writeWq.wakeUp(true);
  }

  /** Read one echo reply; EAGAIN when none is queued. */
  recv(ctx: ExecContext): EchoReplyResult {
    this.checkOpen('recv');
    const skb = this.rxq.shift();
    if (skb === undefined) return { ok: false, errno: 'EAGAIN' };
    ctx.charge(ctx.host.costs.userCopy(skb.payloadLen));
    this.rmemAlloc -= skb.truesize;
    skb.free(ctx);
    const l4 = skb.l4;
    return {
      ok: true,
      from: formatIpv4(skb.ip.src),
      id: l4.kind === 'icmp' ? l4.id : 0,
      seq: l4.kind === 'icmp' ? l4.seq : 0,
      bytes: skb.payloadLen,
      data: skb.data,
      ttl: skb.ip.ttl,
    };
  }

  /** Read one ICMP error about this socket's requests (recvmsg MSG_ERRQUEUE); EAGAIN when none is queued. */
  recvError(): IcmpErrorResult {
    this.checkOpen('recvError');
    return this.errq.shift() ?? { ok: false, errno: 'EAGAIN' };
  }

  /** Readiness: `error` (POLLERR) while an ICMP error is queued. */
  poll(): PollEvents {
    return { readable: this.rxq.length > 0, writable: this.wmemAlloc < this.sndbuf / 2, error: this.errq.length > 0, hup: false };
  }

  /** Close and release the identifier. */
  close(ctx?: ExecContext): void {
    if (this.userClosed) return;
    this.userClosed = true;
    if (this.id !== 0 && this.stack.pingSocks.get(this.id) === this) this.stack.pingSocks.delete(this.id);
    for (const skb of this.rxq.splice(0)) {
      this.rmemAlloc -= skb.truesize;
      skb.free(ctx ?? this.stack.host.cpu(0));
    }
    this.readWq.wakeUp();
  }

  /**
   * @internal ping_err with IP_RECVERR (iputils sets it): queue an ICMP destination unreachable
   * (`type` 3, `code` 1 host unreachable) about the request with sequence `seq`, sent by `from`,
   * and wake the reader (ip_icmp_error → sk_error_report).
   */
  queueError(e: { readonly from: number; readonly seq: number; readonly type: number; readonly code: number }): void {
    if (this.userClosed) return;
    this.errq.push({ ok: true, errno: 'EHOSTUNREACH', type: e.type, code: e.code, from: formatIpv4(e.from), seq: e.seq });
    this.readWq.wakeUp(true);
  }

  /** @internal Queue an echo reply (ping_queue_rcv_skb). */
  queueRcv(skb: Skb, ctx: ExecContext): void {
    if (this.rmemAlloc > this.rcvbuf) {
      skb.free(ctx);
      return;
    }
    this.rmemAlloc += skb.truesize;
    this.rxq.push(skb);
    this.readWq.wakeUp(true);
  }
}

/** ICMP input (`icmp_rcv`): verify, answer echo requests, deliver echo replies to ping sockets. */
export function icmpRcv(stack: NetStack, skb: Skb, ctx: ExecContext): void {
  const costs = ctx.host.costs;
  ctx.charge(costs.rxPacket() + costs.csum(skb.l4Len));
  const mib = stack.snmp.Icmp;
  mib.InMsgs++;
  const h = skb.l4;
  if (h.kind !== 'icmp' || !skbChecksumOk(skb)) {
    if (h.kind === 'icmp') mib.InCsumErrors++;
    mib.InErrors++;
    skb.free(ctx);
    return;
  }
  if (h.type === ICMP_TYPE.ECHO) {
    mib.InEchos++;
    ctx.charge(costs.txPacket() + costs.csum(skb.l4Len));
    // icmp_reply: the request's TOS byte goes in the reply's header; skb->priority stays the
    // per-CPU ICMP socket's (0), so the reply waits in pfifo_fast's best-effort band.
    const reply = new Skb({
      ip: { src: skb.ip.dst, dst: skb.ip.src, protocol: IPPROTO.ICMP, id: 0, ttl: stack.sysctl.ipDefaultTtl, df: false, tos: skb.ip.tos },
      l4: { kind: 'icmp', type: ICMP_TYPE.ECHOREPLY, code: 0, id: h.id, seq: h.seq },
      data: skb.data === null ? null : skb.data.slice(),
      payloadLen: skb.payloadLen,
    });
    skb.free(ctx);
    mib.OutMsgs++;
    mib.OutEchoReps++;
    stack.ipOutput(reply, ctx);
    return;
  }
  if (h.type === ICMP_TYPE.ECHOREPLY) {
    mib.InEchoReps++;
    const sock = stack.pingSocks.get(h.id);
    if (sock === undefined || sock.closed) skb.free(ctx);
    else sock.queueRcv(skb, ctx);
    return;
  }
  skb.free(ctx);
}
