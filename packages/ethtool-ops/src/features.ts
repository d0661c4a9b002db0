/**
 * The netdev feature requests of the ethtool core, Linux 6.18: FEATURES_GET and FEATURES_SET
 * (net/ethtool/features.c), the SIOCETHTOOL ETHTOOL_GFEATURES / ETHTOOL_SFEATURES and the legacy
 * one-feature and flag requests (ETHTOOL_GRXCSUM … ETHTOOL_GGRO, ETHTOOL_GFLAGS; ioctl.c), and
 * the ETH_SS_FEATURES string set, `netdev_features_strings` (common.c). The sets live on the
 * device (`EthtoolDevice.netdevFeatures`); `__netdev_update_features` is the device's.
 */
import { ERRNO } from '@ntbsim/kernel';
import {
  NETDEV_FEATURE_COUNT,
  NETIF_F,
  NETIF_F_ALL_TSO,
  NETIF_F_BIT,
  NETIF_F_CSUM_MASK,
  NETIF_F_ETHTOOL_BITS,
  NETIF_F_NEVER_CHANGE,
  type NetdevFeature,
} from '@ntbsim/net-core';
import { withOps } from './core.js';
import type { EthnlFeaturesReply, EthnlResult, EthtoolCoreContext, EthtoolDevice, EthtoolIoctlResult } from './types.js';

/** netdev_features_strings: each named feature's ETH_SS_FEATURES string. */
const FEATURE_STRINGS: { readonly [K in Exclude<NetdevFeature, 'GSO_UDP'>]: string } = {
  SG: 'tx-scatter-gather',
  IP_CSUM: 'tx-checksum-ipv4',
  HW_CSUM: 'tx-checksum-ip-generic',
  IPV6_CSUM: 'tx-checksum-ipv6',
  HIGHDMA: 'highdma',
  FRAGLIST: 'tx-scatter-gather-fraglist',
  HW_VLAN_CTAG_TX: 'tx-vlan-hw-insert',
  HW_VLAN_CTAG_RX: 'rx-vlan-hw-parse',
  HW_VLAN_CTAG_FILTER: 'rx-vlan-filter',
  HW_VLAN_STAG_TX: 'tx-vlan-stag-hw-insert',
  HW_VLAN_STAG_RX: 'rx-vlan-stag-hw-parse',
  HW_VLAN_STAG_FILTER: 'rx-vlan-stag-filter',
  VLAN_CHALLENGED: 'vlan-challenged',
  GSO: 'tx-generic-segmentation',
  GRO: 'rx-gro',
  GRO_HW: 'rx-gro-hw',
  LRO: 'rx-lro',
  TSO: 'tx-tcp-segmentation',
  GSO_ROBUST: 'tx-gso-robust',
  TSO_ECN: 'tx-tcp-ecn-segmentation',
  GSO_ACCECN: 'tx-tcp-accecn-segmentation',
  TSO_MANGLEID: 'tx-tcp-mangleid-segmentation',
  TSO6: 'tx-tcp6-segmentation',
  FSO: 'tx-fcoe-segmentation',
  GSO_GRE: 'tx-gre-segmentation',
  GSO_GRE_CSUM: 'tx-gre-csum-segmentation',
  GSO_IPXIP4: 'tx-ipxip4-segmentation',
  GSO_IPXIP6: 'tx-ipxip6-segmentation',
  GSO_UDP_TUNNEL: 'tx-udp_tnl-segmentation',
  GSO_UDP_TUNNEL_CSUM: 'tx-udp_tnl-csum-segmentation',
  GSO_PARTIAL: 'tx-gso-partial',
  GSO_TUNNEL_REMCSUM: 'tx-tunnel-remcsum-segmentation',
  GSO_SCTP: 'tx-sctp-segmentation',
  GSO_ESP: 'tx-esp-segmentation',
  GSO_UDP_L4: 'tx-udp-segmentation',
  GSO_FRAGLIST: 'tx-gso-list',
  FCOE_CRC: 'tx-checksum-fcoe-crc',
  SCTP_CRC: 'tx-checksum-sctp',
  NTUPLE: 'rx-ntuple-filter',
  RXHASH: 'rx-hashing',
  RXCSUM: 'rx-checksum',
  NOCACHE_COPY: 'tx-nocache-copy',
  LOOPBACK: 'loopback',
  RXFCS: 'rx-fcs',
  RXALL: 'rx-all',
  HW_L2FW_DOFFLOAD: 'l2-fwd-offload',
  HW_TC: 'hw-tc-offload',
  HW_ESP: 'esp-hw-offload',
  HW_ESP_TX_CSUM: 'esp-tx-csum-hw-offload',
  RX_UDP_TUNNEL_PORT: 'rx-udp_tunnel-port-offload',
  HW_TLS_RECORD: 'tls-hw-record',
  HW_TLS_TX: 'tls-hw-tx-offload',
  HW_TLS_RX: 'tls-hw-rx-offload',
  GRO_FRAGLIST: 'rx-gro-list',
  HW_MACSEC: 'macsec-hw-offload',
  GRO_UDP_FWD: 'rx-udp-gro-forwarding',
  HW_HSR_TAG_INS: 'hsr-tag-ins-offload',
  HW_HSR_TAG_RM: 'hsr-tag-rm-offload',
  HW_HSR_FWD: 'hsr-fwd-offload',
  HW_HSR_DUP: 'hsr-dup-offload',
};

