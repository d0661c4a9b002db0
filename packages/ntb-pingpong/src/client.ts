/**
 * The ntb_pingpong module (pp_init / pp_exit): a client of the NTB bus with the module
 * parameters it was loaded with, an instance per device it binds.
 */
import type { NtbDevice } from '@ntbsim/ntb-core';
import { NtbPingpong } from './pingpong.js';
import type { NtbPingpongClient, PingpongParams } from './types.js';

/** The module parameters' defaults (`delay_ms` 1000, `unsafe` 0). */
export const DEFAULT_PINGPONG_PARAMS: PingpongParams = { delayMs: 1000, unsafe: 0 };

/** The ntb_pingpong client with `params` (defaults for what is not given): register it on an NTB bus to probe its devices. */
export function createNtbPingpongClient(params: Partial<PingpongParams> = {}): NtbPingpongClient {
  const p: PingpongParams = { ...DEFAULT_PINGPONG_PARAMS, ...params };
  const instances = new Map<string, NtbPingpong>();
  const log: string[] = [];
  return {
    name: 'ntb_pingpong',
    instances,
    params: p,
    log,
    probe(dev: NtbDevice): number {
      const check = NtbPingpong.check(dev, p);
      // dev_err: the same `<driver> <device>: ` line in the kernel log as dev_info, at another level.
      if (check.log !== null) log.push(dev.devInfo(check.log));
      if (check.rc !== 0) return check.rc;
      const pp = new NtbPingpong(dev, p);
      const rc = pp.attach();
      if (rc !== 0) return rc;
      instances.set(dev.name, pp);
      return 0;
    },
    remove(dev: NtbDevice): void {
      instances.get(dev.name)?.remove();
      instances.delete(dev.name);
    },
  };
}
