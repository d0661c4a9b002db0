/**
 * Userland ethtool's SIOCETHTOOL commands (ethtool.c do_gchannels, do_schannels, do_gdrv,
 * do_gstats, do_gset, do_gring, do_sring, do_gcoalesce, do_scoalesce, do_gpause, do_tsinfo,
 * do_permaddr, do_grxfh, do_gregs, do_geeprom): what they send, what they print, and their exit
 * codes.
 */
import { ERRNO } from '@ntbsim/kernel';
import { ethtoolGetChannels, ethtoolSetChannels } from '../channels.js';
import { devEthtool, opNotSupported } from '../core.js';
import {
  ethtoolGetDrvinfo,
  ethtoolGetLink,
  ethtoolGetLinkKsettings,
  ethtoolGetPermAddr,
  ethtoolGetSsetInfo,
  ethtoolGetStats,
  ethtoolGetStrings,
} from '../info.js';
import { ethtoolGetTsInfoIoctl } from '../tsinfo.js';
import type { EthtoolDevice, EthtoolIoctlResult } from '../types.js';
import { formatChannelsIoctl, formatDrvinfo, formatLinkUsettingsIoctl, formatPermAddr, formatStats, formatTsinfoIoctl } from './format.js';
import { COALESCE_PARAMS, type Cmd } from './netlinkCmds.js';
import { parseGenericCmdline, type CmdlineInfo } from './parser.js';
import { getIntRange, getUintRange } from './strtol.js';

/** send_ioctl: one SIOCETHTOOL command on the command's device. */
export function sendIoctl<T>(c: Cmd, adminPerm: boolean, fn: (dev: EthtoolDevice) => EthtoolIoctlResult<T>): EthtoolIoctlResult<T> {
  return devEthtool(c.env.devices, c.devname, { adminPerm, ctx: c.env }, fn);
}

/** do_gchannels: `ethtool -l DEV` with ETHTOOL_GCHANNELS. */
export function doGchannels(c: Cmd): number {
  if (c.args.length !== 0) return c.out.badArgs();
  c.out.out(`Channel parameters for ${c.devname}:\n`);
  const r = sendIoctl(c, false, ethtoolGetChannels);
  if (!r.ok) {
    c.out.perror('Cannot get device channel parameters', r.ret);
    return 1;
  }
  c.out.out(formatChannelsIoctl(r.value));
  return 0;
}

const CHANNEL_KEYWORDS = ['rx', 'tx', 'other', 'combined'] as const;

/** A cmdline_info table of CMDL_S32 keywords. */
const s32Table = (names: readonly string[]): CmdlineInfo[] => names.map((name) => ({ name, type: 's32' }));

/**
 * do_schannels: `ethtool -L DEV ...` with GCHANNELS then SCHANNELS. Values are s32 in any C base;
 * a negative one is ignored, an unchanged one reported as "unmodified, ignoring".
 */
export function doSchannels(c: Cmd): number {
  const parsed = parseGenericCmdline(c.args, s32Table(CHANNEL_KEYWORDS));
  if (parsed === undefined) return c.out.badArgs();
  const wanted = { rx: -1, tx: -1, other: -1, combined: -1 };
  for (const { idx, value } of parsed) {
    const kw = CHANNEL_KEYWORDS[idx];
    if (kw !== undefined && typeof value === 'number') wanted[kw] = value;
  }
  const g = sendIoctl(c, false, ethtoolGetChannels);
  if (!g.ok) {
    c.out.perror('Cannot get device channel parameters', g.ret);
    return 1;
  }
  const cur = g.value;
  const next = { rx: cur.rxCount, tx: cur.txCount, other: cur.otherCount, combined: cur.combinedCount };
  let changed = false;
  for (const kw of CHANNEL_KEYWORDS) {
    const w = wanted[kw];
    if (w < 0) continue;
    if (w === (next[kw] | 0)) {
      c.out.err(`${kw} unmodified, ignoring\n`);
    } else {
      next[kw] = w;
      changed = true;
    }
  }
  if (!changed) {
    c.out.err('no channel parameters changed.\n');
    c.out.err(`current values: rx ${next.rx} tx ${next.tx} other ${next.other} combined ${next.combined}\n`);
    return 0;
  }
  const s = sendIoctl(c, true, (dev) =>
    ethtoolSetChannels(dev, { rxCount: next.rx, txCount: next.tx, otherCount: next.other, combinedCount: next.combined }, c.env),
  );
  if (!s.ok) {
    c.out.perror('Cannot set device channel parameters', s.ret);
    return 1;
  }
  return 0;
}

