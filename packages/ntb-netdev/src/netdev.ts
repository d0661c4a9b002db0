/**
 * ntb_netdev (drivers/net/ntb_netdev.c): a network device whose TX and RX queues are
 * ntb_transport queue pairs. The multi-queue driver (net-next, March 2026) keeps a per-queue
 * context (`struct ntb_netdev_queue {qp, tx_timer, qid}`), picks the QP from
 * `skb->queue_mapping`, stops and wakes each subqueue (gated by its QP's link), turns the
 * carrier on when any QP is up and supports live `ethtool -L combined N`. The `baseline`
 * variant is the single-queue v7.0 driver the seed compares against.
 *
 * Flow control, as the kernel does it: before and after each `tx_enqueue`, if fewer than
 * `tx_stop` (5) slots are free the subqueue is stopped and, if still short, the wake timer is
 * armed for `jiffies + usecs_to_jiffies(1)`: it fires at the next tick, in a later jiffy, up to
 * one jiffy (4 ms at HZ=250) after the stop. A TX completion wakes the subqueue once
 * `tx_start` (10) slots are free; the timer re-arms while fewer than `tx_stop` are free.
 */
import { ERRNO, type ExecContext, type Hrtimer, type HrtimerMode, type Timer, showValue } from '@ntbsim/kernel';
import { ARP_PLEN, createNetDevice, ETH_HLEN, ETH_P_ARP, ethRandomAddr, ethTypeTrans, NETIF_F, netifRx, skbFromFrame, skbToFrame, type NetDevice, type NetDeviceOps, type NetdevTx, type NetStack, type Skb } from '@ntbsim/net-core';
import { PAYLOAD_HEADER_SIZE, type NtbTransport, type TransportQp } from '@ntbsim/ntb-transport';
import { NtbNetdevError } from './errors.js';
import type { NtbNetdevOptions, NtbNetdevVariant, NtbQueueStats, PayloadMode, WakeTimerKind } from './types.js';

/** NTB_NETDEV_VER. */
export const NTB_NETDEV_VER = '0.7';
/** NTB_NETDEV_MAX_QUEUES: TX/RX queues allocated (alloc_etherdev_mq). */
export const NTB_NETDEV_MAX_QUEUES = 64;
/** NTB_RXQ_SIZE: receive buffers posted per queue. */
export const NTB_RXQ_SIZE = 100;
/** tx_stop: stop a subqueue when fewer TX slots are free. */
export const TX_STOP = 5;
/** tx_start: wake a subqueue once this many TX slots are free. */
export const TX_START = 10;
/** tx_time: the wake timer's period (µs), rounded up to a jiffy. */
export const TX_TIME_US = 1;
/** Bytes of a frame kept in timing mode (Ethernet + IPv4 + the longest TCP header). */
export const TIMING_HEADER_BYTES = ETH_HLEN + 20 + 60;

/**
 * Bytes of protocol headers at the start of a frame (Ethernet + IPv4 IHL + TCP data offset, or
 * 8 for UDP/ICMP, or none after the IP header of a non-first IP fragment; the 28-byte ARP
 * packet after the Ethernet header of an ARP frame): in timing mode only these bytes travel, the
 * rest of the buffer is stale.
 */
export function frameHeaderLength(frame: Uint8Array): number {
  if (frame[12] === ETH_P_ARP >>> 8 && frame[13] === (ETH_P_ARP & 0xff)) return ETH_HLEN + ARP_PLEN;
  const ihl = ((frame[ETH_HLEN] ?? 0x45) & 0x0f) * 4;
  const fragOff = (((frame[ETH_HLEN + 6] ?? 0) & 0x1f) << 8) | (frame[ETH_HLEN + 7] ?? 0);
  if (fragOff !== 0) return ETH_HLEN + ihl;
  const proto = frame[ETH_HLEN + 9] ?? 0;
  const l4 = proto === 6 ? ((frame[ETH_HLEN + ihl + 12] ?? 0x50) >>> 4) * 4 : 8;
  return ETH_HLEN + ihl + l4;
}

