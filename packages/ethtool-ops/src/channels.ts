/**
 * Channel counts in the ethtool core, mirroring Linux 6.18 (the kernel of the captured samples):
 *
 * - netlink: net/ethtool/channels.c — channels_prepare_data / channels_fill_reply (GET and the
 *   CHANNELS_NTF payload), ethnl_set_channels_validate + ethnl_set_channels run by
 *   ethnl_default_set_doit (SET), in exactly the kernel's order of checks and with its extack
 *   messages;
 * - ioctl: net/ethtool/ioctl.c — ethtool_get_channels / ethtool_set_channels (same checks, errno
 *   only, plus the "nothing changed" early return);
 * - both: ethtool_check_max_channel (net/ethtool/common.c) for RSS tables, ntuple rules and
 *   memory providers, and the AF_XDP zero-copy pool scan over the channels being removed.
 *
 * The core never edits a device: it validates, then hands the driver a frozen copy. A driver
 * whose set_channels fails must leave its channels as they were; the core re-reads them and
 * throws EthtoolError('EIO') if not, so a half-applied change cannot go unnoticed.
 */
import { ERRNO } from '@ntbsim/kernel';
import { assertU32, opsOf, withOps } from './core.js';
import { EthtoolError } from './errors.js';
import type {
  EthnlBadAttr,
  EthnlChannelsReply,
  EthnlExtack,
  EthnlResult,
  EthtoolChannels,
  EthtoolChannelsAttr,
  EthtoolChannelsRequest,
  EthtoolCoreContext,
  EthtoolDevice,
  EthtoolIoctlResult,
} from './types.js';

/** The extack texts of the channel checks (net/ethtool/channels.c, net/ethtool/common.c). */
export const CHANNELS_EXTACK = {
  /** A count above its maximum. */
  exceedsMax: 'requested channel count exceeds maximum',
  /** No RX or no TX channel would be left. */
  noRxTx: 'requested channel counts would result in no RX or TX channel being configured',
  /** The RSS indirection table uses RX queue `max` (the highest it uses). */
  indirTable: (max: number): string => `requested channel counts are too low for existing indirection table (${max})`,
  /** An ntuple rule steers to a queue that would go away. */
  ntuple: 'requested channel counts are too low for existing ntuple filter settings',
  /** A memory provider is bound to RX queue `max` (the highest bound). */
  memProvider: (max: number): string =>
    `requested channel counts are too low for existing memory provider setting (${max})`,
  /** An AF_XDP zero-copy pool is on a channel being removed. */
  afXdp: 'requested channel counts are too low for existing zerocopy AF_XDP sockets',
} as const;

/** The count fields of struct ethtool_channels a SET carries. */
export type EthtoolChannelCounts = Pick<EthtoolChannels, 'rxCount' | 'txCount' | 'otherCount' | 'combinedCount'>;

const COUNT_FIELD: Record<EthtoolChannelsAttr, keyof EthtoolChannelCounts> = {
  rx: 'rxCount',
  tx: 'txCount',
  other: 'otherCount',
  combined: 'combinedCount',
};

function readChannels(dev: EthtoolDevice, get: () => EthtoolChannels): EthtoolChannels {
  const ch = get();
  for (const key of [
    'maxRx',
    'maxTx',
    'maxOther',
    'maxCombined',
    'rxCount',
    'txCount',
    'otherCount',
    'combinedCount',
  ] as const) {
    assertU32(ch[key], `${dev.name} get_channels ${key}`, 'EIO');
  }
  return Object.freeze({ ...ch });
}

function sameCounts(a: EthtoolChannelCounts, b: EthtoolChannelCounts): boolean {
  return (
    a.rxCount === b.rxCount &&
    a.txCount === b.txCount &&
    a.otherCount === b.otherCount &&
    a.combinedCount === b.combinedCount
  );
}

