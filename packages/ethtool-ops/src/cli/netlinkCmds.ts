/**
 * Userland ethtool's netlink commands (netlink/channels.c nl_gchannels / nl_schannels,
 * netlink/settings.c nl_gset) talking to the model's ethtool genetlink family, with the
 * request layout that extack offsets refer to and nlsock_process_ack's error printing:
 *
 *   nlmsghdr (16) | genlmsghdr (4) | ETHTOOL_A_*_HEADER nest (4) | ETHTOOL_A_HEADER_DEV_NAME
 *   (4 + strlen + 1, padded to 4) | request attributes, in command-line order (u32: 8 bytes)
 *
 * so the device name is always at offset 24 and `-L DEV rx N` puts rx at 24 + NLA_ALIGN(5 + len).
 */
import { ERRNO } from '@ntbsim/kernel';
import { ethnlGetChannels, ethnlSetChannels } from '../channels.js';
import { ethnlParseHeaderDev, ethtoolAdminCheck } from '../core.js';
import { ethnlGetLinkinfo, ethnlGetLinkmodes, ethnlGetLinkstate } from '../info.js';
import type {
  EthnlBadAttr,
  EthnlExtack,
  EthnlResult,
  EthtoolChannelsAttr,
  EthtoolChannelsRequest,
  EthtoolDevice,
  EthtoolDeviceLookup,
  EthtoolEnv,
} from '../types.js';
import { formatChannelsNetlink, formatLinkinfoNetlink, formatLinkmodesNetlink } from './format.js';
import type { Output } from './output.js';
import { parseU32 } from './strtol.js';

/** One subcommand invocation: its environment, device name, remaining arguments and output. */
export interface Cmd {
  /** The namespace it runs in. */
  readonly env: EthtoolEnv;
  /** ctx->devname ('*' asks for a dump). */
  readonly devname: string;
  /** ctx->argp after the device name. */
  readonly args: readonly string[];
  /** Where it prints. */
  readonly out: Output;
}

/** WILDCARD_DEVNAME. */
export const WILDCARD_DEVNAME = '*';

const NLA_ALIGN = (n: number): number => (n + 3) & ~3;
const DEV_NAME_OFFSET = 16 + 4 + 4;

/** strlen of the UTF-8 encoding (what C sees of a device name). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Offset of each attribute of a request sent for `devname` with `params` in command-line order. */
function attrOffsets(devname: string, params: readonly EthtoolChannelsAttr[]): (a: EthnlBadAttr) => number | undefined {
  const first = DEV_NAME_OFFSET + NLA_ALIGN(4 + utf8Length(devname) + 1);
  return (a) => {
    if (a === 'dev-name') return DEV_NAME_OFFSET;
    const i = params.indexOf(a);
    return i < 0 ? undefined : first + 8 * i;
  };
}

/**
 * nlsock_process_ack: "netlink error: <extack> (offset N)" then perror("netlink error"); with
 * suppress 1 an -EOPNOTSUPP is silent, with 2 everything is.
 */
function reportAck(out: Output, res: { readonly ret: number; readonly extack?: EthnlExtack }, offsets: (a: EthnlBadAttr) => number | undefined, suppress: number): void {
  const silent = suppress >= 2 || (suppress === 1 && res.ret === -ERRNO.EOPNOTSUPP);
  if (silent) return;
  if (res.extack !== undefined) {
    const off = res.extack.badAttr === undefined ? undefined : offsets(res.extack.badAttr);
    out.err(`netlink error: ${res.extack.message}${off === undefined ? '' : ` (offset ${off})`}\n`);
  }
  if (res.ret !== 0) out.perror('netlink error', res.ret);
}

/** The devices a dump walks (for_each_netdev_dump): a map's entries; a lookup function cannot be walked. */
function dumpDevices(devices: EthtoolDeviceLookup): EthtoolDevice[] {
  return typeof devices === 'function' ? [] : [...devices.values()];
}

/**
 * A GET request and its reply processing (nlsock_prep_get_request + nlsock_send_get_request):
 * 0 when every reply was handled, 1 after an error ack.
 */
function getRequest<T>(
  c: Cmd,
  prepare: (dev: EthtoolDevice) => EthnlResult<T>,
  onReply: (devName: string, reply: T) => void,
  suppress: number,
): number {
  const offsets = attrOffsets(c.devname, []);
  if (c.devname === WILDCARD_DEVNAME) {
    for (const dev of dumpDevices(c.env.devices)) {
      const r = prepare(dev);
      if (r.ok) onReply(dev.name, r.reply);
      else if (r.ret !== -ERRNO.EOPNOTSUPP) {
        reportAck(c.out, { ret: r.ret }, offsets, suppress);
        return 1;
      }
    }
    return 0;
  }
  const h = ethnlParseHeaderDev(c.env.devices, c.devname);
  const r = h.ok ? prepare(h.reply) : h;
  if (!r.ok) {
    reportAck(c.out, r, offsets, suppress);
    return 1;
  }
  onReply(c.devname, r.reply);
  return 0;
}

