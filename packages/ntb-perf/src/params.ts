/**
 * ntb_perf's module parameters: the kernel's defaults and types (`max_mw_size` ulong,
 * `chunk_order` and `total_order` byte, `use_dma` bool), and `perf_init`'s clamping of the
 * orders, which it logs.
 */
import { showValue } from '@ntbsim/kernel';
import { PerfError } from './errors.js';
import type { PerfParams } from './types.js';

/** ntb_perf's defaults: 512 KiB chunks, 1 GiB per thread, CPU copies, no window limit. */
export const DEFAULT_PERF_PARAMS: PerfParams = { maxMwSize: 0, chunkOrder: 19, totalOrder: 30, useDma: false };

/** MAX_CHUNK_ORDER: chunks are at most 1 MiB (2^20 bytes). */
export const MAX_CHUNK_ORDER = 20;

/** The kernel's parameter names, for messages. */
export const PERF_PARAM_NAMES: Readonly<Record<keyof PerfParams, string>> = {
  maxMwSize: 'max_mw_size',
  chunkOrder: 'chunk_order',
  totalOrder: 'total_order',
  useDma: 'use_dma',
};

const isU8 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;

/**
 * Defaults overridden by `overrides`, type-checked (PerfError EINVAL naming the parameter and
 * what is allowed), then clamped as `perf_init` does: chunk_order above 20 becomes 20 and
 * total_order below chunk_order becomes chunk_order; `log` holds the pr_info lines it prints.
 */
export function perfParams(overrides: Partial<Record<keyof PerfParams, unknown>> = {}): { readonly params: PerfParams; readonly log: readonly string[] } {
  const p: { -readonly [K in keyof PerfParams]: PerfParams[K] } = { ...DEFAULT_PERF_PARAMS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const name = PERF_PARAM_NAMES[key as keyof PerfParams] as string | undefined;
    if (name === undefined) throw new PerfError('EINVAL', `unknown parameter ${key}; known: ${Object.values(PERF_PARAM_NAMES).join(', ')}`);
    if (key === 'useDma') {
      if (typeof value !== 'boolean') throw new PerfError('EINVAL', `ntb_perf.use_dma: got ${showValue(value)}, allowed a boolean`);
      p.useDma = value;
    } else if (key === 'maxMwSize') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new PerfError('EINVAL', `ntb_perf.max_mw_size: got ${showValue(value)}, allowed an integer ≥ 0 (bytes; 0 = no limit)`);
      p.maxMwSize = value;
    } else {
      if (!isU8(value)) throw new PerfError('EINVAL', `ntb_perf.${name}: got ${showValue(value)}, allowed an integer in 0..255 (a byte parameter)`);
      if (key === 'chunkOrder') p.chunkOrder = value;
      else p.totalOrder = value;
    }
  }
  const log: string[] = [];
  if (p.chunkOrder > MAX_CHUNK_ORDER) {
    p.chunkOrder = MAX_CHUNK_ORDER;
    log.push(`Chunk order reduced to ${p.chunkOrder}`);
  }
  if (p.totalOrder < p.chunkOrder) {
    p.totalOrder = p.chunkOrder;
    log.push(`Total data order reduced to ${p.totalOrder}`);
  }
  return { params: p, log };
}
