/**
 * Module parameters: the kernel's defaults, and validation that names the parameter, the
 * value and what is allowed (the kernel's own types: uint, ulong, byte, bool).
 */
import { showValue } from '@ntbsim/kernel';
import { TransportError } from './errors.js';
import type { TransportParams } from './types.js';

/** ntb_transport's defaults (drivers/ntb/ntb_transport.c module_param). */
export const DEFAULT_TRANSPORT_PARAMS: TransportParams = {
  transportMtu: 0x10000,
  maxMwSize: 0,
  maxNumClients: 0,
  copyBytes: 1024,
  useDma: false,
  useTxDma: false,
  useRxDma: false,
  numTxDmaChan: 1,
  numRxDmaChan: 1,
  useMsi: false,
  txMemcpyOffload: false,
  flushDoneFlag: true,
  clearRxRingOnQpLink: false,
  ignoreLinkEventWhenUp: false,
  qpLinksOwnBits: false,
  dmaSyncTx: false,
  rxDmaFallbackOwnSlot: false,
};

/** The size of `struct ntb_payload_header` (ver, len, flags), bytes. */
export const PAYLOAD_HEADER_SIZE = 12;

const U32_MAX = 0xffffffff;

/** Smallest non-zero `max_mw_size` accepted (bytes): one page, the EPF window alignment. */
export const MIN_MAX_MW_SIZE = 4096;

type Checker = (v: unknown) => string | null;

const uint = (min: number, max: number): Checker => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : `an integer in ${min}..${max}`;
const bool: Checker = (v) => (typeof v === 'boolean' ? null : 'a boolean (Y/N, 1/0, true/false)');

const CHECKS: Record<keyof TransportParams, Checker> = {
  transportMtu: uint(PAYLOAD_HEADER_SIZE + 1, U32_MAX),
  maxMwSize: (v) => (v === 0 || uint(MIN_MAX_MW_SIZE, Number.MAX_SAFE_INTEGER)(v) === null ? null : `0 (no cap) or an integer in ${MIN_MAX_MW_SIZE}..${Number.MAX_SAFE_INTEGER} (one 4 KiB page at least: a smaller window leaves the kernel's ring sizes to underflow)`),
  maxNumClients: uint(0, 255),
  copyBytes: uint(0, U32_MAX),
  useDma: bool,
  useTxDma: bool,
  useRxDma: bool,
  numTxDmaChan: uint(0, U32_MAX),
  numRxDmaChan: uint(0, U32_MAX),
  useMsi: bool,
  txMemcpyOffload: bool,
  flushDoneFlag: bool,
  clearRxRingOnQpLink: bool,
  ignoreLinkEventWhenUp: bool,
  qpLinksOwnBits: bool,
  dmaSyncTx: bool,
  rxDmaFallbackOwnSlot: bool,
};

/** The kernel's parameter names, for messages (`transport_mtu`, …). */
export const KERNEL_PARAM_NAMES: Record<keyof TransportParams, string> = {
  transportMtu: 'transport_mtu',
  maxMwSize: 'max_mw_size',
  maxNumClients: 'max_num_clients',
  copyBytes: 'copy_bytes',
  useDma: 'use_dma',
  useTxDma: 'use_tx_dma',
  useRxDma: 'use_rx_dma',
  numTxDmaChan: 'num_tx_dma_chan',
  numRxDmaChan: 'num_rx_dma_chan',
  useMsi: 'use_msi',
  txMemcpyOffload: 'tx_memcpy_offload',
  flushDoneFlag: 'flush_done_flag',
  clearRxRingOnQpLink: 'clear_rx_ring_on_qp_link',
  ignoreLinkEventWhenUp: 'ignore_link_event_when_up',
  qpLinksOwnBits: 'qp_links_own_bits',
  dmaSyncTx: 'dma_sync_tx',
  rxDmaFallbackOwnSlot: 'rx_dma_fallback_own_slot',
};

/** Check `value` for parameter `key`; throws TransportError (EINVAL) naming the parameter and what it allows. */
function checkParam(key: string, value: unknown): void {
  const check = CHECKS[key as keyof TransportParams] as Checker | undefined;
  if (check === undefined) {
    // The keys are the camelCase fields of TransportParams; a kernel name given as a key is pointed at its field.
    const field = Object.entries(KERNEL_PARAM_NAMES).find(([, name]) => name === key)?.[0];
    const hint = field === undefined ? '' : ` (the kernel's ${key} is the field ${field})`;
    throw new TransportError('EINVAL', `unknown parameter ${key}${hint}; known: ${Object.keys(KERNEL_PARAM_NAMES).join(', ')}`);
  }
  const allowed = check(value);
  if (allowed !== null) {
    throw new TransportError('EINVAL', `ntb_transport.${KERNEL_PARAM_NAMES[key as keyof TransportParams]}: got ${showValue(value)}, allowed ${allowed}`);
  }
}

/** Defaults overridden by `overrides`, validated; throws TransportError (EINVAL) naming the bad parameter. */
export function transportParams(overrides: Partial<Record<keyof TransportParams, unknown>> = {}): TransportParams {
  const out: Record<string, unknown> = { ...DEFAULT_TRANSPORT_PARAMS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    checkParam(key, value);
    out[key] = value;
  }
  return out as unknown as TransportParams;
}

/**
 * The parameters the transport reads only when it probes a device: `max_num_clients` caps
 * qp_count there, and `use_msi` is looked at there alone (the model's devices have no NTB MSI,
 * so it never takes effect). Every other one is read where it is used — per frame
 * (`copy_bytes`, `tx_memcpy_offload`), at each link-up (`transport_mtu`, `max_mw_size`, which
 * the probe also read for the TX rings, kept at that size), at each queue creation (the DMA
 * ones) — so a change after probe applies from then on.
 */
export const PROBE_TIME_PARAMS: ReadonlySet<keyof TransportParams> = new Set<keyof TransportParams>(['maxNumClients', 'useMsi']);

/**
 * @internal Set `key` in the module's parameters `params` (a write to
 * /sys/module/ntb_transport/parameters/<name>): EPERM for a PROBE_TIME_PARAMS one, whatever the
 * value (nothing would read it again), else EINVAL for a value it does not allow.
 */
export function setTransportParam(params: TransportParams, key: keyof TransportParams, value: unknown): void {
  if (PROBE_TIME_PARAMS.has(key)) throw new TransportError('EPERM', `ntb_transport.${KERNEL_PARAM_NAMES[key]}: read only when a device is probed; the loaded module would never use a new value`);
  checkParam(key, value);
  (params as unknown as Record<string, unknown>)[key] = value;
}