const VARIANTS: readonly NtbNetdevVariant[] = ['mq', 'baseline'];
const WAKE_TIMERS: readonly WakeTimerKind[] = ['jiffy', 'hrtimer'];
const HRTIMER_MODES: readonly HrtimerMode[] = ['soft', 'hard'];
const PAYLOADS: readonly PayloadMode[] = ['functional', 'timing'];

/** The fields of NtbNetdevOptions. */
const OPTION_KEYS = ['name', 'variant', 'queues', 'wakeTimer', 'hrtimerNs', 'hrtimerMode', 'payload', 'rxqSize', 'clientDev'] as const satisfies readonly (keyof NtbNetdevOptions)[];

/**
 * Check driver options before anything is created: throws NtbNetdevError (EINVAL) naming an
 * unknown option, or the option, the value and what is allowed (the interface name is checked by the net core).
 */
export function validateNtbNetdevOptions(options: NtbNetdevOptions): void {
  const bad = (field: string, value: unknown, allowed: string): never => {
    throw new NtbNetdevError('EINVAL', `option ${field}: got ${showValue(value)}, allowed ${allowed}`);
  };
  // An object that is not a literal escapes TypeScript's excess-property check: a misspelt option would be ignored.
  const unknown = Object.keys(options).find((k) => !(OPTION_KEYS as readonly string[]).includes(k));
  if (unknown !== undefined) throw new NtbNetdevError('EINVAL', `unknown option ${unknown}; known: ${OPTION_KEYS.join(', ')}`);
  const oneOf = <T>(field: string, value: T | undefined, allowed: readonly T[]): void => {
    if (value !== undefined && !allowed.includes(value)) bad(field, value, allowed.join(' | '));
  };
  const int = (field: string, value: number | undefined, min: number, max: number): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) bad(field, value, `an integer in ${min}..${max}`);
  };
  oneOf('variant', options.variant, VARIANTS);
  oneOf('wakeTimer', options.wakeTimer, WAKE_TIMERS);
  oneOf('hrtimerMode', options.hrtimerMode, HRTIMER_MODES);
  oneOf('payload', options.payload, PAYLOADS);
  int('queues', options.queues, 1, NTB_NETDEV_MAX_QUEUES);
  int('hrtimerNs', options.hrtimerNs, 1, Number.MAX_SAFE_INTEGER);
  int('rxqSize', options.rxqSize, 1, 0xffff);
  const dev: unknown = options.clientDev;
  if (dev !== undefined && (typeof dev !== 'string' || !/^[^\s/]+$/.test(dev))) bad('clientDev', dev, 'a device name (no spaces or /)');
}

/** One queue's context (struct ntb_netdev_queue). */
export class NtbNetdevQueue {
  /** Counters. */
  readonly stats: NtbQueueStats = { rxPackets: 0, rxBytes: 0, rxErrors: 0, txPackets: 0, txBytes: 0, txBusy: 0, txStops: 0, txTimerWakes: 0, txTimerExpiries: 0 };
  /** The wake timer (tx_timer). */
  readonly timer: Timer | Hrtimer;

  /** Queue `qid` of `dev`, bound to transport QP `qp`. */
  constructor(
    readonly dev: NtbNetdev,
    readonly qid: number,
    readonly qp: TransportQp,
  ) {
    const host = dev.ndev.host;
    this.timer = dev.wakeTimer === 'hrtimer' ? host.createHrtimer(`ntb_netdev q${qid} tx_timer`, (ctx) => dev.txTimer(this, ctx), dev.hrtimerMode) : host.createTimer(`ntb_netdev q${qid} tx_timer`, (ctx) => dev.txTimer(this, ctx));
  }
}

