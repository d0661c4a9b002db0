/**
 * The vNTB configuration (configfs values) and the BAR / address plan derived from it, with
 * every limit checked before anything is built (R-Car S4, `rcar_barno`: ctrl + scratchpads on
 * BAR0, MWs on BAR2, doorbells on BAR4).
 *
 * - BAR0 and BAR2 are Resizable BARs (PCIe ReBAR sizes start at 1 MiB): BAR0 = 1 MiB holding
 *   the ctrl struct and both scratchpad halves; BAR2 = the next power of two ≥ the end of the
 *   last MW (at least 1 MiB), capped by the practical ~2 MiB ceiling reported on Spider.
 * - MW i sits at `mwOffsets[i]` in BAR2 (4 KiB aligned, MW1 at 0 because the host reads
 *   MW1_OFFSET = `reserved` = 0); the host sees MW i as `[offset_i, offset_{i+1} or BAR end)`.
 *   The config region has no per-MW offset fields, so the host takes the sub-BAR offsets of
 *   MW2..4 from the same board table (like `barno_map`), not from the device.
 * - BAR4 is fixed at 256 B (BAR_FIXED) and holds the doorbell slots.
 * - The RC assigns BARs in its 256 MiB MEM window at 0x3000_0000, largest first, each aligned
 *   to its size.
 * - The EP's outbound pool (`addr_space`, 4 MiB at 0xfe00_0000) first holds the DWC MSI page,
 *   then one outbound window per MW, each a power-of-two number of 4 KiB pages aligned to its
 *   size (pci_epc_mem_alloc_addr's bitmap regions).
 */
import { showValue } from '@ntbsim/kernel';
import { EpfError } from './errors.js';
import { EPF_CTRL_SIZE, EPF_MAX_DB_COUNT, EPF_MAX_MW, NTB_EPF_MIN_DB_COUNT } from './configRegion.js';
import type { DoorbellMode, VntbOptions } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Minimum Resizable BAR size (PCIe ReBAR capability: 1 MiB). */
export const REBAR_MIN_BYTES = MiB;
/** Default practical ceiling of BAR2 on R-Car S4 Spider ("~2 MiB", kernel-ntb-epf-hw.md §7). */
export const BAR2_CEILING_BYTES = 2 * MiB;
/** Size of the fixed doorbell BAR4 on R-Car S4 (BAR_FIXED 256 B, pcie-rcar-gen4.c). */
export const BAR4_BYTES = 256;
/** EPC outbound window pool (`addr_space` of pciec0_ep: 4 MiB at 0xfe000000, r8a779f0.dtsi). */
export const EP_OUTBOUND_BASE = 0xfe00_0000;
/** Size of the EPC outbound window pool (bytes). */
export const EP_OUTBOUND_BYTES = 4 * MiB;
/** EPC page size and MW address alignment (R-Car S4 2026: `align = SZ_4K`; CX_ATU_MIN_REGION_SIZE). */
export const EPC_PAGE_BYTES = 4 * KiB;
/** Base of the RC's PCIe MEM window (pciec0: 0x30000000, 256 MiB, r8a779f0.dtsi). */
export const RC_MEM_WINDOW_BASE = 0x3000_0000;

/** A resolved, checked vNTB configuration. */
export interface VntbConfig {
  /** num_mws. */
  readonly numMws: number;
  /** MW sizes (bytes). */
  readonly mwSizes: readonly number[];
  /** MW offsets in BAR2 (bytes). */
  readonly mwOffsets: readonly number[];
  /** db_count. */
  readonly dbCount: number;
  /** spad_count. */
  readonly spadCount: number;
  /** MSI vectors offered to the host. */
  readonly msiVectors: number;
  /** vbus_number. */
  readonly vbusNumber: number;
  /** Interrupt-driven host→EP doorbells (msi_doorbell). */
  readonly doorbellIrq: boolean;
}

/** One BAR as assigned by the RC. */
export interface BarInfo {
  /** BAR number. */
  readonly barNo: number;
  /** RC bus address. */
  readonly base: number;
  /** Size (bytes). */
  readonly size: number;
}

/** One memory window in the plan. */
export interface MwPlan {
  /** Offset inside BAR2 (bytes). */
  readonly offset: number;
  /** EP configfs size (bytes): the EP's window and its outbound allocation. */
  readonly size: number;
  /** Size the host sees: up to the next MW or the end of BAR2 (bytes). */
  readonly hostSize: number;
  /** EP outbound window address (`vpci_mw_phy`). */
  readonly outbound: number;
  /** Bytes reserved for it in the outbound pool. */
  readonly outboundBytes: number;
}

