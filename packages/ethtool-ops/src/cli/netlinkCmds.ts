/**
 * Userland ethtool's netlink commands (netlink/channels.c nl_gchannels / nl_schannels,
 * netlink/settings.c nl_gset, netlink/rings.c nl_gring / nl_sring, netlink/coalesce.c
 * nl_gcoalesce / nl_scoalesce, netlink/pause.c nl_gpause, netlink/tsinfo.c nl_tsinfo and the
 * rtnetlink netlink/permaddr.c nl_permaddr) talking to the model's ethtool genetlink family,
 * with the request layout that extack offsets refer to and nlsock_process_ack's error printing:
 *
 *   nlmsghdr (16) | genlmsghdr (4) | ETHTOOL_A_*_HEADER nest (4) | ETHTOOL_A_HEADER_DEV_NAME
 *   (4 + strlen + 1, padded to 4) | request attributes, in command-line order (u32 or u8: 8 bytes)
 *
 * so the device name is always at offset 24 and `-L DEV rx N` puts rx at 24 + NLA_ALIGN(5 + len).
 */
import { ERRNO } from '@ntbsim/kernel';
import { ethnlGetChannels, ethnlSetChannels } from '../channels.js';
import { ethnlParseHeaderDev, ethtoolAdminCheck, lookupDevice, opNotSupported } from '../core.js';
import { ethnlGetLinkinfo, ethnlGetLinkmodes, ethnlGetLinkstate, rtnlPermAddress } from '../info.js';
import { ethnlRingsSetPolicy, ethnlSetRings } from '../rings.js';
import { ethnlGetTsinfo } from '../tsinfo.js';
import type { EthnlBadAttr, EthnlExtack, EthnlResult, EthtoolChannelsAttr, EthtoolDevice, EthtoolDeviceLookup, EthtoolEnv, EthtoolRingsAttr } from '../types.js';
import { formatChannelsNetlink, formatLinkinfoNetlink, formatLinkmodesNetlink, formatPermAddr, formatTsinfoNetlink } from './format.js';
import { JsonWriter } from './json.js';
import type { Output } from './output.js';
import { nlParser, type NlParam } from './parser.js';

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
  /** --json was given (only subcommands with JSON output get this far with it). */
  readonly json: boolean;
}

/** WILDCARD_DEVNAME. */
export const WILDCARD_DEVNAME = '*';

const NLA_ALIGN = (n: number): number => (n + 3) & ~3;
/** Offset of ETHTOOL_A_HEADER_DEV_NAME in a request: nlmsghdr, genlmsghdr, the header nest. */
export const DEV_NAME_OFFSET = 16 + 4 + 4;

/** strlen of the UTF-8 encoding (what C sees of a device name). */
export function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Where the request header's DEV_NAME attribute ends (the next attribute's offset). */
export function headerEnd(devname: string): number {
  return DEV_NAME_OFFSET + NLA_ALIGN(4 + utf8Length(devname) + 1);
}

