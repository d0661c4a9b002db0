/**
 * A fake netdev and driver for the ethtool core: channel state that only set_channels changes,
 * a driver that creates its queues one at a time (like ntb_netdev creating transport QPs) and
 * runs out with -ENOSPC when its budget is spent, rolling back what it created, and counters for
 * how often each op ran.
 */
import { createHost, createSimulation, ERRNO, getProfile } from '@ntbsim/kernel';
import { createNetDevice, createNetStack, NETIF_F, type NetDevice } from '@ntbsim/net-core';
import type {
  EthtoolChannels,
  EthtoolDevice,
  EthtoolDrvinfoFill,
  EthtoolLinkKsettings,
  EthtoolNetdevFeatures,
  EthtoolOps,
  EthtoolQueueDir,
  EthtoolStringSet,
  EthtoolTsInfo,
} from '../src/index.js';
import { netdevEthtoolDevice } from '../src/index.js';

export interface FakeDeviceOptions {
  readonly name: string;
  /** Initial channels; omit for a device without get/set_channels. */
  readonly channels?: EthtoolChannels;
  /** Leave set_channels out (get only). */
  readonly readOnlyChannels?: boolean;
  /** Queues the driver can create beyond the initial ones before -ENOSPC. */
  readonly queueBudget?: number;
  /** Driver bug: on -ENOSPC, keep the queues created so far. */
  readonly halfApplyOnError?: boolean;
  readonly drvinfo?: EthtoolDrvinfoFill;
  readonly stats?: readonly (readonly [string, number | bigint])[];
  readonly carrier?: boolean;
  readonly isUp?: boolean;
  readonly ksettings?: EthtoolLinkKsettings;
  readonly beginRet?: number;
  readonly parent?: { readonly name: string; readonly driverName?: string };
  readonly linkKind?: string;
  readonly permAddr?: Uint8Array;
  readonly tsInfo?: EthtoolTsInfo;
  readonly netdevFeatures?: EthtoolNetdevFeatures;
}

/** What a test can observe and steer on a fake device. */
export interface FakeDevice extends EthtoolDevice {
  readonly calls: Record<string, number>;
  channels: EthtoolChannels | undefined;
  carrier: boolean;
  rxfhMax: number;
  rxnfcMax: number;
  readonly mpQueues: Set<number>;
  readonly xskQueues: Set<string>;
  /** The next set_channels result when no budget rule applies (e.g. -EIO). */
  failNextSet: number | undefined;
}

export function fakeDevice(o: FakeDeviceOptions): FakeDevice {
  const calls: Record<string, number> = {};
  const count = (op: string): void => {
    calls[op] = (calls[op] ?? 0) + 1;
  };
  let budget = o.queueBudget ?? Number.POSITIVE_INFINITY;
  const dev: FakeDevice = {
    name: o.name,
    calls,
    channels: o.channels,
    carrier: o.carrier ?? true,
    rxfhMax: 0,
    rxnfcMax: 0,
    mpQueues: new Set(),
    xskQueues: new Set(),
    failNextSet: undefined,
    isUp: o.isUp ?? true,
    get realNumRxQueues() {
      const ch = dev.channels;
      return ch === undefined ? 1 : ch.combinedCount + ch.rxCount;
    },
    get realNumTxQueues() {
      const ch = dev.channels;
      return ch === undefined ? 1 : ch.combinedCount + ch.txCount;
    },
    ...(o.parent === undefined ? {} : { parent: o.parent }),
    ...(o.linkKind === undefined ? {} : { linkKind: o.linkKind }),
    ...(o.permAddr === undefined ? {} : { permAddr: o.permAddr }),
    ...(o.netdevFeatures === undefined ? {} : { netdevFeatures: o.netdevFeatures }),
    rxfhMaxQueue: () => dev.rxfhMax,
    rxnfcMaxQueue: () => dev.rxnfcMax,
    rxQueueHasMemoryProvider: (q) => dev.mpQueues.has(q),
    xskPoolOnQueue: (q: number, dir: EthtoolQueueDir) => dev.xskQueues.has(`${dir}${q}`),
    ethtoolOps: {},
  };
  const setChannels = (want: EthtoolChannels): number => {
    count('setChannels');
    const cur = dev.channels;
    if (cur === undefined) return -ERRNO.EOPNOTSUPP;
    if (dev.failNextSet !== undefined) {
      const ret = dev.failNextSet;
      dev.failNextSet = undefined;
      return ret;
    }
    const oldQueues = cur.combinedCount + Math.max(cur.rxCount, cur.txCount);
    const newQueues = want.combinedCount + Math.max(want.rxCount, want.txCount);
    let created = 0;
    for (let q = oldQueues; q < newQueues; q++) {
      if (budget <= 0) {
        if (o.halfApplyOnError === true) {
          dev.channels = { ...cur, combinedCount: cur.combinedCount + created };
        } else {
          budget += created;
        }
        return -ERRNO.ENOSPC;
      }
      budget--;
      created++;
    }
    budget += Math.max(0, oldQueues - newQueues);
    dev.channels = { ...cur, rxCount: want.rxCount, txCount: want.txCount, otherCount: want.otherCount, combinedCount: want.combinedCount };
    return 0;
  };
  const stats = o.stats;
  const ops: { -readonly [K in keyof EthtoolOps]: EthtoolOps[K] } = {
    getLink: () => {
      count('getLink');
      return dev.carrier;
    },
  };
  if (o.channels !== undefined) {
    ops.getChannels = () => {
      count('getChannels');
      if (dev.channels === undefined) throw new Error('no channels');
      return dev.channels;
    };
    if (o.readOnlyChannels !== true) ops.setChannels = setChannels;
  }
  if (o.drvinfo !== undefined) {
    const info = o.drvinfo;
    ops.getDrvinfo = () => info;
  }
  if (stats !== undefined) {
    ops.getSsetCount = (set: EthtoolStringSet) => (set === 'stats' ? stats.length : -ERRNO.EOPNOTSUPP);
    ops.getStrings = (set: EthtoolStringSet) => (set === 'stats' ? stats.map(([n]) => n) : []);
    ops.getEthtoolStats = () => stats.map(([, v]) => v);
  }
  if (o.tsInfo !== undefined) {
    const ts = o.tsInfo;
    ops.getTsInfo = () => ts;
  }
  if (o.ksettings !== undefined) {
    const ks = o.ksettings;
    ops.getLinkKsettings = () => ks;
  }
  if (o.beginRet !== undefined) {
    const ret = o.beginRet;
    ops.begin = () => {
      count('begin');
      return ret;
    };
    ops.complete = () => count('complete');
  } else {
    ops.begin = () => {
      count('begin');
      return 0;
    };
    ops.complete = () => count('complete');
  }
  (dev as { ethtoolOps: EthtoolOps }).ethtoolOps = ops;
  return dev;
}

