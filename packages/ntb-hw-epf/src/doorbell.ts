/**
 * The EPF doorbell protocol: how doorbell bits map to DB BAR slots and MSI vectors in the two
 * code states (kernel-ntb-epf-hw.md §3). The wire mapping is the same in both modes; what
 * differs is how each side reports bits and vectors to its NTB client.
 *
 * Slots and MSI vectors (0-based vector index = 1-based MSI number − 1):
 * slot/vector 0 = link event, 1 = unused (the historical extra +1), 2 = DB#0, 3 = DB#1, …
 *
 * host → EP (ntb_epf_peer_db_set, both modes): only the lowest set bit is rung;
 * `slot = ffs(bits) + 1` (bit b → slot b + 2), rejected when `slot > db_count` (host
 * db_count = nvec − 1); the host reads DB_ENTRY_SIZE, DB_DATA(slot), DB_OFFSET(slot) (three
 * non-posted reads) and writes DB_DATA(slot) at `slot * entry_size + offset` in the DB BAR.
 * The EP's cmd-handler work polls the slots every `msecs_to_jiffies(5)` (2 jiffies at HZ 250)
 * and clears the ones it finds set:
 * - legacy vNTB: slots 1..db_count−1, slot i → bit i−1, `ntb_db_event(i)` (host bit b
 *   arrives as EP bit b+1 on vector b+2);
 * - per-bit vNTB: slots 2..db_count−1, slot i → bit i−2, `ntb_db_event(i−2)` (host bit b
 *   arrives as EP bit b on vector b).
 *
 * EP → host (pci_epc_raise_irq, 1-based MSI number):
 * - legacy vNTB: only the lowest set bit, MSI `ffs(bits) + 2`, raised in the caller's context;
 * - per-bit vNTB: bits masked by db_valid_mask and ORed into `peer_db_pending`; `peer_db_work`
 *   drains snapshots (budget 5 per run, re-queued if more) and raises MSI `bit + 3` for every
 *   set bit.
 * Either way EP bit b arrives as host vector b+2. The host ISR (irq_no = vector index):
 * - legacy host: `db_val = irq_no + 1` (a vector number), vector 0 → link event, else
 *   `ntb_db_event(irq_no)` (EP bit b → vector b+2);
 * - per-bit host: vector 0 → link event, 1 → warning only, else `v = irq_no − 2`,
 *   `db_val |= BIT(v)`, `ntb_db_event(v)` (EP bit b → vector b), ignoring v ≥ db_count − 1.
 *
 * Valid masks and vector ops:
 * - legacy: `db_valid_mask = BIT(db_count) − 1` on both sides, no db_vector_count/mask, so the
 *   NTB core falls back to one vector covering every bit (every doorbell kicks every QP);
 * - per-bit host: `db_valid_mask = BIT(db_count − 1) − 1`, `db_vector_count = db_count − 1`;
 *   per-bit vNTB: `db_valid_mask = BIT(db_count − 2) − 1`, `db_vector_count = db_count − 2`;
 *   `db_vector_mask(v) = BIT(v)` for valid v, else 0.
 */
import { showValue } from '@ntbsim/kernel';
import { EpfError } from './errors.js';
import type { DoorbellMode } from './types.js';

/** The doorbell modes. */
export const DOORBELL_MODES: readonly DoorbellMode[] = ['legacy', 'per-bit'];

/** Slot / vector of the link event (EPF_IRQ_LINK). */
export const EPF_IRQ_LINK = 0;
/** The historically unused slot / vector (EPF_IRQ_RESERVED_DB). */
export const EPF_IRQ_RESERVED_DB = 1;
/** First doorbell slot / vector (EPF_IRQ_DB_START). */
export const EPF_IRQ_DB_START = 2;
/** Snapshots drained per peer_db_work run (VNTB_PEER_DB_WORK_BUDGET). */
export const VNTB_PEER_DB_WORK_BUDGET = 5;

