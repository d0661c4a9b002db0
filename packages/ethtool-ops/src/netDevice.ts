/**
 * A @ntbsim/net-core `NetDevice` as the ethtool core sees a net_device: dev->name, dev->ethtool_ops
 * (the driver's table the device carries; none is default_ethtool_ops, an empty one),
 * netif_running, the real queue counts, the feature sets with `__netdev_update_features`,
 * dev->perm_addr, and the parent device when the caller knows it.
 */
import type { NetDevice } from '@ntbsim/net-core';
import type { EthtoolDevice, EthtoolOps } from './types.js';

/** `dev` as an EthtoolDevice; `parent` is dev->dev.parent (its name and bound driver) when there is one. */
export function netdevEthtoolDevice(dev: NetDevice, parent?: EthtoolDevice['parent']): EthtoolDevice {
  return {
    name: dev.name,
    get ethtoolOps() {
      return (dev.ethtoolOps as EthtoolOps | undefined) ?? {};
    },
    get isUp() {
      return dev.isUp;
    },
    get realNumRxQueues() {
      return dev.realNumRxQueues;
    },
    get realNumTxQueues() {
      return dev.realNumTxQueues;
    },
    netdevFeatures: dev,
    permAddr: dev.permAddr,
    ...(parent === undefined ? {} : { parent }),
  };
}
