/**
 * The ethtool contract: what a network driver implements (`EthtoolOps`, a subset of
 * `struct ethtool_ops` from include/linux/ethtool.h), what the ethtool core needs from a
 * net_device (`EthtoolDevice`), and the values both exchange (uapi structs from
 * include/uapi/linux/ethtool.h). Ops are bound to their device (closures), so unlike the
 * kernel they take no `dev` argument. Every op is optional: the core answers -EOPNOTSUPP for
 * a missing one, as the kernel does for a NULL pointer. Int-returning ops return 0 or a
 * negative errno (`-ERRNO.ENOSPC` from @ntbsim/kernel).
 */
import type { LinkModeName } from './linkModes.js';

/** struct ethtool_channels: `max*` are read-only limits, `*Count` the configured channels (u32 each). */
export interface EthtoolChannels {
  /** Maximum RX-only channels. */
  readonly maxRx: number;
  /** Maximum TX-only channels. */
  readonly maxTx: number;
  /** Maximum other (link interrupt, …) channels. */
  readonly maxOther: number;
  /** Maximum combined RX+TX channels. */
  readonly maxCombined: number;
  /** Configured RX-only channels. */
  readonly rxCount: number;
  /** Configured TX-only channels. */
  readonly txCount: number;
  /** Configured other channels. */
  readonly otherCount: number;
  /** Configured combined channels (RX queues = combined + rx, TX queues = combined + tx). */
  readonly combinedCount: number;
}

/** What a driver's set_channels returns: 0 or a negative errno, optionally with an extack message. */
export interface EthtoolSetResult {
  /** 0 or a negative errno. */
  readonly ret: number;
  /** NL_SET_ERR_MSG text; printed by the netlink path only. */
  readonly extack?: string;
}

/** String sets the model knows (enum ethtool_stringset: ETH_SS_TEST, ETH_SS_STATS, ETH_SS_PRIV_FLAGS). */
export type EthtoolStringSet = 'test' | 'stats' | 'priv-flags';

/** struct ethtool_drvinfo. Strings are char[32] in the kernel: at most 31 characters survive. */
export interface EthtoolDrvinfo {
  /** Driver module name (KBUILD_MODNAME). */
  readonly driver: string;
  /** Driver version; the core pre-fills the kernel release (UTS_RELEASE). */
  readonly version: string;
  /** Firmware version. */
  readonly fwVersion: string;
  /** Expansion ROM version. */
  readonly eromVersion: string;
  /** Bus address, e.g. `pci_name(pdev)`. */
  readonly busInfo: string;
  /** Number of ETH_SS_STATS strings (from get_sset_count when the driver has it). */
  readonly nStats: number;
  /** Number of ETH_SS_TEST strings. */
  readonly testinfoLen: number;
  /** EEPROM size in bytes. */
  readonly eedumpLen: number;
  /** Register dump size in bytes. */
  readonly regdumpLen: number;
  /** Number of ETH_SS_PRIV_FLAGS strings. */
  readonly nPrivFlags: number;
}

/** The fields of struct ethtool_drvinfo a driver's get_drvinfo fills; the rest stay zero/empty. */
export type EthtoolDrvinfoFill = Partial<EthtoolDrvinfo>;

/** Physical port (PORT_TP … PORT_OTHER). */
export type EthtoolPort = 'tp' | 'aui' | 'bnc' | 'mii' | 'fibre' | 'da' | 'none' | 'other';

/** Duplex (DUPLEX_HALF, DUPLEX_FULL, DUPLEX_UNKNOWN). */
export type EthtoolDuplex = 'half' | 'full' | 'unknown';

/** Twisted-pair MDI/MDI-X state or control (ETH_TP_MDI_INVALID, _MDI, _MDI_X, _MDI_AUTO). */
export type EthtoolTpMdix = 'invalid' | 'mdi' | 'mdi-x' | 'auto';

