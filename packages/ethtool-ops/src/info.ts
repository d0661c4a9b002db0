/**
 * The read-only ethtool requests a netdev answers besides channels, as net/ethtool/ioctl.c and the
 * netlink GET handlers (linkmodes.c, linkinfo.c, linkstate.c) compute them: driver info with the
 * core's fallbacks and derived counts, string sets and statistics, link state and link settings.
 * ioctl helpers run inside devEthtool (which brackets them with begin/complete); netlink helpers
 * bracket themselves, as each prepare_data does.
 */
import { ERRNO } from '@ntbsim/kernel';
import { opsOf, withOps } from './core.js';
import { EthtoolError } from './errors.js';
import { linkModeBit, linkModeInfo } from './linkModes.js';
import type {
  EthnlLinkinfoReply,
  EthnlLinkmodesReply,
  EthnlLinkstateReply,
  EthnlResult,
  EthtoolCoreContext,
  EthtoolDevice,
  EthtoolDrvinfo,
  EthtoolIoctlResult,
  EthtoolLinkKsettings,
  EthtoolStringSet,
} from './types.js';

/** ETH_GSTRING_LEN and the other char[32] fields of the uapi structs. */
export const ETH_GSTRING_LEN = 32;

/** SPEED_UNKNOWN (include/uapi/linux/ethtool.h). */
export const SPEED_UNKNOWN = -1;

/** Default UTS_RELEASE: the kernel the reference samples were captured on. */
export const DEFAULT_UTS_RELEASE = '6.18.0';

/** strscpy into a char[32]: at most 31 characters survive. */
function strscpy32(s: string): string {
  return s.length >= ETH_GSTRING_LEN ? s.slice(0, ETH_GSTRING_LEN - 1) : s;
}

/**
 * ETHTOOL_GDRVINFO (ethtool_get_drvinfo): version pre-filled with UTS_RELEASE; the driver's
 * get_drvinfo, else the parent device's driver and name, else rtnl_link_ops->kind, else
 * -EOPNOTSUPP; then n_stats / testinfo_len / n_priv_flags from get_sset_count when present.
 */
export function ethtoolGetDrvinfo(dev: EthtoolDevice, ctx: EthtoolCoreContext = {}): EthtoolIoctlResult<EthtoolDrvinfo> {
  const ops = opsOf(dev);
  const parent = dev.parent;
  let info: { -readonly [K in keyof EthtoolDrvinfo]: EthtoolDrvinfo[K] } = {
    driver: '',
    version: strscpy32(ctx.utsRelease ?? DEFAULT_UTS_RELEASE),
    fwVersion: '',
    eromVersion: '',
    busInfo: '',
    nStats: 0,
    testinfoLen: 0,
    eedumpLen: 0,
    regdumpLen: 0,
    nPrivFlags: 0,
  };
  if (ops.getDrvinfo !== undefined) {
    info = { ...info, ...ops.getDrvinfo() };
    for (const key of ['driver', 'version', 'fwVersion', 'eromVersion', 'busInfo'] as const) {
      info[key] = strscpy32(info[key]);
    }
    if (info.busInfo === '' && parent !== undefined) info.busInfo = strscpy32(parent.name);
    if (info.driver === '' && parent?.driverName !== undefined) info.driver = strscpy32(parent.driverName);
  } else if (parent?.driverName !== undefined) {
    info.busInfo = strscpy32(parent.name);
    info.driver = strscpy32(parent.driverName);
  } else if (dev.linkKind !== undefined) {
    info.driver = strscpy32(dev.linkKind);
  } else {
    return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  }
  const count = ops.getSsetCount;
  if (count !== undefined) {
    const test = count('test');
    if (test >= 0) info.testinfoLen = test;
    const stats = count('stats');
    if (stats >= 0) info.nStats = stats;
    const priv = count('priv-flags');
    if (priv >= 0) info.nPrivFlags = priv;
  }
  return { ok: true, value: info };
}

