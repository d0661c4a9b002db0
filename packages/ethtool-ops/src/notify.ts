/**
 * The ethtool genetlink "monitor" multicast group (ETHTOOL_MCGRP_MONITOR_NAME) of one network
 * namespace: ethtool_notify() publishes ETHTOOL_MSG_*_NTF messages to it and `ethtool --monitor`
 * listens. Delivery is synchronous and in subscription order, so a run stays deterministic.
 */
import type { EthtoolNotification, EthtoolNotificationListener, EthtoolNotifier } from './types.js';

/** Create the monitor group of a namespace (genl_family.mcgrps "monitor"). */
export function createEthtoolNotifier(): EthtoolNotifier {
  const listeners: EthtoolNotificationListener[] = [];
  return {
    subscribe(listener) {
      const entry: EthtoolNotificationListener = (ntf) => listener(ntf);
      listeners.push(entry);
      return () => {
        const i = listeners.indexOf(entry);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    hasListeners: () => listeners.length > 0,
    publish(ntf: EthtoolNotification) {
      for (const l of [...listeners]) l(ntf);
    },
  };
}
