/**
 * Uncached MMIO over the fabric (readl/readw/writel/writew on a `pci_iomap`ped BAR, or the
 * EP's local register and memory accesses) and what they cost the issuing CPU.
 */
import type { ExecContext, Ns } from '@ntbsim/kernel';
import type { Fabric } from './fabric.js';
import type { FabricDirection, TlpKind } from './types.js';

/** A remote read request. */
export interface MmioReadRequest {
  /** Direction of the request. */
  readonly dir: FabricDirection;
  /** Wire address. */
  readonly addr: number;
  /** Width (bytes). */
  readonly width: 2 | 4;
}

/**
 * readl/readw over the fabric, issued at `ctx.time`: charges the MMIO round trip (the
 * profile's `mmioRead()`, at least two link latencies so the completion never returns before
 * the writes it waited for landed) plus the wait behind earlier posted writes, or the
 * completion timeout on a dead link, and returns the value. Without a context the read is
 * issued now and charged to nobody.
 */
export function chargeRead(ctx: ExecContext | undefined, fabric: Fabric, req: MmioReadRequest): number {
  const issue = ctx?.time ?? fabric.sim.now;
  const r = fabric.read({ dir: req.dir, addr: req.addr, width: req.width, issue });
  if (ctx !== undefined) ctx.charge(r.ok ? Math.max(ctx.host.costs.mmioRead(), 2 * fabric.latencyNs) + r.waitNs : r.waitNs);
  return r.value;
}

/** The `width` (2 or 4) little-endian bytes of `value`: a TLP payload. */
export function leBytes(value: number, width: 2 | 4): Uint8Array {
  const b = new Uint8Array(width);
  b[0] = value & 0xff;
  b[1] = (value >>> 8) & 0xff;
  if (width === 4) {
    b[2] = (value >>> 16) & 0xff;
    b[3] = (value >>> 24) & 0xff;
  }
  return b;
}

/** A remote posted write of a 16/32-bit value. */
export interface MmioWriteRequest {
  /** Direction. */
  readonly dir: FabricDirection;
  /** Kind (statistics, faults). */
  readonly kind: TlpKind;
  /** Wire address. */
  readonly addr: number;
  /** Value. */
  readonly value: number;
  /** Width (bytes). */
  readonly width: 2 | 4;
}

/** writel/writew over the fabric: charges the posted-write issue cost, then posts at `ctx.time` (or now). */
export function chargeWrite(ctx: ExecContext | undefined, fabric: Fabric, req: MmioWriteRequest): void {
  if (ctx !== undefined) ctx.charge(ctx.host.costs.mmioWrite());
  const data = leBytes(req.value, req.width);
  fabric.post({ dir: req.dir, kind: req.kind, addr: req.addr, len: req.width, data, issue: ctx?.time ?? fabric.sim.now, owned: true });
}

/**
 * Cost of one local uncached load by the EP CPU (EP DRAM mapped Normal-NC, or a DWC register):
 * two posted-write issue costs (~200 ns on rcar-s4). Estimate: an on-chip non-posted access on
 * a 1.2 GHz Cortex-A55, no public measurement (rcar-s4-platform-facts.md §2 gaps).
 */
export function localReadNs(ctx: ExecContext): Ns {
  return 2 * ctx.host.costs.mmioWrite();
}

/** Cost of one local uncached store by the EP CPU: one posted-write issue cost. */
export function localWriteNs(ctx: ExecContext): Ns {
  return ctx.host.costs.mmioWrite();
}