/** do_gdrv: `ethtool -i DEV` with ETHTOOL_GDRVINFO (exit 71 on failure). */
export function doGdrv(c: Cmd): number {
  if (c.args.length !== 0) return c.out.badArgs();
  const r = sendIoctl(c, false, (dev) => ethtoolGetDrvinfo(dev, c.env));
  if (!r.ok) {
    c.out.perror('Cannot get driver information', r.ret);
    return 71;
  }
  c.out.out(formatDrvinfo(r.value));
  return 0;
}

/** do_gstats(ETHTOOL_GSTATS, ETH_SS_STATS, "NIC"): `ethtool -S DEV`; exits 94 / 96 / 97 as the real tool. */
export function doGstats(c: Cmd): number {
  if (c.args.length !== 0) return c.out.badArgs();
  const info = sendIoctl(c, false, (dev) => ethtoolGetSsetInfo(dev, 'stats'));
  if (!info.ok) {
    c.out.perror('Cannot get stats strings information', info.ret);
    return 96;
  }
  const n = info.value ?? 0;
  if (n < 1) {
    c.out.err('no stats available\n');
    return 94;
  }
  const strings = sendIoctl(c, false, (dev) => ethtoolGetStrings(dev, 'stats'));
  if (!strings.ok) {
    c.out.perror('Cannot get stats strings information', strings.ret);
    return 96;
  }
  const stats = sendIoctl(c, false, ethtoolGetStats);
  if (!stats.ok) {
    c.out.perror('Cannot get stats information', stats.ret);
    return 97;
  }
  c.out.out(formatStats(strings.value.slice(0, n), stats.value));
  return 0;
}

/** do_gset: `ethtool DEV` over ioctl (GLINKSETTINGS, GWOL, GMSGLVL, GLINK); exit 75 when nothing answered. */
export function doGset(c: Cmd): number {
  if (c.args.length !== 0) return c.out.badArgs();
  c.out.out(`Settings for ${c.devname}:\n`);
  let allfail = true;
  const ks = sendIoctl(c, false, ethtoolGetLinkKsettings);
  if (ks.ok) {
    c.out.out(formatLinkUsettingsIoctl(ks.value));
    allfail = false;
  } else if (ks.ret !== -ERRNO.EOPNOTSUPP) {
    c.out.perror('Cannot get device settings', ks.ret);
  }
  const wol = sendIoctl(c, false, opNotSupported);
  if (!wol.ok && wol.ret !== -ERRNO.EOPNOTSUPP) c.out.perror('Cannot get wake-on-lan settings', wol.ret);
  const msglvl = sendIoctl(c, false, opNotSupported);
  if (!msglvl.ok && msglvl.ret !== -ERRNO.EOPNOTSUPP) c.out.perror('Cannot get message level', msglvl.ret);
  const link = sendIoctl(c, false, ethtoolGetLink);
  if (link.ok) {
    c.out.out(`\tLink detected: ${link.value ? 'yes' : 'no'}\n`);
    allfail = false;
  } else if (link.ret !== -ERRNO.EOPNOTSUPP) {
    c.out.perror('Cannot get link status', link.ret);
  }
  if (allfail) {
    c.out.out('No data available\n');
    return 75;
  }
  return 0;
}

/**
 * A SIOCETHTOOL request whose driver op the contract does not have (GRINGPARAM, GCOALESCE,
 * GPAUSEPARAM, GRXRINGS, GREGS, GEEPROM): the errno it fails with — the device lookup, the
 * privilege check and the driver's begin() decide before the missing op's -EOPNOTSUPP.
 */
function missingOpErrno(c: Cmd, adminPerm: boolean): number {
  const r = sendIoctl(c, adminPerm, opNotSupported);
  return r.ok ? 0 : r.ret;
}

/**
 * do_gring, do_gcoalesce, do_gpause: no arguments, the banner ("Ring parameters for DEV:", …),
 * then the GET ioctl fails for want of the driver op: `what` with the error, exit `code`.
 */
function bannerThenMissingOp(c: Cmd, banner: string, what: string, code: number): number {
  if (c.args.length !== 0) return c.out.badArgs();
  c.out.out(`${banner} for ${c.devname}:\n`);
  c.out.perror(what, missingOpErrno(c, false));
  return code;
}

