/**
 * The ntb_netdev module: registers the `ntb_netdev` client device and driver on a host's
 * ntb_transport bus (ntb_netdev_init_module) and probes one NtbNetdev per transport.
 */
import { ERRNO } from '@ntbsim/kernel';
import type { NetStack } from '@ntbsim/net-core';
import type { TransportBus, TransportClientDev, TransportClientDriver } from '@ntbsim/ntb-transport';
import { NtbNetdevError } from './errors.js';
import { NtbNetdev, validateNtbNetdevOptions } from './netdev.js';
import type { NtbNetdevModule, NtbNetdevOptions } from './types.js';

/**
 * `modprobe ntb_netdev`: register on `bus`, creating a netdev on `stack` for each transport;
 * 0-or-errno rc in `rc` (-ENODEV without a transport, -EEXIST when already loaded on `bus`). A
 * transport without a free queue pair fails that device's probe with -EIO (no netdev; the
 * module still loads, as the kernel logs the failed probe and keeps the driver). Bad options
 * throw NtbNetdevError (EINVAL) before anything is registered; any other throw from a probe
 * unregisters what the load registered before it propagates.
 */
export function loadNtbNetdev(bus: TransportBus, stack: NetStack, options: NtbNetdevOptions = {}): NtbNetdevModule & { readonly rc: number } {
  validateNtbNetdevOptions(options);
  const devices = new Map<string, NtbNetdev>();
  const driver: TransportClientDriver = {
    name: 'ntb_netdev',
    probe(dev: TransportClientDev): number {
      try {
        devices.set(dev.name, new NtbNetdev(dev.transport, stack, { ...options, name: options.name ?? `ntb${devices.size}`, clientDev: dev.name }));
      } catch (e) {
        if (e instanceof NtbNetdevError) return -ERRNO[e.code];
        throw e;
      }
      return 0;
    },
    remove(dev: TransportClientDev): void {
      const nd = devices.get(dev.name);
      if (nd === undefined) return;
      nd.ndev.close();
      for (const q of nd.queues) nd.transport.freeQueue(q.qp);
      stack.unregisterNetdev(nd.ndev);
      devices.delete(dev.name);
    },
  };
  let rc: number;
  try {
    rc = bus.registerClientDev('ntb_netdev');
    if (rc === 0) {
      rc = bus.registerClient(driver);
      if (rc !== 0) bus.unregisterClientDev('ntb_netdev');
    }
  } catch (e) {
    bus.unregisterClient(driver);
    bus.unregisterClientDev('ntb_netdev');
    throw e;
  }
  const loaded = rc === 0;
  return {
    driver,
    devices,
    rc,
    unload() {
      if (!loaded) return;
      bus.unregisterClient(driver);
      bus.unregisterClientDev('ntb_netdev');
    },
  };
}
