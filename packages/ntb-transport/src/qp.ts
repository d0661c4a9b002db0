/**
 * One transport queue pair (struct ntb_transport_qp): the TX ring in the peer's window, the
 * RX ring in local coherent memory, the RX tasklet, the QP link handshake and the counters.
 *
 * Wire contract per slot (see layout.ts): the sender writes `len`, then `ver` (= its tx_pkts),
 * then the payload, then `flags |= DESC_DONE_FLAG`, flushes (v7.0: dma_mb + read-back) and
 * rings doorbell bit `qp_num`. The receiver polls `flags`, checks `ver == rx_pkts`, copies the
 * payload out, clears `flags` and writes its slot index into the sender's `rx_info`.
 */
import { DelayedWork, ERRNO, type ExecContext, type Host, type Task, type Tasklet, type TaskStep } from '@ntbsim/kernel';
import type { DmaBuffer, DmaChannel, DmaCookie, IoWindow } from '@ntbsim/ntb-core';
import { DESC_DONE_FLAG, HDR, LINK_DOWN_FLAG, NTB_LINK_DOWN_TIMEOUT, SPAD, type QpRing } from './layout.js';
import { PAYLOAD_HEADER_SIZE, setTransportParam } from './params.js';
import type { QpStats, QueueHandlers, TransportQueue } from './types.js';
import type { NtbTransport } from './transport.js';

/** A queue entry (struct ntb_queue_entry). */
interface Entry {
  cb: unknown;
  buf: Uint8Array | null;
  len: number;
  flags: number;
  txIndex: number;
  rxIndex: number;
  hdrOffset: number;
}

function newEntry(): Entry {
  return { cb: null, buf: null, len: 0, flags: 0, txIndex: 0, rxIndex: 0, hdrOffset: 0 };
}

function zeroStats(): QpStats {
  return { rxBytes: 0, rxPkts: 0, rxMemcpy: 0, rxAsync: 0, rxRingEmpty: 0, rxErrNoBuf: 0, rxErrOflow: 0, rxErrVer: 0, txBytes: 0, txPkts: 0, txRingFull: 0, txErrNoBuf: 0, txMemcpy: 0, txAsync: 0 };
}

const TX_OFFLOAD_WAIT_NS = 5_000_000_000;
const LINK_DOWN_RETRY_MS = 100;

/**
 * One direction's DMA channels of a QP (the multi-channel DMA series' `struct ntb_transport_dma`;
 * v7.0 has one channel per direction): copies go round-robin over the channels, and each
 * channel's last recorded cookie is what free_queue's dma_sync_wait waits for.
 */
export class QpDma {
  /** The channels held. */
  chans: DmaChannel[] = [];
  private lastCookie: DmaCookie[] = [];
  private cur = 0;

  /** Request up to `n` channels (ntb_transport_setup_dma: as many as the device gives). */
  setup(ops: { requestDmaChannel?: () => DmaChannel | null }, n: number): void {
    for (let i = 0; i < n; i++) {
      const c = ops.requestDmaChannel?.() ?? null;
      if (c === null) break;
      this.chans.push(c);
      this.lastCookie.push(0);
    }
    this.cur = 0;
  }

  /** The channel index for the next copy (ntb_pick_dma_chan), or -1 with none. */
  pick(): number {
    const n = this.chans.length;
    if (n <= 1) return n - 1;
    return this.cur++ % n;
  }

  /** Note `cookie` as channel `i`'s last transaction. */
  record(i: number, cookie: DmaCookie): void {
    this.lastCookie[i] = cookie;
  }

  /** Hand over every channel with its last cookie, holding none afterwards (new copies go to the CPU). */
  take(): { readonly chan: DmaChannel; readonly cookie: DmaCookie }[] {
    const out = this.chans.map((chan, i) => ({ chan, cookie: this.lastCookie[i] ?? 0 }));
    this.chans = [];
    this.lastCookie = [];
    return out;
  }
}

