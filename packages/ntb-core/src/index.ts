export { createNtbBus, NtbBus } from './bus.js';
export { createNtbDev, NtbDev, type NtbDevOptions } from './device.js';
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
  NtbDone,
  NtbLinkState,
  NtbMwAlign,
  NtbMwTrans,
  NtbSpeed,
  NtbTopo,
  NtbWidth,
} from './types.js';
