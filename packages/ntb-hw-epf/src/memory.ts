/**
 * Physical memory of one host as seen by PCIe bus masters: DMA-coherent allocations
 * (`dma_alloc_coherent`, `pci_epf_alloc_space`) placed at bus addresses inside the host's
 * DRAM range. Each allocation is a real `Uint8Array`; fabric writes land in it, and an
 * optional write hook lets hardware react to a landing write (the RC's MSI receiver).
 */
import type { Host } from '@ntbsim/kernel';
import type { DmaBuffer } from '@ntbsim/ntb-core';

/** Hook called after a fabric write landed in a region: byte offset and length. */
export type RegionWriteHook = (offset: number, len: number) => void;

/** One allocation of host memory; implements the ntb-core `DmaBuffer`. */
export class MemRegion implements DmaBuffer {
  /** The memory itself. */
  readonly bytes: Uint8Array;
  /** Little-endian accessor over `bytes`. */
  readonly view: DataView;
  /** Called after each fabric write that landed here. */
  onWrite: RegionWriteHook | null = null;

  /** `size` bytes at bus address `dmaAddr`, named `label` (for diagnostics). */
  constructor(
    /** Bus address of the first byte (what a device or an iATU targets). */
    readonly dmaAddr: number,
    /** Size in bytes. */
    readonly size: number,
    /** What the region holds, for diagnostics. */
    readonly label: string,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
}

/** Default DRAM window for allocations: R-Car S4 Spider DRAM starts at 0x4800_0000 (1920 MiB); 32-bit DMA mask. */
const DRAM_BASE = 0x5000_0000;
const DRAM_LIMIT = 0xc000_0000;

/** The DMA-visible memory of one host: a first-fit allocator over its DRAM bus addresses. */
export class PhysMemory {
  private readonly regions: MemRegion[] = [];

  /** Memory of the host named `name`, allocating in [base, limit). */
  constructor(
    /** Name of the memory (the host it belongs to), for diagnostics. */
    readonly name: string,
    /** Lowest bus address handed out. */
    readonly base: number = DRAM_BASE,
    /** Bus address just past the last one handed out. */
    readonly limit: number = DRAM_LIMIT,
  ) {}

  /** Allocate `size` bytes aligned to `align` (a power of two); null when out of space or arguments are bad. */
  alloc(size: number, align: number, label: string): MemRegion | null {
    if (!Number.isInteger(size) || size <= 0 || !Number.isInteger(align) || align <= 0 || (align & (align - 1)) !== 0) return null;
    let cursor = this.base;
    let at = this.regions.length;
    for (let i = 0; i < this.regions.length; i++) {
      const r = this.regions[i] as MemRegion;
      const start = alignUp(cursor, align);
      if (start + size <= r.dmaAddr) {
        at = i;
        cursor = start;
        break;
      }
      cursor = r.dmaAddr + r.size;
    }
    const start = at === this.regions.length ? alignUp(cursor, align) : cursor;
    if (start + size > this.limit) return null;
    const region = new MemRegion(start, size, label);
    this.regions.splice(at, 0, region);
    return region;
  }

  /** Free an allocation; false if it is not one of ours. */
  free(region: DmaBuffer): boolean {
    const i = this.regions.indexOf(region as MemRegion);
    if (i < 0) return false;
    this.regions.splice(i, 1);
    return true;
  }

  /** The region holding [addr, addr + len), or null. */
  find(addr: number, len: number): MemRegion | null {
    let lo = 0;
    let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid] as MemRegion;
      if (addr < r.dmaAddr) hi = mid - 1;
      else if (addr >= r.dmaAddr + r.size) lo = mid + 1;
      else return addr + len <= r.dmaAddr + r.size ? r : null;
    }
    return null;
  }

  /** Live allocations, lowest address first. */
  get allocations(): readonly MemRegion[] {
    return this.regions;
  }
}

/** Round `x` up to a multiple of `align` (a power of two). */
export function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}

const memories = new WeakMap<Host, PhysMemory>();

/** The memory of `host`, shared by every device model on it. */
export function hostMemory(host: Host): PhysMemory {
  let m = memories.get(host);
  if (m === undefined) {
    m = new PhysMemory(host.name);
    memories.set(host, m);
  }
  return m;
}
