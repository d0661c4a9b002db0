/**
 * ntb_perf (drivers/ntb/test/ntb_perf.c, version 2.0 with the fixes through v5.10) on one NTB device:
 * the kernel's NTB performance measuring tool. Each side orders itself and its peers by port
 * number into a global index (`gidx`: the side with the lower port is 0; two ports that both
 * report 0, as devices without port ops do, are both 0); the index picks the memory window a
 * side writes into, its scratchpads and its doorbell bit. The scratchpad command service
 * sets the link up: each side sends its outbound window size (SSIZE) into the peer's
 * scratchpads `3·gidx … 3·gidx+2` and rings the peer's doorbell bit `peer gidx`; the receiver
 * allocates a coherent buffer, translates its inbound window `peer gidx` to it and sends the
 * buffer's bus address back (SXLAT); the sender then sets its outbound translation (RXLAT,
 * `ntb_peer_mw_set_trans`, nothing on inbound-translation devices) and the peer is ready
 * (DONE, `init_comp` completed). A test (`run`) waits for that, then starts `threads_count`
 * unbound kworkers, each copying
 * 2^total_order bytes in 2^chunk_order chunks into the peer's buffer with memcpy_toio through
 * the write-combined window (or with a DMA_MEMCPY channel under `use_dma`), yielding the CPU
 * between chunks, and reports bytes, µs and bytes/µs (MBytes/s) per thread.
 *
 * Waits: a command send finds the peer's command scratchpad busy, or an inbound translation
 * sleeps on the hardware's command: the service work then ends and is queued again when the
 * wait is over (an hrtimer of usleep_range's 2 s upper bound, or the translation's
 * completion), the bits still pending, so the service's order is the kernel's.
 *
 * Removal (perf_remove): debugfs_remove_recursive first waits for a write to `run` in
 * progress (rmmod blocks until the test ends or the writer is signalled; the link and doorbell
 * events still reach the instance meanwhile), then perf_disable_service: our doorbell bit
 * masked, a CLEAR per peer (outbound and inbound translations freed) run to its end
 * (flush_work), 0 written into our command slots, our doorbell bit cleared, ntb_link_disable.
 *
 * Not modelled: the message-register command service (no modelled device has message
 * registers; every device uses the scratchpad service); NUMA placement of threads and DMA
 * channels; a chunk that would pass the end of the mapped window is cut at it (the kernel
 * would write past its mapping).
 */
import { ERRNO, hashedPointer, Work, type Cpu, type ExecContext, type Hrtimer, type Task, type TaskStep, type Workqueue } from '@ntbsim/kernel';
import type { DmaBuffer, DmaChannel, IoWindow, NtbCtxOps, NtbDevice } from '@ntbsim/ntb-core';
import { perfParams } from './params.js';
import type { NtbPerfClient, NtbPerfOptions, PerfParams, PerfThreadStats } from './types.js';

/** PERF_CMD_INVAL as a 32-bit scratchpad value: the command slot is free. */
export const PERF_CMD_INVAL = 0xffffffff;

/** Commands and status bits of a peer (enum perf_cmd). */
export const PERF_CMD = { SSIZE: 0, RSIZE: 1, SXLAT: 2, RXLAT: 3, CLEAR: 4, STS_DONE: 5, STS_LNKUP: 6 } as const;

/** The scratchpad command layout for global index `gidx` (PERF_SPAD_*). */
export const PERF_SPAD = {
  /** Scratchpads needed for `pcnt` peers. */
  count: (pcnt: number): number => 3 * (pcnt + 1),
  /** Command slot. */
  cmd: (gidx: number): number => 3 * gidx,
  /** Low 32 bits of the command's data. */
  ldata: (gidx: number): number => 3 * gidx + 1,
  /** High 32 bits of the command's data. */
  hdata: (gidx: number): number => 3 * gidx + 2,
  /** Doorbell bit that announces a command to `gidx`. */
  notify: (gidx: number): number => 2 ** gidx,
} as const;

/** MAX_THREADS_CNT: threads a test may run. */
export const MAX_THREADS_CNT = 32;
/** MSG_TRIES: attempts to find the peer's command slot free before giving up (1000 since v5.8, d7699665773b). */
export const MSG_TRIES = 1000;
/**
 * usleep_range(MSG_UDELAY_LOW, MSG_UDELAY_HIGH) = usleep_range(1000000, 2000000) after each busy
 * attempt (since v5.8): the hard expiry, 2 s (ns), as the kernel package models every
 * usleep_range (an idle NO_HZ CPU wakes at the upper bound).
 */
export const MSG_RETRY_NS = 2_000_000_000;
/** DMA_TRIES / DMA_MDELAY: descriptor preparation retries, 10 ms apart (ns). */
const DMA_TRIES = 100;
const DMA_RETRY_NS = 10_000_000;

/** %pa / %pad of a 64-bit kernel: 0x and 16 hex digits. */
export function formatPa(v: number): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}

