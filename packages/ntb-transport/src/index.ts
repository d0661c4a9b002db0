export { TransportError, type TransportErrorCode } from './errors.js';
export {
  DESC_DONE_FLAG,
  HDR,
  ilog2,
  LINK_DOWN_FLAG,
  NTB_LINK_DOWN_TIMEOUT,
  NTB_QP_DEF_NUM_ENTRIES,
  NTB_TRANSPORT_MIN_SPADS,
  NTB_TRANSPORT_VERSION,
  numQpsInMw,
  qpRing,
  RX_INFO_SIZE,
  slotHeaderOffset,
  SPAD,
  transportCounts,
  type CountInputs,
  type Counts,
  type QpRing,
} from './layout.js';
export { DEFAULT_TRANSPORT_PARAMS, KERNEL_PARAM_NAMES, MIN_MAX_MW_SIZE, PAYLOAD_HEADER_SIZE, PROBE_TIME_PARAMS, transportParams } from './params.js';
export { QpDma, TransportQp } from './qp.js';
export { formatQpStats } from './stats.js';
export { createNtbTransportClient, NtbTransport, TransportBus, type NtbTransportClient } from './transport.js';
export type {
  QpStats,
  QueueHandlers,
  TransportClientDev,
  TransportClientDriver,
  TransportClientOptions,
  TransportParams,
  TransportQueue,
} from './types.js';