/** A transport queue pair. */
export class TransportQp implements TransportQueue {
  /** Doorbell bit of the QP (qp_bit). */
  readonly bit: number;
  /** Client is ready (client_ready). */
  clientReady = false;
  /** QP link is up (link_is_up). */
  linkIsUp = false;
  /** QP is active: RX processing allowed (active). */
  active = false;
  /** Counters (reset on every QP link reset, as in the kernel). */
  stats: QpStats = zeroStats();
  /** TX ring geometry in the peer's window. */
  readonly txRing: QpRing;
  /** RX ring geometry in the local buffer, once the transport link set it up. */
  rxRing: QpRing | null = null;
  /** The local buffer holding the RX ring (the window's buffer). */
  rxBuf: DmaBuffer | null = null;
  /** Producer index (tx_index). */
  txIndex = 0;
  /** Consumer index (rx_index). */
  rxIndex = 0;
  /** Receive entries allocated (rx_alloc_entry). */
  rxAllocEntry = 0;
  /** TX DMA channels (use_dma / use_tx_dma, num_tx_dma_chan of them when available). */
  readonly txDma = new QpDma();
  /** RX DMA channels (use_dma / use_rx_dma, num_rx_dma_chan of them when available). */
  readonly rxDma = new QpDma();
  /** The TX memcpy offload kthread, when tx_memcpy_offload is set (until it has exited after free_queue's kthread_stop). */
  offloadThread: Task | null = null;
  /** The offload kthread's `local_list`: entries it took off tx_offl_q and has not copied yet. */
  private offlBatch: Entry[] = [];
  /** Whether the offload kthread sleeps in its wait, past the loop's kthread_should_stop test. */
  private offlWaiting = false;
  private handlers: QueueHandlers = {};
  private cbData: unknown = null;
  private readonly txFree: Entry[] = [];
  private readonly txOffl: Entry[] = [];
  private readonly rxFree: Entry[] = [];
  private readonly rxPend: Entry[] = [];
  private readonly rxPost: Entry[] = [];
  private readonly tasklet: Tasklet;
  private readonly host: Host;
  private budgetUsed = 0;
  private linkDownTries = 0;
  /** The rest of a `close` that waits for the deferred LINK_DOWN. */
  private onLinkDownSent: (() => void) | null = null;
  /** Whether our QP_LINKS bit went to the peer since the last reset. */
  private advertised = false;
  /** clear_rx_ring_on_qp_link: our client took the QP down, so zero the RX headers before advertising it again. */
  private clearBeforeAdvertise = false;
  /** DMA channels a `close` is waiting on (dma_sync_wait) before it terminates and releases them. */
  private draining: DmaChannel[] = [];
  /** Bumped by every `close`: a DMA wait of an earlier close that ends later does nothing. */
  private closeGen = 0;

  /** @internal Whether this QP's link work has advertised it to the peer since its last reset. */
  get isAdvertised(): boolean {
    return this.advertised;
  }
  /** @internal QP link work (qp->link_work). */
  readonly linkWork: DelayedWork;
  /** @internal QP link cleanup work (qp->link_cleanup). */
  readonly linkCleanup: DelayedWork;
  private readonly linkDownRetry: DelayedWork;

  /** QP `qpNum` of `nt`, its TX ring at `txRing` of window `txIo` (ntb_transport_init_queue). */
  constructor(
    /** The transport the QP belongs to. */
    readonly nt: NtbTransport,
    readonly qpNum: number,
    /** The write-combined mapping of the peer's memory window holding this QP's TX ring. */
    readonly txIo: IoWindow,
    txRing: QpRing,
  ) {
    this.bit = (1 << qpNum) >>> 0;
    this.txRing = txRing;
    this.host = nt.dev.host;
    this.tasklet = this.host.createTasklet(`ntb_transport rxc_db qp${qpNum}`, (ctx) => this.rxcDbStep(ctx));
    this.linkWork = new DelayedWork(`qp${qpNum} link_work`, (ctx) => this.qpLinkWork(ctx));
    this.linkCleanup = new DelayedWork(`qp${qpNum} link_cleanup`, (ctx) => this.qpLinkCleanupWork(ctx));
    this.linkDownRetry = new DelayedWork(`qp${qpNum} send_link_down`, (ctx) => {
      if (!nt.removed) this.sendLinkDown(ctx);
    });
  }

  // ---- client API -------------------------------------------------------------------------