/** struct ethtool_link_ksettings as a driver fills it in get_link_ksettings. */
export interface EthtoolLinkKsettings {
  /** Speed in Mb/s, or SPEED_UNKNOWN (-1). */
  readonly speed: number;
  /** Duplex. */
  readonly duplex: EthtoolDuplex;
  /** Port type. */
  readonly port: EthtoolPort;
  /** PHY address (base.phy_address). */
  readonly phyAddress: number;
  /** AUTONEG_ENABLE when true. */
  readonly autoneg: boolean;
  /** link_modes.supported, by kernel link mode name. */
  readonly supported: readonly LinkModeName[];
  /** link_modes.advertising, by kernel link mode name. */
  readonly advertising: readonly LinkModeName[];
  /** base.eth_tp_mdix (default 'invalid'). */
  readonly ethTpMdix?: EthtoolTpMdix;
  /** base.eth_tp_mdix_ctrl (default 'invalid'). */
  readonly ethTpMdixCtrl?: EthtoolTpMdix;
}

/**
 * SOF_TIMESTAMPING_* capabilities by their ethtool names (sof_timestamping_names, in bit order
 * from SOF_TIMESTAMPING_TX_HARDWARE).
 */
export type SofTimestampingName =
  | 'hardware-transmit'
  | 'software-transmit'
  | 'hardware-receive'
  | 'software-receive'
  | 'software-system-clock'
  | 'hardware-legacy-clock'
  | 'hardware-raw-clock'
  | 'option-id'
  | 'sched-transmit'
  | 'ack-transmit'
  | 'option-cmsg'
  | 'option-tsonly'
  | 'option-stats'
  | 'option-pktinfo'
  | 'option-tx-swhw'
  | 'bind-phc'
  | 'option-id-tcp'
  | 'option-rx-filter';

/**
 * struct kernel_ethtool_ts_info as a driver's get_ts_info fills it, without hardware time
 * stamping (no driver of the model has any: tx_types and rx_filters stay empty).
 */
export interface EthtoolTsInfo {
  /** so_timestamping: the capabilities, by name. */
  readonly soTimestamping: readonly SofTimestampingName[];
  /** phc_index: the PTP hardware clock, or -1 for none. */
  readonly phcIndex: number;
}

/**
 * A driver's ethtool operations (struct ethtool_ops subset); each one optional. The contract has
 * no ring, coalescing or pause parameters, register or EEPROM dumps, RX flow hashing or hardware
 * time stamping: no driver of the model has them, and the core answers those requests as the
 * kernel answers a driver without them.
 */
export interface EthtoolOps {
  /** get_drvinfo: fill driver, version, bus_info, … */
  readonly getDrvinfo?: () => EthtoolDrvinfoFill;
  /** get_link: link (carrier) state; ethtool_op_get_link is netif_carrier_ok. */
  readonly getLink?: () => boolean;
  /** get_link_ksettings: speed, duplex, port, autoneg, link modes. */
  readonly getLinkKsettings?: () => EthtoolLinkKsettings;
  /** get_channels: current counts and maxima. */
  readonly getChannels?: () => EthtoolChannels;
  /** set_channels: apply validated counts; 0 or -errno; on error the device must be unchanged. */
  readonly setChannels?: (channels: EthtoolChannels) => number | EthtoolSetResult;
  /** get_sset_count: number of strings in a set, or -EOPNOTSUPP. */
  readonly getSsetCount?: (set: EthtoolStringSet) => number;
  /** get_strings: the names of a set, getSsetCount(set) of them. */
  readonly getStrings?: (set: EthtoolStringSet) => readonly string[];
  /** get_ethtool_stats: one u64 per ETH_SS_STATS string, same order. */
  readonly getEthtoolStats?: () => readonly (number | bigint)[];
  /** get_ts_info: time stamping capabilities; without it the core fills the software ones. */
  readonly getTsInfo?: () => EthtoolTsInfo;
  /** begin: called before every ethtool op; a negative errno aborts the request. */
  readonly begin?: () => number;
  /** complete: called after every op that begin admitted. */
  readonly complete?: () => void;
}

/** Which direction an AF_XDP pool is bound to on a queue (net_device _rx[] / _tx[]). */
export type EthtoolQueueDir = 'rx' | 'tx';

/**
 * A net_device's feature sets (netdev_features_t bitmaps, bit n = NETIF_F_*_BIT n from
 * @ntbsim/net-core) and `__netdev_update_features`: what FEATURES_GET reads and FEATURES_SET
 * writes. A net-core `NetDevice` is one.
 */
