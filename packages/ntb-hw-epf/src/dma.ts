/**
 * A DW eDMA-like DMA engine per host (the integrated eDMA of the DWC PCIe controller), exposed
 * as dmaengine DMA_MEMCPY channels. Each channel runs its descriptors in order:
 * - submit (`device_prep_dma_memcpy` + `dmaengine_submit`): the CPU is charged `dmaSetup()`;
 * - a descriptor starts when the channel is free, at or after its submit time;
 * - a copy into a peer window streams over the fabric: it occupies the link for
 *   `max(dmaTransfer(len), len / link rate)` and its bytes land `latency` after that; the
 *   descriptor completes when the engine has pushed the last byte;
 * - a local copy takes `dmaTransfer(len)` and its bytes are copied at completion;
 * - payloads may be partial (timing fidelity): only the bytes given are real, the time is for `len`;
 * - a transfer's done interrupt is raised the profile's `dma.doneLatencyNs` after its end (on
 *   R-Car S4 a slow completion path, derived from published throughput); its handler (hardirq) starts each channel's next
 *   issued descriptor (as dw_edma_done_interrupt does: a channel stays busy from a transfer's
 *   end until its done interrupt is handled) and calls each completed descriptor's callback
 *   with `ok`, in completion order;
 * - each submission returns the channel's next cookie (2, 3, …); a transaction counts as
 *   complete for `dma_sync_wait` once its callback has run or the channel was terminated.
 * Injected errors make the next descriptors fail: nothing is written, `ok = false`.
 */
import type { ExecContext, Host, IrqVector, Ns, SimEvent } from '@ntbsim/kernel';
import type { DmaBuffer, DmaChannel, DmaCookie, IoWindow } from '@ntbsim/ntb-core';
import { EpfError } from './errors.js';
import { WcWindow } from './ioWindow.js';
import { localReadNs } from './mmio.js';
import type { DmaStats, EpfDmaEngine } from './types.js';

/** Completion callback of a descriptor. */
type DmaDone = (ok: boolean, ctx: ExecContext) => void;

interface Desc {
  readonly channel: EdmaChannel;
  readonly cookie: DmaCookie;
  readonly submit: Ns;
  readonly len: number;
  readonly done: DmaDone;
  readonly run: (start: Ns, fail: boolean) => { readonly end: Ns; readonly ok: boolean; readonly finish?: (() => void) | undefined };
  ok: boolean;
  finish: (() => void) | undefined;
}

/**
 * When a descriptor submitted at `at` (a context's time, fractional ns) starts: not before now,
 * on a whole nanosecond, so the fabric commits its write at once and its end is known (a write
 * issued between two nanoseconds would wait for the next one and end unknown).
 */
function startTime(at: Ns, now: Ns): Ns {
  return Math.ceil(Math.max(at, now));
}

/** One channel of the engine. */
/** Event trampolines, shared by every channel. */
function dmaStart(c: unknown): void {
  (c as EdmaChannel).start();
}
function dmaEnd(c: unknown): void {
  (c as EdmaChannel).end();
}
function dmaDone(d: unknown): void {
  const desc = d as Desc;
  desc.channel.engine.doneIrq(desc);
}

class EdmaChannel implements DmaChannel {
  /** Descriptors waiting or running. */
  private readonly queue: Desc[] = [];
  /** The channel is busy (EDMA_ST_BUSY): a transfer runs, or the last one's done interrupt has not been handled. */
  private running = false;
  /** The channel's pending start or end event. */
  private event: SimEvent | null = null;
  /** Errors to inject into the next descriptors of this channel. */
  failNext = 0;
  /** Whether a client holds it. */
  held = false;
  /** Time it spent transferring (ns; counted when a transfer starts). */
  busyNs = 0;
  /** @internal The done interrupt of the last transfer, raised `dma.doneLatencyNs` after its end. */
  pendingDone: SimEvent | null = null;
  /** The last cookie handed out (chan->cookie; DMA_MIN_COOKIE before the first). */
  private cookie: DmaCookie = 1;
  /** The last cookie completed (chan->completed_cookie). */
  private completedCookie: DmaCookie = 1;
  /** dma_sync_wait callers waiting for a cookie. */
  private readonly waiters: { readonly cookie: DmaCookie; readonly done: () => void }[] = [];

  constructor(
    readonly engine: DmaEngine,
    readonly index: number,
    readonly name: string,
  ) {}