/**
 * do_sring, do_scoalesce: the arguments (`table`), then the GET that reads what is to be set
 * fails for want of the driver op: `what` with the error, exit 76.
 */
function argsThenMissingOp(c: Cmd, table: readonly CmdlineInfo[], what: string): number {
  if (parseGenericCmdline(c.args, table) === undefined) return c.out.badArgs();
  c.out.perror(what, missingOpErrno(c, false));
  return 76;
}

/** do_gring: "Ring parameters for DEV:", then ETHTOOL_GRINGPARAM fails (exit 76). */
export function doGring(c: Cmd): number {
  return bannerThenMissingOp(c, 'Ring parameters', 'Cannot get device ring settings', 76);
}

/** do_sring's cmdline_ring: rx, rx-mini, rx-jumbo, tx (ethtool 6.1's ioctl path has no other). */
const SRING_CMDLINE = s32Table(['rx', 'rx-mini', 'rx-jumbo', 'tx']);

/** do_sring: `ethtool -G DEV …` over SIOCETHTOOL: the arguments, then ETHTOOL_GRINGPARAM fails (exit 76). */
export function doSring(c: Cmd): number {
  return argsThenMissingOp(c, SRING_CMDLINE, 'Cannot get device ring settings');
}

/** do_gcoalesce: "Coalesce parameters for DEV:", then ETHTOOL_GCOALESCE fails (exit 82). */
export function doGcoalesce(c: Cmd): number {
  return bannerThenMissingOp(c, 'Coalesce parameters', 'Cannot get device coalesce settings', 82);
}

/** COALESCE_CMDLINE_INFO: the -C parameters but cqe-mode-rx/tx (netlink only), the booleans CMDL_BOOL, the others CMDL_S32. */
const SCOALESCE_CMDLINE: readonly CmdlineInfo[] = COALESCE_PARAMS.filter((p) => !p.arg.startsWith('cqe-mode-')).map((p) => ({
  name: p.arg,
  type: p.type === 'u8bool' ? 'bool' : 's32',
}));

/** do_scoalesce: `ethtool -C DEV …` over SIOCETHTOOL: the arguments, then ETHTOOL_GCOALESCE fails (exit 76). */
export function doScoalesce(c: Cmd): number {
  return argsThenMissingOp(c, SCOALESCE_CMDLINE, 'Cannot get device coalesce settings');
}

/** do_gpause: "Pause parameters for DEV:", then ETHTOOL_GPAUSEPARAM fails (exit 76). */
export function doGpause(c: Cmd): number {
  return bannerThenMissingOp(c, 'Pause parameters', 'Cannot get device pause settings', 76);
}

/** do_tsinfo: `ethtool -T DEV` with ETHTOOL_GET_TS_INFO; a failure exits -1 (255). */
export function doTsinfo(c: Cmd): number {
  if (c.args.length !== 0) return c.out.badArgs();
  c.out.out(`Time stamping parameters for ${c.devname}:\n`);
  const r = sendIoctl(c, false, ethtoolGetTsInfoIoctl);
  if (!r.ok) {
    c.out.perror('Cannot get device time stamping settings', r.ret);
    return 255;
  }
  c.out.out(formatTsinfoIoctl(r.value));
  return 0;
}

/** do_permaddr: `ethtool -P DEV` with ETHTOOL_GPERMADDR (zeros shown, arguments ignored); a failure exits -1 (255). */
export function doPermaddr(c: Cmd): number {
  const r = sendIoctl(c, false, ethtoolGetPermAddr);
  if (!r.ok) {
    c.out.perror('Cannot read permanent address', r.ret);
    return 255;
  }
  c.out.out(formatPermAddr(r.value));
  return 0;
}

/** ETH_RXFH_CONTEXT_ALLOC - 1: the largest RSS context `-x … context N` takes. */
const MAX_RSS_CONTEXT = 0xffff_fffe;

/**
 * do_grxfh: `ethtool -x DEV [context N]` (N in 1..0xfffffffe), then ETHTOOL_GRXRINGS, which no
 * model driver answers (no get_rxnfc / get_rx_ring_count): "Cannot get RX ring count" (exit 1).
 */
export function doGrxfh(c: Cmd): number {
  for (let i = 0; i < c.args.length; i += 2) {
    const ctx = c.args[i + 1];
    if (c.args[i] !== 'context' || ctx === undefined || getIntRange(ctx, 0, 1, MAX_RSS_CONTEXT) === undefined) return c.out.badArgs();
  }
  c.out.perror('Cannot get RX ring count', missingOpErrno(c, false));
  return 1;
}