  /** @internal Bind a client (ntb_transport_create_queue's per-QP part). */
  open(handlers: QueueHandlers, cbData: unknown): void {
    this.handlers = handlers;
    this.cbData = cbData;
    const p = this.nt.params;
    const ops = this.nt.dev.ops;
    // The series' create_queue: `if (use_dma) { use_tx_dma = true; use_rx_dma = true; }` sets
    // the module's parameters themselves, which stay set for later queues.
    if (p.useDma) {
      setTransportParam(p, 'useTxDma', true);
      setTransportParam(p, 'useRxDma', true);
    }
    if (p.useTxDma) {
      this.txDma.setup(ops, p.numTxDmaChan || 1);
      if (this.txDma.chans.length === 0) this.nt.log('Unable to allocate TX DMA channel');
    }
    if (p.useRxDma) {
      this.rxDma.setup(ops, p.numRxDmaChan || 1);
      if (this.rxDma.chans.length === 0) this.nt.log('Unable to allocate RX DMA channel');
    }
    // NTB_QP_DEF_NUM_ENTRIES more, on top of the rx_max_entry a link set up before the first
    // create put there (free_queue empties the list, so later creates start from 100).
    for (let i = 0; i < 100; i++) this.rxFree.push(newEntry());
    this.rxAllocEntry = 100;
    this.txFree.length = 0;
    for (let i = 0; i < this.txRing.maxEntry; i++) this.txFree.push(newEntry());
    if (p.txMemcpyOffload) {
      this.offlBatch = [];
      this.offlWaiting = false;
      this.offloadThread = this.host.createKthread(`ntb-txcpy/${this.nt.dev.name}/${this.qpNum}`, (ctx, task) => this.offloadStep(ctx, task));
    }
    ops.dbClear(this.bit);
    ops.dbClearMask(this.bit);
  }

  /**
   * @internal Unbind the client (ntb_transport_free_queue's per-QP part); `freed` runs once the
   * QP may be handed out again. First the offload kthread is stopped and waited for
   * (kthread_stop): woken in its wait, it copies what tx_offl_q holds then — a LINK_DOWN that
   * ntb_transport_link_down queued there included — and exits; one that is between passes exits
   * at its loop test, leaving the queue to be freed. Then the DMA channels (new traffic goes to the CPU copy): each
   * is waited on with dma_sync_wait on its last cookie, then terminated and released, TX then
   * RX. Only RX submissions record their cookie (v7.0's `qp->last_cookie`, the multi-channel
   * series' `rx_dma.last_cookie[i]`): the TX waits do not wait for the TX copies (unless the
   * `dmaSyncTx` switch records their cookies), so the terminate drops those still in flight:
   * their DONE flags are never written and their completions never run. (v7.0 waits on the TX
   * channel with the RX cookie, a number of another channel's sequence; the model takes it as
   * not outstanding there, as it is but by coincidence.)
   * The QP's client keeps its handlers until the waits end (in the kernel the caller spins;
   * here it goes on and the rest of the free follows). Then `freed` runs at once, unless a
   * LINK_DOWN is still waiting for a free TX entry (the link-down retry): the QP then keeps its
   * TX entries and `freed` waits for that LINK_DOWN (otherwise the peer would keep the QP up
   * and go on sending into a freed ring). `now` (device removal) does not wait for the offload
   * kthread (its queue is dropped), terminates the channels without waiting, cancels the
   * pending LINK_DOWN and frees at once.
   */
  close(freed: () => void, now = false): void {
    this.active = false;
    const gen = ++this.closeGen;
    const thread = this.offloadThread;
    if (thread === null || now) {
      thread?.stop();
      this.offloadThread = null;
      this.closeDma(gen, freed, now);
      return;
    }
    thread.stop(() => {
      if (gen !== this.closeGen) return;
      this.offloadThread = null;
      this.closeDma(gen, freed, false);
    });
  }

  /** free_queue's DMA part: wait on, terminate and release each channel, then the rest. */
  private closeDma(gen: number, freed: () => void, now: boolean): void {
    const waits = [...this.txDma.take(), ...this.rxDma.take()];
    for (const w of waits) this.draining.push(w.chan);
    if (now) {
      for (const chan of this.draining.splice(0)) this.teardownDma(chan);
      this.releaseQp(freed, true);
      return;
    }
    const next = (i: number): void => {
      const w = waits[i];
      if (w === undefined) {
        this.releaseQp(freed, false);
        return;
      }
      w.chan.syncWait(w.cookie, () => {
        if (gen !== this.closeGen) return;
        this.draining = this.draining.filter((c) => c !== w.chan);
        this.teardownDma(w.chan);
        next(i + 1);
      });
    };
    next(0);
  }

