/**
 * The loopback device (drivers/net/loopback.c): `lo`, ifindex 1, up from the stack's creation
 * with 127.0.0.1/8 (as a booted system has it: the init system brings lo up, and inetdev adds
 * the loopback address when it does), IFF_LOOPBACK, IFF_NO_QUEUE (no qdisc), MTU 65536, an
 * all-zero address. `loopback_xmit` orphans the skb, hands it to `netif_rx` on the sending CPU
 * (so NET_RX runs there) and counts it once, as both sent and received (lstats). Every packet
 * to a local address (the host's own, or 127.0.0.0/8) is routed here. Its ethtool_ops are
 * `loopback_ethtool_ops`: `get_link` (always on) only, in the shape of the ethtool_ops contract
 * (`getLink`); no drvinfo, channels or statistics.
 */
import type { ExecContext } from '@ntbsim/kernel';
import { netifRx } from './dev.js';
import { createNetDevice, type NetDevice } from './netDevice.js';
import type { NetStack } from './netStack.js';
import type { Skb } from './skb.js';
import type { NetdevTx } from './types.js';

/** The loopback MTU (LOOPBACK_MTU, bytes: 64 KiB). */
export const LOOPBACK_MTU = 65536;

/** loopback_ethtool_ops: `get_link` = ethtool_op_get_link's always_on, the rest absent. */
const LOOPBACK_ETHTOOL_OPS = { getLink: (): boolean => true } as const;

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
    ops: { open: () => 0, stop: () => undefined, startXmit: xmit, changeMtu: () => 0 },
    mtu: LOOPBACK_MTU,
    minMtu: 0,
    maxMtu: 0x7fffffff,
    devAddr: new Uint8Array(6),
    noQueue: true,
    loopback: true,
    ethtoolOps: LOOPBACK_ETHTOOL_OPS,
  });
  dev.open();
  stack.ipAddrAdd(dev, '127.0.0.1/8');
  return dev;
}