/** A probed ntb_netdev (struct ntb_netdev). */
export class NtbNetdev {
  /** The net_device. */
  readonly ndev: NetDevice;
  /** Active queues, index = qid (num_queues = length). */
  readonly queues: NtbNetdevQueue[] = [];
  /** Driver variant. */
  readonly variant: NtbNetdevVariant;
  /** Wake mechanism. */
  readonly wakeTimer: WakeTimerKind;
  /** How the hrtimer variant's timer is armed (HRTIMER_MODE_REL_SOFT or HRTIMER_MODE_REL). */
  readonly hrtimerMode: HrtimerMode;
  /** Payload fidelity. */
  readonly payload: PayloadMode;
  private readonly hrtimerNs: number;
  private readonly rxqSize: number;

  /** Probe on `transport` (ntb_netdev_probe): create the QPs and the net_device. */
  constructor(
    readonly transport: NtbTransport,
    stack: NetStack,
    options: NtbNetdevOptions = {},
  ) {
    validateNtbNetdevOptions(options);
    this.variant = options.variant ?? 'mq';
    this.wakeTimer = options.wakeTimer ?? 'jiffy';
    this.hrtimerMode = options.hrtimerMode ?? 'soft';
    this.payload = options.payload ?? 'timing';
    this.hrtimerNs = options.hrtimerNs ?? 250_000;
    this.rxqSize = options.rxqSize ?? NTB_RXQ_SIZE;
    const maxQueues = this.variant === 'mq' ? NTB_NETDEV_MAX_QUEUES : 1;
    const ops: NetDeviceOps = {
      open: (ctx) => this.open(ctx),
      stop: () => this.stop(),
      startXmit: (skb, ctx) => this.startXmit(skb, ctx),
      changeMtu: (mtu) => this.changeMtu(mtu),
    };
    // ntb_netdev_probe: features = hw_features = NETIF_F_HIGHDMA; eth_random_addr(perm_addr) and
    // dev_addr_set, so the random address is also the permanent one.
    this.ndev = createNetDevice(stack, {
      name: options.name ?? 'ntb0',
      ops,
      numTxQueues: maxQueues,
      numRxQueues: maxQueues,
      minMtu: 0,
      maxMtu: 0xffff,
      mtu: 68,
      devAddr: ethRandomAddr(stack.host.sim.rng),
      features: NETIF_F.HIGHDMA,
      hwFeatures: NETIF_F.HIGHDMA,
      // SET_NETDEV_DEV(ndev, client_dev): the transport client device, bound to this driver.
      parent: { name: options.clientDev ?? 'ntb_netdev0', bus: 'ntb_transport', driver: 'ntb_netdev' },
    });
    const want = this.variant === 'mq' ? (options.queues ?? 1) : 1;
    try {
      for (let i = 0; i < want; i++) {
        const q = this.createQueue(i);
        if (q === null) break;
        this.queues.push(q);
      }
    } catch (e) {
      for (const q of this.queues) this.transport.freeQueue(q.qp);
      stack.unregisterNetdev(this.ndev);
      throw e;
    }
    if (this.queues.length === 0) {
      stack.unregisterNetdev(this.ndev);
      throw new NtbNetdevError('EIO', `${this.transport.dev.name}: no transport queue pair available`);
    }
    const first = this.queues[0] as NtbNetdevQueue;
    const mtu = first.qp.maxSize() - ETH_HLEN;
    if (mtu < 0) {
      // The kernel's unsigned `ndev->mtu` would wrap to ~4 GiB here; the model refuses the probe.
      for (const q of this.queues) this.transport.freeQueue(q.qp);
      stack.unregisterNetdev(this.ndev);
      throw new NtbNetdevError('EINVAL', `${this.transport.dev.name}: max_size ${first.qp.maxSize()} is below ETH_HLEN (${ETH_HLEN}): no room for an Ethernet header (raise transport_mtu to at least ${PAYLOAD_HEADER_SIZE + ETH_HLEN})`);
    }
    this.ndev.mtu = mtu;
    // NETDEV_REGISTER sees the probe's MTU: below 68 the device gets no IPv4 (inetdev_valid_mtu).
    stack.onMtuChange(this.ndev);
    this.ndev.netifSetRealNumQueues(this.queues.length, this.queues.length);
    // ntb_netdev_probe's dev_info; the single-queue driver's says only "%s created".
    this.transport.dev.devInfo(`${this.ndev.name} created${this.variant === 'mq' ? ` with ${this.queues.length} queue pairs` : ''}`);
    const base = { getDrvinfo: () => this.getDrvinfo(), getLink: () => this.getLink(), getLinkKsettings: () => this.getLinkKsettings() };
    this.ndev.ethtoolOps =
      this.variant === 'mq'
        ? {
            ...base,
            getChannels: () => this.getChannels(),
            setChannels: (ch: { readonly combinedCount: number }) => this.setChannels(ch),
            getSsetCount: (set: string) => this.getSsetCount(set),
            getStrings: (set: string) => this.getStrings(set),
            getEthtoolStats: () => this.getEthtoolStats(),
          }
        : base;
  }

