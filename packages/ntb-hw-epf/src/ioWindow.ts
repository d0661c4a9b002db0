/**
 * Write-combined mappings of a peer memory window (`ioremap_wc` of `peer_mw_get_addr`).
 *
 * The CPU's writes through a WC (Normal-NC) mapping go into a write-combining buffer and
 * reach the fabric `lingerNs` after they were issued (0 by default: at once). Writes through
 * other mappings (the doorbell BAR, the EP's MSI window) do not pass through this buffer, so
 * while WC writes linger a doorbell can overtake them. `barrier` (dma_mb/wmb) pushes the
 * buffer into the fabric at once; a following `ioread32` is ordered behind those writes and
 * returns only after they landed, so a doorbell rung after barrier + read-back can never be
 * seen before the data. Writes leave the buffer in program order.
 */
import type { ExecContext, Ns } from '@ntbsim/kernel';
import type { IoWindow } from '@ntbsim/ntb-core';
import { EpfError } from './errors.js';
import type { Fabric } from './fabric.js';
import { chargeRead, leBytes } from './mmio.js';
import type { FabricDirection } from './types.js';

/** The write-combining behaviour of one host's CPUs. */
export interface WcPolicy {
  /** Delay between a WC write and its entry into the fabric (ns); 0 = none. */
  lingerNs: Ns;
}

/** Options of a WC window. */
export interface WcWindowOptions {
  /** The fabric. */
  readonly fabric: Fabric;
  /** Direction writes travel. */
  readonly dir: FabricDirection;
  /** Window size (bytes). */
  readonly size: number;
  /** Wire address of [offset, offset + len), or null when the window is not translated (writes are lost). */
  readonly translate: (offset: number, len: number) => number | null;
  /** The issuing host's WC behaviour. */
  readonly wc: WcPolicy;
  /** Name for diagnostics. */
  readonly name: string;
}

interface WcEntry {
  readonly offset: number;
  readonly data: Uint8Array | null;
  readonly len: number;
  readonly deadline: Ns;
}

/** Event trampoline for WC drains, shared by every window. */
function wcDrain(w: unknown): void {
  (w as WcWindow).drain();
}

/** A WC mapping of a peer window; implements the ntb-core `IoWindow`. */
export class WcWindow implements IoWindow {
  /** Window size (bytes). */
  readonly size: number;
  /** Writes lost because the window had no translation. */
  unmappedWrites = 0;
  private readonly buffer: WcEntry[] = [];
  private drainAt: Ns = -1;

  /** A WC window described by `options`. */
  constructor(private readonly options: WcWindowOptions) {
    this.size = options.size;
  }

  /** Writes sitting in the WC buffer. */
  get buffered(): number {
    return this.buffer.length;
  }

  private check(offset: number, len: number, what: string): void {
    if (!Number.isInteger(offset) || !Number.isInteger(len) || offset < 0 || len < 0 || offset + len > this.size) {
      throw new EpfError('EINVAL', 'io', `${this.options.name} ${what}: [${offset}, ${offset + len}) outside the ${this.size}-byte window`);
    }
  }

  /** memcpy_toio: a `len`-byte block at `offset` whose first `data.length` bytes are `data` (the rest elided); charges the WC copy cost of all `len`, plus any stall of posted-write flow control (flowControl.ts). */
  memcpyToio(ctx: ExecContext, offset: number, data: Uint8Array | null, len: number): void {
    this.check(offset, len, 'memcpy_toio');
    const t0 = ctx.time;
    ctx.charge(ctx.host.costs.memcpyToio(len));
    this.write(ctx, offset, data === null ? null : data.slice(0, len), len);
    const stall = this.options.fabric.cpuCopyStall(this.options.dir, t0, ctx.time, len);
    if (stall > 0) ctx.charge(stall);
  }

  /** iowrite32: posted little-endian 32-bit write; charges the MMIO write cost. */
  iowrite32(ctx: ExecContext, offset: number, value: number): void {
    this.check(offset, 4, 'iowrite32');
    ctx.charge(ctx.host.costs.mmioWrite());
    this.write(ctx, offset, leBytes(value, 4), 4);
  }

  /** ioread32: non-posted read ordered behind this window's earlier writes; charges the round trip. */
  ioread32(ctx: ExecContext, offset: number): number {
    this.check(offset, 4, 'ioread32');
    this.flush(ctx.time);
    const addr = this.options.translate(offset, 4);
    if (addr === null) {
      ctx.charge(ctx.host.costs.mmioRead());
      return 0xffffffff;
    }
    return chargeRead(ctx, this.options.fabric, { dir: this.options.dir, addr, width: 4 });
  }

  /** dma_mb()/wmb(): push the WC buffer into the fabric now (ordering only, no wait). */
  barrier(ctx: ExecContext): void {
    this.flush(ctx.time);
  }

  /** @internal Wire address for a DMA write of [offset, offset + len), or null. */
  dmaAddress(offset: number, len: number): number | null {
    if (!Number.isInteger(offset) || !Number.isInteger(len) || offset < 0 || len <= 0 || offset + len > this.size) return null;
    return this.options.translate(offset, len);
  }

  /** @internal The fabric and direction DMA writes to this window use. */
  get route(): { readonly fabric: Fabric; readonly dir: FabricDirection } {
    return { fabric: this.options.fabric, dir: this.options.dir };
  }

  private write(ctx: ExecContext, offset: number, data: Uint8Array | null, len: number): void {
    const linger = this.options.wc.lingerNs;
    if (linger <= 0 && this.buffer.length === 0) {
      this.post(offset, data, len, ctx.time);
      return;
    }
    const last = this.buffer[this.buffer.length - 1];
    const deadline = Math.max(Math.round(ctx.time + Math.max(0, linger)), last?.deadline ?? 0);
    this.buffer.push({ offset, data, len, deadline });
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    const head = this.buffer[0];
    if (head === undefined || this.drainAt === head.deadline) return;
    this.drainAt = head.deadline;
    this.options.fabric.sim.at(head.deadline, wcDrain, this);
  }

  /** @internal Event at a drain deadline: post the writes whose linger is over (stale when the deadline moved). */
  drain(): void {
    const now = this.options.fabric.sim.now;
    if (now !== this.drainAt) return;
    this.drainAt = -1;
    while (this.buffer.length > 0 && (this.buffer[0] as WcEntry).deadline <= now) {
      const e = this.buffer.shift() as WcEntry;
      this.post(e.offset, e.data, e.len, now);
    }
    this.scheduleDrain();
  }

  private flush(at: Ns): void {
    let issue = this.options.fabric.sim.now;
    for (const e of this.buffer.splice(0)) {
      issue = Math.max(issue, Math.min(e.deadline, at));
      this.post(e.offset, e.data, e.len, issue);
    }
    this.drainAt = -1;
  }

  private post(offset: number, data: Uint8Array | null, len: number, issue: Ns): void {
    const addr = this.options.translate(offset, len);
    if (addr === null) {
      this.unmappedWrites++;
      return;
    }
    this.options.fabric.post({ dir: this.options.dir, kind: 'wc', addr, len, data, issue, owned: true });
  }
}