export interface EthtoolNetdevFeatures {
  /** dev->features: what is on. */
  readonly features: bigint;
  /** dev->hw_features: what the user may change. */
  readonly hwFeatures: bigint;
  /** dev->wanted_features: what the user asked for. */
  wantedFeatures: bigint;
  /** __netdev_update_features: recompute `features` from `wantedFeatures`; true when they changed. */
  updateFeatures(): boolean;
}

/**
 * What the ethtool core reads from a net_device. A net_device implements it structurally.
 * The queue-use hooks model state the kernel keeps elsewhere (RSS indirection tables, ntuple
 * rules, memory providers, AF_XDP pools); a device without them uses none of it.
 */
export interface EthtoolDevice {
  /** Interface name (dev->name). */
  readonly name: string;
  /** The driver's ethtool ops (dev->ethtool_ops). */
  readonly ethtoolOps: EthtoolOps;
  /** netif_running: the interface is administratively up. */
  readonly isUp: boolean;
  /** dev->real_num_rx_queues. */
  readonly realNumRxQueues: number;
  /** dev->real_num_tx_queues. */
  readonly realNumTxQueues: number;
  /** dev->dev.parent: its name (dev_name) and bound driver, used by get_drvinfo fallbacks. */
  readonly parent?: { readonly name: string; readonly driverName?: string };
  /** dev->rtnl_link_ops->kind (e.g. 'veth'), the last get_drvinfo fallback. */
  readonly linkKind?: string;
  /** Its feature sets; without them the device has none (no feature on, none changeable). */
  readonly netdevFeatures?: EthtoolNetdevFeatures;
  /** dev->perm_addr (dev->addr_len bytes); absent or all zeros: no permanent address. */
  readonly permAddr?: Uint8Array;
  /** ethtool_get_max_rxfh_channel: highest queue a user RSS table or context uses (0 = none). */
  rxfhMaxQueue?(): number;
  /** ethtool_get_max_rxnfc_channel: highest queue an ntuple rule steers to (0 = none). */
  rxnfcMaxQueue?(): number;
  /** netif_rxq_has_mp: RX queue `qid` has a memory provider (devmem, io_uring zcrx). */
  rxQueueHasMemoryProvider?(qid: number): boolean;
  /** xsk_get_pool_from_qid's lookup: an AF_XDP zero-copy pool is bound to `qid` in `dir`. */
  xskPoolOnQueue?(qid: number, dir: EthtoolQueueDir): boolean;
}

/** A device table: a map by name, or a lookup function (__dev_get_by_name / netdev_get_by_name). */
export type EthtoolDeviceLookup = ReadonlyMap<string, EthtoolDevice> | ((name: string) => EthtoolDevice | undefined);

/** The ETHTOOL_A_CHANNELS_*_COUNT attributes of a CHANNELS_SET request; absent = unchanged. */
export interface EthtoolChannelsRequest {
  /** ETHTOOL_A_CHANNELS_RX_COUNT (u32). */
  readonly rx?: number;
  /** ETHTOOL_A_CHANNELS_TX_COUNT (u32). */
  readonly tx?: number;
  /** ETHTOOL_A_CHANNELS_OTHER_COUNT (u32). */
  readonly other?: number;
  /** ETHTOOL_A_CHANNELS_COMBINED_COUNT (u32). */
  readonly combined?: number;
}

/** A channel count attribute of a request (the keys of EthtoolChannelsRequest). */
export type EthtoolChannelsAttr = keyof EthtoolChannelsRequest;

/**
 * The ETHTOOL_A_RINGS_* attributes ethtool 6.1 can put in a RINGS_SET request, by its parameter
 * names (u32 each but `tx-push`, a u8).
 */
export type EthtoolRingsAttr = 'rx' | 'rx-mini' | 'rx-jumbo' | 'tx' | 'rx-buf-len' | 'cqe-size' | 'tx-push';

/** One attribute of a SET request and its value, in the order the request carries them. */
export type EthnlAttrValue<K extends string> = readonly [attr: K, value: number];

