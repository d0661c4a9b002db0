/**
 * What every IPv4 socket shares (`struct sock` / `struct inet_sock`): send and receive buffer
 * sizes with the SO_SNDBUF/SO_RCVBUF rule of net/core/sock.c (clamp to wmem_max/rmem_max,
 * double, lock against autotuning), the IP_TTL and IP_TOS of its datagrams, the wait queues
 * user tasks sleep on, the TX queue cache and flow hash used by the queue pick, and the payload
 * argument of the send calls.
 */
import type { Task } from '@ntbsim/kernel';
import { NetError } from './errors.js';
import { INET_ECN, IPV4_HLEN, rtTos2Priority, type Ipv4Addr } from './inet.js';
import type { NetDevice } from './netDevice.js';
import type { NetStack } from './netStack.js';
import type { SkbOwner } from './skb.js';
import type { PollEvents } from './types.js';
import { WaitQueue } from './waitQueue.js';

/** SOCK_MIN_SNDBUF = 2 × TCP_SKB_MIN_TRUESIZE (bytes). */
export const SOCK_MIN_SNDBUF = 4608;
/** SOCK_MIN_RCVBUF = TCP_SKB_MIN_TRUESIZE (bytes). */
export const SOCK_MIN_RCVBUF = 2304;

/**
 * Path MTU discovery mode of a datagram socket (IP_MTU_DISCOVER): `'want'` (IP_PMTUDISC_WANT,
 * Linux's default with ip_no_pmtu_disc 0) sets DF on a datagram that fits the route MTU and
 * fragments a larger one; `'do'` (IP_PMTUDISC_DO, `ping -M do`, iperf3 `--dont-fragment`) sets
 * DF and fails a larger one with EMSGSIZE; `'dont'` (IP_PMTUDISC_DONT) never sets DF.
 */
export type PmtuDisc = 'want' | 'do' | 'dont';

/** A payload argument: bytes (functional mode) or a length (timing mode). */
export interface Payload {
  /** Length (bytes). */
  readonly len: number;
  /** The bytes, or null in timing mode. */
  readonly bytes: Uint8Array | null;
}

/** Normalise a send argument; throws EINVAL for a bad length. */
export function payloadOf(what: string, data: Uint8Array | number): Payload {
  if (typeof data === 'number') {
    if (!Number.isInteger(data) || data < 0) throw new NetError('EINVAL', `${what}: length ${String(data)}: allowed an integer ≥ 0 (bytes) or a Uint8Array`);
    return { len: data, bytes: null };
  }
  return { len: data.length, bytes: data };
}

/** Check a port number; throws EINVAL naming the range. */
export function checkPort(what: string, port: number, allowZero: boolean): void {
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) throw new NetError('EINVAL', `${what}: port ${String(port)}: allowed an integer ${min}..65535`);
}

/** A socket bound to no device and no source address. */
const NOT_BOUND = { dev: null, saddr: 0 } as const;

/** The common part of IPv4 sockets. */
export abstract class InetSock implements SkbOwner {
  /** Cached TX queue (sk_tx_queue_mapping), -1 when unset. */
  txQueueMapping = -1;
  /** RX queue the flow last arrived on (sk_rx_queue_mapping), -1 when unset. */
  rxQueueMapping = -1;
  /** Send buffer (bytes), SO_SNDBUF as getsockopt reports it. */
  sndbuf: number;
  /** Receive buffer (bytes), SO_RCVBUF as getsockopt reports it. */
  rcvbuf: number;
  /** SO_SNDBUF was set: send-buffer autotuning is off (SOCK_SNDBUF_LOCK). */
  sndbufLocked = false;
  /** SO_RCVBUF was set: receive-buffer autotuning is off (SOCK_RCVBUF_LOCK). */
  rcvbufLocked = false;
  /** Flow hash of the socket (sk_txhash), 0 when unset. */
  txhash = 0;
  /** Flow hash of what it last received (sk_rxhash: the skb's, 0 when nothing computed one), which RFS records. */
  rxhash = 0;
  /** IP_MTU_DISCOVER mode of datagrams sent (inet->pmtudisc). */
  pmtudisc: PmtuDisc = 'want';
  /** IP_TTL (inet->uc_ttl): the TTL of unicast datagrams, -1 for the route's default (`net.ipv4.ip_default_ttl`). */
  ucTtl = -1;
  /** IP_TOS (inet->tos): the TOS byte of the IP header of every datagram sent. */
  tos = 0;
  /** sk_priority: the skb->priority of what the socket sends; IP_TOS sets it to rt_tos2priority(tos). */
  priority = 0;
  /** Tasks waiting to read. */
  protected readonly readWq = new WaitQueue();
  /** Tasks waiting to write. */
  protected readonly writeWq = new WaitQueue();
  /** Closed by the user: further calls are misuse. */
  protected userClosed = false;

