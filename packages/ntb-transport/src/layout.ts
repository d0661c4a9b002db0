/**
 * The memory layout of ntb_transport (byte-compatible with the kernel): how many memory
 * windows and queue pairs a device gets, and where each QP's ring lives in its window.
 *
 * A QP region is `size / num_qps_mw` bytes at `region * (qp / mw_count)` in window
 * `qp % mw_count`. Its last 4 bytes hold `struct ntb_rx_info` (the consumer index the peer
 * reports back). The rest is split into `max_entry` slots of `max_frame = min(transport_mtu,
 * (region - 4) / 2)` bytes; each slot ends with the 12-byte `struct ntb_payload_header`
 * {ver, len, flags} (little-endian u32s), the payload starting at the slot start.
 */
import { PAYLOAD_HEADER_SIZE } from './params.js';

/** Scratchpad indices (enum in ntb_transport.c). */
export const SPAD = { VERSION: 0, QP_LINKS: 1, NUM_QPS: 2, NUM_MWS: 3, MW0_SZ_HIGH: 4, MW0_SZ_LOW: 5 } as const;

/** NTB_TRANSPORT_VERSION. */
export const NTB_TRANSPORT_VERSION = 4;
/** NTB_TRANSPORT_MIN_SPADS = MW0_SZ_HIGH + 2. */
export const NTB_TRANSPORT_MIN_SPADS = SPAD.MW0_SZ_HIGH + 2;
/** NTB_QP_DEF_NUM_ENTRIES: receive entries allocated per QP at create time. */
export const NTB_QP_DEF_NUM_ENTRIES = 100;
/** NTB_LINK_DOWN_TIMEOUT: link retry period and link-down send attempts (ms / count). */
export const NTB_LINK_DOWN_TIMEOUT = 10;
/** sizeof(struct ntb_rx_info), bytes. */
export const RX_INFO_SIZE = 4;
/** DESC_DONE_FLAG. */
export const DESC_DONE_FLAG = 1 << 0;
/** LINK_DOWN_FLAG. */
export const LINK_DOWN_FLAG = 1 << 1;
/** Header field offsets inside `struct ntb_payload_header`. */
export const HDR = { VER: 0, LEN: 4, FLAGS: 8 } as const;

/** Inputs of the probe-time counts. */
export interface CountInputs {
  /** ntb_peer_mw_count. */
  readonly peerMwCount: number;
  /** ntb_spad_count. */
  readonly spadCount: number;
  /** ntb_db_valid_mask. */
  readonly dbValidMask: number;
  /** max_num_clients. */
  readonly maxNumClients: number;
  /** Whether MSI took the last MW and the top doorbell bit. */
  readonly msi: boolean;
}

/** Probe-time counts (ntb_transport_probe). */
export interface Counts {
  /** Memory windows used. */
  readonly mwCount: number;
  /** Queue pairs. */
  readonly qpCount: number;
  /** Doorbell bits of the QPs (qp_bitmap). */
  readonly qpBitmap: number;
  /** The MSI doorbell bit (0 without MSI). */
  readonly msiDbMask: number;
}

/** ilog2 of a positive 32-bit value (index of its highest set bit); -1 for 0. */
export function ilog2(v: number): number {
  return 31 - Math.clz32(v >>> 0);
}

/** Compute mw_count, qp_count and qp_bitmap as ntb_transport_probe does; null when spads are too few (-EINVAL). */
export function transportCounts(inp: CountInputs): Counts | null {
  if (inp.spadCount < NTB_TRANSPORT_MIN_SPADS) return null;
  const mwAvail = inp.peerMwCount - (inp.msi ? 1 : 0);
  const maxMwForSpads = Math.floor((inp.spadCount - SPAD.MW0_SZ_HIGH) / 2);
  const mwCount = Math.min(mwAvail, maxMwForSpads);
  let qpCount = Math.max(0, ilog2(inp.dbValidMask));
  let msiDbMask = 0;
  if (inp.msi) {
    qpCount -= 1;
    msiDbMask = (1 << qpCount) >>> 0;
  }
  if (inp.maxNumClients !== 0 && inp.maxNumClients < qpCount) qpCount = inp.maxNumClients;
  else if (mwCount < qpCount) qpCount = mwCount;
  const qpBitmap = (inp.dbValidMask & (qpCount >= 32 ? 0xffffffff : (1 << qpCount) - 1)) >>> 0;
  return { mwCount, qpCount, qpBitmap, msiDbMask };
}

/** One QP's ring geometry inside a window (either the TX or the RX view). */
export interface QpRing {
  /** Window index (QP_TO_MW). */
  readonly mw: number;
  /** Offset of the QP region in the window (bytes). */
  readonly offset: number;
  /** Ring bytes before `rx_info` (region size − 4). */
  readonly size: number;
  /** Offset of `struct ntb_rx_info` in the window (bytes). */
  readonly rxInfoOffset: number;
  /** Slot size including the header (bytes). */
  readonly maxFrame: number;
  /** Number of slots. */
  readonly maxEntry: number;
}

/** QPs sharing window `mwNum` (num_qps_mw). */
export function numQpsInMw(mwNum: number, qpCount: number, mwCount: number): number {
  return Math.floor(qpCount / mwCount) + (mwNum < qpCount % mwCount ? 1 : 0);
}

/** Ring geometry of `qpNum` in a window of `windowSize` bytes (ntb_transport_init_queue / setup_qp_mw). */
export function qpRing(opts: { readonly qpNum: number; readonly qpCount: number; readonly mwCount: number; readonly windowSize: number; readonly transportMtu: number }): QpRing {
  const mw = opts.qpNum % opts.mwCount;
  const regionSize = Math.floor(opts.windowSize / numQpsInMw(mw, opts.qpCount, opts.mwCount)) >>> 0;
  const offset = regionSize * Math.floor(opts.qpNum / opts.mwCount);
  const size = regionSize - RX_INFO_SIZE;
  const maxFrame = Math.min(opts.transportMtu, Math.floor(size / 2));
  return { mw, offset, size, rxInfoOffset: offset + size, maxFrame, maxEntry: Math.floor(size / maxFrame) };
}

/** Offset of slot `i`'s header in its window (bytes). */
export function slotHeaderOffset(ring: QpRing, i: number): number {
  return ring.offset + ring.maxFrame * (i + 1) - PAYLOAD_HEADER_SIZE;
}

/** round_up(x, align) for a power-of-two or any positive align. */
export function roundUp(x: number, align: number): number {
  return align <= 1 ? x : Math.ceil(x / align) * align;
}