/** Offset of each attribute of a request sent for `devname` with `params` (8 bytes each) in command-line order. */
function attrOffsets(devname: string, params: readonly string[]): (a: EthnlBadAttr) => number | undefined {
  const first = headerEnd(devname);
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
export function reportAck(out: Output, res: { readonly ret: number; readonly extack?: EthnlExtack }, offsets: (a: EthnlBadAttr) => number | undefined, suppress: number): void {
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
export function getRequest<T>(
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

/** The `ctx->argc > 0` check of the GET subcommands: "unexpected parameter" (false) or true. */
export function noExtraArgs(c: Cmd): boolean {
  const extra = c.args[0];
  if (extra === undefined) return true;
  c.out.err(`ethtool: unexpected parameter '${extra}'\n`);
  return false;
}

/** The SET subcommands' refusal of '*': "subcommand does not support wildcard dump" (false) or true. */
export function refuseWildcard(c: Cmd): boolean {
  if (c.devname !== WILDCARD_DEVNAME) return true;
  c.out.err('subcommand does not support wildcard dump\n');
  return false;
}

/** nl_gchannels: `ethtool -l DEV` (or '*') over netlink. */
export function nlGchannels(c: Cmd): number {
  if (!noExtraArgs(c)) return 1;
  const isDump = c.devname === WILDCARD_DEVNAME;
  return getRequest(c, ethnlGetChannels, (name, reply) => c.out.out(formatChannelsNetlink(name, reply, isDump)), 0);
}

const u32Params = <K extends string>(...args: K[]): NlParam<K>[] => args.map((arg) => ({ arg, type: 'u32' }));

/** schannels_params. */
const SCHANNELS_PARAMS: readonly NlParam<EthtoolChannelsAttr>[] = u32Params('rx', 'tx', 'other', 'combined');

/**
 * A SET request after nl_parser: the CAP_NET_ADMIN check, the attribute policy, the device
 * lookup, then `set`; an error ack is printed with the offsets of the request's attributes.
 */
function setRequest<K extends string>(
  c: Cmd,
  attrs: readonly (readonly [K, number])[],
  set: (dev: EthtoolDevice) => EthnlResult<unknown>,
  policy?: EthnlResult<never>,
): boolean {
  const perm = ethtoolAdminCheck(c.env);
  const h = perm < 0 ? { ok: false as const, ret: perm } : (policy ?? ethnlParseHeaderDev(c.env.devices, c.devname));
  const r = h.ok ? set(h.reply) : h;
  if (r.ok) return true;
  reportAck(c.out, r, attrOffsets(c.devname, attrs.map(([a]) => a)), 0);
  return false;
}

/** nl_schannels: `ethtool -L DEV [rx N] [tx N] [other N] [combined N]` over netlink. */
export function nlSchannels(c: Cmd): number {
  if (!refuseWildcard(c)) return 1;
  const attrs = nlParser(c, '-L', SCHANNELS_PARAMS);
  if (typeof attrs === 'number') return attrs;
  return setRequest(c, attrs, (dev) => ethnlSetChannels(dev, Object.fromEntries(attrs), c.env)) ? 0 : 1;
}

/** A GET subcommand whose request every model device answers with -EOPNOTSUPP (no driver op): nothing to print for it. */
function unsupportedGetRequest(c: Cmd): number {
  if (!noExtraArgs(c)) return 1;
  return getRequest(c, opNotSupported, () => undefined, 0);
}

/** nl_gring: `ethtool -g DEV` (RINGS_GET: no get_ringparam, so "Operation not supported"). */
export function nlGring(c: Cmd): number {
  return unsupportedGetRequest(c);
}

/** sring_params of ethtool 6.1. */
const SRING_PARAMS: readonly NlParam<EthtoolRingsAttr>[] = [
  ...u32Params<EthtoolRingsAttr>('rx', 'rx-mini', 'rx-jumbo', 'tx', 'rx-buf-len', 'cqe-size'),
  { arg: 'tx-push', type: 'u8bool' },
];

/** nl_sring: `ethtool -G DEV [rx N] … [tx-push on|off]` over netlink; an error ack exits 81. */
export function nlSring(c: Cmd): number {
  if (!refuseWildcard(c)) return 1;
  const attrs = nlParser(c, '-G', SRING_PARAMS);
  if (typeof attrs === 'number') return attrs;
  return setRequest(c, attrs, () => ethnlSetRings(attrs), ethnlRingsSetPolicy(attrs)) ? 0 : 81;
}

/** nl_gcoalesce: `ethtool -c DEV` (COALESCE_GET: no get_coalesce). */
export function nlGcoalesce(c: Cmd): number {
  return unsupportedGetRequest(c);
}

/**
 * The coalescing parameters of ethtool 6.1's -C, in its usage text's order: booleans (on|off)
 * and u32s; `cqe-mode-rx` and `cqe-mode-tx` exist on the netlink path only.
 */
export const COALESCE_PARAMS: readonly NlParam<string>[] = [
  { arg: 'adaptive-rx', type: 'u8bool' },
  { arg: 'adaptive-tx', type: 'u8bool' },
  ...u32Params('rx-usecs', 'rx-frames', 'rx-usecs-irq', 'rx-frames-irq', 'tx-usecs', 'tx-frames', 'tx-usecs-irq', 'tx-frames-irq'),
  ...u32Params('stats-block-usecs', 'pkt-rate-low', 'rx-usecs-low', 'rx-frames-low', 'tx-usecs-low', 'tx-frames-low', 'pkt-rate-high'),
  ...u32Params('rx-usecs-high', 'rx-frames-high', 'tx-usecs-high', 'tx-frames-high', 'sample-interval'),
  { arg: 'cqe-mode-rx', type: 'u8bool' },
  { arg: 'cqe-mode-tx', type: 'u8bool' },
];

/**
 * nl_scoalesce: `ethtool -C DEV …` over netlink. ethnl_set_coalesce_validate refuses first of all
 * a driver without get/set_coalesce, so every request ends in -EOPNOTSUPP (exit 1).
 */
export function nlScoalesce(c: Cmd): number {
  if (!refuseWildcard(c)) return 1;
  const attrs = nlParser(c, '-C', COALESCE_PARAMS);
  if (typeof attrs === 'number') return attrs;
  return setRequest(c, attrs, opNotSupported) ? 0 : 1;
}

/** nl_gpause: `ethtool -a DEV` (PAUSE_GET: no get_pauseparam); with --json an empty array is printed as well. */
export function nlGpause(c: Cmd): number {
  if (!noExtraArgs(c)) return 1;
  const json = c.json ? new JsonWriter(c.out) : undefined;
  const ret = getRequest(c, opNotSupported, () => undefined, 0);
  json?.close();
  return ret;
}

/** nl_tsinfo: `ethtool -T DEV` (or '*') over netlink. */
export function nlTsinfo(c: Cmd): number {
  if (!noExtraArgs(c)) return 1;
  const isDump = c.devname === WILDCARD_DEVNAME;
  return getRequest(c, ethnlGetTsinfo, (name, reply) => c.out.out(formatTsinfoNetlink(name, reply, isDump)), 0);
}

/**
 * nl_permaddr: `ethtool -P DEV` over rtnetlink (RTM_GETLINK; extra arguments are not looked at):
 * the IFLA_PERM_ADDRESS, "not set" without one; a '*' dump prints the devices that have one,
 * with their names. An unknown device is a bare -ENODEV (no extack).
 */
export function nlPermaddr(c: Cmd): number {
  if (c.devname === WILDCARD_DEVNAME) {
    for (const dev of dumpDevices(c.env.devices)) {
      const addr = rtnlPermAddress(dev);
      if (addr !== undefined) c.out.out(formatPermAddr(addr, dev.name));
    }
    return 0;
  }
  const dev = lookupDevice(c.env.devices, c.devname);
  if (dev === undefined) {
    c.out.perror('netlink error', -ERRNO.ENODEV);
    return 1;
  }
  const addr = rtnlPermAddress(dev);
  c.out.out(addr === undefined ? 'Permanent address: not set\n' : formatPermAddr(addr));
  return 0;
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
  section(opNotSupported, () => '');
  section(opNotSupported, () => '');
  section(ethnlGetLinkstate, (reply) => (reply.link === undefined ? '' : `\tLink detected: ${reply.link ? 'yes' : 'no'}\n`));
  if (!noBanner) {
    c.out.out('No data available\n');
    return 75;
  }
  return 0;
}
