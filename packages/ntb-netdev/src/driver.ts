/**
 * The ntb_netdev module: registers the `ntb_netdev` client device and driver on a host's
 * ntb_transport bus (ntb_netdev_init_module) and probes one NtbNetdev per transport.
 */
import type { NetStack } from '@ntbsim/net-core';
import type { TransportBus, TransportClientDev, TransportClientDriver } from '@ntbsim/ntb-transport';
import { NtbNetdev } from './netdev.js';
import type { NtbNetdevOptions } from './types.js';

/** A loaded ntb_netdev module: its driver and the devices it probed. */
export interface NtbNetdevModule {
  /** The transport client driver (struct ntb_transport_client). */
  readonly driver: TransportClientDriver;
  /** Probed devices by client device name (`ntb_netdev0`, …). */
  readonly devices: Map<string, NtbNetdev>;
  /** Unload: unregister the driver and the client devices (ntb_netdev_exit_module). */
  unload(): void;
}

/** `modprobe ntb_netdev`: register on `bus`, creating a netdev on `stack` for each transport; 0-or-errno rc in `rc`. */
export function loadNtbNetdev(bus: TransportBus, stack: NetStack, options: NtbNetdevOptions = {}): NtbNetdevModule & { readonly rc: number } {
  const devices = new Map<string, NtbNetdev>();
  const driver: TransportClientDriver = {
    name: 'ntb_netdev',
    probe(dev: TransportClientDev): number {
      const nd = new NtbNetdev(dev.transport, stack, { ...options, name: options.name ?? `ntb${devices.size}` });
      devices.set(dev.name, nd);
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
  let rc = bus.registerClientDev('ntb_netdev');
  if (rc === 0) rc = bus.registerClient(driver);
  return {
    driver,
    devices,
    rc,
    unload() {
      bus.unregisterClient(driver);
      bus.unregisterClientDev('ntb_netdev');
    },
  };
}