  /** dmaengine_terminate_all + dma_release_channel. */
  private teardownDma(chan: DmaChannel): void {
    chan.terminate();
    chan.release();
  }

  /** The rest of ntb_transport_free_queue once the DMA channels are gone. */
  private releaseQp(freed: () => void, now: boolean): void {
    this.nt.dev.ops.dbSetMask(this.bit);
    this.tasklet.kill();
    this.nt.wq.cancelDelayed(this.linkWork);
    this.handlers = {};
    this.cbData = null;
    this.rxFree.length = 0;
    for (; this.rxPend.length > 0; this.rxPend.shift()) this.nt.log('Freeing item from non-empty rx_pend_q');
    for (; this.rxPost.length > 0; this.rxPost.shift()) this.nt.log('Freeing item from non-empty rx_post_q');
    this.txOffl.length = 0;
    this.offlBatch = [];
    if (this.linkDownRetry.delayedPending && !now) {
      this.onLinkDownSent = freed;
      return;
    }
    this.nt.wq.cancelDelayed(this.linkDownRetry);
    this.onLinkDownSent = null;
    this.txFree.length = 0;
    freed();
  }

  /** Client data given at create time. */
  get data(): unknown {
    return this.cbData;
  }

  /** Largest payload per frame, bytes (ntb_transport_max_size; DMA copy_align is 1 byte here). */
  maxSize(): number {
    return this.txRing.maxFrame - PAYLOAD_HEADER_SIZE;
  }

  /** Whether the QP link is up (ntb_transport_link_query). */
  linkQuery(): boolean {
    return this.linkIsUp;
  }

  /** Free TX slots: (RRI − tx_index) mod max_entry, one slot always empty (ntb_transport_tx_free_entry); 0 while the QP has no RX ring, where the kernel reads a NULL or freed `remote_rx_info`. */
  txFreeEntry(): number {
    if (this.rxBuf === null || this.rxRing === null) return 0;
    const head = this.txIndex;
    const tail = this.rxBuf.view.getUint32(this.rxRing.rxInfoOffset, true);
    return tail >= head ? tail - head : this.txRing.maxEntry + tail - head;
  }

  /** Post a receive buffer (ntb_transport_rx_enqueue): 0, or -ENOMEM when all entries are in use. */
  rxEnqueue(cb: unknown, buf: Uint8Array | null, len: number, ctx?: ExecContext): number {
    if (!Number.isInteger(len) || len < 0) return -ERRNO.EINVAL;
    const e = this.rxFree.shift();
    if (e === undefined) return -ERRNO.ENOMEM;
    e.cb = cb;
    e.buf = buf;
    e.len = len;
    e.flags = 0;
    e.rxIndex = 0;
    this.rxPend.push(e);
    if (this.active) this.tasklet.schedule(ctx);
    return 0;
  }

  /** Send a frame (ntb_transport_tx_enqueue); the caller serialises per QP. */
  txEnqueue(ctx: ExecContext, cb: unknown, data: Uint8Array | null, len: number): number {
    if (!Number.isInteger(len) || len <= 0) return -ERRNO.EINVAL;
    if (!this.linkIsUp) return -ERRNO.ENOLINK;
    if (len > this.txRing.maxFrame - PAYLOAD_HEADER_SIZE) return -ERRNO.EMSGSIZE;
    const e = this.txFree.shift();
    if (e === undefined) {
      this.stats.txErrNoBuf++;
      return -ERRNO.EBUSY;
    }
    e.cb = cb;
    e.buf = data;
    e.len = len;
    e.flags = 0;
    e.txIndex = 0;
    const rc = this.processTx(ctx, e);
    if (rc !== 0) this.txFree.push(e);
    return rc;
  }

  /** Take back a posted buffer while the client is not ready (ntb_transport_rx_remove). */
  rxRemove(): { readonly cb: unknown; readonly len: number } | null {
    if (this.clientReady) return null;
    const e = this.rxPend.shift();
    if (e === undefined) return null;
    this.rxFree.push(e);
    return { cb: e.cb, len: e.len };
  }

  /** Client ready (ntb_transport_link_up): start the QP handshake once the transport is up. */
  linkUp(): void {
    this.clientReady = true;
    if (this.nt.linkIsUp) this.nt.wq.queueDelayed(this.linkWork, 0);
  }