  copyToPeer(ctx: ExecContext, req: { readonly dst: IoWindow; readonly offset: number; readonly data: Uint8Array | null; readonly len: number }, done: DmaDone): DmaCookie {
    if (!this.held || !(req.dst instanceof WcWindow) || req.len <= 0) return 0;
    const dst = req.dst;
    if (dst.dmaAddress(req.offset, req.len) === null) return 0;
    ctx.charge(ctx.host.costs.dmaSetup());
    const data = req.data === null ? null : req.data.slice(0, req.len);
    const host = this.engine.host;
    return this.submit(ctx.time, {
      len: req.len,
      done,
      run: (start, fail) => {
        const dur = Math.round(host.costs.dmaTransfer(req.len));
        const addr = dst.dmaAddress(req.offset, req.len);
        if (fail || addr === null) return { end: start + dur, ok: false };
        const { fabric, dir } = dst.route;
        const tlp = fabric.post({ dir, kind: 'dma', addr, len: req.len, data, issue: start, duration: dur, owned: true });
        if (tlp === null) return { end: start + dur, ok: false };
        return { end: tlp.departEnd, ok: true };
      },
    });
  }

  copyFromLocal(ctx: ExecContext, req: { readonly src: DmaBuffer; readonly offset: number; readonly dst: Uint8Array | null; readonly len: number }, done: DmaDone): DmaCookie {
    if (!this.held || req.len <= 0 || req.offset < 0 || req.offset + req.len > req.src.size) return 0;
    ctx.charge(ctx.host.costs.dmaSetup());
    const host = this.engine.host;
    return this.submit(ctx.time, {
      len: req.len,
      done,
      run: (start, fail) => {
        const end = start + Math.round(host.costs.dmaTransfer(req.len));
        if (fail) return { end, ok: false };
        const dst = req.dst;
        const n = dst === null ? 0 : Math.min(dst.length, req.len);
        return { end, ok: true, finish: dst === null ? undefined : () => dst.set(req.src.bytes.subarray(req.offset, req.offset + n)) };
      },
    });
  }

  /**
   * dma_sync_wait. A transaction is complete once its callback has run (or it was terminated);
   * as in dma_async_is_complete, a cookie outside (completed, last handed out] counts as
   * complete. Every descriptor here ends (done or failed), so the 5 s timeout never fires.
   */
  syncWait(cookie: DmaCookie, done: () => void): void {
    if (this.isComplete(cookie)) done();
    else this.waiters.push({ cookie, done });
  }

  private isComplete(cookie: DmaCookie): boolean {
    return cookie <= this.completedCookie || cookie > this.cookie;
  }

  /** @internal Transaction `cookie` has completed (its callback ran, or it was terminated): wake the waits it ends, each in an event of its own (the spinning caller resumes after the interrupt). */
  completeCookie(cookie: DmaCookie): void {
    if (cookie > this.completedCookie) this.completedCookie = cookie;
    const sim = this.engine.host.sim;
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i] as { readonly cookie: DmaCookie; readonly done: () => void };
      if (this.isComplete(w.cookie)) {
        this.waiters.splice(i, 1);
        sim.after(0, w.done);
      } else i++;
    }
  }

  release(): void {
    this.held = false;
  }

  /**
   * dmaengine_terminate_sync: every descriptor not yet completed is dropped (the running one
   * stops; what it already put on the link still lands), and neither they nor those completed
   * whose callback has not run yet call back. Counted in `terminated`.
   */
  terminate(): void {
    if (this.event !== null) {
      this.engine.host.sim.cancel(this.event);
      this.event = null;
    }
    if (this.pendingDone !== null) {
      this.engine.host.sim.cancel(this.pendingDone);
      this.pendingDone = null;
      this.engine.stats.terminated++;
    }
    this.engine.stats.terminated += this.queue.length + this.engine.dropCompleted(this);
    this.queue.length = 0;
    this.running = false;
    this.completeCookie(this.cookie);
  }

  private submit(at: Ns, d: Pick<Desc, 'len' | 'done' | 'run'>): DmaCookie {
    this.engine.stats.submitted++;
    const cookie = ++this.cookie;
    this.queue.push({ ...d, channel: this, cookie, submit: at, ok: false, finish: undefined });
    if (!this.running) {
      this.running = true;
      this.event = this.engine.host.sim.at(startTime(at, this.engine.host.sim.now), dmaStart, this);
    }
    return cookie;
  }

  /** @internal Event: the engine starts the head descriptor. */
  start(): void {
    this.event = null;
    const d = this.queue[0];
    if (d === undefined) {
      this.running = false;
      return;
    }
    const sim = this.engine.host.sim;
    let fail = false;
    if (this.failNext > 0) {
      this.failNext--;
      fail = true;
    } else if (this.engine.failNextAny > 0) {
      this.engine.failNextAny--;
      fail = true;
    }
    const r = d.run(sim.now, fail);
    const busy = Math.max(0, r.end - sim.now);
    this.busyNs += busy;
    this.engine.stats.busyNs += busy;
    d.ok = r.ok;
    d.finish = r.finish;
    this.event = sim.at(Math.max(sim.now, r.end), dmaEnd, this);
  }

  /** @internal Event: the head descriptor's transfer ended; the channel stays busy until its done interrupt is handled. */
  end(): void {
    this.event = null;
    const d = this.queue.shift() as Desc;
    d.finish?.();
    this.engine.complete(d);
  }

  /**
   * @internal The done interrupt of this channel is handled (dw_edma_done_interrupt): the next
   * issued descriptor starts now, or the channel goes idle.
   */
  doneHandled(): void {
    if (!this.running || this.event !== null) return;
    const next = this.queue[0];
    if (next === undefined) this.running = false;
    else this.event = this.engine.host.sim.at(startTime(next.submit, this.engine.host.sim.now), dmaStart, this);
  }
}

