export { PerfError, type PerfErrorCode } from './errors.js';
export { DEFAULT_PERF_PARAMS, MAX_CHUNK_ORDER, PERF_PARAM_NAMES, perfParams } from './params.js';
export { createNtbPerfClient, formatPa, MAX_THREADS_CNT, MSG_RETRY_NS, MSG_TRIES, NtbPerf, PERF_CMD, PERF_CMD_INVAL, PERF_SPAD } from './perf.js';
export type { NtbPerfClient, NtbPerfOptions, PerfParams, PerfThreadStats } from './types.js';
