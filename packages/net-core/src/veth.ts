/**
 * A veth-style device pair (drivers/net/veth.c): what one end transmits, the other end
 * receives. Like veth, each end is a multi-queue Ethernet device whose TX queue i feeds the
 * peer's RX queue i, carrier is on only while both ends are up, a frame over the peer's MTU is
 * dropped (`is_skb_forwardable`), and the skb itself crosses (no copy of the payload).
 *
 * Unlike veth, the two ends may sit on two hosts of the simulation, joined by a wire with a
 * one-way `latencyNs` and a serialisation `rateBps` per queue. So that the rate gives
 * back-pressure, each TX queue holds at most `ringSize` frames on the wire: the end stops the
 * queue when it is full and wakes it once half has drained, and frees each skb (TX completion,
 * which runs TCP's `tcp_wfree`) when its last bit has left. The receiving host gets each frame
 * through a hardirq per RX queue (its smp_affinity picks the CPU) that calls `netif_rx`, so
 * NET_RX runs on that CPU, as with a NIC without NAPI. A `loss` hook drops chosen frames on the
 * wire (fault injection). With `frames: true` every frame is serialised to bytes and parsed
 * back (`skbToFrame`/`skbFromFrame`), which verifies checksums end to end in functional mode.
 * The device charges no CPU cost of its own beyond the interrupt.
 */
import type { Cpu, ExecContext, Host, IrqVector } from '@ntbsim/kernel';
import { netifRx } from './dev.js';
import { NetError } from './errors.js';
import { skbFromFrame, skbToFrame } from './frame.js';
import { ETH_HLEN } from './inet.js';
import { createNetDevice, ETH_MAX_MTU, ethTypeTrans, type NetDevice } from './netDevice.js';
import { createNetStack, netStackOf } from './netStack.js';
import { Skb } from './skb.js';
import type { NetDeviceOps, NetdevTx, VethOptions } from './types.js';

/** Counters of one end. */
export interface VethStats {
  /** Frames this end sent that the loss hook dropped on the wire. */
  wireDrops: number;
  /** Frames this end sent that reached the peer. */
  delivered: number;
  /** Frames this end sent that failed to parse at the peer (frames mode). */
  parseErrors: number;
}

/** One end of a veth pair: a net_device on its host and its driver (`struct veth_priv`). */
export class VethEnd implements NetDeviceOps {
  /** The network device. */
  readonly dev: NetDevice;
  /** The interrupt of each RX queue (set its affinity to choose the NET_RX CPU). */
  readonly rxIrqs: readonly IrqVector[];
  /** Counters. */
  readonly stats: VethStats = { wireDrops: 0, delivered: 0, parseErrors: 0 };
  /** Wire loss hook of frames this end sends (settable). */
  loss: ((skb: Skb, from: VethEnd) => boolean) | null;
  private peerEnd: VethEnd | null = null;
  private readonly busyUntil: number[];
  private readonly onWire: number[];
  private readonly rxPending: Skb[][];

  /** An end on `host` named `name` (use `createVethPair`). */
  constructor(
    readonly host: Host,
    name: string,
    private readonly opts: Required<Omit<VethOptions, 'names' | 'loss'>>,
    loss: ((skb: Skb, from: VethEnd) => boolean) | null,
  ) {
    const stack = netStackOf(host) ?? createNetStack(host);
    const n = opts.numQueues;
    this.loss = loss;
    this.dev = createNetDevice(stack, { name, ops: this, numTxQueues: n, numRxQueues: n, mtu: opts.mtu, maxMtu: opts.maxMtu, txqueuelen: opts.txqueuelen });
    this.busyUntil = Array.from({ length: n }, () => 0);
    this.onWire = Array.from({ length: n }, () => 0);
    this.rxPending = Array.from({ length: n }, () => []);
    this.rxIrqs = Array.from({ length: n }, (_, q) => host.requestIrq(`${name}-rx-${q}`, (ctx) => this.rxIrq(q, ctx)));
  }

  /** The other end. */
  get peer(): VethEnd {
    if (this.peerEnd === null) throw new NetError('EINVAL', `${this.dev.name}: veth end has no peer`);
    return this.peerEnd;
  }

  /** @internal Join two ends. */
  link(peer: VethEnd): void {
    this.peerEnd = peer;
  }

  /** Frames on the wire from TX queue `q`. */
  inFlight(q: number): number {
    return this.onWire[q] ?? 0;
  }

  /** veth_open: carrier on at both ends once both are up. */
  open(): number {
    const peer = this.peer;
    if (peer.dev.isUp) {
      this.dev.netifCarrierOn();
      peer.dev.netifCarrierOn();
    }
    return 0;
  }

  /** veth_close: carrier off at both ends. */
  stop(): void {
    this.dev.netifCarrierOff();
    this.peer.dev.netifCarrierOff();
  }

  /** veth_change_mtu. */
  changeMtu(newMtu: number): number {
    this.dev.mtu = newMtu;
    return 0;
  }