  private createQueue(qid: number): NtbNetdevQueue | null {
    let queue: NtbNetdevQueue | null = null;
    const qp = this.transport.createQueue(
      {
        rx: (_qp, cb, len, ctx) => {
          if (queue !== null) this.rxHandler(queue, cb, len, ctx);
        },
        tx: (_qp, cb, len, ctx) => {
          if (queue !== null) this.txHandler(queue, cb, len, ctx);
        },
        event: (status) => {
          if (queue !== null) this.eventHandler(queue, status);
        },
      },
      this,
    );
    if (qp === null) return null;
    queue = new NtbNetdevQueue(this, qid, qp);
    return queue;
  }

  /** The frame length a receive buffer must hold: MTU + ETH_HLEN (bytes). */
  get rxBufLen(): number {
    return this.ndev.mtu + ETH_HLEN;
  }

  private newRxBuf(): Uint8Array {
    return new Uint8Array(this.payload === 'functional' ? this.rxBufLen : TIMING_HEADER_BYTES);
  }

  private fillRx(q: NtbNetdevQueue, ctx?: ExecContext): number {
    for (let i = 0; i < this.rxqSize; i++) {
      const buf = this.newRxBuf();
      const rc = q.qp.rxEnqueue(buf, buf, this.rxBufLen, ctx);
      if (rc !== 0) return rc;
    }
    return 0;
  }

  private drainRx(q: NtbNetdevQueue): void {
    while (q.qp.rxRemove() !== null);
  }

  // ---- net_device_ops --------------------------------------------------------------------

  private open(ctx?: ExecContext): number {
    for (const q of this.queues) {
      const rc = this.fillRx(q, ctx);
      if (rc !== 0) {
        for (const d of this.queues) this.drainRx(d);
        return rc;
      }
    }
    this.ndev.netifCarrierOff();
    for (const q of this.queues) q.qp.linkUp();
    if (this.variant === 'baseline') this.ndev.netifStartQueue();
    else this.ndev.netifTxStopAllQueues();
    return 0;
  }

  /**
   * ndo_stop. mq (ntb_netdev_close): stop every subqueue and turn the carrier off, then link
   * down, drain and stop the timer of each QP. v7.0 does only the latter: its carrier stays on
   * until the next open turns it off (carrier_down_count counts it then, not at close).
   */
  private stop(): void {
    if (this.variant === 'mq') {
      this.ndev.netifTxStopAllQueues();
      this.ndev.netifCarrierOff();
    }
    for (const q of this.queues) this.quiesce(q);
  }

  /** A running queue's teardown (ntb_netdev_close, ntb_dec_channels, ntb_inc_channels' unwind): QP link down, RX buffers drained, wake timer stopped. */
  private quiesce(q: NtbNetdevQueue): void {
    q.qp.linkDown();
    this.drainRx(q);
    this.cancelTimer(q);
  }

  /** ntb_netdev_update_carrier: the carrier is on while any QP's link is up. */
  private updateCarrier(): void {
    if (this.queues.some((o) => o.qp.linkQuery())) this.ndev.netifCarrierOn();
    else this.ndev.netifCarrierOff();
  }