/** channels_fill_reply: a max/count pair for each kind whose maximum is non-zero. */
export function channelsFillReply(ch: EthtoolChannels): EthnlChannelsReply {
  return {
    ...(ch.maxRx !== 0 ? { rx: { max: ch.maxRx, count: ch.rxCount } } : {}),
    ...(ch.maxTx !== 0 ? { tx: { max: ch.maxTx, count: ch.txCount } } : {}),
    ...(ch.maxOther !== 0 ? { other: { max: ch.maxOther, count: ch.otherCount } } : {}),
    ...(ch.maxCombined !== 0 ? { combined: { max: ch.maxCombined, count: ch.combinedCount } } : {}),
  };
}

/** ETHTOOL_MSG_CHANNELS_GET (channels_prepare_data + channels_fill_reply), after the header parse. */
export function ethnlGetChannels(dev: EthtoolDevice): EthnlResult<EthnlChannelsReply> {
  const get = opsOf(dev).getChannels;
  if (get === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  return withOps(dev, () => ({ ok: true as const, reply: channelsFillReply(readChannels(dev, get)) }));
}

/**
 * ethtool_notify(dev, ETHTOOL_MSG_CHANNELS_NTF): when the monitor group has listeners, build the
 * message as a GET would (nothing is sent if that fails) and multicast it.
 */
export function ethtoolNotifyChannels(dev: EthtoolDevice, ctx: EthtoolCoreContext = {}): void {
  const notifier = ctx.notifier;
  if (notifier === undefined || !notifier.hasListeners()) return;
  const res = ethnlGetChannels(dev);
  if (!res.ok) return;
  notifier.publish({ cmd: 'CHANNELS_NTF', devName: dev.name, channels: res.reply });
}

function xskGetPoolFromQid(dev: EthtoolDevice, qid: number): boolean {
  if (qid < dev.realNumRxQueues) return dev.xskPoolOnQueue?.(qid, 'rx') ?? false;
  if (qid < dev.realNumTxQueues) return dev.xskPoolOnQueue?.(qid, 'tx') ?? false;
  return false;
}

function minMpChannelCount(dev: EthtoolDevice): number {
  for (let i = dev.realNumRxQueues - 1; i >= 0; i--) {
    if (dev.rxQueueHasMemoryProvider?.(i) === true) return i + 1;
  }
  return 0;
}

/**
 * ethtool_check_max_channel: the new RX channel total (combined + rx) must stay above every
 * queue index a user RSS table, an ntuple rule or a memory provider uses. Returns 0 or -EINVAL
 * with the extack message the netlink path reports.
 */
export function ethtoolCheckMaxChannel(
  dev: EthtoolDevice,
  ch: EthtoolChannelCounts,
): { readonly ret: number; readonly message?: string } {
  const rxTotal = (ch.combinedCount + ch.rxCount) >>> 0;
  const maxRxnfc = dev.rxnfcMaxQueue?.() ?? 0;
  const maxRxfh = dev.rxfhMaxQueue?.() ?? 0;
  if (rxTotal <= maxRxfh) return { ret: -ERRNO.EINVAL, message: CHANNELS_EXTACK.indirTable(maxRxfh) };
  if (rxTotal <= maxRxnfc) return { ret: -ERRNO.EINVAL, message: CHANNELS_EXTACK.ntuple };
  const maxMp = minMpChannelCount(dev);
  if (rxTotal <= maxMp) return { ret: -ERRNO.EINVAL, message: CHANNELS_EXTACK.memProvider(maxMp) };
  return { ret: 0 };
}

/** ops->set_channels with the channels read before (`before`); checks a failure left them alone. */
function callSetChannels(dev: EthtoolDevice, before: EthtoolChannels, ch: EthtoolChannels): { ret: number; extack?: string } {
  const set = opsOf(dev).setChannels;
  const get = opsOf(dev).getChannels;
  if (set === undefined || get === undefined) return { ret: -ERRNO.EOPNOTSUPP };
  const out = set(Object.freeze({ ...ch }));
  const res = typeof out === 'number' ? { ret: out } : out;
  if (res.ret < 0 && !sameCounts(readChannels(dev, get), before)) {
    throw new EthtoolError('EIO', `${dev.name} set_channels returned ${res.ret} but changed the channel counts`);
  }
  return res.extack === undefined ? { ret: res.ret } : { ret: res.ret, extack: res.extack };
}

function checkRequest(req: EthtoolChannelsRequest): void {
  for (const attr of ['rx', 'tx', 'other', 'combined'] as const) {
    const v = req[attr];
    if (v !== undefined) assertU32(v, `channels request ${attr}`);
  }
}

function extackAt(message: string, req: EthtoolChannelsRequest, attr: EthtoolChannelsAttr | undefined): EthnlExtack {
  const badAttr: EthnlBadAttr | undefined = attr !== undefined && req[attr] !== undefined ? attr : undefined;
  return badAttr === undefined ? { message } : { message, badAttr };
}

/** ethnl_set_channels proper (rtnl and begin already taken): 0/1 like the kernel, or an error. */
function setChannelsLocked(
  dev: EthtoolDevice,
  req: EthtoolChannelsRequest,
  ctx: EthtoolCoreContext,
): EthnlResult<null> {
  const get = opsOf(dev).getChannels;
  if (get === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  const cur = readChannels(dev, get);
  const oldTotal = cur.combinedCount + Math.max(cur.rxCount, cur.txCount);
  const ch: { -readonly [K in keyof EthtoolChannels]: EthtoolChannels[K] } = { ...cur };
  let mod = false;
  let modCombined = false;
  for (const attr of ['rx', 'tx', 'other', 'combined'] as const) {
    const v = req[attr];
    if (v === undefined || ch[COUNT_FIELD[attr]] === v) continue;
    ch[COUNT_FIELD[attr]] = v;
    if (attr === 'combined') modCombined = true;
    else mod = true;
  }
  mod ||= modCombined;
  if (!mod) return { ok: true, reply: null };

  let errAttr: EthtoolChannelsAttr | undefined;
  if (ch.rxCount > ch.maxRx) errAttr = 'rx';
  else if (ch.txCount > ch.maxTx) errAttr = 'tx';
  else if (ch.otherCount > ch.maxOther) errAttr = 'other';
  else if (ch.combinedCount > ch.maxCombined) errAttr = 'combined';
  if (errAttr !== undefined) {
    return { ok: false, ret: -ERRNO.EINVAL, extack: extackAt(CHANNELS_EXTACK.exceedsMax, req, errAttr) };
  }

  if (ch.combinedCount === 0 && ch.rxCount === 0) errAttr = 'rx';
  else if (ch.combinedCount === 0 && ch.txCount === 0) errAttr = 'tx';
  if (errAttr !== undefined) {
    if (modCombined) errAttr = 'combined';
    return { ok: false, ret: -ERRNO.EINVAL, extack: extackAt(CHANNELS_EXTACK.noRxTx, req, errAttr) };
  }

  const max = ethtoolCheckMaxChannel(dev, ch);
  if (max.ret < 0) {
    return max.message === undefined ? { ok: false, ret: max.ret } : { ok: false, ret: max.ret, extack: { message: max.message } };
  }

  const fromChannel = ch.combinedCount + Math.min(ch.rxCount, ch.txCount);
  for (let i = fromChannel; i < oldTotal; i++) {
    if (xskGetPoolFromQid(dev, i)) {
      return { ok: false, ret: -ERRNO.EINVAL, extack: { message: CHANNELS_EXTACK.afXdp } };
    }
  }

  const res = callSetChannels(dev, cur, ch);
  if (res.ret < 0) {
    return res.extack === undefined
      ? { ok: false, ret: res.ret }
      : { ok: false, ret: res.ret, extack: { message: res.extack } };
  }
  ethtoolNotifyChannels(dev, ctx);
  return { ok: true, reply: null };
}

/**
 * ETHTOOL_MSG_CHANNELS_SET on a parsed device (ethnl_default_set_doit: set_validate, begin,
 * ethnl_set_channels, notify, complete). Checks, in the kernel's order: -EOPNOTSUPP without
 * get/set_channels; no change → 0 without calling the driver; any count above its maximum (rx,
 * tx, other, combined); no RX or no TX channel left; RSS table / ntuple / memory provider;
 * AF_XDP zero-copy pools on channels being removed; then the driver, and CHANNELS_NTF on success.
 * Throws EthtoolError('EINVAL') for a count that is not a u32.
 */
export function ethnlSetChannels(
  dev: EthtoolDevice,
  req: EthtoolChannelsRequest,
  ctx: EthtoolCoreContext = {},
): EthnlResult<null> {
  checkRequest(req);
  const ops = opsOf(dev);
  if (ops.getChannels === undefined || ops.setChannels === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  return withOps(dev, () => setChannelsLocked(dev, req, ctx));
}

/** ETHTOOL_GCHANNELS (ethtool_get_channels): the driver's struct, or -EOPNOTSUPP. Call inside devEthtool. */
export function ethtoolGetChannels(dev: EthtoolDevice): EthtoolIoctlResult<EthtoolChannels> {
  const get = opsOf(dev).getChannels;
  if (get === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  return { ok: true, value: readChannels(dev, get) };
}

/**
 * ETHTOOL_SCHANNELS (ethtool_set_channels), called inside devEthtool: the whole count set is
 * given; equal to the current one → 0 without the driver; then maxima, at-least-one RX/TX,
 * ethtool_check_max_channel and the AF_XDP scan, all as bare -EINVAL; CHANNELS_NTF when the driver
 * returns 0. Throws EthtoolError('EINVAL') for a count that is not a u32.
 */
export function ethtoolSetChannels(
  dev: EthtoolDevice,
  want: EthtoolChannelCounts,
  ctx: EthtoolCoreContext = {},
): EthtoolIoctlResult<null> {
  for (const key of ['rxCount', 'txCount', 'otherCount', 'combinedCount'] as const) {
    assertU32(want[key], `ETHTOOL_SCHANNELS ${key}`);
  }
  const ops = opsOf(dev);
  if (ops.setChannels === undefined || ops.getChannels === undefined) return { ok: false, ret: -ERRNO.EOPNOTSUPP };
  const curr = readChannels(dev, ops.getChannels);
  if (sameCounts(want, curr)) return { ok: true, value: null };
  const einval = { ok: false, ret: -ERRNO.EINVAL } as const;
  if (
    want.rxCount > curr.maxRx ||
    want.txCount > curr.maxTx ||
    want.combinedCount > curr.maxCombined ||
    want.otherCount > curr.maxOther
  ) {
    return einval;
  }
  if (want.combinedCount === 0 && (want.rxCount === 0 || want.txCount === 0)) return einval;
  if (ethtoolCheckMaxChannel(dev, want).ret < 0) return einval;
  const fromChannel = (want.combinedCount + Math.min(want.rxCount, want.txCount)) & 0xffff;
  const toChannel = (curr.combinedCount + Math.max(curr.rxCount, curr.txCount)) & 0xffff;
  for (let i = fromChannel; i < toChannel; i++) {
    if (xskGetPoolFromQid(dev, i)) return einval;
  }
  const ch: EthtoolChannels = { ...curr, ...want };
  const res = callSetChannels(dev, curr, ch);
  if (res.ret !== 0) return res.ret < 0 ? { ok: false, ret: res.ret } : { ok: true, value: null };
  ethtoolNotifyChannels(dev, ctx);
  return { ok: true, value: null };
}