  /**
   * Client going away (ntb_transport_link_down): clear our QP_LINKS bit at the peer and send
   * LINK_DOWN, synchronously as the kernel does (without `ctx`: in the calling process's
   * context, `Host.syscallContext`); when no TX entry is free the send is retried from a work
   * item every 100 ms, up to 10 times (the kernel's msleep loop).
   */
  linkDown(ctx?: ExecContext): void {
    const c = ctx ?? this.host.syscallContext();
    this.clientReady = false;
    this.advertised = false;
    this.clearBeforeAdvertise = this.nt.params.clearRxRingOnQpLink;
    const val = this.nt.dev.spadRead(SPAD.QP_LINKS, c);
    this.nt.dev.peerSpadWrite(0, SPAD.QP_LINKS, (this.nt.params.qpLinksOwnBits ? this.nt.advertisedQpBits() : val & ~this.bit) >>> 0, c);
    if (this.linkIsUp) {
      this.linkDownTries = 0;
      this.sendLinkDown(c);
    } else {
      this.nt.wq.cancelDelayed(this.linkWork);
    }
  }

  // ---- TX ---------------------------------------------------------------------------------

  private processTx(ctx: ExecContext, e: Entry): number {
    if (this.txFreeEntry() === 0) {
      this.stats.txRingFull++;
      return -ERRNO.EAGAIN;
    }
    this.asyncTx(ctx, e);
    this.stats.txPkts++;
    return 0;
  }

  private slotOffset(index: number): number {
    return this.txRing.offset + this.txRing.maxFrame * index;
  }

  private asyncTx(ctx: ExecContext, e: Entry): void {
    const ring = this.txRing;
    e.txIndex = this.txIndex;
    const offset = this.slotOffset(e.txIndex);
    e.hdrOffset = offset + ring.maxFrame - PAYLOAD_HEADER_SIZE;
    this.txIndex = (this.txIndex + 1) % ring.maxEntry;
    this.txIo.iowrite32(ctx, e.hdrOffset + HDR.LEN, e.len);
    this.txIo.iowrite32(ctx, e.hdrOffset + HDR.VER, this.stats.txPkts >>> 0);
    const cidx = e.len >= this.nt.params.copyBytes ? this.txDma.pick() : -1;
    const chan = cidx < 0 ? undefined : this.txDma.chans[cidx];
    if (chan !== undefined) {
      const cookie = chan.copyToPeer(ctx, { dst: this.txIo, offset, data: this.payloadOf(e), len: e.len }, (good, cctx) => {
        if (good) this.txCopyCallback(cctx, e);
        else {
          this.memcpyTx(cctx, e);
          this.stats.txMemcpy++;
        }
      });
      if (cookie > 0) {
        if (this.nt.params.dmaSyncTx) this.txDma.record(cidx, cookie);
        this.stats.txAsync++;
        return;
      }
    }
    this.memcpyTx(ctx, e);
    this.stats.txMemcpy++;
  }

  private payloadOf(e: Entry): Uint8Array | null {
    const b = e.buf;
    return b === null || b.length <= Math.max(0, e.len) ? b : b.subarray(0, e.len);
  }

  /** ntb_memcpy_tx: to the offload thread while `tx_memcpy_offload` is set and the QP has one (ntb_tx_offload_enabled, read per copy), else on this stack. */
  private memcpyTx(ctx: ExecContext, e: Entry): void {
    if (this.nt.params.txMemcpyOffload && this.offloadThread !== null) {
      this.txOffl.push(e);
      this.offloadThread.wake();
    } else {
      this.memcpyTxOnStack(ctx, e);
    }
  }

  private memcpyTxOnStack(ctx: ExecContext, e: Entry): void {
    this.txIo.memcpyToio(ctx, this.slotOffset(e.txIndex), this.payloadOf(e), e.len);
    this.txIo.barrier(ctx);
    this.txCopyCallback(ctx, e);
  }

  private txCopyCallback(ctx: ExecContext, e: Entry): void {
    const flagsOffset = e.hdrOffset + HDR.FLAGS;
    this.txIo.iowrite32(ctx, flagsOffset, (e.flags | DESC_DONE_FLAG) >>> 0);
    if (this.nt.params.flushDoneFlag) {
      this.txIo.barrier(ctx);
      this.txIo.ioread32(ctx, flagsOffset);
    }
    this.nt.dev.ops.peerDbSet(this.bit, ctx);
    const len = e.len;
    if (len > 0) this.stats.txBytes += len;
    this.txFree.push(e);
    if (len > 0) this.handlers.tx?.(this, e.cb, len, ctx);
  }