/** __ethtool_get_sset_count: get_sset_count when the driver also has get_strings, else -EOPNOTSUPP. */
export function ethtoolGetSsetCount(dev: EthtoolDevice, set: EthtoolStringSet): number {
  const ops = opsOf(dev);
  if (ops.getSsetCount === undefined || ops.getStrings === undefined) return -ERRNO.EOPNOTSUPP;
  return ops.getSsetCount(set);
}

/** ETHTOOL_GSSET_INFO for one set: its length, or null when the set is cleared from sset_mask (count < 0). */
export function ethtoolGetSsetInfo(dev: EthtoolDevice, set: EthtoolStringSet): EthtoolIoctlResult<number | null> {
  const n = ethtoolGetSsetCount(dev, set);
  return { ok: true, value: n >= 0 ? n : null };
}

/** ETHTOOL_GSTRINGS (ethtool_get_strings): the set's names, each cut to ETH_GSTRING_LEN - 1 characters. */
export function ethtoolGetStrings(dev: EthtoolDevice, set: EthtoolStringSet): EthtoolIoctlResult<readonly string[]> {
  const n = ethtoolGetSsetCount(dev, set);
  if (n < 0) return { ok: false, ret: n };
  const get = opsOf(dev).getStrings;
  if (get === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  const names = get(set);
  if (names.length !== n) {
    throw new EthtoolError('EIO', `${dev.name} get_strings(${set}) gave ${names.length} names, get_sset_count ${n}`);
  }
  return { ok: true, value: names.map(strscpy32) };
}

/** ETHTOOL_GSTATS (ethtool_get_stats): one u64 per ETH_SS_STATS string. */
export function ethtoolGetStats(dev: EthtoolDevice): EthtoolIoctlResult<readonly bigint[]> {
  const ops = opsOf(dev);
  if (ops.getEthtoolStats === undefined || ops.getSsetCount === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  const n = ops.getSsetCount('stats');
  if (n < 0) return { ok: false, ret: n };
  const values = ops.getEthtoolStats();
  if (values.length !== n) {
    throw new EthtoolError('EIO', `${dev.name} get_ethtool_stats gave ${values.length} values, get_sset_count ${n}`);
  }
  return { ok: true, value: values.map((v) => BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)))) };
}