  /** A socket of `stack` with the given default buffer sizes (bytes). */
  constructor(
    readonly stack: NetStack,
    sndbuf: number,
    rcvbuf: number,
  ) {
    this.sndbuf = sndbuf;
    this.rcvbuf = rcvbuf;
  }

  /** Whether the socket caches its TX queue (a connected socket with a route). */
  abstract get cachesTxQueue(): boolean;

  /** Readiness (poll). */
  abstract poll(): PollEvents;

  /** Whether the user closed it. */
  get closed(): boolean {
    return this.userClosed;
  }

  /** setsockopt(SO_SNDBUF): min(bytes, wmem_max) doubled (at least SOCK_MIN_SNDBUF); disables autotuning. */
  setSndbuf(bytes: number): void {
    this.checkOpen('setSndbuf');
    if (!Number.isInteger(bytes) || bytes < 0) throw new NetError('EINVAL', `SO_SNDBUF ${String(bytes)}: allowed an integer ≥ 0 (bytes)`);
    const val = Math.min(bytes, this.stack.sysctl.wmemMax);
    this.sndbufLocked = true;
    this.sndbuf = Math.max(val * 2, SOCK_MIN_SNDBUF);
    this.onSndbufChange();
  }

  /** setsockopt(SO_RCVBUF): min(bytes, rmem_max) doubled (at least SOCK_MIN_RCVBUF); disables autotuning. */
  setRcvbuf(bytes: number): void {
    this.checkOpen('setRcvbuf');
    if (!Number.isInteger(bytes) || bytes < 0) throw new NetError('EINVAL', `SO_RCVBUF ${String(bytes)}: allowed an integer ≥ 0 (bytes)`);
    const val = Math.min(bytes, this.stack.sysctl.rmemMax);
    this.rcvbufLocked = true;
    this.rcvbuf = Math.max(val * 2, SOCK_MIN_RCVBUF);
  }

  /** setsockopt(IP_MTU_DISCOVER): how datagrams over the route MTU are sent (EINVAL for an unknown mode). */
  setMtuDiscover(mode: PmtuDisc): void {
    this.checkOpen('setMtuDiscover');
    if (mode !== 'want' && mode !== 'do' && mode !== 'dont') throw new NetError('EINVAL', `IP_MTU_DISCOVER "${String(mode)}": allowed want, do or dont`);
    this.pmtudisc = mode;
  }

  /**
   * setsockopt(IP_TTL): the TTL of the socket's unicast datagrams, 1..255, or -1 for the
   * route's default; EINVAL for anything else (0 included), as do_ip_setsockopt answers.
   */
  setTtl(ttl: number): void {
    this.checkOpen('setTtl');
    if (!Number.isInteger(ttl) || (ttl !== -1 && (ttl < 1 || ttl > 255))) throw new NetError('EINVAL', `IP_TTL ${String(ttl)}: allowed -1 or 1..255`);
    this.ucTtl = ttl;
  }