/**
 * The request attribute an extack points at: a channel count, a ring parameter,
 * ETHTOOL_A_HEADER_DEV_NAME, or the name of the n-th ETHTOOL_A_BITSET_BITS_BIT of a bitset
 * (`bit-name:n`, counted from 0 in the request).
 */
export type EthnlBadAttr = EthtoolChannelsAttr | EthtoolRingsAttr | 'dev-name' | `bit-name:${number}`;

/** struct netlink_ext_ack as ethtool netlink fills it: a message and maybe the offending attribute. */
export interface EthnlExtack {
  /** NL_SET_ERR_MSG text. */
  readonly message: string;
  /** NL_SET_ERR_MSG_ATTR's attribute, when the request carried it. */
  readonly badAttr?: EthnlBadAttr;
}

/** The outcome of an ethtool netlink request: a reply, or a negative errno with an optional extack. */
export type EthnlResult<T> =
  | { readonly ok: true; readonly reply: T }
  | { readonly ok: false; readonly ret: number; readonly extack?: EthnlExtack };

/** The outcome of a SIOCETHTOOL request: a value, or a negative errno (no extack on this path). */
export type EthtoolIoctlResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly ret: number };

/**
 * A CHANNELS_GET_REPLY / CHANNELS_NTF payload (channels_fill_reply): each max/count pair is
 * present only when that maximum is non-zero.
 */
export interface EthnlChannelsReply {
  /** ETHTOOL_A_CHANNELS_RX_MAX / _RX_COUNT. */
  readonly rx?: { readonly max: number; readonly count: number };
  /** ETHTOOL_A_CHANNELS_TX_MAX / _TX_COUNT. */
  readonly tx?: { readonly max: number; readonly count: number };
  /** ETHTOOL_A_CHANNELS_OTHER_MAX / _OTHER_COUNT. */
  readonly other?: { readonly max: number; readonly count: number };
  /** ETHTOOL_A_CHANNELS_COMBINED_MAX / _COMBINED_COUNT. */
  readonly combined?: { readonly max: number; readonly count: number };
}

/**
 * ETHTOOL_MSG_FEATURES_GET_REPLY (features_fill_reply), also the FEATURES_NTF payload: the four
 * sets as netdev_features_t bitmaps.
 */
export interface EthnlFeaturesReply {
  /** ETHTOOL_A_FEATURES_HW: dev->hw_features. */
  readonly hw: bigint;
  /** ETHTOOL_A_FEATURES_WANTED: dev->wanted_features. */
  readonly wanted: bigint;
  /** ETHTOOL_A_FEATURES_ACTIVE: dev->features. */
  readonly active: bigint;
  /** ETHTOOL_A_FEATURES_NOCHANGE: NETIF_F_NEVER_CHANGE. */
  readonly nochange: bigint;
}

/** A notification on the ethtool genetlink "monitor" multicast group (ETHTOOL_MSG_*_NTF). */
export type EthtoolNotification =
  | {
      /** ETHTOOL_MSG_CHANNELS_NTF: after a channels change. */
      readonly cmd: 'CHANNELS_NTF';
      /** Device name from the message header. */
      readonly devName: string;
      /** The device's channels after the change. */
      readonly channels: EthnlChannelsReply;
    }
  | {
      /** ETHTOOL_MSG_FEATURES_NTF: NETDEV_FEAT_CHANGE, after a change of dev->features. */
      readonly cmd: 'FEATURES_NTF';
      /** Device name from the message header. */
      readonly devName: string;
      /** The device's feature sets after the change. */
      readonly features: EthnlFeaturesReply;
    };

/** A listener on the monitor group. */
export type EthtoolNotificationListener = (ntf: EthtoolNotification) => void;

/** The ethtool genetlink "monitor" multicast group of one network namespace (ETHTOOL_MCGRP_MONITOR). */
export interface EthtoolNotifier {
  /** Join the group; returns the leave function. */
  subscribe(listener: EthtoolNotificationListener): () => void;
  /** genl_has_listeners: someone is subscribed. */
  hasListeners(): boolean;
  /** genlmsg_multicast_netns: deliver to every listener, in subscription order. */
  publish(ntf: EthtoolNotification): void;
}

