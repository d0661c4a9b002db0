/**
 * ntb_transport on one NTB device (struct ntb_transport_ctx): probe sizing, the scratchpad
 * link protocol, memory-window buffers, queue creation, and the transport client bus.
 *
 * Link protocol (scratchpads, see layout.ts SPAD): on hardware link-up each side writes into
 * the *peer's* scratchpads its MW sizes (high/low words), NUM_MWS, NUM_QPS and VERSION last,
 * then reads its own: VERSION must be 4 and NUM_QPS / NUM_MWS must match, else it retries every
 * 10 ms while the link is up. It then allocates a coherent buffer per MW and translates the
 * inbound window to it (ntb_mw_set_trans), lays out the RX rings and starts the QP
 * handshakes (QP_LINKS bits, echoed, retried every 10 ms).
 */
import { DelayedWork, ERRNO, Work, type ExecContext, type Workqueue } from '@ntbsim/kernel';
import { logProbeFailure, type DmaBuffer, type IoWindow, type NtbClient, type NtbDevice } from '@ntbsim/ntb-core';
import { TransportError } from './errors.js';
import { NTB_LINK_DOWN_TIMEOUT, NTB_TRANSPORT_VERSION, numQpsInMw, qpRing, roundUp, RX_INFO_SIZE, SPAD, transportCounts, type Counts } from './layout.js';
import { PAYLOAD_HEADER_SIZE, setTransportParam, transportParams } from './params.js';
import { TransportQp } from './qp.js';
import type { QueueHandlers, TransportClientDev, TransportClientDriver, TransportClientOptions, TransportParams } from './types.js';

/** One memory window as the transport tracks it (struct ntb_transport_mw). */
interface TransportMw {
  readonly physBase: number;
  readonly physSize: number;
  readonly io: IoWindow;
  xlatSize: number;
  buffSize: number;
  buf: DmaBuffer | null;
}

/** ntb_transport bound to one NTB device. */
export class NtbTransport {
  /** The module parameters in force: the module's, read where the kernel reads them (a change while loaded applies from the next use). */
  readonly params: TransportParams;
  /** Probe-time counts (mw_count, qp_count, qp_bitmap). */
  readonly counts: Counts;
  /** Whether the transport link is up (nt->link_is_up; like the kernel, only probe clears it). */
  linkIsUp = false;
  /** The queue pairs (qp_vec). */
  readonly qps: readonly TransportQp[];
  /** Free QP bits (qp_bitmap_free). */
  qpBitmapFree: number;
  /** @internal The workqueue the link works run on (system_wq). */
  readonly wq: Workqueue;
  /** Kernel log lines (dev_info / dev_err), oldest first, bounded. */
  readonly dmesg: string[] = [];
  private readonly mws: TransportMw[];
  private readonly linkWork: DelayedWork;
  private readonly linkCleanup: Work;
  private lockHeld = false;
  private readonly lockWaiters: ((ctx: ExecContext) => void)[] = [];
  private readonly lockRelay: Work;
  private pendingSizes: number[] = [];
  /** @internal Set by `remove()` (ntb_transport_free): link and QP works still queued do nothing. */
  removed = false;

  /** @internal Use `createNtbTransportClient`; this is the probe's state after sizing. */
  constructor(
    /** The NTB device the transport is bound to. */
    readonly dev: NtbDevice,
    params: TransportParams,
    setup: { readonly counts: Counts; readonly mws: TransportMw[] },
  ) {
    this.params = params;
    this.counts = setup.counts;
    this.mws = setup.mws;
    this.qpBitmapFree = setup.counts.qpBitmap;
    this.wq = dev.host.createWorkqueue('ntb_transport');
    this.linkWork = new DelayedWork('ntb_transport link_work', (ctx) => this.withLinkLock(ctx, (c) => this.transportLinkWork(c)));
    this.linkCleanup = new Work('ntb_transport link_cleanup', (ctx) =>
      this.withLinkLock(ctx, (c) => {
        this.transportLinkCleanup(c);
        this.unlockLink(c);
      }),
    );
    this.lockRelay = new Work('ntb_transport link_event_lock', (ctx) => this.runLockWaiter(ctx));
    const { mwCount, qpCount } = setup.counts;
    const qps: TransportQp[] = [];
    for (let i = 0; i < qpCount; i++) {
      const mw = setup.mws[i % mwCount] as TransportMw;
      const size = params.maxMwSize !== 0 && mw.physSize > params.maxMwSize ? params.maxMwSize : mw.physSize;
      qps.push(new TransportQp(this, i, mw.io, qpRing({ qpNum: i, qpCount, mwCount, windowSize: size, transportMtu: params.transportMtu })));
    }
    this.qps = qps;
  }