/**
 * The ETH_SS_FEATURES string set, indexed by bit: NETDEV_FEATURE_COUNT strings, '' for a bit
 * without a name (2, 12, 13 and UFO's 32).
 */
export const NETDEV_FEATURES_STRINGS: readonly string[] = (() => {
  const names = new Array<string>(NETDEV_FEATURE_COUNT).fill('');
  for (const [feature, name] of Object.entries(FEATURE_STRINGS)) names[NETIF_F_BIT[feature as keyof typeof FEATURE_STRINGS]] = name;
  return names;
})();

/** Whether bit `bit` of `set` is on. */
export function featureOn(set: bigint, bit: number): boolean {
  return ((set >> BigInt(bit)) & 1n) === 1n;
}

/** `dev`'s sets as FEATURES_GET reports them (a device without feature sets has none). */
function featureSets(dev: EthtoolDevice): EthnlFeaturesReply {
  const f = dev.netdevFeatures;
  return { hw: f?.hwFeatures ?? 0n, wanted: f?.wantedFeatures ?? 0n, active: f?.features ?? 0n, nochange: NETIF_F_NEVER_CHANGE };
}

/** ETHTOOL_MSG_FEATURES_GET (features_prepare_data): the four sets; no driver op, no begin/complete. */
export function ethnlGetFeatures(dev: EthtoolDevice): EthnlResult<EthnlFeaturesReply> {
  return { ok: true, reply: featureSets(dev) };
}

/**
 * ethtool_notify(dev, ETHTOOL_MSG_FEATURES_NTF), as the NETDEV_FEAT_CHANGE of
 * `netdev_features_change` sends it: the sets, to the monitor group when it has listeners.
 */
export function ethtoolNotifyFeatures(dev: EthtoolDevice, ctx: EthtoolCoreContext = {}): void {
  const notifier = ctx.notifier;
  if (notifier === undefined || !notifier.hasListeners()) return;
  notifier.publish({ cmd: 'FEATURES_NTF', devName: dev.name, features: featureSets(dev) });
}

/** One ETHTOOL_A_BITSET_BITS_BIT of a FEATURES_SET request: a feature by name and its value. */
export interface EthnlFeatureBit {
  /** ETHTOOL_A_BITSET_BIT_NAME. */
  readonly name: string;
  /** ETHTOOL_A_BITSET_BIT_VALUE present. */
  readonly value: boolean;
}

/** A value and the mask of the bits it speaks for (a bitset with a mask, as the SET reply carries). */
export interface EthnlMaskedBits {
  /** The bits' values. */
  readonly value: bigint;
  /** The bits the value covers. */
  readonly mask: bigint;
}

/** ETHTOOL_MSG_FEATURES_SET_REPLY: where the result differs from the request, and what changed. */
export interface EthnlFeaturesSetReply {
  /** ETHTOOL_A_FEATURES_WANTED: the requested values that did not come out as asked. */
  readonly wanted: EthnlMaskedBits;
  /** ETHTOOL_A_FEATURES_ACTIVE: the features whose state changed, with their new values. */
  readonly active: EthnlMaskedBits;
}

