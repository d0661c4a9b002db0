/**
 * The loopback device (drivers/net/loopback.c): `lo`, ifindex 1, up from the stack's creation
 * with 127.0.0.1/8 (as a booted system has it: the init system brings lo up, and inetdev adds
 * the loopback address when it does), IFF_LOOPBACK, IFF_NO_QUEUE (no qdisc), MTU 65536, an
 * all-zero address. `loopback_xmit` orphans the skb, hands it to `netif_rx` on the sending CPU
 * (so NET_RX runs there) and counts it once, as both sent and received (lstats). Every packet
 * to a local address (the host's own, or 127.0.0.0/8) is routed here. Its ethtool_ops are
 * `loopback_ethtool_ops`: `get_link` (always on) and `get_ts_info` (ethtool_op_get_ts_info:
 * software time stamps, no PTP clock), in the shape of the ethtool_ops contract (`getLink`,
 * `getTsInfo`); no drvinfo, channels or statistics. Its features are `loopback_setup`'s (SG,
 * FRAGLIST, the software GSOs, HW_CSUM, RXCSUM, SCTP_CRC, HIGHDMA, VLAN_CHALLENGED, LOOPBACK on;
 * the software GSOs changeable); the model's lo hands whole skbs to `netif_rx` whatever they say.
 * Like the kernel's it has no parent, no max_mtu (0: any MTU up to INT_MAX) and a tso_max_size of
 * GSO_MAX_SIZE (`netif_set_tso_max_size`).
 */
import type { ExecContext } from '@ntbsim/kernel';
import { netifRx } from './dev.js';
import { netdevFeatures, NETIF_F_GSO_SOFTWARE } from './features.js';
import { createNetDevice, GSO_MAX_SIZE, type NetDevice } from './netDevice.js';
import type { NetStack } from './netStack.js';
import type { Skb } from './skb.js';
import type { NetdevTx } from './types.js';

/** The loopback MTU (LOOPBACK_MTU, bytes: 64 KiB). */
export const LOOPBACK_MTU = 65536;

/**
 * loopback_ethtool_ops: `get_link` = ethtool_op_get_link's always_on, `get_ts_info` =
 * ethtool_op_get_ts_info, the rest absent.
 */
const LOOPBACK_ETHTOOL_OPS = {
  getLink: (): boolean => true,
  getTsInfo: () => ({ soTimestamping: ['software-transmit', 'software-receive', 'software-system-clock'] as const, phcIndex: -1 }),
} as const;

/** loopback_setup's dev->features. */
const LOOPBACK_FEATURES =
  netdevFeatures('SG', 'FRAGLIST', 'HW_CSUM', 'RXCSUM', 'SCTP_CRC', 'HIGHDMA', 'VLAN_CHALLENGED', 'LOOPBACK') | NETIF_F_GSO_SOFTWARE;

/** Create, open and address `lo` on `stack` (loopback_net_init, then `ip link set lo up`). */
export function createLoopback(stack: NetStack): NetDevice {
  let dev: NetDevice | null = null;
  const xmit = (skb: Skb, ctx: ExecContext): NetdevTx => {
    const lo = dev as NetDevice;
    const len = skb.len;
    skb.dev = lo;
    if (netifRx(skb, ctx) === 'success') {
      lo.stats.txPackets++;
      lo.stats.txBytes += len;
      lo.stats.rxPackets++;
      lo.stats.rxBytes += len;
    }
    return 'ok';
  };
  dev = createNetDevice(stack, {
    name: 'lo',
    ops: { open: () => 0, stop: () => undefined, startXmit: xmit },
    mtu: LOOPBACK_MTU,
    minMtu: 0,
    maxMtu: 0,
    tsoMaxSize: GSO_MAX_SIZE,
    devAddr: new Uint8Array(6),
    noQueue: true,
    loopback: true,
    features: LOOPBACK_FEATURES,
    hwFeatures: NETIF_F_GSO_SOFTWARE,
    ethtoolOps: LOOPBACK_ETHTOOL_OPS,
  });
  dev.open();
  stack.ipAddrAdd(dev, '127.0.0.1/8');
  return dev;
}
