/**
 * Contracts of ntb_pingpong: its module parameters and the client with its per-device instances.
 */
import type { NtbClient } from '@ntbsim/ntb-core';
import type { NtbPingpong } from './pingpong.js';

/** ntb_pingpong's module parameters (`modprobe ntb_pingpong delay_ms=N unsafe=N`). */
export interface PingpongParams {
  /** `delay_ms` (uint, default 1000): milliseconds between a doorbell taken and the answer to the peer. */
  readonly delayMs: number;
  /** `unsafe` (uint, default 0): run even though the device says its doorbell or scratchpad access is unsafe. */
  readonly unsafe: number;
}

/** The ntb_pingpong client with its instances (`ntb_register_client(&pp_client)` of pp_init). */
export interface NtbPingpongClient extends NtbClient {
  /** ntb_pingpong on each bound device, by device name (its debugfs directory `ntb_pingpong/<name>/`). */
  readonly instances: ReadonlyMap<string, NtbPingpong>;
  /** The parameters the module was loaded with. */
  readonly params: PingpongParams;
  /** What the module's probes logged with dev_err (`<driver> <device>: <text>`, as dmesg shows it), oldest first. */
  readonly log: readonly string[];
}