  /**
   * setsockopt(IP_TOS): the TOS byte of the socket's datagrams (the int's low 8 bits, as
   * `inet->tos` keeps them); a stream socket keeps its own ECN bits (`__ip_sock_set_tos`). A
   * change also sets sk_priority to `rt_tos2priority` of the new byte, the qdisc band's key.
   */
  setTos(tos: number): void {
    this.checkOpen('setTos');
    if (!Number.isInteger(tos)) throw new NetError('EINVAL', `IP_TOS ${String(tos)}: allowed an integer`);
    const val = tos & 0xff;
    const next = this.isStream ? (val & ~INET_ECN.MASK) | (this.tos & INET_ECN.MASK) : val;
    if (next === this.tos) return;
    this.tos = next;
    this.priority = rtTos2Priority(next);
  }

  /** Whether the socket is a SOCK_STREAM one (its TOS keeps its ECN bits). */
  protected get isStream(): boolean {
    return false;
  }

  /** ip_select_ttl: the socket's IP_TTL, else `net.ipv4.ip_default_ttl` (the route's hop limit). */
  ipTtl(): number {
    return this.ucTtl < 0 ? this.stack.sysctl.ipDefaultTtl : this.ucTtl;
  }

  /**
   * The route of an `l4Len`-byte datagram to `dst` (ip_route_output, then ip_append_data's
   * IP_PMTUDISC_DO check): its source address and MTU; ENETUNREACH without a route
   * (Ip OutNoRoutes counted), EMSGSIZE when DF is forced and the datagram does not fit. `bound`
   * is what the socket is bound to: its device (SO_BINDTODEVICE, the lookup's oif) and source
   * address (0 for none; a loopback source off `lo` is EINVAL, as __mkroute_output answers).
   */
  protected routeFor(dst: Ipv4Addr, l4Len: number, bound: { readonly dev: NetDevice | null; readonly saddr: Ipv4Addr } = NOT_BOUND): { readonly src: Ipv4Addr; readonly mtu: number } | 'ENETUNREACH' | 'EMSGSIZE' | 'EINVAL' {
    const r = this.stack.route(dst, bound.dev);
    if (r === null) {
      this.stack.snmp.Ip.OutNoRoutes++;
      return 'ENETUNREACH';
    }
    if (bound.saddr >>> 24 === 127 && r.dev !== this.stack.loopback) return 'EINVAL';
    const mtu = r.dev.mtu;
    if (this.pmtudisc === 'do' && l4Len + IPV4_HLEN > mtu) return 'EMSGSIZE';
    return { src: bound.saddr !== 0 ? bound.saddr : r.src, mtu };
  }

  /** Whether a datagram of `networkLen` bytes on a route of `mtu` goes with DF (ip_dont_fragment in __ip_make_skb). */
  protected dfFor(networkLen: number, mtu: number): boolean {
    return this.pmtudisc === 'do' || (this.pmtudisc === 'want' && networkLen <= mtu);
  }

  /** Sleep `task` until the socket is readable (or has an error); wakes at once if it already is. */
  waitReadable(task: Task): void {
    const p = this.poll();
    if (p.readable || p.error || p.hup) task.wake();
    else this.readWq.add(task);
  }

  /** Sleep `task` until the socket is writable (or has an error); wakes at once if it already is. */
  waitWritable(task: Task): void {
    const p = this.poll();
    if (p.writable || p.error || p.hup) task.wake();
    else this.writeWq.add(task);
  }

  /** Stop waiting (a task that timed out). */
  cancelWait(task: Task): void {
    this.readWq.remove(task);
    this.writeWq.remove(task);
  }

  /** Hook: the send buffer size changed. */
  protected onSndbufChange(): void {
    this.writeWq.wakeUp();
  }

  /** Throw EBADF if the user closed the socket. */
  protected checkOpen(op: string): void {
    if (this.userClosed) throw new NetError('EBADF', `${op} on a closed socket`);
  }
}
