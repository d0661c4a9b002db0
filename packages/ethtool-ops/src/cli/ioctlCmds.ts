/**
 * Userland ethtool's SIOCETHTOOL commands (ethtool.c do_gchannels, do_schannels, do_gdrv,
 * do_gstats, do_gset): what they send, what they print, and their exit codes.
 */
import { ERRNO } from '@ntbsim/kernel';
import { ethtoolGetChannels, ethtoolSetChannels } from '../channels.js';
import { devEthtool } from '../core.js';
import {
  ethtoolGetDrvinfo,
  ethtoolGetLink,
  ethtoolGetLinkKsettings,
  ethtoolGetSsetInfo,
  ethtoolGetStats,
  ethtoolGetStrings,
} from '../info.js';
import type { EthtoolDevice, EthtoolIoctlResult } from '../types.js';
import { formatChannelsIoctl, formatDrvinfo, formatLinkUsettingsIoctl, formatStats } from './format.js';
import type { Cmd } from './netlinkCmds.js';
import { getIntRange } from './strtol.js';

/** send_ioctl: one SIOCETHTOOL command on the command's device. */
function sendIoctl<T>(c: Cmd, adminPerm: boolean, fn: (dev: EthtoolDevice) => EthtoolIoctlResult<T>): EthtoolIoctlResult<T> {
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

/**
 * do_schannels: `ethtool -L DEV ...` with GCHANNELS then SCHANNELS. Values are s32 in any C base;
 * a negative one is ignored, an unchanged one reported as "unmodified, ignoring".
 */
export function doSchannels(c: Cmd): number {
  const wanted = { rx: -1, tx: -1, other: -1, combined: -1 };
  for (let i = 0; i < c.args.length; i++) {
    const kw = CHANNEL_KEYWORDS.find((k) => k === c.args[i]);
    const arg = c.args[i + 1];
    if (kw === undefined || arg === undefined) return c.out.badArgs();
    i++;
    const v = getIntRange(arg, 0, -0x8000_0000, 0x7fff_ffff);
    if (v === undefined) return c.out.badArgs();
    wanted[kw] = v;
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

const noHandler = (): EthtoolIoctlResult<never> => ({ ok: false, ret: -ERRNO.EOPNOTSUPP });

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
  const wol = sendIoctl(c, false, noHandler);
  if (!wol.ok && wol.ret !== -ERRNO.EOPNOTSUPP) c.out.perror('Cannot get wake-on-lan settings', wol.ret);
  const msglvl = sendIoctl(c, false, noHandler);
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