  /** Append a kernel log line on the NTB device (dev_info: also to the host's kernel log as `<driver> <device>: line`), for the transport's clients too. */
  log(line: string): void {
    this.dev.devInfo(line);
    this.dmesg.push(`${this.dev.name}: ${line}`);
    if (this.dmesg.length > 1000) this.dmesg.splice(0, this.dmesg.length - 1000);
  }

  // ---- link_event_lock (a mutex held across the sleeping mw_set_trans) --------------------

  /** @internal The QP_LINKS bits of this side's QPs advertised to the peer (the `qpLinksOwnBits` model switch). */
  advertisedQpBits(): number {
    let bits = 0;
    for (const qp of this.qps) if (qp.isAdvertised) bits |= qp.bit;
    return bits >>> 0;
  }

  private withLinkLock(ctx: ExecContext, fn: (ctx: ExecContext) => void): void {
    if (this.removed) return;
    if (this.lockHeld) {
      this.lockWaiters.push(fn);
      return;
    }
    this.lockHeld = true;
    fn(ctx);
  }

  private unlockLink(ctx?: ExecContext): void {
    this.lockHeld = false;
    if (this.lockWaiters.length > 0) this.wq.queue(this.lockRelay, ctx);
  }

  private runLockWaiter(ctx: ExecContext): void {
    const fn = this.lockWaiters.shift();
    if (fn !== undefined) this.withLinkLock(ctx, fn);
    if (this.lockWaiters.length > 0 && !this.lockHeld) this.wq.queue(this.lockRelay, ctx);
  }

  // ---- events -----------------------------------------------------------------------------

  /** @internal ntb_transport_event_callback (ctx op link_event). */
  onLinkEvent(): void {
    if (this.dev.ops.linkIsUp().peers === 1) this.wq.queueDelayed(this.linkWork, 0);
    else this.wq.queue(this.linkCleanup);
  }

  /** @internal ntb_transport_doorbell_callback (ctx op db_event). */
  onDbEvent(vector: number, ctx: ExecContext): void {
    let bits = (this.counts.qpBitmap & ~this.qpBitmapFree & this.dev.dbVectorMask(vector)) >>> 0;
    while (bits !== 0) {
      const q = 31 - Math.clz32(bits & -bits);
      this.qps[q]?.kick(ctx);
      bits = (bits & ~(1 << q)) >>> 0;
    }
  }

  private retryLink(ctx: ExecContext): void {
    if (this.dev.ops.linkIsUp().peers === 1) this.wq.queueDelayed(this.linkWork, this.dev.host.msecsToJiffies(NTB_LINK_DOWN_TIMEOUT), ctx);
  }

  private transportLinkWork(ctx: ExecContext): void {
    if (this.linkIsUp && this.params.ignoreLinkEventWhenUp) {
      this.unlockLink(ctx);
      return;
    }
    const { mwCount, qpCount } = this.counts;
    for (let i = 0; i < mwCount; i++) {
      const mw = this.mws[i] as TransportMw;
      const size = this.params.maxMwSize !== 0 && mw.physSize > this.params.maxMwSize ? this.params.maxMwSize : mw.physSize;
      this.dev.peerSpadWrite(0, SPAD.MW0_SZ_HIGH + i * 2, Math.floor(size / 2 ** 32) >>> 0, ctx);
      this.dev.peerSpadWrite(0, SPAD.MW0_SZ_LOW + i * 2, size >>> 0, ctx);
    }
    this.dev.peerSpadWrite(0, SPAD.NUM_MWS, mwCount, ctx);
    this.dev.peerSpadWrite(0, SPAD.NUM_QPS, qpCount, ctx);
    this.dev.peerSpadWrite(0, SPAD.VERSION, NTB_TRANSPORT_VERSION, ctx);
    if (this.dev.spadRead(SPAD.VERSION, ctx) !== NTB_TRANSPORT_VERSION || this.dev.spadRead(SPAD.NUM_QPS, ctx) !== qpCount || this.dev.spadRead(SPAD.NUM_MWS, ctx) !== mwCount) {
      this.unlockLink(ctx);
      this.retryLink(ctx);
      return;
    }
    const sizes: number[] = [];
    for (let i = 0; i < mwCount; i++) sizes.push(this.dev.spadRead(SPAD.MW0_SZ_HIGH + i * 2, ctx) * 2 ** 32 + this.dev.spadRead(SPAD.MW0_SZ_LOW + i * 2, ctx));
    this.pendingSizes = sizes;
    this.setMwFrom(0, ctx);
  }