  private cancelTimer(q: NtbNetdevQueue): void {
    if ('del' in q.timer) q.timer.del();
    else q.timer.cancel();
  }

  private armTimer(q: NtbNetdevQueue, ctx: ExecContext): void {
    const host = this.ndev.host;
    if ('mod' in q.timer) q.timer.mod(host.jiffies + host.usecsToJiffies(TX_TIME_US), ctx);
    else q.timer.start(this.hrtimerNs, ctx);
  }

  private stopped(q: NtbNetdevQueue): boolean {
    return this.ndev.netifTxQueueStopped(q.qid);
  }

  /**
   * ntb_netdev_maybe_stop_tx: when short of `size` slots, stop the subqueue and, if still short,
   * arm the wake timer and return -EBUSY, else start it again (mq: only while the QP link is up).
   */
  private maybeStopTx(q: NtbNetdevQueue, size: number, ctx: ExecContext): number {
    if (this.stopped(q) || q.qp.txFreeEntry() >= size) return 0;
    this.ndev.netifStopSubqueue(q.qid);
    q.stats.txStops++;
    if (q.qp.txFreeEntry() < size) {
      this.armTimer(q, ctx);
      return -ERRNO.EBUSY;
    }
    if (this.wakeAllowed(q)) this.ndev.netifStartSubqueue(q.qid);
    return 0;
  }

  /**
   * The bytes put in the transport frame: the whole frame in functional mode (a packet built
   * without payload bytes carries zeros, which its checksum already assumes), the protocol
   * headers only in timing mode.
   */
  private frameOf(skb: Skb, len: number): Uint8Array {
    const frame = skbToFrame(skb);
    if (this.payload === 'timing' || frame.length >= len) return frame;
    const full = new Uint8Array(len);
    full.set(frame);
    return full;
  }

  private startXmit(skb: Skb, ctx: ExecContext): NetdevTx {
    const q = this.queues[this.variant === 'mq' ? skb.queueMapping : 0] ?? this.queues[0];
    if (q === undefined) {
      skb.free(ctx);
      this.ndev.stats.txDropped++;
      return 'ok';
    }
    // mq, as the later CI-tree copy: NETDEV_TX_BUSY when the subqueue is stopped (the merged
    // series' maybe_stop_tx returns 0 then; the qdisc never calls with it stopped). A stop short
    // of tx_stop slots here does not refuse the frame: the merged series, like v7.0, ignores
    // maybe_stop_tx's result.
    if (this.variant === 'mq' && this.stopped(q)) {
      q.stats.txBusy++;
      return 'busy';
    }
    this.maybeStopTx(q, TX_STOP, ctx);
    const len = ETH_HLEN + skb.networkLen;
    const rc = q.qp.txEnqueue(ctx, skb, this.frameOf(skb, len), len);
    if (rc !== 0) return this.xmitError(q, skb, rc, ctx);
    this.maybeStopTx(q, TX_STOP, ctx);
    return 'ok';
  }

  /**
   * A failed tx_enqueue. baseline (v7.0): tx_dropped++, tx_errors++, NETDEV_TX_BUSY for any
   * error (the qdisc requeues the skb). mq, as the later CI-tree copy rather than the merged
   * series (which keeps v7.0's path: with this transport's -ENOLINK for a down QP it would spin
   * NET_TX on every link down the driver is not told of; README): ring full (-EAGAIN/-EBUSY)
   * stops the subqueue, arms the timer and returns BUSY; any other error drops the skb
   * (tx_dropped++) and returns OK.
   */
  private xmitError(q: NtbNetdevQueue, skb: Skb, rc: number, ctx: ExecContext): NetdevTx {
    const stats = this.ndev.stats;
    if (this.variant === 'baseline') {
      stats.txDropped++;
      stats.txErrors++;
      q.stats.txBusy++;
      return 'busy';
    }
    if (rc === -ERRNO.EAGAIN || rc === -ERRNO.EBUSY) {
      this.ndev.netifStopSubqueue(q.qid);
      q.stats.txStops++;
      q.stats.txBusy++;
      this.armTimer(q, ctx);
      return 'busy';
    }
    stats.txDropped++;
    skb.free(ctx);
    return 'ok';
  }