/** One peer (struct perf_peer). */
interface PerfPeer {
  readonly pidx: number;
  readonly gidx: number;
  outbufXlat: number;
  outbufSize: number;
  readonly outbuf: IoWindow;
  readonly outbufBase: number;
  inbufXlat: number;
  inbufSize: number;
  inbuf: DmaBuffer | null;
  /** PERF_CMD_* bits pending for the service, plus STS_DONE and STS_LNKUP. */
  sts: number;
  readonly service: Work;
  /** The service waits for a translation or a command retry: it is queued again when that ends. */
  waiting: boolean;
  /** Attempts made for the command being sent. */
  tries: number;
  /**
   * The step (0 SSIZE … 4 CLEAR) where the service goes on after its wait, as the kernel's work
   * goes on after its sleep: bits set meanwhile wait for the next run (queue_work re-queues a
   * running work).
   */
  resumeFrom: number;
  /** The command whose send loop sleeps (its slot at the peer busy), or null. */
  sending: number | null;
  /** That sleep follows the MSG_TRIES-th busy attempt: when it ends the command is dropped (-EAGAIN). */
  givenUp: boolean;
  readonly retry: Hrtimer;
}

/** One test thread (struct perf_thread). */
interface PerfThread {
  readonly tidx: number;
  status: number;
  copied: number;
  start: number;
  durationNs: number;
  stage: 'init' | 'run' | 'sync';
  dma: DmaChannel | null;
  dmaSync: number;
  dmaTries: number;
  src: Uint8Array | null;
  off: number;
  task: Task | null;
  /** Its work has started (perf_thread_work runs); one not started is cancelled by perf_terminate_test. */
  started: boolean;
}

/** A write to `run`: the peer it tests and how it ends. */
interface RunWriter {
  readonly peer: PerfPeer;
  readonly done: (rc: number) => void;
}

/** Where the instance is in its life: bound, perf_remove waiting for the writes to `run`, perf_disable_service, removed. */
type PerfStage = 'bound' | 'waitWriters' | 'disabling' | 'removed';

/** dev_err / dev_warn on `&perf->ntb->dev`: the NTB device, whose bound driver is ntb_perf. */
function perfLog(dev: NtbDevice, text: string): string {
  return dev.host.printk(`ntb_perf ${dev.name}: ${text}`);
}

const bit = (b: number): number => 1 << b;
const has = (sts: number, b: number): boolean => (sts & bit(b)) !== 0;
/** The command bits (SSIZE … CLEAR): what the service has left to do. */
const CMD_BITS = bit(PERF_CMD.STS_DONE) - 1;

/** ntb_perf bound to one NTB device (struct perf_ctx). */
export class NtbPerf {
  /** The module parameters in force. */
  readonly params: PerfParams;
  /** This side's global index. */
  readonly gidx: number;
  /** Peers (one on a two-port device). */
  private readonly peers: PerfPeer[];
  private readonly threads: PerfThread[];
  private readonly wq: Workqueue;
  private tcnt = 1;
  private busy = false;
  private testPeer: PerfPeer;
  private tsync = 0;
  private live = 0;
  /** The running test's write was interrupted: it ends with -EINTR. */
  private interrupted = false;
  /** The write to `run` whose test runs (it holds busy_flag). */
  private writer: RunWriter | null = null;
  /** Writes to `run` waiting for their peer's handshake (init_comp), in order. */
  private waiters: RunWriter[] = [];
  private stage: PerfStage = 'bound';
  /** perf_remove has returned (ntb_link_disable done). */
  private removeDone = false;
  private removedWaiters: (() => void)[] = [];
  /** The context ops it sets on the device (perf_ops). */
  readonly ctxOps: NtbCtxOps;
  /** @internal Its context ops are the device's (set at probe; the bus clears them when remove returns). */
  ctxHeld = false;

  /** @internal Use `createNtbPerfClient`; the probe's state once the peers' windows are mapped. */
  constructor(
    /** The NTB device it is bound to. */
    readonly dev: NtbDevice,
    params: PerfParams,
    private readonly functional: boolean,
    setup: { readonly gidx: number; readonly peers: readonly { readonly gidx: number; readonly outbuf: IoWindow; readonly base: number; readonly size: number }[] },
  ) {
    this.params = params;
    this.gidx = setup.gidx;
    this.ctxOps = { linkEvent: () => this.onLinkEvent(), dbEvent: (_vector, ctx) => this.onDbEvent(ctx) };
    this.wq = dev.host.createWorkqueue('events_highpri');
    this.peers = setup.peers.map((p, pidx) => {
      const peer: PerfPeer = {
        pidx,
        gidx: p.gidx,
        outbufXlat: 0,
        outbufSize: p.size,
        outbuf: p.outbuf,
        outbufBase: p.base,
        inbufXlat: 0,
        inbufSize: 0,
        inbuf: null,
        sts: 0,
        service: new Work(`ntb_perf service${pidx}`, (ctx) => {
          this.service(peer, ctx);
        }),
        waiting: false,
        tries: 0,
        resumeFrom: 0,
        sending: null,
        givenUp: false,
        retry: dev.host.createHrtimer(`ntb_perf retry${pidx}`, (ctx) => {
          peer.waiting = false;
          this.wq.queue(peer.service, ctx);
        }),
      };
      return peer;
    });
    this.testPeer = this.peers[0] as PerfPeer;
    this.threads = Array.from({ length: MAX_THREADS_CNT }, (_, tidx): PerfThread => ({ tidx, status: -ERRNO.ENODATA, copied: 0, start: 0, durationNs: 0, stage: 'init', dma: null, dmaSync: 0, dmaTries: 0, src: null, off: 0, task: null, started: false }));
  }