  /** ntb_set_mw for windows i.. in turn; each translation may sleep, so the chain resumes in a work. */
  private setMwFrom(i: number, ctx: ExecContext): void {
    const { mwCount, qpCount } = this.counts;
    if (i >= mwCount) {
      this.linkIsUp = true;
      for (const qp of this.qps) {
        const mw = this.mws[qp.qpNum % mwCount] as TransportMw;
        if (mw.buf !== null) qp.setupMw(mw.buf, qpRing({ qpNum: qp.qpNum, qpCount, mwCount, windowSize: mw.xlatSize, transportMtu: this.params.transportMtu }));
        if (qp.clientReady) this.wq.queueDelayed(qp.linkWork, 0, ctx);
      }
      this.unlockLink(ctx);
      return;
    }
    const rc = this.setMw(i, this.pendingSizes[i] ?? 0, (rc2) => {
      const resume = new Work(`ntb_transport set_mw${i}`, (c) => {
        if (this.removed) return;
        if (rc2 === 0) this.setMwFrom(i + 1, c);
        else this.failSetMw(c);
      });
      this.wq.queue(resume, ctx);
    });
    if (rc === 1) return;
    if (rc === 0) this.setMwFrom(i + 1, ctx);
    else this.failSetMw(ctx);
  }

  private failSetMw(ctx: ExecContext): void {
    for (let i = 0; i < this.counts.mwCount; i++) this.freeMw(i);
    this.unlockLink(ctx);
  }

  /** ntb_set_mw: 0 when nothing to do, 1 when a translation is in flight (`done` follows), or -errno. */
  private setMw(i: number, size: number, done: (rc: number) => void): number {
    if (size === 0) return -ERRNO.EINVAL;
    const ops = this.dev.ops;
    const align = ops.mwGetAlign(0, i);
    if (typeof align === 'number') return align;
    const mw = this.mws[i] as TransportMw;
    const xlatSize = roundUp(size, align.sizeAlign);
    const buffSize = roundUp(size, align.addrAlign);
    if (mw.xlatSize === xlatSize) return 0;
    if (mw.buffSize !== 0) this.freeMw(i);
    // ntb_alloc_mw_buffer, tried again at twice the size; each failed allocation says so.
    const alloc = (n: number): DmaBuffer | null => {
      const b = ops.allocCoherent(n, align.addrAlign);
      if (b === null) this.log(`Unable to alloc MW buff of size ${n}`);
      return b;
    };
    const buf = alloc(buffSize) ?? alloc(buffSize * 2);
    if (buf === null) {
      this.log(`Unable to alloc aligned MW buff`);
      return -ERRNO.ENOMEM;
    }
    mw.xlatSize = xlatSize;
    mw.buffSize = buffSize;
    mw.buf = buf;
    this.dev.mwSetTrans({ pidx: 0, widx: i, addr: buf.dmaAddr, size: xlatSize }, (rc) => {
      if (rc !== 0) {
        this.log(`Unable to set mw${i} translation`);
        this.freeMw(i);
        done(-ERRNO.EIO);
      } else done(0);
    });
    return 1;
  }

  private freeMw(i: number): void {
    const mw = this.mws[i] as TransportMw;
    if (mw.buf === null) return;
    this.dev.mwClearTrans(0, i, () => undefined);
    this.dev.ops.freeCoherent(mw.buf);
    for (const qp of this.qps) if (qp.qpNum % this.counts.mwCount === i) qp.dropMw();
    mw.buf = null;
    mw.xlatSize = 0;
    mw.buffSize = 0;
  }

  /** ntb_transport_link_cleanup: reset every allocated QP (its client gets event 0), free the MWs, zero the local spads. */
  private transportLinkCleanup(ctx: ExecContext): void {
    if (!this.linkIsUp) this.wq.cancelDelayed(this.linkWork);
    for (const qp of this.qps) {
      if ((qp.bit & ~this.qpBitmapFree & this.counts.qpBitmap) === 0) continue;
      qp.linkCleanupNow();
      this.wq.cancelDelayed(qp.linkCleanup);
      this.wq.cancelDelayed(qp.linkWork);
    }
    for (let i = 0; i < this.counts.mwCount; i++) this.freeMw(i);
    const count = this.dev.spadCount();
    for (let i = 0; i < count; i++) this.dev.spadWrite(i, 0, ctx);
  }

  // ---- queues -------------------------------------------------------------------------------