/** The address plan of one RC + EP pair. */
export interface EpfBarPlan {
  /** Ctrl + scratchpad BAR. */
  readonly bar0: BarInfo;
  /** Memory-window BAR. */
  readonly bar2: BarInfo;
  /** Doorbell BAR. */
  readonly bar4: BarInfo;
  /** Memory windows. */
  readonly mws: readonly MwPlan[];
  /** EP outbound address of the DWC MSI page. */
  readonly msiOutbound: number;
}

function fail(field: string, value: unknown, allowed: string, code: 'EINVAL' | 'ENOSPC' | 'ENOMEM' = 'EINVAL'): never {
  throw new EpfError(code, 'config', `${field}: got ${showValue(value)}, allowed ${allowed}`);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function isPow2(v: number): boolean {
  return v > 0 && (v & (v - 1)) === 0;
}

function roundupPow2(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}

/** Check configfs values against the EP's limits; EpfError naming the first bad field. */
export function resolveVntbConfig(options: VntbOptions, limits: { readonly epMsiVectors: number; readonly epMode: DoorbellMode }): VntbConfig {
  const sizesIn = options.mwSizes;
  const numMws = options.numMws ?? sizesIn?.length ?? 1;
  if (!isInt(numMws) || numMws < 1 || numMws > EPF_MAX_MW) fail('vntb.numMws', numMws, `1..${EPF_MAX_MW} (MAX_MW)`);
  if (sizesIn !== undefined && sizesIn.length !== numMws) fail('vntb.mwSizes', sizesIn, `${numMws} sizes (one per MW, num_mws = ${numMws})`);
  const mwSizes = sizesIn ?? new Array<number>(numMws).fill(MiB);
  mwSizes.forEach((s, i) => {
    if (!isInt(s) || s <= 0) fail(`vntb.mwSizes[${i}]`, s, 'an integer number of bytes > 0');
  });
  const offIn = options.mwOffsets;
  if (offIn !== undefined && offIn.length !== numMws) fail('vntb.mwOffsets', offIn, `${numMws} offsets (one per MW)`);
  const mwOffsets: number[] = [];
  for (let i = 0; i < numMws; i++) {
    const prev = i === 0 ? 0 : (mwOffsets[i - 1] as number) + (mwSizes[i - 1] as number);
    const off = offIn?.[i] ?? Math.ceil(prev / EPC_PAGE_BYTES) * EPC_PAGE_BYTES;
    if (!isInt(off) || off < 0 || off % EPC_PAGE_BYTES !== 0) fail(`vntb.mwOffsets[${i}]`, off, `a multiple of ${EPC_PAGE_BYTES} (4 KiB EPC alignment)`);
    if (i === 0 && off !== 0) fail('vntb.mwOffsets[0]', off, '0 (the host reads MW1_OFFSET = reserved = 0)');
    if (off < prev) fail(`vntb.mwOffsets[${i}]`, off, `≥ ${prev} (MW${i} ends there; MWs may not overlap)`);
    mwOffsets.push(off);
  }
  const dbCount = options.dbCount ?? 16;
  if (!isInt(dbCount) || dbCount < 1 || dbCount > EPF_MAX_DB_COUNT) fail('vntb.dbCount', dbCount, `1..${EPF_MAX_DB_COUNT} (MAX_DB_COUNT)`);
  if (limits.epMode === 'per-bit' && dbCount < NTB_EPF_MIN_DB_COUNT) {
    fail('vntb.dbCount', dbCount, `3..${EPF_MAX_DB_COUNT} with a per-bit EP (slots 0 and 1 are reserved, so db_count − 2 must be ≥ 1)`);
  }
  const spadCount = options.spadCount ?? 128;
  const maxSpads = Math.floor((REBAR_MIN_BYTES - EPF_CTRL_SIZE) / 8);
  if (!isInt(spadCount) || spadCount < 0 || spadCount > maxSpads) fail('vntb.spadCount', spadCount, `0..${maxSpads} (ctrl + 2 × spad_count words in the 1 MiB BAR0)`);
  const msiVectors = options.msiVectors ?? limits.epMsiVectors;
  if (!isInt(msiVectors) || msiVectors > limits.epMsiVectors) fail('vntb.msiVectors', msiVectors, `≤ ${limits.epMsiVectors} (the EP's MSI count, profile pcie.msiVectors)`);
  if (msiVectors < NTB_EPF_MIN_DB_COUNT + 1 || !isPow2(msiVectors)) {
    fail('vntb.msiVectors', msiVectors, `a power of two ≥ ${NTB_EPF_MIN_DB_COUNT + 1} (MSI multiple-message counts; the host needs NTB_EPF_MIN_DB_COUNT + 1 vectors)`);
  }
  const vbusNumber = options.vbusNumber ?? 0x10;
  if (!isInt(vbusNumber) || vbusNumber < 0 || vbusNumber > 0xff) fail('vntb.vbusNumber', vbusNumber, '0..255');
  const doorbellIrq = options.doorbellIrq ?? false;
  if (typeof doorbellIrq !== 'boolean') fail('vntb.doorbellIrq', doorbellIrq, 'true or false');
  return { numMws, mwSizes: [...mwSizes], mwOffsets, dbCount, spadCount, msiVectors, vbusNumber, doorbellIrq };
}

/** Lay out BARs and outbound windows for `config`; EpfError when a window does not fit. */
export function planBars(config: VntbConfig, options: Pick<VntbOptions, 'bar2Size' | 'bar2CeilingBytes'> = {}): EpfBarPlan {
  const ceiling = options.bar2CeilingBytes ?? BAR2_CEILING_BYTES;
  if (!isInt(ceiling) || ceiling < REBAR_MIN_BYTES) fail('vntb.bar2CeilingBytes', ceiling, `an integer ≥ ${REBAR_MIN_BYTES} (1 MiB)`);
  let end = 0;
  config.mwSizes.forEach((s, i) => (end = Math.max(end, (config.mwOffsets[i] as number) + s)));
  const bar2Size = options.bar2Size ?? Math.max(REBAR_MIN_BYTES, roundupPow2(end));
  if (!isInt(bar2Size) || !isPow2(bar2Size) || bar2Size < REBAR_MIN_BYTES) fail('vntb.bar2Size', bar2Size, 'a power of two ≥ 1 MiB (Resizable BAR sizes)');
  config.mwSizes.forEach((s, i) => {
    const off = config.mwOffsets[i] as number;
    if (off + s > bar2Size) fail(`vntb.mwSizes[${i}]`, s, `≤ ${bar2Size - off} (MW${i + 1} at offset ${off} must fit in the ${bar2Size}-byte BAR2)`);
  });
  if (bar2Size > ceiling) {
    fail('vntb.mwSizes', config.mwSizes, `a BAR2 of at most ${ceiling} bytes (the MWs end at ${end}, needing ${bar2Size}; bar2CeilingBytes = ${ceiling})`, 'ENOSPC');
  }
  const bars = [
    { barNo: 2, size: bar2Size },
    { barNo: 0, size: REBAR_MIN_BYTES },
    { barNo: 4, size: BAR4_BYTES },
  ];
  let cursor = RC_MEM_WINDOW_BASE;
  const placed = new Map<number, BarInfo>();
  for (const b of bars) {
    const base = Math.ceil(cursor / b.size) * b.size;
    placed.set(b.barNo, { barNo: b.barNo, base, size: b.size });
    cursor = base + b.size;
  }
  const pages = new Uint8Array(EP_OUTBOUND_BYTES / EPC_PAGE_BYTES);
  const take = (bytes: number, what: string): number => {
    const n = roundupPow2(Math.ceil(bytes / EPC_PAGE_BYTES));
    for (let p = 0; p + n <= pages.length; p += n) {
      if (pages.subarray(p, p + n).every((x) => x === 0)) {
        pages.fill(1, p, p + n);
        return EP_OUTBOUND_BASE + p * EPC_PAGE_BYTES;
      }
    }
    return fail(what, bytes, `outbound windows that fit the EP's ${EP_OUTBOUND_BYTES}-byte addr_space (power-of-two page regions, after the 4 KiB MSI page)`, 'ENOMEM');
  };
  const msiOutbound = take(EPC_PAGE_BYTES, 'msi page');
  const mws = config.mwSizes.map((size, i): MwPlan => {
    const offset = config.mwOffsets[i] as number;
    const next = config.mwOffsets[i + 1] ?? bar2Size;
    const outbound = take(size, `vntb.mwSizes[${i}]`);
    return { offset, size, hostSize: next - offset, outbound, outboundBytes: roundupPow2(Math.ceil(size / EPC_PAGE_BYTES)) * EPC_PAGE_BYTES };
  });
  return { bar0: placed.get(0) as BarInfo, bar2: placed.get(2) as BarInfo, bar4: placed.get(4) as BarInfo, mws, msiOutbound };
}