  /** Bound to its device (perf_remove not begun). */
  get bound(): boolean {
    return this.stage === 'bound';
  }

  /**
   * perf_remove has begun and not returned: it waits for the writes to `run` in progress
   * (debugfs_remove_recursive), then for the CLEAR of each peer and ntb_link_disable. An
   * `rmmod` returns only once this is false (`whenRemoved`).
   */
  get removing(): boolean {
    return this.stage !== 'bound' && !this.removeDone;
  }

  /** Run `fn` once perf_remove has returned (at once if it has; never if removal has not begun). */
  whenRemoved(fn: () => void): void {
    if (this.removeDone) fn();
    else this.removedWaiters.push(fn);
  }

  /** Number of peers (ntb_peer_port_count). */
  get peerCount(): number {
    return this.peers.length;
  }

  /** Threads a test starts (debugfs `threads_count`). */
  get threadsCount(): number {
    return this.tcnt;
  }

  /** A test is running (busy_flag). */
  get running(): boolean {
    return this.busy;
  }

  /** Whether peer `pidx` finished the command handshake (PERF_STS_DONE): a test may run. */
  peerReady(pidx: number): boolean {
    const p = this.peers[pidx];
    return p !== undefined && has(p.sts, PERF_CMD.STS_DONE);
  }

  /** Whether the link to peer `pidx` is up as ntb_perf last saw it (PERF_STS_LNKUP). */
  peerLinkUp(pidx: number): boolean {
    const p = this.peers[pidx];
    return p !== undefined && has(p.sts, PERF_CMD.STS_LNKUP);
  }

  /** The translated inbound buffer of peer `pidx` (what the peer's test writes into), or null. */
  inbuf(pidx: number): DmaBuffer | null {
    return this.peers[pidx]?.inbuf ?? null;
  }