/** rxflow_str_to_type's flow types (ethtool 6.1): the ones `-n … rx-flow-hash` takes. */
const RX_FLOW_TYPES: ReadonlySet<string> = new Set(['tcp4', 'udp4', 'ah4', 'esp4', 'sctp4', 'tcp6', 'udp6', 'ah6', 'esp6', 'sctp6']);

/**
 * do_grxclass: `ethtool -n DEV [rx-flow-hash TYPE [context N] | rule N]`. With no argument,
 * ETHTOOL_GRXRINGS, then the rule count (rxclass_rule_getall); `rx-flow-hash` ETHTOOL_GRXFH;
 * `rule N` ETHTOOL_GRXCLSRULE. No model driver has get_rxnfc, so each fails as perror prints it
 * (exit 1); a malformed argument is a bad command line.
 */
export function doGrxclass(c: Cmd): number {
  const [first, type, ctxWord, ctxArg] = c.args;
  const n = c.args.length;
  if (first === 'rx-flow-hash' && n > 0) {
    if (n === 4 && (ctxWord !== 'context' || getUintRange(ctxArg ?? '', 0, 0xffff_ffff) === undefined)) return c.out.badArgs();
    if ((n !== 2 && n !== 4) || !RX_FLOW_TYPES.has(type ?? '')) return c.out.badArgs();
    c.out.perror('Cannot get RX network flow hashing options', missingOpErrno(c, false));
    return 1;
  }
  if (n === 2 && first === 'rule') {
    if (getUintRange(type ?? '', 0, 0x7fff_ffff) === undefined) return c.out.badArgs();
    c.out.perror('rxclass: Cannot get RX class rule', missingOpErrno(c, false));
    c.out.err('Cannot get RX classification rule\n');
    return 1;
  }
  if (n !== 0) return c.out.badArgs();
  c.out.perror('Cannot get RX rings', missingOpErrno(c, false));
  c.out.perror('rxclass: Cannot get RX class rule count', missingOpErrno(c, false));
  c.out.err('RX classification rule retrieval failed\n');
  return 1;
}

/**
 * do_gregs, do_geeprom: the arguments (`table`), ETHTOOL_GDRVINFO ("Cannot get driver
 * information", exit `drvinfoExit`), then the dump request, which needs CAP_NET_ADMIN and finds
 * no driver op: `what` with the error, exit 74.
 */
function dumpAfterDrvinfo(c: Cmd, table: readonly CmdlineInfo[], fail: { readonly drvinfoExit: number; readonly what: string }): number {
  if (parseGenericCmdline(c.args, table) === undefined) return c.out.badArgs();
  const info = sendIoctl(c, false, (dev) => ethtoolGetDrvinfo(dev, c.env));
  if (!info.ok) {
    c.out.perror('Cannot get driver information', info.ret);
    return fail.drvinfoExit;
  }
  c.out.perror(fail.what, missingOpErrno(c, true));
  return 74;
}

/** do_gregs' cmdline_gregs: raw, hex, file. */
const GREGS_CMDLINE: readonly CmdlineInfo[] = [
  { name: 'raw', type: 'bool' },
  { name: 'hex', type: 'bool' },
  { name: 'file', type: 'str' },
];

/**
 * do_gregs: `ethtool -d DEV [raw on|off] [hex on|off] [file FILE]`: ETHTOOL_GDRVINFO (exit 72 when
 * it fails), then ETHTOOL_GREGS, which no model driver answers (no get_regs): exit 74.
 */
export function doGregs(c: Cmd): number {
  return dumpAfterDrvinfo(c, GREGS_CMDLINE, { drvinfoExit: 72, what: 'Cannot get register dump' });
}

/** do_geeprom's cmdline_geeprom: offset, length, raw. */
const GEEPROM_CMDLINE: readonly CmdlineInfo[] = [
  { name: 'offset', type: 'u32' },
  { name: 'length', type: 'u32' },
  { name: 'raw', type: 'bool' },
];

/**
 * do_geeprom: `ethtool -e DEV [raw on|off] [offset N] [length N]`: ETHTOOL_GDRVINFO, then
 * ETHTOOL_GEEPROM, which no model driver answers (no get_eeprom); either failure exits 74.
 */
export function doGeeprom(c: Cmd): number {
  return dumpAfterDrvinfo(c, GEEPROM_CMDLINE, { drvinfoExit: 74, what: 'Cannot get EEPROM data' });
}
