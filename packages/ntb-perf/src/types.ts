/**
 * Contracts of ntb_perf: its module parameters and what a test run leaves behind per thread.
 */
import type { NtbClient } from '@ntbsim/ntb-core';
import type { NtbPerf } from './perf.js';

/** Module parameters (drivers/ntb/test/ntb_perf.c module_param), after `perf_init`'s clamping. */
export interface PerfParams {
  /** `max_mw_size`: upper limit of an outbound window (bytes); 0 = the window's size. */
  readonly maxMwSize: number;
  /** `chunk_order`: each copy moves 2^chunk_order bytes (a u8; module init reduces it to 20, 1 MiB). Default 19. */
  readonly chunkOrder: number;
  /** `total_order`: each thread copies 2^total_order bytes in all (a u8; raised to chunk_order). Default 30. */
  readonly totalOrder: number;
  /** `use_dma`: copy with a DMA_MEMCPY channel instead of memcpy_toio. Default false. */
  readonly useDma: boolean;
}

/** One test thread's outcome (struct perf_thread). */
export interface PerfThreadStats {
  /** Thread index. */
  readonly tidx: number;
  /** 0, or a negative errno: -ENODATA when the thread did not run (not printed), -EINTR when the test was terminated, -ENODEV without a DMA channel, -EIO when DMA could not be prepared. */
  readonly status: number;
  /** Bytes copied (u64 in the kernel). */
  readonly copied: number;
  /** From the first copy to the last one's completion (ns). */
  readonly durationNs: number;
}

/** Options of `createNtbPerfClient`. */
export interface NtbPerfOptions {
  /** Module parameters (validated; `perf_init` clamps the orders and logs it). */
  readonly params?: Partial<PerfParams>;
  /** Copy real bytes (random, as `get_random_bytes` fills the source) instead of lengths only. Default false. */
  readonly functional?: boolean;
}

/** The client with its per-device instances (`ntb_register_client(&perf_client)`). */
export interface NtbPerfClient extends NtbClient {
  /** The module parameters after `perf_init`'s clamping. */
  readonly params: PerfParams;
  /** The pr_info lines `perf_init` printed (orders reduced). */
  readonly initLog: readonly string[];
  /** ntb_perf on each bound device, by device name. */
  readonly instances: ReadonlyMap<string, NtbPerf>;
}