  /** Set the number of threads (perf_set_tcnt): 0, -EINVAL outside 1..32, -EBUSY while a test runs. */
  setThreadsCount(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > MAX_THREADS_CNT) return -ERRNO.EINVAL;
    if (this.busy) return -ERRNO.EBUSY;
    this.tcnt = n;
    return 0;
  }

  /** The last test's threads that ran (status not -ENODATA), by index. */
  results(): PerfThreadStats[] {
    return this.threads.filter((t) => t.status !== -ERRNO.ENODATA).map((t) => ({ tidx: t.tidx, status: t.status, copied: t.copied, durationNs: t.durationNs }));
  }

  private log(text: string): void {
    perfLog(this.dev, text);
  }

  // ---- link and command service -----------------------------------------------------------

  private linkUp(peer: PerfPeer): boolean {
    return ((this.dev.ops.linkIsUp().peers >>> peer.pidx) & 1) === 1;
  }

  /** @internal perf_link_event: a peer whose link came up is sent our window size; one that went down is cleared. */
  onLinkEvent(): void {
    for (const peer of this.peers) {
      const up = this.linkUp(peer);
      if (up && !has(peer.sts, PERF_CMD.STS_LNKUP)) {
        peer.sts |= bit(PERF_CMD.STS_LNKUP);
        this.cmdExec(peer, PERF_CMD.SSIZE);
      } else if (!up && has(peer.sts, PERF_CMD.STS_LNKUP)) {
        peer.sts &= ~bit(PERF_CMD.STS_LNKUP);
        this.cmdExec(peer, PERF_CMD.CLEAR);
      }
    }
  }

  /** @internal perf_db_event: take the command a peer left in our scratchpads. */
  onDbEvent(ctx: ExecContext): void {
    this.cmdRecv(ctx);
  }

  private cmdExec(peer: PerfPeer, cmd: number, ctx?: Cpu | ExecContext): void {
    peer.sts |= bit(cmd);
    if (this.stage !== 'removed' && !peer.waiting) this.wq.queue(peer.service, ctx);
  }

  private takeBit(peer: PerfPeer, b: number): boolean {
    if (!has(peer.sts, b)) return false;
    peer.sts &= ~bit(b);
    return true;
  }

  /** perf_service_work: the pending commands of `peer`, in the kernel's order, until one has to wait. */
  private service(peer: PerfPeer, ctx: ExecContext): void {
    if (peer.waiting || this.stage === 'removed') return;
    this.serviceSteps(peer, ctx);
    // Bits a resumed run skipped were set while it slept: queue_work had queued it again.
    if (!peer.waiting && (peer.sts & CMD_BITS) !== 0) this.wq.queue(peer.service, ctx);
    this.drainServices();
  }

  private serviceSteps(peer: PerfPeer, ctx: ExecContext): void {
    let from = peer.resumeFrom;
    peer.resumeFrom = 0;
    const sending = peer.sending;
    if (sending !== null) {
      peer.sending = null;
      from = sending === PERF_CMD.SSIZE ? 1 : 3;
      if (peer.givenUp) peer.givenUp = false;
      else if (!this.cmdSend(peer, sending, sending === PERF_CMD.SSIZE ? peer.outbufSize : peer.inbufXlat, ctx)) return;
    }
    if (from <= 0 && this.takeBit(peer, PERF_CMD.SSIZE) && !this.cmdSend(peer, PERF_CMD.SSIZE, peer.outbufSize, ctx)) return;
    if (from <= 1 && this.takeBit(peer, PERF_CMD.RSIZE) && this.setupInbuf(peer, ctx)) return;
    if (from <= 2 && this.takeBit(peer, PERF_CMD.SXLAT) && !this.cmdSend(peer, PERF_CMD.SXLAT, peer.inbufXlat, ctx)) return;
    if (from <= 3 && this.takeBit(peer, PERF_CMD.RXLAT) && this.setupOutbuf(peer)) return;
    if (from <= 4 && this.takeBit(peer, PERF_CMD.CLEAR)) this.clearPeer(peer);
  }

  /** The CLEAR command: not ready any more, a test with it terminated, both translations freed. */
  private clearPeer(peer: PerfPeer): void {
    peer.sts &= ~bit(PERF_CMD.STS_DONE);
    if (this.busy && peer === this.testPeer) {
      this.log('Freeing while test on-fly');
      this.terminateTest();
    }
    this.freeOutbuf(peer);
    this.freeInbuf(peer);
  }

  /**
   * perf_spad_cmd_send: false when the service has to wait (the peer's command slot is busy:
   * the command's bit is set again and the service comes back in 2 s; after the MSG_TRIES-th
   * busy attempt it still sleeps, then drops the command); true when the command was written and
   * the peer's doorbell rung, or the link is down (-ENOLINK).
   */
  private cmdSend(peer: PerfPeer, cmd: number, data: number, ctx: ExecContext): boolean {
    const ops = this.dev.ops;
    if (!this.linkUp(peer)) {
      peer.tries = 0;
      return true;
    }
    const sts = this.dev.peerSpadRead(peer.pidx, PERF_SPAD.cmd(this.gidx), ctx) >>> 0;
    if (sts !== PERF_CMD_INVAL) {
      peer.sending = cmd;
      if (++peer.tries >= MSG_TRIES) {
        peer.tries = 0;
        peer.givenUp = true;
      }
      peer.waiting = true;
      peer.retry.start(MSG_RETRY_NS, ctx);
      return false;
    }
    peer.tries = 0;
    this.dev.peerSpadWrite(peer.pidx, PERF_SPAD.ldata(this.gidx), data % 2 ** 32, ctx);
    this.dev.peerSpadWrite(peer.pidx, PERF_SPAD.hdata(this.gidx), Math.floor(data / 2 ** 32), ctx);
    this.dev.peerSpadWrite(peer.pidx, PERF_SPAD.cmd(this.gidx), cmd, ctx);
    ops.peerDbSet(PERF_SPAD.notify(peer.gidx), ctx);
    return true;
  }

  /** perf_spad_cmd_recv + perf_cmd_recv: the first command found in a linked peer's slot, executed (an unknown one is logged). */
  private cmdRecv(ctx: ExecContext): void {
    const ops = this.dev.ops;
    ops.dbClear(PERF_SPAD.notify(this.gidx));
    for (const peer of this.peers) {
      if (!this.linkUp(peer)) continue;
      const cmd = this.dev.spadRead(PERF_SPAD.cmd(peer.gidx), ctx) >>> 0;
      if (cmd === PERF_CMD_INVAL) continue;
      const lo = this.dev.spadRead(PERF_SPAD.ldata(peer.gidx), ctx) >>> 0;
      const hi = this.dev.spadRead(PERF_SPAD.hdata(peer.gidx), ctx) >>> 0;
      this.dev.spadWrite(PERF_SPAD.cmd(peer.gidx), PERF_CMD_INVAL, ctx);
      const data = hi * 2 ** 32 + lo;
      if (cmd === PERF_CMD.SSIZE) {
        peer.inbufSize = data;
        this.cmdExec(peer, PERF_CMD.RSIZE, ctx);
      } else if (cmd === PERF_CMD.SXLAT) {
        peer.outbufXlat = data;
        this.cmdExec(peer, PERF_CMD.RXLAT, ctx);
      } else this.log('Recv invalid command');
      return;
    }
  }

  /**
   * perf_setup_inbuf: allocate the inbound buffer for the size the peer sent and translate
   * inbound window `peer gidx` to it; on success the buffer's address goes back (SXLAT). True
   * when the translation is in progress (the service waits for it).
   */
  private setupInbuf(peer: PerfPeer, ctx: ExecContext): boolean {
    const ops = this.dev.ops;
    const align = ops.mwGetAlign(peer.pidx, this.gidx);
    if (typeof align === 'number') {
      this.log("Couldn't get inbuf restrictions");
      return false;
    }
    if (peer.inbufSize > align.sizeMax) {
      this.log(`Too big inbuf size ${formatPa(peer.inbufSize)} > ${formatPa(align.sizeMax)}`);
      return false;
    }
    peer.inbufSize = Math.ceil(peer.inbufSize / align.sizeAlign) * align.sizeAlign;
    this.dropInbuf(peer);
    const buf = ops.allocCoherent(peer.inbufSize, align.addrAlign);
    if (buf === null) {
      this.log(`Failed to alloc inbuf of ${formatPa(peer.inbufSize)}`);
      return false;
    }
    peer.inbuf = buf;
    peer.inbufXlat = buf.dmaAddr;
    peer.waiting = true;
    peer.resumeFrom = 2;
    this.dev.mwSetTrans({ pidx: peer.pidx, widx: peer.gidx, addr: buf.dmaAddr, size: peer.inbufSize }, (rc) => {
      peer.waiting = false;
      if (rc === 0) {
        this.cmdExec(peer, PERF_CMD.SXLAT, ctx.cpu);
        return;
      }
      this.log('Failed to set inbuf translation');
      this.dropInbuf(peer);
      this.resumeService(peer);
    });
    return true;
  }

  /**
   * perf_setup_outbuf: the outbound translation to the address the peer sent
   * (ntb_peer_mw_set_trans; 0 at once on a device without the op, as EPF, whose windows the
   * peer translates), then DONE. True when the translation is in progress.
   */
  private setupOutbuf(peer: PerfPeer): boolean {
    const ops = this.dev.ops;
    const finish = (rc: number): void => {
      if (rc !== 0) {
        this.log('Failed to set outbuf translation');
        return;
      }
      peer.sts |= bit(PERF_CMD.STS_DONE);
      this.initComplete(peer);
    };
    if (ops.peerMwSetTrans === undefined) {
      finish(0);
      return false;
    }
    peer.waiting = true;
    peer.resumeFrom = 4;
    ops.peerMwSetTrans({ pidx: peer.pidx, widx: peer.gidx, addr: peer.outbufXlat, size: peer.outbufSize }, (rc) => {
      peer.waiting = false;
      finish(rc);
      this.resumeService(peer);
    });
    return true;
  }

  /** perf_free_outbuf: ntb_peer_mw_clear_trans (nothing on a device without outbound translation). */
  private freeOutbuf(peer: PerfPeer): void {
    const ops = this.dev.ops;
    if (ops.peerMwClearTrans !== undefined) ops.peerMwClearTrans(peer.pidx, peer.gidx, () => undefined);
    else ops.peerMwSetTrans?.({ pidx: peer.pidx, widx: peer.gidx, addr: 0, size: 0 }, () => undefined);
  }

  private dropInbuf(peer: PerfPeer): void {
    if (peer.inbuf === null) return;
    this.dev.ops.freeCoherent(peer.inbuf);
    peer.inbuf = null;
  }

  /** perf_free_inbuf: remove the inbound translation, then free the buffer. */
  private freeInbuf(peer: PerfPeer): void {
    if (peer.inbuf === null) return;
    const buf = peer.inbuf;
    peer.inbuf = null;
    peer.waiting = true;
    peer.resumeFrom = 5;
    this.dev.mwClearTrans(peer.pidx, peer.gidx, () => {
      this.dev.ops.freeCoherent(buf);
      peer.waiting = false;
      this.resumeService(peer);
    });
  }

  /** Queue the service again after a wait if commands are still pending (bits below STS_DONE); else the run is over (and a removal goes on). */
  private resumeService(peer: PerfPeer): void {
    if ((peer.sts & CMD_BITS) !== 0 && this.stage !== 'removed') {
      this.wq.queue(peer.service);
      return;
    }
    peer.resumeFrom = 0;
    this.drainServices();
  }

  // ---- test threads --------------------------------------------------------------------------

  /**
   * `echo PIDX > run` (perf_dbgfs_write_run + perf_submit_test): -EINVAL for a peer index out
   * of range; -EBUSY at once when the peer is ready (PERF_STS_DONE) and a test runs. Otherwise
   * 0, and the write blocks: until the peer's handshake is done
   * (`wait_for_completion_interruptible(&peer->init_comp)`), then the threads run, or `done`
   * gets -EBUSY when another write took busy_flag first (writes waiting together all wake at
   * init_comp: the first one runs its test, the others end with -EBUSY). `done(rc)` ends the
   * write: 0 once every thread has finished (or the test was terminated), -EBUSY, or -EINTR
   * after `interrupt()`.
   */
  runTest(pidx: number, done: (rc: number) => void): number {
    const peer = Number.isInteger(pidx) ? this.peers[pidx] : undefined;
    if (peer === undefined) return -ERRNO.EINVAL;
    const w: RunWriter = { peer, done };
    if (!has(peer.sts, PERF_CMD.STS_DONE)) {
      this.waiters.push(w);
      return 0;
    }
    if (this.busy) return -ERRNO.EBUSY;
    this.submit(w);
    return 0;
  }

  /**
   * A signal to every process blocked in a write to `run` (Ctrl-C): a write waiting for the
   * handshake ends at once with -EINTR; a running test is terminated (perf_terminate_test) and
   * its write ends with -EINTR once its threads have stopped.
   */
  interrupt(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.done(-ERRNO.EINTR);
    if (this.writer !== null && this.busy) {
      this.interrupted = true;
      this.terminateTest();
    }
    this.writersGone();
  }

  /** complete_all(&peer->init_comp): the writes waiting for `peer` wake; the first starts its test, the others find busy_flag taken (-EBUSY). */
  private initComplete(peer: PerfPeer): void {
    const woken = this.waiters.filter((w) => w.peer === peer);
    if (woken.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.peer !== peer);
    for (const w of woken) {
      if (this.busy) w.done(-ERRNO.EBUSY);
      else this.submit(w);
    }
    this.writersGone();
  }

  /** perf_submit_test past the wait with busy_flag taken: the threads start. */
  private submit(w: RunWriter): void {
    this.writer = w;
    this.busy = true;
    this.testPeer = w.peer;
    this.tsync = this.tcnt;
    const host = this.dev.host;
    for (const t of this.threads) {
      t.status = -ERRNO.ENODATA;
      t.copied = 0;
      t.durationNs = 0;
      t.stage = 'init';
      t.off = 0;
      t.dmaSync = 0;
      t.dmaTries = 0;
      t.started = false;
      t.task = null;
      if (t.tidx >= this.tcnt) continue;
      this.live++;
      t.task = host.createKthread(`kworker/u${2 * host.cpus.length}:${t.tidx}+perf_wq`, (ctx) => this.threadStep(t, ctx));
    }
  }

  /**
   * perf_terminate_test: tell every thread to stop; a started one ends with -EINTR, one whose
   * work has not started is cancelled (cancel_work_sync) and keeps -ENODATA (not printed).
   */
  private terminateTest(): void {
    this.tsync = -1;
    for (const t of this.threads) {
      if (t.task === null) continue;
      if (t.started) t.task.wake();
      else t.task.stop();
    }
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.busy || this.live > 0 || this.tsync > 0) return;
    this.busy = false;
    const w = this.writer;
    const rc = this.interrupted ? -ERRNO.EINTR : 0;
    this.writer = null;
    this.interrupted = false;
    w?.done(rc);
    this.writersGone();
  }

  /** perf_thread_work, one step: init, one chunk per step with a yield between, then the DMA sync. */
  private threadStep(t: PerfThread, ctx: ExecContext): TaskStep {
    if (!t.started) {
      // Cancelled before its work ran (perf_terminate_test's cancel_work_sync): nothing done.
      if (t.task?.shouldStop === true) return this.threadExit();
      t.started = true;
    }
    const peer = this.testPeer;
    const p = this.params;
    if (t.stage === 'init') {
      // kmalloc + get_random_bytes of the source (not timed by the test; costed as a copy of it).
      ctx.charge(ctx.host.costs.memcpy(peer.outbufSize));
      t.src = this.functional ? this.randomBytes(peer.outbufSize) : null;
      if (p.useDma) {
        t.dma = this.dev.ops.requestDmaChannel?.() ?? null;
        if (t.dma === null) {
          this.log(`${t.tidx}: Failed to get DMA channel`);
          this.tsync--;
          t.status = -ERRNO.ENODEV;
          return this.threadExit();
        }
      }
      t.stage = 'run';
      t.start = ctx.time;
    }
    if (t.stage === 'run') {
      const total = 2 ** p.totalOrder;
      if (t.copied < total) {
        const rc = this.copyChunk(t, peer, ctx);
        if (rc === 'retry') return DMA_RETRY_NS;
        if (rc !== 0) {
          this.log(`${t.tidx}: Got error ${rc} on test`);
          t.status = rc;
          return this.clearTest(t);
        }
        return 'run';
      }
      t.stage = 'sync';
    }
    if (p.useDma) {
      if (this.tsync < 0) {
        t.status = -ERRNO.EINTR;
        return this.clearTest(t);
      }
      if (t.dmaSync > 0) return 'sleep';
    }
    t.durationNs = Math.round(ctx.time - t.start);
    t.status = 0;
    return this.clearTest(t);
  }

  /** perf_copy_chunk of the next chunk: 0, 'retry' (no DMA descriptor yet), or -errno. */
  private copyChunk(t: PerfThread, peer: PerfPeer, ctx: ExecContext): number | 'retry' {
    const chunk = Math.min(peer.outbufSize, 2 ** this.params.chunkOrder);
    const len = Math.min(chunk, peer.outbuf.size - t.off);
    const data = t.src === null ? null : t.src.subarray(t.off, t.off + len);
    if (t.dma === null) {
      peer.outbuf.memcpyToio(ctx, t.off, data, len);
    } else {
      const cookie = t.dma.copyToPeer(ctx, { dst: peer.outbuf, offset: t.off, data, len }, () => {
        t.dmaSync--;
        if (t.dmaSync === 0 && t.stage === 'sync') t.task?.wake();
      });
      if (cookie === 0) {
        if (t.dmaTries++ < DMA_TRIES) return 'retry';
        return -ERRNO.EIO;
      }
      t.dmaTries = 0;
      t.dmaSync++;
    }
    if (this.tsync <= 0) return -ERRNO.EINTR;
    t.copied += chunk;
    t.off += chunk;
    if (t.off >= peer.outbufSize) t.off = 0;
    return 0;
  }

  /** perf_clear_test: release the DMA channel, count the thread out. */
  private clearTest(t: PerfThread): TaskStep {
    // dmaengine_terminate_sync (no completion of this thread's copies calls back), then dma_release_channel.
    t.dma?.terminate();
    t.dmaSync = 0;
    t.dma?.release();
    t.dma = null;
    t.src = null;
    this.tsync--;
    return this.threadExit();
  }

  private threadExit(): TaskStep {
    this.live--;
    this.maybeFinish();
    return 'exit';
  }

  private randomBytes(n: number): Uint8Array {
    const rng = this.dev.host.sim.rng;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = rng.nextU32();
      out[i] = v & 255;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 255;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 255;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }

  // ---- debugfs -------------------------------------------------------------------------------

  /** debugfs `run` read (perf_read_stats): the last test's per-thread lines, or -EBUSY while one runs. */
  readStats(): string | number {
    if (this.busy) return -ERRNO.EBUSY;
    let out = `    Peer ${this.testPeer.pidx} test statistics:\n`;
    for (const t of this.threads) {
      if (t.status === -ERRNO.ENODATA) continue;
      if (t.status !== 0) {
        out += `${t.tidx}: error status ${t.status}\n`;
        continue;
      }
      const us = Math.floor(t.durationNs / 1000);
      out += `${t.tidx}: copied ${t.copied} bytes in ${us} usecs, ${us === 0 ? 0 : Math.floor(t.copied / us)} MBytes/s\n`;
    }
    return out;
  }

  /**
   * debugfs `info` (perf_dbgfs_read_info, with the outbound window's physical address since
   * v5.10, 99a06056124d); pointers print as `%pK` does with kptr_restrict 0 (hashed).
   */
  readInfo(): string {
    let out = '    Performance measuring tool info:\n\n';
    out += `Local port ${this.dev.portNumber()}, Global index ${this.gidx}\n`;
    out += 'Test status: ';
    out += this.busy ? `on-fly with port ${this.dev.peerPortNumber(this.testPeer.pidx)} (${this.testPeer.pidx})\n` : 'idle\n';
    for (const peer of this.peers) {
      out += `Port ${this.dev.peerPortNumber(peer.pidx)} (${peer.pidx}), Global index ${peer.gidx}:\n`;
      out += `\tLink status: ${has(peer.sts, PERF_CMD.STS_LNKUP) ? 'up' : 'down'}\n`;
      out += `\tOut buffer addr 0x${hashedPointer(peer.outbufBase, this.dev.host.sim.seed)}\n`;
      out += `\tOut buff phys addr ${formatPa(peer.outbufBase)}[p]\n`;
      out += `\tOut buffer size ${formatPa(peer.outbufSize)}\n`;
      out += `\tOut buffer xlat ${formatPa(peer.outbufXlat)}[p]\n`;
      if (peer.inbuf === null) {
        out += '\tIn buffer addr: unallocated\n';
        continue;
      }
      out += `\tIn buffer addr 0x${hashedPointer(peer.inbuf.dmaAddr + 2 ** 47, this.dev.host.sim.seed)}\n`;
      out += `\tIn buffer size ${formatPa(peer.inbufSize)}\n`;
      out += `\tIn buffer xlat ${formatPa(peer.inbufXlat)}[p]\n`;
    }
    return out;
  }

  /**
   * @internal perf_remove. debugfs_remove_recursive waits for the writes to `run` in progress:
   * until they end (their test finishes, a link loss terminates it, or the writer is signalled)
   * the instance keeps its device context (the bus clears it when this returns: it is set
   * again at once). Then perf_disable_service (`disableService`).
   */
  remove(): void {
    if (this.stage !== 'bound') return;
    if (this.writer === null && this.waiters.length === 0) {
      this.disableService();
      return;
    }
    this.stage = 'waitWriters';
    this.ctxHeld = false;
    const sim = this.dev.host.sim;
    sim.at(sim.now, () => {
      if (this.stage === 'waitWriters') this.ctxHeld = this.dev.setCtx(this.ctxOps) === 0;
    });
  }

  /** A write to `run` ended: a removal waiting for the writes goes on when none is left. */
  private writersGone(): void {
    if (this.stage === 'waitWriters' && this.writer === null && this.waiters.length === 0) this.disableService();
  }

  /**
   * perf_disable_service (as fixed in v5.7, 34d8673a01b0): our doorbell bit masked, the context
   * cleared, a CLEAR per peer run to its end (flush_work: the outbound translation freed,
   * perf_free_outbuf, and the inbound one, perf_free_inbuf); then `finishDisable`.
   */
  private disableService(): void {
    this.stage = 'disabling';
    this.dev.ops.dbSetMask(PERF_SPAD.notify(this.gidx));
    if (this.ctxHeld) this.dev.clearCtx();
    this.ctxHeld = false;
    for (const peer of this.peers) peer.sts |= bit(PERF_CMD.CLEAR);
    this.drainServices();
  }

  /**
   * flush_work of each peer's service during removal: a service that is idle with only CLEAR
   * pending runs it here (the work would run now); one that waits or has other commands pending
   * is waited for (it calls back here when it ends). Once every service is done: `finishDisable`.
   */
  private drainServices(): void {
    if (this.stage !== 'disabling') return;
    for (const peer of this.peers) {
      if (peer.waiting || peer.service.pending) return;
      const cmds = peer.sts & CMD_BITS;
      if (cmds === bit(PERF_CMD.CLEAR)) {
        peer.sts &= ~bit(PERF_CMD.CLEAR);
        this.clearPeer(peer);
        if (peer.waiting) return;
      } else if (cmds !== 0) {
        this.wq.queue(peer.service);
        return;
      }
    }
    this.finishDisable();
  }

  /**
   * The end of perf_disable_service: 0 into our command slot of each peer, our doorbell bit
   * cleared, ntb_link_disable (perf_remove returns when it does); perf_clear_threads finds no
   * test (the writes have ended).
   */
  private finishDisable(): void {
    this.stage = 'removed';
    for (const peer of this.peers) this.dev.spadWrite(PERF_SPAD.cmd(peer.gidx), 0);
    this.dev.ops.dbClear(PERF_SPAD.notify(this.gidx));
    this.dev.ops.linkDisable(() => {
      this.removeDone = true;
      for (const fn of this.removedWaiters.splice(0)) fn();
    });
  }
}