  /** Create a queue on the lowest free QP (ntb_transport_create_queue); null when none is free. */
  createQueue(handlers: QueueHandlers, data: unknown = null): TransportQp | null {
    const free = this.qpBitmapFree;
    if (free === 0) return null;
    const q = 31 - Math.clz32(free & -free);
    const qp = this.qps[q];
    if (qp === undefined) return null;
    this.qpBitmapFree = (free & ~qp.bit) >>> 0;
    qp.open(handlers, data);
    this.log(`NTB Transport QP ${q} created`);
    return qp;
  }

  /**
   * Free a queue (ntb_transport_free_queue). It returns to the free pool once its offload
   * kthread has exited (kthread_stop), its DMA channels' `dma_sync_wait` has ended and a
   * LINK_DOWN its client asked for has been sent (at once when none is pending); `now` (device
   * removal) frees at once.
   */
  freeQueue(qp: TransportQp, now = false): void {
    qp.close(() => {
      this.qpBitmapFree = (this.qpBitmapFree | qp.bit) >>> 0;
      this.log(`NTB Transport QP ${qp.qpNum} freed`);
    }, now);
  }

  /** Free queues available to clients. */
  get freeQueueCount(): number {
    let n = 0;
    for (let b = this.qpBitmapFree; b !== 0; b &= b - 1) n++;
    return n;
  }

  /**
   * @internal Unbind from the device (ntb_transport_free), in the calling process (`rmmod`):
   * the link cleanup first (every allocated QP reset and its client told 0, the MWs freed, the
   * local spads zeroed), then the link works stopped, the queues freed, the link disabled and
   * the context cleared. A link work holding link_event_lock is abandoned, not waited for.
   */
  remove(): void {
    const ctx = this.dev.host.syscallContext();
    this.transportLinkCleanup(ctx);
    this.removed = true;
    this.wq.cancelDelayed(this.linkWork);
    this.lockWaiters.length = 0;
    this.lockHeld = false;
    for (const qp of this.qps) if ((qp.bit & ~this.qpBitmapFree & this.counts.qpBitmap) !== 0) this.freeQueue(qp, true);
    this.dev.ops.linkDisable(() => undefined);
    this.dev.clearCtx();
    for (let i = 0; i < this.counts.mwCount; i++) this.freeMw(i);
  }
}

/** The ntb_transport bus of one host: transport instances and their client devices and drivers. */
export class TransportBus {
  /** Transport instances (ntb_transport_list). */
  readonly transports: NtbTransport[] = [];
  private readonly devs: TransportClientDev[] = [];
  private readonly drivers: TransportClientDriver[] = [];
  private readonly bound = new Map<TransportClientDev, TransportClientDriver>();

  /**
   * Create `<name><i>` on every transport (ntb_transport_register_client_dev); 0, -ENODEV
   * without a transport, or -EEXIST when a device of that name exists (device_register's
   * duplicate name), nothing created.
   */
  registerClientDev(name: string): number {
    if (this.transports.length === 0) return -ERRNO.ENODEV;
    if (this.devs.some((d) => this.transports.some((_, i) => d.name === `${name}${i}`))) return -ERRNO.EEXIST;
    this.transports.forEach((t, i) => {
      const dev: TransportClientDev = { name: `${name}${i}`, transport: t };
      this.devs.push(dev);
      this.match(dev);
    });
    return 0;
  }

  /** Remove client devices named `name…` (ntb_transport_unregister_client_dev). */
  unregisterClientDev(name: string): void {
    for (const dev of this.devs.filter((d) => d.name.startsWith(name))) {
      this.bound.get(dev)?.remove(dev);
      this.bound.delete(dev);
      this.devs.splice(this.devs.indexOf(dev), 1);
    }
  }

  /** Register a client driver (ntb_transport_register_client); 0 or -ENODEV with no transport. */
  registerClient(drv: TransportClientDriver): number {
    if (this.transports.length === 0) return -ERRNO.ENODEV;
    if (this.drivers.includes(drv)) throw new TransportError('EEXIST', `client ${drv.name} is already registered`);
    this.drivers.push(drv);
    for (const d of this.devs) if (!this.bound.has(d)) this.match(d);
    return 0;
  }

  /** Unregister a client driver (ntb_transport_unregister_client). */
  unregisterClient(drv: TransportClientDriver): void {
    for (const [d, c] of [...this.bound]) {
      if (c !== drv) continue;
      c.remove(d);
      this.bound.delete(d);
    }
    const i = this.drivers.indexOf(drv);
    if (i >= 0) this.drivers.splice(i, 1);
  }

  private match(dev: TransportClientDev): void {
    for (const drv of this.drivers) {
      if (!dev.name.startsWith(drv.name)) continue;
      const rc = drv.probe(dev);
      if (rc === 0) {
        this.bound.set(dev, drv);
        return;
      }
      logProbeFailure(dev.transport.dev.host, dev.name, drv.name, rc);
    }
  }
}