/** Channels of a combined-only device (ntb_netdev: max 64, virtio_net with one pair: max 1). */
export function combinedOnly(max: number, count: number): EthtoolChannels {
  return { maxRx: 0, maxTx: 0, maxOther: 0, maxCombined: max, rxCount: 0, txCount: 0, otherCount: 0, combinedCount: count };
}

/** Channels of a separate-RX/TX device (veth: max 8 each). */
export function rxTxOnly(max: number, rx: number, tx: number): EthtoolChannels {
  return { maxRx: max, maxTx: max, maxOther: 0, maxCombined: 0, rxCount: rx, txCount: tx, otherCount: 0, combinedCount: 0 };
}

/** ntb_netdev's get_link_ksettings: Backplane, SPEED_UNKNOWN, full duplex, PORT_OTHER, autoneg on. */
export const NTB_KSETTINGS: EthtoolLinkKsettings = {
  speed: -1,
  duplex: 'full',
  port: 'other',
  phyAddress: 0,
  autoneg: true,
  supported: ['Backplane'],
  advertising: ['Backplane'],
};

/** veth's get_link_ksettings: 10000 Mb/s full duplex, twisted pair, autoneg off, no link modes. */
export const VETH_KSETTINGS: EthtoolLinkKsettings = {
  speed: 10000,
  duplex: 'full',
  port: 'tp',
  phyAddress: 0,
  autoneg: false,
  supported: [],
  advertising: [],
};

/**
 * A net-core device of its own host (a driver's `features` / `hw_features`, optional address) as
 * the ethtool core sees it, with an empty ethtool_ops table.
 */
export function netDevice(name: string, o: { readonly features?: bigint; readonly hwFeatures?: bigint; readonly devAddr?: Uint8Array } = {}): EthtoolDevice & { readonly ndev: NetDevice } {
  const host = createHost(createSimulation({ seed: 5 }), { name: 'h', profile: getProfile('rcar-s4') });
  const ndev = createNetDevice(createNetStack(host), {
    name,
    ops: { open: () => 0, stop: () => undefined, startXmit: () => 'ok', changeMtu: () => 0 },
    ...o,
  });
  ndev.ethtoolOps = {};
  return Object.assign(netdevEthtoolDevice(ndev), { ndev });
}

/** ntb0 as ntb_netdev_probe registers it (features = hw_features = HIGHDMA, a given address), without its ethtool ops. */
export function ntbLike(): { readonly ndev: NetDevice; readonly dev: EthtoolDevice } {
  const dev = netDevice('ntb0', { features: NETIF_F.HIGHDMA, hwFeatures: NETIF_F.HIGHDMA, devAddr: Uint8Array.from([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]) });
  return { ndev: dev.ndev, dev };
}