/** Check a doorbell mode; EpfError naming `field` when it is unknown. */
export function checkDoorbellMode(mode: unknown, field: string): DoorbellMode {
  if (mode === 'legacy' || mode === 'per-bit') return mode;
  throw new EpfError('EINVAL', 'doorbell', `${field}: got ${showValue(mode)}, allowed ${DOORBELL_MODES.join(' or ')}`);
}

/** ffs(): 1-based index of the lowest set bit, 0 when none (32-bit masks). */
export function ffs(bits: number): number {
  const b = bits >>> 0;
  return b === 0 ? 0 : 32 - Math.clz32(b & -b);
}

/** BIT_ULL(n) − 1 for n in 0..32, as an unsigned 32-bit mask (0 for n ≤ 0). */
export function lowMask(n: number): number {
  if (n <= 0) return 0;
  if (n >= 32) return 0xffffffff;
  return ((1 << n) >>> 0) - 1;
}

/** DB BAR slot the host rings for `bits` (ffs(bits) + 1; bit b → slot b + 2, no bit → slot 1). */
export function hostPeerDbSlot(bits: number): number {
  return ffs(bits) + 1;
}

/** Host db_valid_mask for host `db_count` (= nvec − 1). */
export function hostDbValidMask(mode: DoorbellMode, dbCount: number): number {
  return mode === 'legacy' ? lowMask(dbCount) : lowMask(dbCount - 1);
}

/** Host db_vector_count (per-bit only; 0 when db_count < NTB_EPF_MIN_DB_COUNT). */
export function hostDbVectorCount(dbCount: number): number {
  return dbCount < 3 ? 0 : dbCount - 1;
}

/** What the host ISR does for MSI vector index `irqNo`. */
export type HostIsrAction =
  | { readonly kind: 'link' }
  | { readonly kind: 'db'; readonly vector: number; readonly bit: number }
  | { readonly kind: 'ignored'; readonly reason: 'reserved' | 'out-of-range' };

/** The host ISR decision for vector `irqNo` (ntb_epf_vec_isr). In legacy mode `bit` is unused (db_val = irqNo + 1). */
export function hostIsrAction(mode: DoorbellMode, irqNo: number, dbCount: number): HostIsrAction {
  if (irqNo === EPF_IRQ_LINK) return { kind: 'link' };
  if (mode === 'legacy') return { kind: 'db', vector: irqNo, bit: -1 };
  if (irqNo === EPF_IRQ_RESERVED_DB) return { kind: 'ignored', reason: 'reserved' };
  const v = irqNo - EPF_IRQ_DB_START;
  if (dbCount < 3 || v >= dbCount - 1) return { kind: 'ignored', reason: 'out-of-range' };
  return { kind: 'db', vector: v, bit: v };
}

/** First DB slot the vNTB poll loop scans (legacy 1, per-bit EPF_IRQ_DB_START). */
export function epPollFirstSlot(mode: DoorbellMode): number {
  return mode === 'legacy' ? 1 : EPF_IRQ_DB_START;
}

/** EP doorbell bit and ntb_db_event vector for polled slot `slot`. */
export function epSlotEvent(mode: DoorbellMode, slot: number): { readonly bit: number; readonly vector: number } {
  return mode === 'legacy' ? { bit: slot - 1, vector: slot } : { bit: slot - EPF_IRQ_DB_START, vector: slot - EPF_IRQ_DB_START };
}

/** vNTB db_valid_mask for configfs `db_count`. */
export function epDbValidMask(mode: DoorbellMode, dbCount: number): number {
  return mode === 'legacy' ? lowMask(dbCount) : lowMask(dbCount - EPF_IRQ_DB_START);
}

/** vNTB db_vector_count (per-bit only). */
export function epDbVectorCount(dbCount: number): number {
  return Math.max(0, dbCount - EPF_IRQ_DB_START);
}

/** 1-based MSI number the legacy vNTB raises for `bits` (ffs(bits) + 2). */
export function epLegacyMsi(bits: number): number {
  return ffs(bits) + 2;
}

/** 1-based MSI number the per-bit vNTB raises for doorbell bit `bit` (bit + 3). */
export function epPerBitMsi(bit: number): number {
  return bit + 3;
}
