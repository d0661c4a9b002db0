export { loadNtbNetdev } from './driver.js';
export { NtbNetdevError, type NtbNetdevErrorCode } from './errors.js';
export { frameHeaderLength, NTB_NETDEV_MAX_QUEUES, NTB_NETDEV_VER, NTB_RXQ_SIZE, NtbNetdev, NtbNetdevQueue, TIMING_HEADER_BYTES, TX_START, TX_STOP, TX_TIME_US, validateNtbNetdevOptions } from './netdev.js';
export type { NtbNetdevModule, NtbNetdevOptions, NtbNetdevVariant, NtbQueueStats, PayloadMode, WakeTimerKind } from './types.js';