  /**
   * ntb_tx_memcpy_kthread, one copy per step: `while (!kthread_should_stop())` { wait (5 s) for
   * an entry or the stop; take the whole of tx_offl_q; copy each }. A stop that finds it in the
   * wait still has it copy what the queue holds; one that comes while it copies ends it at the
   * next loop test, entries queued meanwhile left behind.
   */
  private offloadStep(ctx: ExecContext, task: Task): TaskStep {
    if (this.offlBatch.length === 0) {
      if (!this.offlWaiting) {
        if (task.shouldStop) return 'exit';
        if (this.txOffl.length === 0) return this.offloadWait();
      }
      this.offlWaiting = false;
      this.offlBatch = this.txOffl.splice(0);
    }
    const e = this.offlBatch.shift();
    if (e !== undefined) this.memcpyTxOnStack(ctx, e);
    if (this.offlBatch.length > 0) return 'run';
    if (task.shouldStop) return 'exit';
    return this.txOffl.length > 0 ? 'run' : this.offloadWait();
  }

  private offloadWait(): TaskStep {
    this.offlWaiting = true;
    return TX_OFFLOAD_WAIT_NS;
  }

  private sendLinkDown(ctx: ExecContext): void {
    // ntb_send_link_down's loop: NTB_LINK_DOWN_TIMEOUT tries for a free TX entry, each failed one
    // followed by msleep(100); after the last sleep it gives up without trying again (1 s).
    if (!this.linkIsUp || this.linkDownTries >= NTB_LINK_DOWN_TIMEOUT) {
      this.finishClose();
      return;
    }
    if (this.linkDownTries === 0) this.nt.log(`qp ${this.qpNum}: Send Link Down`);
    const e = this.txFree.shift();
    if (e === undefined) {
      this.linkDownTries++;
      this.nt.wq.queueDelayed(this.linkDownRetry, this.host.msecsToJiffies(LINK_DOWN_RETRY_MS), ctx);
      return;
    }
    e.cb = null;
    e.buf = null;
    e.len = 0;
    e.flags = LINK_DOWN_FLAG;
    const rc = this.processTx(ctx, e);
    if (rc !== 0) this.nt.log(`ntb: QP${this.qpNum} unable to send linkdown msg`);
    this.linkDownReset();
    this.finishClose();
  }

  /** Complete a `close` that waited for the deferred LINK_DOWN. */
  private finishClose(): void {
    const freed = this.onLinkDownSent;
    if (freed === null) return;
    this.onLinkDownSent = null;
    this.txFree.length = 0;
    freed();
  }

  // ---- RX ---------------------------------------------------------------------------------

  /** @internal The doorbell for this QP fired: kick the RX tasklet on the ISR's CPU. */
  kick(ctx?: ExecContext): void {
    if (this.active) this.tasklet.schedule(ctx);
  }

  private rxcDbStep(ctx: ExecContext): boolean {
    const max = this.rxRing?.maxEntry ?? 0;
    const rc = max > 0 ? this.processRxc(ctx) : -ERRNO.EAGAIN;
    if (rc === 0) this.budgetUsed++;
    if (rc === 0 && this.budgetUsed < max) return true;
    const used = this.budgetUsed;
    this.budgetUsed = 0;
    const ops = this.nt.dev.ops;
    if (used === max && max > 0) {
      if (this.active) this.tasklet.schedule(ctx);
    } else if ((ops.dbRead() & this.bit) !== 0) {
      ops.dbClear(this.bit);
      ops.dbRead();
      if (this.active) this.tasklet.schedule(ctx);
    }
    return false;
  }

