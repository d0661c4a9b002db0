export { createNtbBus, logProbeFailure, NtbBus } from './bus.js';
export { createNtbDev, NtbDev } from './device.js';
export { NtbError, type NtbErrorCode } from './errors.js';
export type {
  DmaBuffer,
  DmaChannel,
  DmaCookie,
  IoWindow,
  NtbClient,
  NtbCtxOps,
  NtbDevice,
  NtbDevOps,
  NtbDevOptions,
  NtbDone,
  NtbLinkState,
  NtbMwAlign,
  NtbMwTrans,
  NtbSpeed,
  NtbTopo,
  NtbWidth,
} from './types.js';