  /** @internal tx_handler: free the skb, count it, wake the subqueue once tx_start slots are free. */
  txHandler(q: NtbNetdevQueue, cb: unknown, len: number, ctx: ExecContext): void {
    const skb = cb as Skb;
    if (len > 0) {
      this.ndev.stats.txPackets++;
      this.ndev.stats.txBytes += len;
      q.stats.txPackets++;
      q.stats.txBytes += len;
    } else {
      this.ndev.stats.txErrors++;
      this.ndev.stats.txAbortedErrors++;
    }
    skb.free(ctx);
    if (q.qp.txFreeEntry() >= TX_START && this.stopped(q) && this.wakeAllowed(q)) this.ndev.netifWakeSubqueue(q.qid, ctx);
  }

  private wakeAllowed(q: NtbNetdevQueue): boolean {
    return this.variant === 'baseline' || q.qp.linkQuery();
  }

  /**
   * @internal The wake timer (ntb_netdev_tx_timer): re-arm while fewer than tx_stop slots are
   * free, else wake the subqueue if it is stopped (mq: and its QP link up). Every run counts in
   * txTimerExpiries, a run that wakes the subqueue also in txTimerWakes.
   */
  txTimer(q: NtbNetdevQueue, ctx: ExecContext): void {
    q.stats.txTimerExpiries++;
    if (q.qp.txFreeEntry() < TX_STOP) this.armTimer(q, ctx);
    else if (this.stopped(q) && this.wakeAllowed(q)) {
      q.stats.txTimerWakes++;
      this.ndev.netifWakeSubqueue(q.qid, ctx);
    }
  }

  /**
   * rx_handler (the transport calls it; a test may, to inject a frame): hand the frame to the
   * stack with `netif_rx` and re-post a buffer. Both drivers count rx_packets/rx_bytes only when
   * netif_rx takes the frame, and a NET_RX_DROP (a full backlog) in rx_errors and rx_dropped, on
   * top of the core's rx_dropped and softnet dropped (the merged multi-queue series keeps v7.0's
   * code and adds `skb_record_rx_queue`).
   * Each rx_packets, rx_bytes and rx_errors count (a re-post failure's rx_fifo_errors and a
   * netif_rx drop included) is also the queue's, so the queues sum to the device.
   * The kernel posts a fresh skb of the current MTU + ETH_HLEN; here the frame's bytes are copied
   * out when the skb is built, so the same buffer object is posted again while it is big enough
   * (a buffer posted before an MTU increase and in flight through it is replaced).
   */
  rxHandler(q: NtbNetdevQueue, cb: unknown, len: number, ctx: ExecContext): void {
    const stats = this.ndev.stats;
    const buf = cb as Uint8Array | null;
    if (buf === null) return;
    if (len < 0) {
      stats.rxErrors++;
      stats.rxLengthErrors++;
      q.stats.rxErrors++;
    } else {
      const frame = skbFromFrame(buf.subarray(0, this.payload === 'functional' ? len : Math.min(len, frameHeaderLength(buf))), len);
      if (!frame.ok) {
        stats.rxErrors++;
        stats.rxLengthErrors++;
        q.stats.rxErrors++;
      } else {
        const skb = frame.skb;
        skb.dev = this.ndev;
        ethTypeTrans(skb, this.ndev);
        skb.recordRxQueue(q.qid);
        if (netifRx(skb, ctx) === 'drop') {
          stats.rxErrors++;
          stats.rxDropped++;
          q.stats.rxErrors++;
        } else {
          stats.rxPackets++;
          stats.rxBytes += len;
          q.stats.rxPackets++;
          q.stats.rxBytes += len;
        }
      }
    }
    const next = this.payload === 'functional' && buf.length < this.rxBufLen ? this.newRxBuf() : buf;
    if (q.qp.rxEnqueue(next, next, this.rxBufLen, ctx) !== 0) {
      stats.rxErrors++;
      stats.rxFifoErrors++;
      q.stats.rxErrors++;
    }
  }

