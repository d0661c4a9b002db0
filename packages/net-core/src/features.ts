/**
 * Network device features (include/linux/netdev_features.h, Linux 6.18): the `netdev_features_t`
 * bit numbers, the masks the core combines them into, and the feature rules of net/core/dev.c a
 * net_device goes through — what `register_netdevice` adds to a driver's sets and
 * `netdev_fix_features`, which `__netdev_update_features` applies to the wanted set.
 *
 * A set is a `bigint` bitmap (bit n = `NETIF_F_*_BIT` n), as the kernel's u64. The bit numbers
 * are 6.18's: LLTX (12) and NETNS_LOCAL (13) are private flags since 6.12 and their bits unused,
 * bit 2 has been unused since NETIF_F_NO_CSUM went, bit 32 (UFO) has no ethtool name, and
 * GSO_ACCECN (35) came with 6.18.
 */

/** NETIF_F_*_BIT: every named feature's bit number. */
export const NETIF_F_BIT = {
  SG: 0,
  IP_CSUM: 1,
  HW_CSUM: 3,
  IPV6_CSUM: 4,
  HIGHDMA: 5,
  FRAGLIST: 6,
  HW_VLAN_CTAG_TX: 7,
  HW_VLAN_CTAG_RX: 8,
  HW_VLAN_CTAG_FILTER: 9,
  VLAN_CHALLENGED: 10,
  GSO: 11,
  GRO: 14,
  LRO: 15,
  TSO: 16,
  GSO_ROBUST: 17,
  TSO_ECN: 18,
  TSO_MANGLEID: 19,
  TSO6: 20,
  FSO: 21,
  GSO_GRE: 22,
  GSO_GRE_CSUM: 23,
  GSO_IPXIP4: 24,
  GSO_IPXIP6: 25,
  GSO_UDP_TUNNEL: 26,
  GSO_UDP_TUNNEL_CSUM: 27,
  GSO_PARTIAL: 28,
  GSO_TUNNEL_REMCSUM: 29,
  GSO_SCTP: 30,
  GSO_ESP: 31,
  GSO_UDP: 32,
  GSO_UDP_L4: 33,
  GSO_FRAGLIST: 34,
  GSO_ACCECN: 35,
  FCOE_CRC: 36,
  SCTP_CRC: 37,
  NTUPLE: 38,
  RXHASH: 39,
  RXCSUM: 40,
  NOCACHE_COPY: 41,
  LOOPBACK: 42,
  RXFCS: 43,
  RXALL: 44,
  HW_VLAN_STAG_TX: 45,
  HW_VLAN_STAG_RX: 46,
  HW_VLAN_STAG_FILTER: 47,
  HW_L2FW_DOFFLOAD: 48,
  HW_TC: 49,
  HW_ESP: 50,
  HW_ESP_TX_CSUM: 51,
  RX_UDP_TUNNEL_PORT: 52,
  HW_TLS_TX: 53,
  HW_TLS_RX: 54,
  GRO_HW: 55,
  HW_TLS_RECORD: 56,
  GRO_FRAGLIST: 57,
  HW_MACSEC: 58,
  GRO_UDP_FWD: 59,
  HW_HSR_TAG_INS: 60,
  HW_HSR_TAG_RM: 61,
  HW_HSR_FWD: 62,
  HW_HSR_DUP: 63,
} as const;

/** A feature's name in NETIF_F_* (without the prefix). */
export type NetdevFeature = keyof typeof NETIF_F_BIT;

/** NETDEV_FEATURE_COUNT: bits in a netdev_features_t (every one of them, named or not). */
export const NETDEV_FEATURE_COUNT = 64;

/** NETIF_F_*: the one-bit mask of each feature. */
export const NETIF_F = Object.fromEntries(Object.entries(NETIF_F_BIT).map(([name, bit]) => [name, 1n << BigInt(bit)])) as {
  readonly [K in NetdevFeature]: bigint;
};

/** The union of `names`' masks. */
export function netdevFeatures(...names: readonly NetdevFeature[]): bigint {
  return names.reduce((acc, n) => acc | NETIF_F[n], 0n);
}

/** NETIF_F_ALL_TSO: the TCP segmentation offloads. */
export const NETIF_F_ALL_TSO = netdevFeatures('TSO', 'TSO6', 'TSO_ECN', 'TSO_MANGLEID');
/** NETIF_F_GSO_SOFTWARE: the segmentations with a software fallback. */
export const NETIF_F_GSO_SOFTWARE = NETIF_F_ALL_TSO | netdevFeatures('GSO_ACCECN', 'GSO_SCTP', 'GSO_UDP_L4', 'GSO_FRAGLIST');
/** NETIF_F_CSUM_MASK: the transmit checksum offloads. */
export const NETIF_F_CSUM_MASK = netdevFeatures('IP_CSUM', 'IPV6_CSUM', 'HW_CSUM');
/** NETIF_F_SOFT_FEATURES: the software offloads `register_netdevice` turns on (GSO, GRO). */
export const NETIF_F_SOFT_FEATURES = netdevFeatures('GSO', 'GRO');
/** NETIF_F_SOFT_FEATURES_OFF: software offloads every device may turn on but starts without. */
export const NETIF_F_SOFT_FEATURES_OFF = netdevFeatures('GRO_FRAGLIST', 'GRO_UDP_FWD');
/** NETIF_F_NEVER_CHANGE: what ethtool may never change (ethtool's "nochange" set). */
export const NETIF_F_NEVER_CHANGE = NETIF_F.VLAN_CHALLENGED;
/** NETIF_F_ETHTOOL_BITS: every bit but the ones ethtool may never change. */
export const NETIF_F_ETHTOOL_BITS = ((1n << BigInt(NETDEV_FEATURE_COUNT)) - 1n) & ~NETIF_F_NEVER_CHANGE;