/** nl_gchannels: `ethtool -l DEV` (or '*') over netlink. */
export function nlGchannels(c: Cmd): number {
  const extra = c.args[0];
  if (extra !== undefined) {
    c.out.err(`ethtool: unexpected parameter '${extra}'\n`);
    return 1;
  }
  const isDump = c.devname === WILDCARD_DEVNAME;
  return getRequest(c, ethnlGetChannels, (name, reply) => c.out.out(formatChannelsNetlink(name, reply, isDump)), 0);
}

const SCHANNELS_PARAMS: readonly EthtoolChannelsAttr[] = ['rx', 'tx', 'other', 'combined'];

/** nl_parser over schannels_params: the request in command-line order, or 1 after printing why not. */
function parseSchannels(c: Cmd): { req: EthtoolChannelsRequest; order: EthtoolChannelsAttr[] } | number {
  const req: { -readonly [K in EthtoolChannelsAttr]?: number } = {};
  const order: EthtoolChannelsAttr[] = [];
  for (let i = 0; i < c.args.length; i++) {
    const param = c.args[i] ?? '';
    const attr = SCHANNELS_PARAMS.find((p) => p === param);
    if (attr === undefined) {
      c.out.err(`ethtool (-L): unknown parameter '${param}'\n`);
      return 1;
    }
    if (order.includes(attr)) {
      c.out.err(`ethtool (-L): duplicate parameter '${param}'\n`);
      return 1;
    }
    const arg = c.args[i + 1];
    if (arg === undefined) {
      c.out.err(`ethtool (-L): no value for parameter '${param}'\n`);
      return 1;
    }
    i++;
    const val = parseU32(arg);
    if (val === undefined) {
      c.out.err(`ethtool (-L): invalid value '${arg}' for parameter '${param}'\n`);
      return 1;
    }
    req[attr] = val;
    order.push(attr);
  }
  return { req, order };
}

/** nl_schannels: `ethtool -L DEV [rx N] [tx N] [other N] [combined N]` over netlink. */
export function nlSchannels(c: Cmd): number {
  if (c.devname === WILDCARD_DEVNAME) {
    c.out.err('subcommand does not support wildcard dump\n');
    return 1;
  }
  const parsed = parseSchannels(c);
  if (typeof parsed === 'number') return parsed;
  const offsets = attrOffsets(c.devname, parsed.order);
  const perm = ethtoolAdminCheck(c.env);
  const h = perm < 0 ? { ok: false as const, ret: perm } : ethnlParseHeaderDev(c.env.devices, c.devname);
  const r = h.ok ? ethnlSetChannels(h.reply, parsed.req, c.env) : h;
  if (r.ok) return 0;
  reportAck(c.out, r, offsets, 0);
  return 1;
}

/** stats_params: the parameters nl_gstats parses (ETHTOOL_A_STATS_GROUPS). */
const GSTATS_PARAMS: readonly string[] = ['--groups', '--all-groups'];

/**
 * nl_gstats: `ethtool -S DEV --all-groups | --groups …` (netlink standard statistics, which the
 * model does not implement); it runs only with arguments (nl_gstats_chk). nl_parser rejects an
 * unknown first parameter as the real tool does; a known one is refused as not implemented (exit 1).
 */
export function nlGstats(c: Cmd): number {
  const arg = c.args[0] ?? '';
  if (GSTATS_PARAMS.includes(arg)) return c.out.notImplemented(`-S ${arg}`, "its -S shows the driver's statistics, ETH_SS_STATS, only");
  c.out.err(`ethtool (-S): unknown parameter '${arg}'\n`);
  return 1;
}

/** A GET whose handler the model's devices never have (get_wol, get_msglevel): -EOPNOTSUPP before begin. */
const unsupportedGet = (): EthnlResult<never> => ({ ok: false, ret: -ERRNO.EOPNOTSUPP });

/**
 * nl_gset: `ethtool DEV`. LINKMODES, LINKINFO, WOL, DEBUG and LINKSTATE requests in turn with
 * -EOPNOTSUPP silenced (ethtool 6.1's set); each prints its part under one "Settings for" banner.
 * An error does not stop the sequence, so a missing device reports five times, then
 * "No data available" (exit 75).
 */
export function nlGset(c: Cmd): number {
  let noBanner = false;
  const isDump = c.devname === WILDCARD_DEVNAME;
  const section = <T>(prepare: (dev: EthtoolDevice) => EthnlResult<T>, text: (reply: T) => string): void => {
    getRequest(
      c,
      prepare,
      (name, reply) => {
        if (isDump) noBanner = false;
        const s = text(reply);
        if (s === '') return;
        if (!noBanner) c.out.out(`Settings for ${name}:\n`);
        noBanner = true;
        c.out.out(s);
      },
      1,
    );
  };
  section(ethnlGetLinkmodes, formatLinkmodesNetlink);
  section(ethnlGetLinkinfo, formatLinkinfoNetlink);
  // ETHTOOL_MSG_WOL_GET, ETHTOOL_MSG_DEBUG_GET: the ops contract has no get_wol / get_msglevel.
  section(unsupportedGet, () => '');
  section(unsupportedGet, () => '');
  section(ethnlGetLinkstate, (reply) => (reply.link === undefined ? '' : `\tLink detected: ${reply.link ? 'yes' : 'no'}\n`));
  if (!noBanner) {
    c.out.out('No data available\n');
    return 75;
  }
  return 0;
}