/** __ethtool_get_link (ETHTOOL_GLINK, LINKSTATE): netif_running && get_link, or -EOPNOTSUPP. */
export function ethtoolGetLink(dev: EthtoolDevice): EthtoolIoctlResult<boolean> {
  const get = opsOf(dev).getLink;
  if (get === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  return { ok: true, value: dev.isUp && get() };
}

function checkModes(dev: EthtoolDevice, names: readonly string[], what: string): number[] {
  const bits: number[] = [];
  for (const name of names) {
    const bit = linkModeBit(name);
    if (bit === undefined) throw new EthtoolError('EIO', `${dev.name} get_link_ksettings: unknown ${what} link mode '${name}'`);
    bits.push(bit);
  }
  return [...new Set(bits)].sort((a, b) => a - b);
}

/** A driver's link settings with link modes as sorted bit numbers (the kernel's bitmaps). */
export interface LinkKsettingsBits {
  /** The driver's settings. */
  readonly settings: EthtoolLinkKsettings;
  /** link_modes.supported bits, ascending. */
  readonly supportedBits: readonly number[];
  /** link_modes.advertising bits, ascending. */
  readonly advertisingBits: readonly number[];
}

/**
 * __ethtool_get_link_ksettings (ETHTOOL_GLINKSETTINGS): the driver's settings, or -EOPNOTSUPP.
 * Throws EthtoolError('EIO') for a link mode name the kernel does not know or a bad speed.
 */
export function ethtoolGetLinkKsettings(dev: EthtoolDevice): EthtoolIoctlResult<LinkKsettingsBits> {
  const get = opsOf(dev).getLinkKsettings;
  if (get === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  const settings = get();
  if (!Number.isInteger(settings.speed) || settings.speed < -1 || settings.speed > 0xffff_ffff) {
    throw new EthtoolError('EIO', `${dev.name} get_link_ksettings: bad speed ${settings.speed}`);
  }
  return {
    ok: true,
    value: {
      settings,
      supportedBits: checkModes(dev, settings.supported, 'supported'),
      advertisingBits: checkModes(dev, settings.advertising, 'advertising'),
    },
  };
}

const LINK_SETTINGS_EXTACK = 'failed to retrieve link settings';

/** ETHTOOL_MSG_LINKMODES_GET (linkmodes_prepare_data + linkmodes_fill_reply, verbose bitsets). */
export function ethnlGetLinkmodes(dev: EthtoolDevice): EthnlResult<EthnlLinkmodesReply> {
  return withOps(dev, () => {
    const res = ethtoolGetLinkKsettings(dev);
    if (!res.ok) return { ok: false as const, ret: res.ret, extack: { message: LINK_SETTINGS_EXTACK } };
    const { settings, supportedBits, advertisingBits } = res.value;
    const sup = new Set(supportedBits);
    return {
      ok: true as const,
      reply: {
        supported: supportedBits.map((b) => linkModeInfo(b).name),
        advertising: advertisingBits.filter((b) => sup.has(b)).map((b) => linkModeInfo(b).name),
        speed: settings.speed >>> 0,
        duplex: settings.duplex,
        autoneg: settings.autoneg,
      },
    };
  });
}

/** ETHTOOL_MSG_LINKINFO_GET (linkinfo_prepare_data + linkinfo_fill_reply). */
export function ethnlGetLinkinfo(dev: EthtoolDevice): EthnlResult<EthnlLinkinfoReply> {
  return withOps(dev, () => {
    const res = ethtoolGetLinkKsettings(dev);
    if (!res.ok) return { ok: false as const, ret: res.ret, extack: { message: LINK_SETTINGS_EXTACK } };
    const s = res.value.settings;
    return {
      ok: true as const,
      reply: {
        port: s.port,
        phyAddress: s.phyAddress,
        tpMdix: s.ethTpMdix ?? 'invalid',
        tpMdixCtrl: s.ethTpMdixCtrl ?? 'invalid',
        transceiver: 'internal' as const,
      },
    };
  });
}

/** ETHTOOL_MSG_LINKSTATE_GET (linkstate_prepare_data): LINK only when the driver has get_link. */
export function ethnlGetLinkstate(dev: EthtoolDevice): EthnlResult<EthnlLinkstateReply> {
  return withOps(dev, () => {
    const link = ethtoolGetLink(dev);
    return { ok: true as const, reply: link.ok ? { link: link.value } : {} };
  });
}

/** ETH_ALEN: dev->addr_len of every device the model has (Ethernet, and lo). */
const ETH_ALEN = 6;

/** dev->perm_addr: the device's permanent address, ETH_ALEN zero bytes when it has none. */
function permAddrOf(dev: EthtoolDevice): Uint8Array {
  return dev.permAddr ?? new Uint8Array(ETH_ALEN);
}

/** ETHTOOL_GPERMADDR (ethtool_get_perm_addr): dev->addr_len bytes of dev->perm_addr, zeros included. */
export function ethtoolGetPermAddr(dev: EthtoolDevice): EthtoolIoctlResult<Uint8Array> {
  return { ok: true, value: Uint8Array.from(permAddrOf(dev)) };
}

/**
 * IFLA_PERM_ADDRESS of an RTM_NEWLINK (rtnl_fill_ifinfo): the permanent address, or undefined
 * when it is all zeros (the attribute is left out).
 */
export function rtnlPermAddress(dev: EthtoolDevice): Uint8Array | undefined {
  const addr = permAddrOf(dev);
  return addr.some((b) => b !== 0) ? Uint8Array.from(addr) : undefined;
}