/** ethnl_name_to_idx over netdev_features_strings: the first bit with that name, or -1. */
function featureIndex(name: string): number {
  return NETDEV_FEATURES_STRINGS.indexOf(name);
}

/**
 * ETHTOOL_MSG_FEATURES_SET (ethnl_set_features) on a device already looked up, in the kernel's
 * order: begin; the bitset, by name ("bit name not found" on that name's attribute:
 * -EOPNOTSUPP; a bit named more than once is on if any of its values is, as ethnl_parse_bitset
 * only ever sets bits); a bit outside NETIF_F_ETHTOOL_BITS ("attempt to change non-ethtool features":
 * -EINVAL); then, if the wanted set changes, the changeable part of it is stored and
 * `__netdev_update_features` runs. The reply tells which requested values did not come out and
 * which features changed; a change of dev->features is notified (FEATURES_NTF).
 */
export function ethnlSetFeatures(dev: EthtoolDevice, bits: readonly EthnlFeatureBit[], ctx: EthtoolCoreContext = {}): EthnlResult<EthnlFeaturesSetReply> {
  return withOps(dev, (): EthnlResult<EthnlFeaturesSetReply> => {
    const sets = featureSets(dev);
    let reqWanted = 0n;
    let reqMask = 0n;
    for (const [i, bit] of bits.entries()) {
      const idx = featureIndex(bit.name);
      if (idx < 0) return { ok: false, ret: -ERRNO.EOPNOTSUPP, extack: { message: 'bit name not found', badAttr: `bit-name:${i}` } };
      const m = 1n << BigInt(idx);
      reqMask |= m;
      if (bit.value) reqWanted |= m;
    }
    if ((reqMask & ~NETIF_F_ETHTOOL_BITS) !== 0n) return { ok: false, ret: -ERRNO.EINVAL, extack: { message: 'attempt to change non-ethtool features' } };
    reqWanted = (sets.wanted & ~reqMask) | (reqWanted & reqMask);
    const f = dev.netdevFeatures;
    if (f !== undefined && reqWanted !== sets.wanted) {
      f.wantedFeatures = (f.wantedFeatures & ~f.hwFeatures) | (reqWanted & f.hwFeatures);
      f.updateFeatures();
    }
    const newActive = featureSets(dev).active;
    const wantedDiff = (reqWanted ^ newActive) & reqMask;
    const activeDiff = sets.active ^ newActive;
    if (activeDiff !== 0n) ethtoolNotifyFeatures(dev, ctx);
    return {
      ok: true,
      reply: { wanted: { value: reqWanted & wantedDiff, mask: wantedDiff }, active: { value: newActive & activeDiff, mask: activeDiff } },
    };
  });
}

/** struct ethtool_gfeatures as ETHTOOL_GFEATURES fills it, as 64-bit sets. */
export interface EthtoolGfeatures {
  /** available: dev->hw_features. */
  readonly available: bigint;
  /** requested: dev->wanted_features. */
  readonly requested: bigint;
  /** active: dev->features. */
  readonly active: bigint;
  /** never_changed: NETIF_F_NEVER_CHANGE. */
  readonly neverChanged: bigint;
}

/** ETHTOOL_GFEATURES (ethtool_get_features). */
export function ethtoolGetFeatures(dev: EthtoolDevice): EthtoolIoctlResult<EthtoolGfeatures> {
  const s = featureSets(dev);
  return { ok: true, value: { available: s.hw, requested: s.wanted, active: s.active, neverChanged: s.nochange } };
}

/** ETHTOOL_F_UNSUPPORTED: some of the valid bits are not changeable. */
export const ETHTOOL_F_UNSUPPORTED = 1 << 0;
/** ETHTOOL_F_WISH: some of the valid bits did not come out as requested. */
export const ETHTOOL_F_WISH = 1 << 1;