  private processRxc(ctx: ExecContext): number {
    const ring = this.rxRing;
    const buf = this.rxBuf;
    if (ring === null || buf === null) return -ERRNO.EAGAIN;
    const offset = ring.offset + ring.maxFrame * this.rxIndex;
    const hdr = offset + ring.maxFrame - PAYLOAD_HEADER_SIZE;
    const view = buf.view;
    ctx.charge(this.host.costs.memcpyFromCoherent(PAYLOAD_HEADER_SIZE));
    const flags = view.getUint32(hdr + HDR.FLAGS, true);
    if ((flags & DESC_DONE_FLAG) === 0) {
      this.stats.rxRingEmpty++;
      return -ERRNO.EAGAIN;
    }
    if ((flags & LINK_DOWN_FLAG) !== 0) {
      this.nt.wq.queueDelayed(this.linkCleanup, 0, ctx);
      view.setUint32(hdr + HDR.FLAGS, 0, true);
      return -ERRNO.EAGAIN;
    }
    if (view.getUint32(hdr + HDR.VER, true) !== this.stats.rxPkts >>> 0) {
      this.stats.rxErrVer++;
      return -ERRNO.EIO;
    }
    const e = this.rxPend.shift();
    if (e === undefined) {
      this.stats.rxErrNoBuf++;
      return -ERRNO.EAGAIN;
    }
    this.rxPost.push(e);
    e.hdrOffset = hdr;
    e.rxIndex = this.rxIndex;
    const len = view.getUint32(hdr + HDR.LEN, true);
    if (len > e.len) {
      this.stats.rxErrOflow++;
      e.len = -ERRNO.EIO;
      e.flags |= DESC_DONE_FLAG;
      this.completeRxc(ctx);
    } else {
      this.stats.rxBytes += len;
      this.stats.rxPkts++;
      e.len = len;
      this.asyncRx(ctx, e, offset);
    }
    this.rxIndex = (this.rxIndex + 1) % ring.maxEntry;
    return 0;
  }

  private asyncRx(ctx: ExecContext, e: Entry, offset: number): void {
    const buf = this.rxBuf;
    const cidx = buf !== null && e.len >= this.nt.params.copyBytes ? this.rxDma.pick() : -1;
    const chan = cidx < 0 ? undefined : this.rxDma.chans[cidx];
    if (chan !== undefined && buf !== null) {
      const cookie = chan.copyFromLocal(ctx, { src: buf, offset, dst: this.payloadOf(e), len: e.len }, (good, cctx) => {
        if (good) {
          e.flags |= DESC_DONE_FLAG;
          this.completeRxc(cctx);
        } else {
          this.memcpyRx(cctx, e, this.rxFallbackOffset(offset));
          this.stats.rxMemcpy++;
        }
      });
      if (cookie > 0) {
        this.rxDma.record(cidx, cookie);
        this.stats.rxAsync += 2;
        return;
      }
    }
    this.memcpyRx(ctx, e, offset);
    this.stats.rxMemcpy++;
  }

  /**
   * Source of the CPU copy after a failed RX DMA (ntb_rx_copy_callback's DMA_TRANS_* fallback):
   * the kernel recomputes it from `qp->rx_index`, which ntb_process_rxc advanced when it
   * submitted the DMA, so it copies the slot after the entry's (or a later one), not the
   * entry's own; `rxDmaFallbackOwnSlot` copies from the entry's slot, `entryOffset`.
   */
  private rxFallbackOffset(entryOffset: number): number {
    const ring = this.rxRing;
    if (this.nt.params.rxDmaFallbackOwnSlot || ring === null) return entryOffset;
    return ring.offset + ring.maxFrame * this.rxIndex;
  }

  private memcpyRx(ctx: ExecContext, e: Entry, offset: number): void {
    ctx.charge(this.host.costs.memcpyFromCoherent(e.len));
    const buf = this.rxBuf;
    if (e.buf !== null && buf !== null) {
      const n = Math.min(e.len, e.buf.length);
      e.buf.set(buf.bytes.subarray(offset, offset + n));
    }
    e.flags |= DESC_DONE_FLAG;
    this.completeRxc(ctx);
  }

  private completeRxc(ctx: ExecContext): void {
    const buf = this.rxBuf;
    for (let e = this.rxPost[0]; e !== undefined && (e.flags & DESC_DONE_FLAG) !== 0; e = this.rxPost[0]) {
      buf?.view.setUint32(e.hdrOffset + HDR.FLAGS, 0, true);
      this.txIo.iowrite32(ctx, this.txRing.rxInfoOffset, e.rxIndex);
      this.rxPost.shift();
      this.rxFree.push(e);
      if (this.clientReady) this.handlers.rx?.(this, e.cb, e.len, ctx);
    }
  }