/** The ntb_transport module: its NTB client, the instances it probed, and its parameters. */
export interface NtbTransportClient extends NtbClient {
  /** The probed transports by device. */
  readonly instances: Map<NtbDevice, NtbTransport>;
  /** The messages of refused probes. */
  readonly probeLog: string[];
  /** The module parameters in force, shared by every instance (the module's globals): each reads them where the kernel does. */
  readonly params: TransportParams;
  /**
   * Change one parameter while loaded (a write to /sys/module/ntb_transport/parameters/…):
   * TransportError EINVAL for a value it does not allow, EPERM for one of PROBE_TIME_PARAMS.
   */
  setParam(key: keyof TransportParams, value: unknown): void;
}

/** The ntb_transport NTB client (module init): register it on a host's NtbBus; `probeLog` keeps the messages of refused probes. */
export function createNtbTransportClient(options: TransportClientOptions): NtbTransportClient {
  const params = transportParams(options.params);
  const instances = new Map<NtbDevice, NtbTransport>();
  const probeLog: string[] = [];
  return {
    name: 'ntb_transport',
    instances,
    probeLog,
    params,
    setParam: (key, value) => setTransportParam(params, key, value),
    probe(dev: NtbDevice): number {
      const t = probeTransport(dev, params, (line) => {
        probeLog.push(`${dev.name}: ${line}`);
        dev.devInfo(line);
      });
      if (typeof t === 'number') return t;
      instances.set(dev, t);
      options.bus.transports.push(t);
      dev.ops.linkEnable('auto', 'auto', () => dev.linkEvent());
      return 0;
    },
    remove(dev: NtbDevice): void {
      const t = instances.get(dev);
      if (t === undefined) return;
      t.remove();
      instances.delete(dev);
      const i = options.bus.transports.indexOf(t);
      if (i >= 0) options.bus.transports.splice(i, 1);
    },
  };
}

/** Smallest QP region (bytes): `rx_info` and two frames of a header and one byte. */
const MIN_QP_REGION = RX_INFO_SIZE + 2 * (PAYLOAD_HEADER_SIZE + 1);

/** ntb_transport_probe: size the transport on `dev` and set its context; an instance, or -errno (-EINVAL with fewer than 6 scratchpads, or when a window cannot hold two frames per QP). */
function probeTransport(dev: NtbDevice, params: TransportParams, log: (line: string) => void): NtbTransport | number {
  const ops = dev.ops;
  if (ops.mwSetTrans === undefined) {
    log('Inbound MW based NTB API is required');
    return -ERRNO.EINVAL;
  }
  // Only two-port devices are supported (PIDX = NTB_DEF_PEER_IDX); the probe warns and goes on.
  if (dev.peerPortCount() !== 1) dev.devInfo('Multi-port NTB devices unsupported');
  const peerMwCount = ops.peerMwCount();
  const counts = transportCounts({ peerMwCount, spadCount: dev.spadCount(), dbValidMask: ops.dbValidMask(), maxNumClients: params.maxNumClients, msi: false });
  // Fewer scratchpads than the handshake needs fail the probe; no window or no doorbell bit to
  // spare (qp_count = ilog2(db_valid_mask) = 0) does not: the transport probes with no QP, and
  // each client's create_queue finds none (ntb_netdev's probe then fails with -EIO).
  if (counts === null) return -ERRNO.EINVAL;
  const mws: TransportMw[] = [];
  for (let i = 0; i < peerMwCount; i++) {
    const addr = ops.peerMwGetAddr(i);
    if (typeof addr === 'number') return addr;
    const io = ops.peerMwIoremap(i);
    if (io === null) return -ERRNO.ENOMEM;
    mws.push({ physBase: addr.base, physSize: addr.size, io, xlatSize: 0, buffSize: 0, buf: null });
  }
  for (let i = 0; i < counts.mwCount; i++) {
    const mw = mws[i] as TransportMw;
    const size = params.maxMwSize !== 0 && mw.physSize > params.maxMwSize ? params.maxMwSize : mw.physSize;
    if (Math.floor(size / numQpsInMw(i, counts.qpCount, counts.mwCount)) < MIN_QP_REGION) return -ERRNO.EINVAL;
  }
  const nt = new NtbTransport(dev, params, { counts, mws });
  const rc = dev.setCtx({ linkEvent: () => nt.onLinkEvent(), dbEvent: (v, ctx) => nt.onDbEvent(v, ctx) });
  if (rc !== 0) return rc;
  return nt;
}