/** The DMA engine of one host (DW eDMA of its PCIe controller). */
export class DmaEngine implements EpfDmaEngine {
  /** The engine's completion interrupt (`dw-edma` in /proc/interrupts). */
  readonly irq: IrqVector;
  /** Counters. */
  readonly stats: DmaStats = { submitted: 0, completed: 0, failed: 0, terminated: 0, bytes: 0, busyNs: 0 };
  /** Errors to inject into the next descriptors of any channel. */
  failNextAny = 0;
  private readonly channels: EdmaChannel[];
  private readonly completed: Desc[] = [];

  /** An engine on `host` with the profile's `dma.channels` channels. */
  constructor(/** The host the engine belongs to. */ readonly host: Host) {
    const n = host.profile.dma.channels.value;
    this.channels = Array.from({ length: n }, (_, i) => new EdmaChannel(this, i, `dma0chan${i}`));
    this.irq = host.requestIrq('dw-edma', (ctx) => this.isr(ctx));
  }

  /** Number of channels. */
  get channelCount(): number {
    return this.channels.length;
  }

  /** Each channel's transfer time so far (ns), by channel index. */
  channelBusyNs(): number[] {
    return this.channels.map((c) => c.busyNs);
  }

  /** Channels not held by a client. */
  get freeChannels(): number {
    return this.channels.filter((c) => !c.held).length;
  }

  /** A free channel (dma_request_channel), or null when all are taken. */
  request(): DmaChannel | null {
    const c = this.channels.find((ch) => !ch.held);
    if (c === undefined) return null;
    c.held = true;
    return c;
  }

  /** Make the next `count` descriptors fail, on `channel` or on whichever channel runs next. */
  injectErrors(count: number, channel?: number): void {
    if (!Number.isInteger(count) || count < 1) throw new EpfError('EINVAL', 'dma', `error count: got ${count}, allowed an integer ≥ 1`);
    if (channel === undefined) {
      this.failNextAny += count;
      return;
    }
    const c = this.channels[channel];
    if (c === undefined) throw new EpfError('EINVAL', 'dma', `channel: got ${channel}, allowed 0..${this.channels.length - 1}`);
    c.failNext += count;
  }

  /**
   * @internal A descriptor's transfer ended (its bytes counted if it succeeded); after the
   * profile's `dma.doneLatencyNs` its callback is queued and the done interrupt raised. It is
   * counted `completed` or `failed` when that callback runs, so that a terminate between the two
   * counts it once, as `terminated`.
   */
  complete(d: Desc): void {
    if (d.ok) this.stats.bytes += d.len;
    const latency = this.host.profile.dma.doneLatencyNs.value;
    if (latency > 0) d.channel.pendingDone = this.host.sim.after(latency, dmaDone, d);
    else this.doneIrq(d);
  }

  /** @internal The done interrupt of `d` is raised: its callback is queued for the handler. */
  doneIrq(d: Desc): void {
    d.channel.pendingDone = null;
    this.completed.push(d);
    this.irq.raise();
  }

  /** @internal Drop `channel`'s completed descriptors whose callback has not run (terminate); how many. */
  dropCompleted(channel: EdmaChannel): number {
    const before = this.completed.length;
    const keep = this.completed.filter((d) => d.channel !== channel);
    this.completed.length = 0;
    this.completed.push(...keep);
    return before - keep.length;
  }

  private isr(ctx: ExecContext): void {
    const done = this.completed.splice(0);
    for (const d of done) d.channel.doneHandled();
    for (const d of done) {
      ctx.charge(localReadNs(ctx));
      if (d.ok) this.stats.completed++;
      else this.stats.failed++;
      d.done(d.ok, ctx);
      d.channel.completeCookie(d.cookie);
    }
  }
}

const engines = new WeakMap<Host, DmaEngine>();

/** The DMA engine of `host`, created on first use. */
export function hostDmaEngine(host: Host): DmaEngine {
  let e = engines.get(host);
  if (e === undefined) {
    e = new DmaEngine(host);
    engines.set(host, e);
  }
  return e;
}