  /**
   * @internal event_handler. mq: while the interface is running, a QP's link up wakes its
   * subqueue and a link down stops it; the carrier is on when any QP is up. v7.0: link up (and
   * the QP up) turns the carrier on, link down off; the queue is left as it is.
   */
  eventHandler(q: NtbNetdevQueue, status: 0 | 1): void {
    if (this.variant === 'mq') {
      if (this.ndev.isUp) {
        if (status === 1) this.ndev.netifWakeSubqueue(q.qid);
        else this.ndev.netifStopSubqueue(q.qid);
      }
      this.updateCarrier();
    } else if (status === 1) {
      if (q.qp.linkQuery()) this.ndev.netifCarrierOn();
    } else {
      this.ndev.netifCarrierOff();
    }
  }

  /** ndo_change_mtu: -EINVAL above max_size − ETH_HLEN; when up, link down, re-post larger buffers, link up. */
  private changeMtu(newMtu: number): number {
    const first = this.queues[0];
    if (first === undefined) return -ERRNO.ENODEV;
    if (newMtu > first.qp.maxSize() - ETH_HLEN) return -ERRNO.EINVAL;
    if (!this.ndev.isUp) {
      this.ndev.mtu = newMtu;
      return 0;
    }
    for (const q of this.queues) q.qp.linkDown();
    if (newMtu > this.ndev.mtu) {
      for (const q of this.queues) {
        let n = 0;
        while (q.qp.rxRemove() !== null) n++;
        this.ndev.mtu = newMtu;
        for (let i = 0; i < n; i++) {
          const buf = this.newRxBuf();
          if (q.qp.rxEnqueue(buf, buf, this.rxBufLen) !== 0) {
            this.transport.log('Error changing MTU, device inoperable');
            return -ERRNO.ENOMEM;
          }
        }
      }
    }
    this.ndev.mtu = newMtu;
    for (const q of this.queues) q.qp.linkUp();
    return 0;
  }

  // ---- ethtool_ops (the @ntbsim/ethtool-ops EthtoolOps contract, structurally) ---------------

  /** get_channels: combined = num_queues, max_combined = num_tx_queues (64). */
  getChannels(): { maxRx: number; maxTx: number; maxOther: number; maxCombined: number; rxCount: number; txCount: number; otherCount: number; combinedCount: number } {
    return { maxRx: 0, maxTx: 0, maxOther: 0, maxCombined: this.ndev.numTxQueues, rxCount: 0, txCount: 0, otherCount: 0, combinedCount: this.queues.length };
  }

  /**
   * set_channels (allowed while up): grow creates the QPs one at a time (ntb_inc_channels): a
   * running device posts each new queue's RX buffers and keeps its subqueue stopped until its
   * QP link is up; when the transport has no QP left (-ENOSPC) or a fill fails (its errno), the
   * queues created so far are unwound in reverse (link down, drain, free: the transport logs
   * each QP created and freed) and nothing changes. Shrink stops the subqueues, takes their
   * links down, drains and frees them.
   */
  setChannels(channels: { readonly combinedCount: number }): number {
    const combined = channels.combinedCount;
    if (this.variant === 'baseline') return -ERRNO.EOPNOTSUPP;
    if (!Number.isInteger(combined) || combined < 1 || combined > this.ndev.numTxQueues) return -ERRNO.EINVAL;
    const cur = this.queues.length;
    if (combined === cur) return 0;
    if (combined > cur) return this.incChannels(cur, combined);
    // ntb_dec_channels: stop, unlink, drain and free the removed queues (the first three only
    // while running), then recompute the carrier from the QPs left.
    const running = this.ndev.isUp;
    const removed = this.queues.splice(combined);
    if (running) for (const q of removed) this.ndev.netifStopSubqueue(q.qid);
    this.ndev.netifSetRealNumQueues(combined, combined);
    for (const q of removed) {
      if (running) this.quiesce(q);
      this.transport.freeQueue(q.qp);
    }
    this.updateCarrier();
    return 0;
  }