/** A device's feature sets as `register_netdevice` leaves them, before `__netdev_update_features`. */
export interface RegisteredFeatures {
  /** dev->features. */
  readonly features: bigint;
  /** dev->hw_features. */
  readonly hwFeatures: bigint;
  /** dev->wanted_features. */
  readonly wantedFeatures: bigint;
}

/**
 * What `register_netdevice` does to the sets a driver set up: GSO and GRO become changeable and
 * on, GRO_FRAGLIST and GRO_UDP_FWD changeable and off, the wanted set is what is on and
 * changeable; then NOCACHE_COPY becomes changeable (off; not on a loopback device) and
 * TSO_MANGLEID changeable where TSO is.
 */
export function registerNetdevFeatures(features: bigint, hwFeatures: bigint, loopback: boolean): RegisteredFeatures {
  let hw = hwFeatures | NETIF_F_SOFT_FEATURES | NETIF_F_SOFT_FEATURES_OFF;
  const active = features | NETIF_F_SOFT_FEATURES;
  const wanted = active & hw;
  if (!loopback) hw |= NETIF_F.NOCACHE_COPY;
  if ((hw & NETIF_F.TSO) !== 0n) hw |= NETIF_F.TSO_MANGLEID;
  return { features: active, hwFeatures: hw, wantedFeatures: wanted };
}

/** netdev_has_ip_or_hw_csum: a generic checksum, or both IPv4 and IPv6 ones. */
function hasIpOrHwCsum(features: bigint): boolean {
  const ipCsum = NETIF_F.IP_CSUM | NETIF_F.IPV6_CSUM;
  return (features & ipCsum) === ipCsum || (features & NETIF_F.HW_CSUM) !== 0n;
}

/** Drop `drop` from `features` when `when` holds for them. */
function dropIf(features: bigint, when: boolean, drop: bigint): bigint {
  return when ? features & ~drop : features;
}

/**
 * netdev_fix_features: the dependencies between features, applied to a wanted set — checksums
 * (generic wins over IPv4/IPv6), TSO needs SG and a checksum, TSO_MANGLEID needs TSO, TSO_ECN
 * needs another TSO, software GSO needs SG, GRO_HW needs RXCSUM and excludes LRO, RXFCS excludes
 * LRO and GRO_HW, TLS offloads need their checksums, USO needs a checksum. The rule for
 * `gso_partial_features` is absent: no device of the model has any.
 */
export function netdevFixFeatures(wanted: bigint): bigint {
  const F = NETIF_F;
  let f = wanted;
  f = dropIf(f, (f & F.HW_CSUM) !== 0n, f & (F.IP_CSUM | F.IPV6_CSUM));
  f = dropIf(f, (f & NETIF_F_ALL_TSO) !== 0n && (f & F.SG) === 0n, NETIF_F_ALL_TSO);
  f = dropIf(f, (f & F.TSO) !== 0n && (f & (F.HW_CSUM | F.IP_CSUM)) === 0n, F.TSO | F.TSO_ECN);
  f = dropIf(f, (f & F.TSO6) !== 0n && (f & (F.HW_CSUM | F.IPV6_CSUM)) === 0n, F.TSO6);
  f = dropIf(f, (f & F.TSO_MANGLEID) !== 0n && (f & F.TSO) === 0n, F.TSO_MANGLEID);
  f = dropIf(f, (f & NETIF_F_ALL_TSO) === F.TSO_ECN, F.TSO_ECN);
  f = dropIf(f, (f & F.GSO) !== 0n && (f & F.SG) === 0n, F.GSO);
  f = dropIf(f, (f & F.RXCSUM) === 0n, F.GRO_HW);
  f = dropIf(f, (f & F.RXFCS) !== 0n, F.LRO | F.GRO_HW);
  f = dropIf(f, (f & F.GRO_HW) !== 0n, F.LRO);
  f = dropIf(f, (f & F.HW_TLS_TX) !== 0n && !hasIpOrHwCsum(f), F.HW_TLS_TX);
  f = dropIf(f, (f & F.RXCSUM) === 0n, F.HW_TLS_RX);
  return dropIf(f, (f & F.GSO_UDP_L4) !== 0n && !hasIpOrHwCsum(f), F.GSO_UDP_L4);
}