  /** veth_xmit: put the frame on the wire of its queue; stop the queue when the ring is full. */
  startXmit(skb: Skb, ctx: ExecContext): NetdevTx {
    const peer = this.peer;
    const dev = this.dev;
    const q = skb.queueMapping;
    if (!peer.dev.isUp || skb.len > peer.dev.mtu + ETH_HLEN) {
      dev.stats.txDropped++;
      skb.free(ctx);
      return 'ok';
    }
    const onWire = this.onWire[q] ?? 0;
    if (onWire >= this.opts.ringSize) {
      dev.netifStopSubqueue(q);
      return 'busy';
    }
    const len = skb.len;
    const rate = this.opts.rateBps;
    const start = Math.max(ctx.time, this.busyUntil[q] ?? 0);
    const done = rate > 0 ? start + Math.round((len * 8 * 1e9) / rate) : start;
    this.busyUntil[q] = done;
    this.onWire[q] = onWire + 1;
    if (onWire + 1 >= this.opts.ringSize) dev.netifStopSubqueue(q);
    const cpu = ctx.cpu;
    this.host.sim.at(done, () => this.txDone(skb, q, cpu));
    return 'ok';
  }

  /** The last bit left: count, maybe lose, hand a copy to the peer after the latency, complete the skb. */
  private txDone(skb: Skb, q: number, cpu: Cpu): void {
    const dev = this.dev;
    this.onWire[q] = (this.onWire[q] ?? 1) - 1;
    dev.stats.txPackets++;
    dev.stats.txBytes += skb.len;
    if (this.loss !== null && this.loss(skb, this)) this.stats.wireDrops++;
    else {
      const copy = this.forward(skb);
      if (copy !== null) {
        const peer = this.peer;
        this.host.sim.at(this.host.sim.now + this.opts.latencyNs, () => peer.arrive(copy, q));
      }
    }
    skb.free(cpu);
    if (dev.netifTxQueueStopped(q) && (this.onWire[q] ?? 0) <= Math.floor(this.opts.ringSize / 2)) dev.netifWakeSubqueue(q, cpu);
  }

  /** The skb the peer receives: the same headers and payload, with the Ethernet header in front. */
  private forward(skb: Skb): Skb | null {
    if (this.opts.frames) {
      const r = skbFromFrame(skbToFrame(skb), ETH_HLEN + skb.networkLen);
      if (!r.ok) {
        this.stats.parseErrors++;
        return null;
      }
      return r.skb;
    }
    const copy = new Skb({ ip: { ...skb.ip }, l4: { ...skb.l4 }, data: skb.data, payloadLen: skb.payloadLen, macLen: ETH_HLEN });
    copy.ethSrc = skb.ethSrc;
    copy.ethDst = skb.ethDst;
    return copy;
  }

  /** @internal A frame arrives on RX queue `q`: queue it and raise that queue's interrupt. */
  arrive(skb: Skb, q: number): void {
    const dev = this.dev;
    const peer = this.peer;
    if (!dev.isUp) {
      dev.stats.rxDropped++;
      return;
    }
    peer.stats.delivered++;
    const rq = q % dev.realNumRxQueues;
    (this.rxPending[rq] as Skb[]).push(skb);
    (this.rxIrqs[rq] as IrqVector).raise();
  }

  private rxIrq(q: number, ctx: ExecContext): void {
    const pending = this.rxPending[q] as Skb[];
    if (pending.length === 0) return;
    this.rxPending[q] = [];
    const dev = this.dev;
    for (const skb of pending) {
      const len = skb.len;
      ethTypeTrans(skb, dev);
      skb.recordRxQueue(q);
      if (netifRx(skb, ctx) === 'success') {
        dev.stats.rxPackets++;
        dev.stats.rxBytes += len;
      }
    }
  }
}

/** A pair of joined ends. */
export interface VethPair {
  /** The end on the first host. */
  readonly a: VethEnd;
  /** The end on the second host. */
  readonly b: VethEnd;
}

function checkNum(what: string, v: number, range: { readonly min: number; readonly max: number; readonly int: boolean }): void {
  if (!Number.isFinite(v) || v < range.min || v > range.max || (range.int && !Number.isInteger(v))) {
    throw new NetError('EINVAL', `veth ${what} ${String(v)}: allowed ${range.int ? 'an integer' : 'a number'} in ${range.min}..${range.max}`);
  }
}

/**
 * Create a veth pair between `hostA` and `hostB` (`ip link add veth0 type veth peer veth1`,
 * each end on its host's stack, created if missing). The ends start down; bring both up with
 * `dev.open()` for carrier.
 */
export function createVethPair(hostA: Host, hostB: Host, options: VethOptions = {}): VethPair {
  const [na, nb] = options.names ?? ['veth0', 'veth1'];
  const opts = {
    latencyNs: options.latencyNs ?? 0,
    rateBps: options.rateBps ?? 0,
    numQueues: options.numQueues ?? 1,
    mtu: options.mtu ?? 1500,
    maxMtu: options.maxMtu ?? ETH_MAX_MTU,
    ringSize: options.ringSize ?? 256,
    txqueuelen: options.txqueuelen ?? 1000,
    frames: options.frames ?? false,
  };
  checkNum('latencyNs', opts.latencyNs, { min: 0, max: 1e12, int: true });
  checkNum('rateBps', opts.rateBps, { min: 0, max: 1e15, int: false });
  checkNum('numQueues', opts.numQueues, { min: 1, max: 64, int: true });
  checkNum('ringSize', opts.ringSize, { min: 1, max: 1 << 20, int: true });
  const loss = options.loss ?? null;
  const a = new VethEnd(hostA, na, opts, loss);
  const b = new VethEnd(hostB, nb, opts, loss);
  a.link(b);
  b.link(a);
  return { a, b };
}