/**
 * The ntb_perf client (module init: parameters validated and clamped; PerfError on a bad one).
 * Probe refuses a device with fewer windows than peers (`Not enough memory windows`, -EINVAL) or
 * without enough scratchpads and doorbell bits (`Command services unsupported`, -EINVAL).
 */
export function createNtbPerfClient(options: NtbPerfOptions = {}): NtbPerfClient {
  const { params, log } = perfParams(options.params ?? {});
  const instances = new Map<string, NtbPerf>();
  return {
    name: 'ntb_perf',
    params,
    initLog: log,
    instances,
    probe(dev: NtbDevice): number {
      const perf = probe(dev, params, options.functional ?? false);
      if (typeof perf === 'number') return perf;
      instances.set(dev.name, perf);
      return 0;
    },
    remove(dev: NtbDevice): void {
      instances.get(dev.name)?.remove();
      instances.delete(dev.name);
    },
  };
}

/** perf_probe: peers and their outbound windows, the command service, the context ops, the link. */
function probe(dev: NtbDevice, params: PerfParams, functional: boolean): NtbPerf | number {
  const ops = dev.ops;
  const pcnt = dev.peerPortCount();
  const lport = dev.portNumber();
  let gidx = -1;
  const gidxOf: number[] = [];
  for (let pidx = 0; pidx < pcnt; pidx++) {
    if (lport < dev.peerPortNumber(pidx)) {
      if (gidx === -1) gidx = pidx;
      gidxOf.push(pidx + 1);
    } else gidxOf.push(pidx);
  }
  if (gidx === -1) gidx = pcnt;
  // Hardware with only two ports may not have unique port numbers: then every index is 0.
  if (pcnt === 1 && lport === 0 && dev.peerPortNumber(0) === 0) {
    gidx = 0;
    gidxOf[0] = 0;
  }
  const peers: { gidx: number; outbuf: IoWindow; base: number; size: number }[] = [];
  for (let pidx = 0; pidx < pcnt; pidx++) {
    const addr = ops.peerMwGetAddr(gidx);
    if (typeof addr === 'number') return addr;
    // A size below 1 is a u64 that wrapped (an offset read as all-ones over a dead link):
    // devm_ioremap_wc refuses the range.
    const outbuf = addr.size >= 1 ? ops.peerMwIoremap(gidx) : null;
    if (outbuf === null) return -ERRNO.ENOMEM;
    let size = addr.size;
    if (params.maxMwSize !== 0 && size > params.maxMwSize) {
      size = params.maxMwSize;
      perfLog(dev, `Peer ${pidx} outbuf reduced to ${formatPa(size)}`);
    }
    peers.push({ gidx: gidxOf[pidx] as number, outbuf, base: addr.base, size });
  }
  if (ops.peerMwCount() < pcnt) {
    perfLog(dev, 'Not enough memory windows');
    return -ERRNO.EINVAL;
  }
  const mask = 2 ** (pcnt + 1) - 1;
  if (!(dev.spadCount() >= PERF_SPAD.count(pcnt) && ((ops.dbValidMask() & mask) >>> 0) === mask)) {
    perfLog(dev, 'Command services unsupported');
    return -ERRNO.EINVAL;
  }
  const perf = new NtbPerf(dev, params, functional, { gidx, peers });
  ops.dbSetMask(ops.dbValidMask());
  const rc = dev.setCtx(perf.ctxOps);
  if (rc !== 0) return rc;
  perf.ctxHeld = true;
  for (let sidx = 0; sidx < dev.spadCount(); sidx++) dev.spadWrite(sidx, PERF_CMD_INVAL);
  ops.dbClearMask(PERF_SPAD.notify(gidx));
  // ntb_link_enable sleeps until the hardware has the command; then ntb_link_event (modprobe
  // returns only then, so an unload cannot come in between: a removed instance raises nothing).
  ops.linkEnable('auto', 'auto', () => {
    if (perf.bound) dev.linkEvent();
  });
  return perf;
}