  /** ntb_inc_channels: grow from `old` to `want` queues; 0, -ENOSPC, or the RX fill's errno (nothing changed). */
  private incChannels(old: number, want: number): number {
    const running = this.ndev.isUp;
    const created: NtbNetdevQueue[] = [];
    let rc = 0;
    for (let i = old; i < want; i++) {
      const q = this.createQueue(i);
      if (q === null) {
        rc = -ERRNO.ENOSPC;
        break;
      }
      created.push(q);
      if (!running) continue;
      rc = this.fillRx(q);
      if (rc !== 0) break;
      // Carrier may be on from other QPs: keep this subqueue stopped until its link-up event.
      this.ndev.netifStopSubqueue(q.qid);
    }
    if (rc !== 0) {
      created.reverse();
      if (running) for (const q of created) this.quiesce(q);
      for (const q of created) this.transport.freeQueue(q.qp);
      return rc;
    }
    this.queues.push(...created);
    this.ndev.netifSetRealNumQueues(want, want);
    if (running) for (const q of created) q.qp.linkUp();
    return 0;
  }

  /**
   * get_drvinfo: driver (KBUILD_MODNAME), version (NTB_NETDEV_VER) and bus_info (pci_name) only,
   * as ntb_get_drvinfo fills them; the ethtool core takes n_stats from get_sset_count, so the
   * baseline driver (no stats ops) reports "supports-statistics: no".
   */
  getDrvinfo(): { driver: string; version: string; busInfo: string } {
    return { driver: 'ntb_netdev', version: NTB_NETDEV_VER, busInfo: this.transport.dev.name };
  }

  /** get_link (ethtool_op_get_link): the carrier. */
  getLink(): boolean {
    return this.ndev.netifCarrierOk();
  }

  /** get_link_ksettings: Backplane, SPEED_UNKNOWN, DUPLEX_FULL, PORT_OTHER, autoneg on. */
  getLinkKsettings(): { speed: number; duplex: 'full'; port: 'other'; phyAddress: number; autoneg: boolean; supported: string[]; advertising: string[] } {
    return { speed: -1, duplex: 'full', port: 'other', phyAddress: 0, autoneg: true, supported: ['Backplane'], advertising: ['Backplane'] };
  }

  /** get_sset_count: per-queue counters in the stats set. */
  getSsetCount(set: string): number {
    return set === 'stats' ? this.getStatsStrings().length : -ERRNO.EOPNOTSUPP;
  }

  /** get_strings. */
  getStrings(set: string): string[] {
    return set === 'stats' ? this.getStatsStrings() : [];
  }

  /** Per-queue counter names, in `getEthtoolStats` order. */
  getStatsStrings(): string[] {
    const names: string[] = [];
    for (const q of this.queues) {
      names.push(`rx_queue_${q.qid}_packets`, `rx_queue_${q.qid}_bytes`, `rx_queue_${q.qid}_errors`);
      names.push(`tx_queue_${q.qid}_packets`, `tx_queue_${q.qid}_bytes`, `tx_queue_${q.qid}_busy`, `tx_queue_${q.qid}_stops`, `tx_queue_${q.qid}_timer_wakes`, `tx_queue_${q.qid}_timer_expiries`);
    }
    return names;
  }

  /** get_ethtool_stats: per-queue counter values. */
  getEthtoolStats(): number[] {
    const v: number[] = [];
    for (const q of this.queues) {
      const s = q.stats;
      v.push(s.rxPackets, s.rxBytes, s.rxErrors, s.txPackets, s.txBytes, s.txBusy, s.txStops, s.txTimerWakes, s.txTimerExpiries);
    }
    return v;
  }
}