/** Namespace-wide facts the ethtool core consults besides the device. */
export interface EthtoolCoreContext {
  /** Monitor group of the device's namespace; without it notifications go nowhere. */
  readonly notifier?: EthtoolNotifier;
  /** The caller has CAP_NET_ADMIN (default true); SET requests need it (-EPERM otherwise). */
  readonly capNetAdmin?: boolean;
  /** UTS_RELEASE pre-filled in drvinfo.version (default '6.18.0'). */
  readonly utsRelease?: string;
}

/** ETHTOOL_MSG_LINKMODES_GET_REPLY (linkmodes_fill_reply), verbose bitsets resolved to names. */
export interface EthnlLinkmodesReply {
  /** ETHTOOL_A_LINKMODES_OURS mask: supported modes, in bit order. */
  readonly supported: readonly LinkModeName[];
  /** ETHTOOL_A_LINKMODES_OURS value: advertised modes that are also supported, in bit order. */
  readonly advertising: readonly LinkModeName[];
  /** ETHTOOL_A_LINKMODES_SPEED as the u32 on the wire (SPEED_UNKNOWN is 0xffffffff). */
  readonly speed: number;
  /** ETHTOOL_A_LINKMODES_DUPLEX. */
  readonly duplex: EthtoolDuplex;
  /** ETHTOOL_A_LINKMODES_AUTONEG. */
  readonly autoneg: boolean;
}

/** ETHTOOL_MSG_LINKINFO_GET_REPLY (linkinfo_fill_reply). */
export interface EthnlLinkinfoReply {
  /** ETHTOOL_A_LINKINFO_PORT. */
  readonly port: EthtoolPort;
  /** ETHTOOL_A_LINKINFO_PHYADDR. */
  readonly phyAddress: number;
  /** ETHTOOL_A_LINKINFO_TP_MDIX. */
  readonly tpMdix: EthtoolTpMdix;
  /** ETHTOOL_A_LINKINFO_TP_MDIX_CTRL. */
  readonly tpMdixCtrl: EthtoolTpMdix;
  /** ETHTOOL_A_LINKINFO_TRANSCEIVER: the deprecated field, XCVR_INTERNAL unless a driver sets it. */
  readonly transceiver: 'internal' | 'external';
}

/** ETHTOOL_MSG_LINKSTATE_GET_REPLY (linkstate_fill_reply): `link` is absent without get_link. */
export interface EthnlLinkstateReply {
  /** ETHTOOL_A_LINKSTATE_LINK: netif_running && get_link. */
  readonly link?: boolean;
}

/** Where userland ethtool sends its requests: the netlink family (modern) or SIOCETHTOOL only. */
export type EthtoolPath = 'netlink' | 'ioctl';

/** The world `ethtool` runs in: the namespace's devices and the core context. */
export interface EthtoolEnv extends EthtoolCoreContext {
  /** The namespace's devices. */
  readonly devices: EthtoolDeviceLookup;
  /**
   * 'netlink' (default): ethtool ≥ 5.6 on a kernel with ETHTOOL_NETLINK, falling back to ioctl for
   * ioctl-only commands (-i, -S). 'ioctl': the netlink interface cannot be initialised, every
   * command uses SIOCETHTOOL and --monitor is unavailable.
   */
  readonly path?: EthtoolPath;
}

/** A running `ethtool --monitor`: the text it prints after "listening...". */
export interface EthtoolMonitor {
  /** Called with each printed line (without its newline) as notifications arrive; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void;
  /** The text printed since the previous read (complete lines, newline-terminated), then forgotten. */
  read(): string;
  /** Stop listening, as Ctrl-C would. */
  close(): void;
  /** close() was called. */
  readonly closed: boolean;
}

/** What one `ethtool` invocation printed and its exit status. */
export interface EthtoolResult {
  /** Everything written to standard output. */
  readonly stdout: string;
  /** Everything written to standard error. */
  readonly stderr: string;
  /** The exit status (0, 1, 71, 75, 94, 96, 97, … as the real tool). */
  readonly exitCode: number;
  /** For `--monitor`: the still-running listener (its later output is read from it). */
  readonly monitor?: EthtoolMonitor;
}