/**
 * ETHTOOL_SFEATURES (ethtool_set_features; `valid` and `requested` over the device's 64 bits):
 * -EINVAL for a bit outside NETIF_F_ETHTOOL_BITS; otherwise the changeable valid bits are stored
 * in the wanted set, `__netdev_update_features` runs, and the result carries ETHTOOL_F_UNSUPPORTED
 * / ETHTOOL_F_WISH. A change of dev->features is notified (FEATURES_NTF), as `__dev_ethtool` does
 * with `netdev_features_change`.
 */
export function ethtoolSetFeatures(
  dev: EthtoolDevice,
  req: { readonly valid: bigint; readonly requested: bigint },
  ctx: EthtoolCoreContext = {},
): EthtoolIoctlResult<number> {
  if ((req.valid & ~NETIF_F_ETHTOOL_BITS) !== 0n) return { ok: false, ret: -ERRNO.EINVAL };
  const before = featureSets(dev);
  let valid = req.valid;
  let ret = 0;
  if ((valid & ~before.hw) !== 0n) {
    valid &= before.hw;
    ret |= ETHTOOL_F_UNSUPPORTED;
  }
  const f = dev.netdevFeatures;
  if (f !== undefined) {
    f.wantedFeatures = (f.wantedFeatures & ~valid) | (req.requested & valid);
    f.updateFeatures();
  }
  const after = featureSets(dev);
  if (((after.wanted ^ after.active) & valid) !== 0n) ret |= ETHTOOL_F_WISH;
  if (after.active !== before.active) ethtoolNotifyFeatures(dev, ctx);
  return { ok: true, value: ret };
}

/** The legacy one-feature requests of SIOCETHTOOL (ETHTOOL_G* of rx, tx, sg, tso, ufo, gso, gro). */
export type EthtoolLegacyFeature = 'rx' | 'tx' | 'sg' | 'tso' | 'ufo' | 'gso' | 'gro';

/** ethtool_get_feature_mask: the features each legacy request reads (ufo has none since 4.14). */
const LEGACY_FEATURE_MASK: { readonly [K in EthtoolLegacyFeature]: bigint | undefined } = {
  rx: NETIF_F.RXCSUM,
  tx: NETIF_F_CSUM_MASK | NETIF_F.FCOE_CRC | NETIF_F.SCTP_CRC,
  sg: NETIF_F.SG | NETIF_F.FRAGLIST,
  tso: NETIF_F_ALL_TSO,
  ufo: undefined,
  gso: NETIF_F.GSO,
  gro: NETIF_F.GRO,
};

/**
 * ETHTOOL_GRXCSUM, GTXCSUM, GSG, GTSO, GGSO, GGRO (ethtool_get_one_feature): whether any feature
 * of the request's mask is on. ETHTOOL_GUFO is -EOPNOTSUPP, as it is since Linux 4.14.
 */
export function ethtoolGetOneFeature(dev: EthtoolDevice, which: EthtoolLegacyFeature): EthtoolIoctlResult<boolean> {
  const mask = LEGACY_FEATURE_MASK[which];
  if (mask === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  return { ok: true, value: (featureSets(dev).active & mask) !== 0n };
}

/** ETH_FLAG_* of ETHTOOL_GFLAGS (include/uapi/linux/ethtool.h). */
export const ETH_FLAG = { TXVLAN: 1 << 7, RXVLAN: 1 << 8, LRO: 1 << 15, NTUPLE: 1 << 27, RXHASH: 1 << 28 } as const;

/** ETHTOOL_GFLAGS (__ethtool_get_flags): LRO, RXVLAN, TXVLAN, NTUPLE and RXHASH from dev->features. */
export function ethtoolGetFlags(dev: EthtoolDevice): EthtoolIoctlResult<number> {
  const active = featureSets(dev).active;
  const flag = (feature: bigint, value: number): number => ((active & feature) !== 0n ? value : 0);
  return {
    ok: true,
    value:
      flag(NETIF_F.LRO, ETH_FLAG.LRO) |
      flag(NETIF_F.HW_VLAN_CTAG_RX, ETH_FLAG.RXVLAN) |
      flag(NETIF_F.HW_VLAN_CTAG_TX, ETH_FLAG.TXVLAN) |
      flag(NETIF_F.NTUPLE, ETH_FLAG.NTUPLE) |
      flag(NETIF_F.RXHASH, ETH_FLAG.RXHASH),
  };
}