  // ---- link ---------------------------------------------------------------------------------

  /** @internal Lay out the RX ring in the window buffer and reset indices (ntb_transport_setup_qp_mw). */
  setupMw(buf: DmaBuffer, ring: QpRing): void {
    this.rxBuf = buf;
    this.rxRing = ring;
    this.rxIndex = 0;
    for (let i = this.rxAllocEntry; i < ring.maxEntry; i++) {
      this.rxFree.push(newEntry());
      this.rxAllocEntry++;
    }
    buf.view.setUint32(ring.rxInfoOffset, ring.maxEntry - 1, true);
    this.clearRxHeaders();
    this.stats.rxPkts = 0;
    this.stats.txPkts = 0;
    this.txIndex = 0;
  }

  /** @internal The window buffer is going away (ntb_free_mw). */
  dropMw(): void {
    this.rxBuf = null;
    this.rxRing = null;
  }

  private qpLinkWork(ctx: ExecContext): void {
    if (this.nt.removed) return;
    const val = this.nt.dev.spadRead(SPAD.QP_LINKS, ctx);
    if (this.clearBeforeAdvertise) {
      this.clearBeforeAdvertise = false;
      this.clearRxHeaders();
    }
    this.advertised = true;
    this.nt.dev.peerSpadWrite(0, SPAD.QP_LINKS, (this.nt.params.qpLinksOwnBits ? this.nt.advertisedQpBits() : val | this.bit) >>> 0, ctx);
    if ((val & this.bit) !== 0) {
      this.nt.log(`qp ${this.qpNum}: Link Up`);
      this.linkIsUp = true;
      this.active = true;
      this.handlers.event?.(1);
      if (this.active) this.tasklet.schedule(ctx);
    } else if (this.nt.linkIsUp) {
      this.nt.wq.queueDelayed(this.linkWork, this.host.msecsToJiffies(NTB_LINK_DOWN_TIMEOUT), ctx);
    }
  }

  /**
   * Zero every RX slot header (as ntb_transport_setup_qp_mw does at hardware link up), so no
   * DONE descriptor of the previous QP session survives; safe only while the peer cannot be
   * writing this session's frames, i.e. before our QP_LINKS bit reaches it: after our own
   * link_down, which cleared that bit at the peer (a reset from the peer's LINK_DOWN leaves it
   * set, and the peer may be up on it already).
   */
  private clearRxHeaders(): void {
    const ring = this.rxRing;
    const buf = this.rxBuf;
    if (ring === null || buf === null) return;
    for (let i = 0; i < ring.maxEntry; i++) buf.bytes.fill(0, ring.offset + ring.maxFrame * (i + 1) - PAYLOAD_HEADER_SIZE, ring.offset + ring.maxFrame * (i + 1));
  }

  private contextReset(): void {
    this.advertised = false;
    this.linkIsUp = false;
    this.active = false;
    this.txIndex = 0;
    this.rxIndex = 0;
    this.stats = zeroStats();
  }

  /** @internal ntb_qp_link_down_reset. */
  linkDownReset(): void {
    this.contextReset();
    if (this.rxBuf !== null && this.rxRing !== null) this.rxBuf.view.setUint32(this.rxRing.rxInfoOffset, this.rxRing.maxEntry - 1, true);
  }

  /** @internal ntb_qp_link_cleanup: reset and tell the client the link is down. */
  linkCleanupNow(): void {
    this.nt.log(`qp ${this.qpNum}: Link Cleanup`);
    this.nt.wq.cancelDelayed(this.linkWork);
    this.linkDownReset();
    this.handlers.event?.(0);
  }

  private qpLinkCleanupWork(ctx: ExecContext): void {
    if (this.nt.removed) return;
    this.linkCleanupNow();
    if (this.nt.linkIsUp) this.nt.wq.queueDelayed(this.linkWork, this.host.msecsToJiffies(NTB_LINK_DOWN_TIMEOUT), ctx);
  }

  /** Queue depths, for tests and tools: free/pending/posted RX entries and free/offload TX entries. */
  queueDepths(): { rxFree: number; rxPend: number; rxPost: number; txFree: number; txOffl: number } {
    return { rxFree: this.rxFree.length, rxPend: this.rxPend.length, rxPost: this.rxPost.length, txFree: this.txFree.length, txOffl: this.txOffl.length };
  }
}
