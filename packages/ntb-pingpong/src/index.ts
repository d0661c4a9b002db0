export { createNtbPingpongClient, DEFAULT_PINGPONG_PARAMS } from './client.js';
export { genmask, NtbPingpong } from './pingpong.js';
export type { NtbPingpongClient, PingpongParams } from './types.js';
