/**
 * `ethtool -k|--show-features DEV` and `ethtool -K|--features DEV FEATURE on|off …` as ethtool 6.1
 * runs them: over netlink (netlink/features.c: nl_gfeatures, nl_sfeatures, dump_features,
 * show_feature_changes) and over SIOCETHTOOL (ethtool.c: do_gfeatures, do_sfeatures,
 * get_features, dump_features), with the legacy offload flags of common.c's off_flag_def
 * (`rx`, `tx`, `sg`, `tso`, `ufo`, `gso`, `gro`, `lro`, `rxvlan`, `txvlan`, `ntuple`, `rxhash`
 * and their long names), each standing for the kernel features its pattern matches.
 */
import { ERRNO } from '@ntbsim/kernel';
import { NETDEV_FEATURE_COUNT } from '@ntbsim/net-core';
import { ethtoolAdminCheck, ethnlParseHeaderDev } from '../core.js';
import {
  ETH_FLAG,
  ethnlGetFeatures,
  ethnlSetFeatures,
  ethtoolGetFeatures,
  ethtoolGetFlags,
  ethtoolGetOneFeature,
  ethtoolSetFeatures,
  featureOn,
  NETDEV_FEATURES_STRINGS,
  type EthnlFeatureBit,
  type EthnlFeaturesSetReply,
  type EthtoolLegacyFeature,
} from '../features.js';
import { DEFAULT_UTS_RELEASE } from '../info.js';
import type { EthnlBadAttr, EthnlFeaturesReply, EthtoolIoctlResult } from '../types.js';
import { sendIoctl } from './ioctlCmds.js';
import { JsonWriter } from './json.js';
import { DEV_NAME_OFFSET, getRequest, headerEnd, noExtraArgs, refuseWildcard, reportAck, utf8Length, WILDCARD_DEVNAME, type Cmd } from './netlinkCmds.js';
import type { Output } from './output.js';
import { parseGenericCmdline, type CmdlineInfo } from './parser.js';

/** ETH_FLAG_* of userland internal.h for the flags the kernel has no ETHTOOL_GFLAGS bit for. */
const ETH_FLAG_INT = { RXCSUM: 1 << 0, TXCSUM: 1 << 1, SG: 1 << 2, TSO: 1 << 3, UFO: 1 << 4, GSO: 1 << 5, GRO: 1 << 6 } as const;

/** ETH_FLAG_EXT_MASK: the flags ETHTOOL_GFLAGS reports. */
const ETH_FLAG_EXT_MASK = ETH_FLAG.LRO | ETH_FLAG.RXVLAN | ETH_FLAG.TXVLAN | ETH_FLAG.NTUPLE | ETH_FLAG.RXHASH;

/** One legacy offload flag (struct off_flag_def). */
interface OffFlagDef {
  /** Its -K short name. */
  readonly short: string;
  /** Its long name, shown by -k. */
  readonly long: string;
  /** The kernel feature names it stands for (at most one `*`). */
  readonly kernelName: string;
  /** Its legacy get request, if it has one (the others come from ETHTOOL_GFLAGS). */
  readonly get?: EthtoolLegacyFeature;
  /** Its ETH_FLAG_* bit. */
  readonly value: number;
}

/** off_flag_def, in its order. */
const OFF_FLAG_DEF: readonly OffFlagDef[] = [
  { short: 'rx', long: 'rx-checksumming', kernelName: 'rx-checksum', get: 'rx', value: ETH_FLAG_INT.RXCSUM },
  { short: 'tx', long: 'tx-checksumming', kernelName: 'tx-checksum-*', get: 'tx', value: ETH_FLAG_INT.TXCSUM },
  { short: 'sg', long: 'scatter-gather', kernelName: 'tx-scatter-gather*', get: 'sg', value: ETH_FLAG_INT.SG },
  { short: 'tso', long: 'tcp-segmentation-offload', kernelName: 'tx-tcp*-segmentation', get: 'tso', value: ETH_FLAG_INT.TSO },
  { short: 'ufo', long: 'udp-fragmentation-offload', kernelName: 'tx-udp-fragmentation', get: 'ufo', value: ETH_FLAG_INT.UFO },
  { short: 'gso', long: 'generic-segmentation-offload', kernelName: 'tx-generic-segmentation', get: 'gso', value: ETH_FLAG_INT.GSO },
  { short: 'gro', long: 'generic-receive-offload', kernelName: 'rx-gro', get: 'gro', value: ETH_FLAG_INT.GRO },
  { short: 'lro', long: 'large-receive-offload', kernelName: 'rx-lro', value: ETH_FLAG.LRO },
  { short: 'rxvlan', long: 'rx-vlan-offload', kernelName: 'rx-vlan-hw-parse', value: ETH_FLAG.RXVLAN },
  { short: 'txvlan', long: 'tx-vlan-offload', kernelName: 'tx-vlan-hw-insert', value: ETH_FLAG.TXVLAN },
  { short: 'ntuple', long: 'ntuple-filters', kernelName: 'rx-ntuple-filter', value: ETH_FLAG.NTUPLE },
  { short: 'rxhash', long: 'receive-hashing', kernelName: 'rx-hashing', value: ETH_FLAG.RXHASH },
];

/** flag_pattern_match: `name` against a pattern with at most one `*`. */
function flagPatternMatch(name: string, pattern: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return name === pattern;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return name.length >= prefix.length + suffix.length && name.startsWith(prefix) && name.endsWith(suffix);
}

/** The legacy flag a kernel feature belongs to (the first whose pattern matches), or -1. */
const FEATURE_FLAG: readonly number[] = NETDEV_FEATURES_STRINGS.map((name) =>
  name === '' ? -1 : OFF_FLAG_DEF.findIndex((f) => flagPatternMatch(name, f.kernelName)),
);

/** The kernel features of legacy flag `i`, in bit order. */
function flagMembers(i: number): number[] {
  return FEATURE_FLAG.flatMap((f, bit) => (f === i ? [bit] : []));
}

/** The legacy flag named `arg` (short or long name), or undefined. */
function legacyFlag(arg: string): OffFlagDef | undefined {
  return OFF_FLAG_DEF.find((f) => f.short === arg || f.long === arg);
}

/** What ` [fixed]`, ` [requested on|off]` or nothing a feature gets (dump_feature / dump_one_feature). */
function featureSuffix(s: EthnlFeaturesReply, bit: number): string {
  if (!featureOn(s.hw, bit) || featureOn(s.nochange, bit)) return ' [fixed]';
  if (featureOn(s.active, bit) === featureOn(s.wanted, bit)) return '';
  return featureOn(s.wanted, bit) ? ' [requested on]' : ' [requested off]';
}

const onOff = (on: boolean): string => (on ? 'on' : 'off');

/** Where a features dump goes: text lines, or JSON members (netlink's dump_feature in JSON context). */
interface FeatureSink {
  header(long: string, on: boolean): void;
  feature(prefix: string, name: string, bit: number): void;
}

function textSink(print: (line: string) => void, s: EthnlFeaturesReply): FeatureSink {
  return {
    header: (long, on) => print(`${long}: ${onOff(on)}\n`),
    feature: (prefix, name, bit) => print(`${prefix}${name}: ${onOff(featureOn(s.active, bit))}${featureSuffix(s, bit)}\n`),
  };
}

function jsonSink(json: JsonWriter, s: EthnlFeaturesReply): FeatureSink {
  const obj = (name: string, fields: readonly [string, boolean | null][]): void => {
    json.openObject(name);
    for (const [k, v] of fields) json.bool(k, v);
    json.closeObject();
  };
  return {
    header: (long, on) => obj(long, [['active', on], ['fixed', null], ['requested', null]]),
    feature: (_prefix, name, bit) =>
      obj(name, [
        ['active', featureOn(s.active, bit)],
        ['fixed', !featureOn(s.hw, bit) || featureOn(s.nochange, bit)],
        ['requested', featureOn(s.wanted, bit)],
      ]),
  };
}

/**
 * netlink/features.c dump_features: each legacy flag but UFO (a header with the OR of its
 * features when it has other than one, then its features indented; a flag with one feature shows
 * that feature under the flag's long name), then every other named feature in bit order.
 */
function dumpFeaturesNl(sink: FeatureSink, s: EthnlFeaturesReply): void {
  OFF_FLAG_DEF.forEach((flag, i) => {
    if (flag.value === ETH_FLAG_INT.UFO) return;
    const members = flagMembers(i);
    if (members.length !== 1) sink.header(flag.long, members.some((bit) => featureOn(s.active, bit)));
    for (const bit of members) {
      if (members.length === 1) sink.feature('', flag.long, bit);
      else sink.feature('\t', NETDEV_FEATURES_STRINGS[bit] ?? '', bit);
    }
  });
  FEATURE_FLAG.forEach((f, bit) => {
    if (f < 0 && NETDEV_FEATURES_STRINGS[bit] !== '') sink.feature('', NETDEV_FEATURES_STRINGS[bit] ?? '', bit);
  });
}

/** features_reply_cb in text: the -k block; `silent` (dump or monitor) prefixes a blank line. */
export function formatFeaturesNetlink(devName: string, reply: EthnlFeaturesReply, silent: boolean): string {
  let s = `${silent ? '\n' : ''}Features for ${devName}:\n`;
  dumpFeaturesNl(
    textSink((line) => (s += line), reply),
    reply,
  );
  return s;
}

/** nl_gfeatures: `ethtool -k DEV` (or '*'), in text or, with --json, JSON. */
export function nlGfeatures(c: Cmd): number {
  if (!noExtraArgs(c)) return 1;
  const isDump = c.devname === WILDCARD_DEVNAME;
  const json = c.json ? new JsonWriter(c.out) : undefined;
  const ret = getRequest(
    c,
    ethnlGetFeatures,
    (name, reply) => {
      if (json === undefined) {
        c.out.out(formatFeaturesNetlink(name, reply, isDump));
        return;
      }
      if (isDump) c.out.out('\n');
      json.openObject();
      json.string('ifname', name);
      dumpFeaturesNl(jsonSink(json, reply), reply);
      json.closeObject();
    },
    0,
  );
  json?.close();
  return ret;
}

/** The FEATURES_SET request fill_sfeatures_bitmap builds: its bits, and the features they name. */
interface SfeaturesRequest {
  readonly bits: EthnlFeatureBit[];
  readonly reqMask: bigint;
}

const bitOf = (idx: number): bigint => 1n << BigInt(idx);

/**
 * fill_sfeatures_bitmap: `FEATURE on|off` pairs up to the end or `--`; a legacy flag becomes every
 * kernel feature it matches, any other name goes as is. A missing or bad value prints ethtool
 * 6.1's complaint (with its '(null)' parameter) and gives 1.
 */
function fillSfeatures(c: Cmd): SfeaturesRequest | number {
  const bits: EthnlFeatureBit[] = [];
  let reqMask = 0n;
  for (let i = 0; i < c.args.length; i += 2) {
    const name = c.args[i] ?? '';
    if (name === '--') break;
    const val = c.args[i + 1];
    if (val !== 'on' && val !== 'off') {
      c.out.err(`ethtool (-K): flag '${val ?? '(null)'}' for parameter '(null)' is not followed by 'on' or 'off'\n`);
      return 1;
    }
    const flag = legacyFlag(name);
    const names = flag === undefined ? [name] : NETDEV_FEATURES_STRINGS.filter((n) => flagPatternMatch(n, flag.kernelName));
    for (const n of names) {
      bits.push({ name: n, value: val === 'on' });
      const idx = NETDEV_FEATURES_STRINGS.indexOf(n);
      if (idx >= 0) reqMask |= bitOf(idx);
    }
  }
  return { bits, reqMask };
}

const NLA_ALIGN = (n: number): number => (n + 3) & ~3;
const NLA_HDRLEN = 4;
/** An ETHTOOL_A_HEADER_FLAGS u32 attribute (COMPACT_BITSETS). */
const HEADER_FLAGS_LEN = 8;

/**
 * The offset of each extack attribute of a FEATURES_SET request: the header (name, then flags),
 * the WANTED and BITS nests, and per bit a BIT nest holding its NAME and, when on, a VALUE flag.
 */
function featureBitOffsets(devname: string, bits: readonly EthnlFeatureBit[]): (a: EthnlBadAttr) => number | undefined {
  const first = headerEnd(devname) + HEADER_FLAGS_LEN + 2 * NLA_HDRLEN;
  return (a) => {
    if (a === 'dev-name') return DEV_NAME_OFFSET;
    const m = /^bit-name:(\d+)$/.exec(a);
    if (m === null) return undefined;
    let off = first;
    for (const b of bits.slice(0, Number(m[1]))) off += NLA_HDRLEN + NLA_ALIGN(NLA_HDRLEN + utf8Length(b.name) + 1) + (b.value ? NLA_HDRLEN : 0);
    return off + NLA_HDRLEN;
  };
}

/**
 * show_feature_changes: nothing when every requested value came out and only requested features
 * changed; else "Actual changes:" and each feature that did not come out ("[requested …]") or
 * changed ("[not requested]" when not asked for). Returns whether nothing changed (the wanted
 * differences are exactly the requested features).
 */
function showFeatureChanges(out: Output, reply: EthnlFeaturesSetReply, reqMask: bigint): boolean {
  const { wanted, active } = reply;
  if (wanted.mask !== 0n || (active.mask & ~reqMask) !== 0n) {
    out.out('Actual changes:\n');
    for (let bit = 0; bit < NETDEV_FEATURE_COUNT; bit++) {
      const name = NETDEV_FEATURES_STRINGS[bit] ?? '';
      if (featureOn(wanted.mask, bit)) {
        const v = featureOn(wanted.value, bit);
        out.out(`${name}: ${onOff(!v)} [requested ${onOff(v)}]\n`);
      } else if (featureOn(active.mask, bit)) {
        out.out(`${name}: ${onOff(featureOn(active.value, bit))}${featureOn(reqMask, bit) ? '' : ' [not requested]'}\n`);
      }
    }
  }
  return wanted.mask === reqMask;
}

/**
 * nl_sfeatures: `ethtool -K DEV FEATURE on|off …` over netlink. An error ack exits 92; a request
 * none of whose features came out prints "Could not change any device features" (exit 1).
 */
export function nlSfeatures(c: Cmd): number {
  if (!refuseWildcard(c)) return 1;
  const req = fillSfeatures(c);
  if (typeof req === 'number') return req;
  const perm = ethtoolAdminCheck(c.env);
  const h = perm < 0 ? { ok: false as const, ret: perm } : ethnlParseHeaderDev(c.env.devices, c.devname);
  const r = h.ok ? ethnlSetFeatures(h.reply, req.bits, c.env) : h;
  if (!r.ok) {
    reportAck(c.out, r, featureBitOffsets(c.devname, req.bits), 0);
    return 92;
  }
  if (!showFeatureChanges(c.out, r.reply, req.reqMask)) return 0;
  c.out.err('Could not change any device features\n');
  return 1;
}

/** struct feature_state: the legacy flags the ioctls report and ETHTOOL_GFEATURES. */
interface FeatureState {
  readonly offFlags: number;
  readonly sets: EthnlFeaturesReply;
}

/**
 * get_features: each legacy get (an -EOPNOTSUPP from ETHTOOL_GUFO silently skipped, other errors
 * reported), ETHTOOL_GFLAGS and ETHTOOL_GFEATURES; undefined when all of them failed.
 */
function getFeaturesIoctl(c: Cmd): FeatureState | undefined {
  let offFlags = 0;
  let allFail = true;
  for (const flag of OFF_FLAG_DEF) {
    const which = flag.get;
    if (which === undefined) continue;
    const r = sendIoctl(c, false, (dev) => ethtoolGetOneFeature(dev, which));
    if (r.ok) {
      if (r.value) offFlags |= flag.value;
      allFail = false;
    } else if (which !== 'ufo' || r.ret !== -ERRNO.EOPNOTSUPP) {
      c.out.perror(`Cannot get device ${flag.long} settings`, r.ret);
    }
  }
  const flags = sendIoctl(c, false, ethtoolGetFlags);
  if (flags.ok) {
    offFlags |= flags.value & ETH_FLAG_EXT_MASK;
    allFail = false;
  } else {
    c.out.perror('Cannot get device flags', flags.ret);
  }
  const g = sendIoctl(c, false, ethtoolGetFeatures);
  if (!g.ok) c.out.perror('Cannot get device generic features', g.ret);
  if (allFail && !g.ok) return undefined;
  const v = g.ok ? g.value : { available: 0n, requested: 0n, active: 0n, neverChanged: 0n };
  return { offFlags, sets: { hw: v.available, wanted: v.requested, active: v.active, nochange: v.neverChanged } };
}

/** The kernel release the command runs on (uname -r). */
const releaseOf = (c: Cmd): string => c.env.utsRelease ?? DEFAULT_UTS_RELEASE;

/**
 * linux_version_code: KERNEL_VERSION of a release ("6.18.0"), or (unsigned) -1 when it does not
 * start with two numbers.
 */
function kernelVersionCode(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (m === null) return 0xffff_ffff;
  return Number(m[1]) * 65536 + Number(m[2]) * 256 + Number(m[3] ?? 0);
}

/**
 * ethtool.c dump_features: as the netlink one, with the legacy flags' values from their ioctls,
 * UFO hidden on kernels from 4.14 on, and against `ref` (the state before a -K) only what
 * changed: a flag header when the flag's value changed.
 */
function dumpFeaturesIoctl(out: Output, state: FeatureState, opts: { readonly ref?: FeatureState; readonly release: string }): void {
  const { sets } = state;
  const ref = opts.ref;
  const line = (prefix: string, name: string, bit: number): void => {
    if (ref !== undefined && featureOn(sets.active, bit) === featureOn(ref.sets.active, bit)) return;
    out.out(`${prefix}${name}: ${onOff(featureOn(sets.active, bit))}${featureSuffix(sets, bit)}\n`);
  };
  OFF_FLAG_DEF.forEach((flag, i) => {
    const members = flagMembers(i);
    if (members.length === 0 && flag.get === 'ufo' && kernelVersionCode(opts.release) >= (4 << 16) + (14 << 8)) return;
    const header = members.length !== 1 && (ref === undefined || ((state.offFlags ^ ref.offFlags) & flag.value) !== 0);
    if (header) out.out(`${flag.long}: ${onOff((state.offFlags & flag.value) !== 0)}\n`);
    for (const bit of members) {
      if (members.length === 1) line('', flag.long, bit);
      else line(header ? '\t' : '', NETDEV_FEATURES_STRINGS[bit] ?? '', bit);
    }
  });
  FEATURE_FLAG.forEach((f, bit) => {
    if (f < 0 && NETDEV_FEATURES_STRINGS[bit] !== '') line('', NETDEV_FEATURES_STRINGS[bit] ?? '', bit);
  });
}

/** get_feature_defs: ETHTOOL_GSSET_INFO and ETHTOOL_GSTRINGS of ETH_SS_FEATURES. */
function getFeatureDefs(c: Cmd): EthtoolIoctlResult<readonly string[]> {
  return sendIoctl(c, false, () => ({ ok: true, value: NETDEV_FEATURES_STRINGS }));
}

/** do_gfeatures: `ethtool -k DEV` over SIOCETHTOOL. */
export function doGfeatures(c: Cmd): number {
  if (c.args.length !== 0) return c.out.badArgs();
  const defs = getFeatureDefs(c);
  if (!defs.ok) {
    c.out.perror('Cannot get device feature names', defs.ret);
    return 1;
  }
  c.out.out(`Features for ${c.devname}:\n`);
  const state = getFeaturesIoctl(c);
  if (state === undefined) {
    c.out.out('no feature info available\n');
    return 1;
  }
  dumpFeaturesIoctl(c.out, state, { release: releaseOf(c) });
  return 0;
}

/** do_sfeatures' cmdline_info table: each legacy flag's short and long name, then every kernel feature name. */
const SFEATURES_CMDLINE: readonly CmdlineInfo[] = [
  ...OFF_FLAG_DEF.flatMap((f) => [
    { name: f.short, type: 'flag' as const },
    { name: f.long, type: 'flag' as const },
  ]),
  ...NETDEV_FEATURES_STRINGS.map((name) => ({ name, type: 'flag' as const })),
];

/**
 * do_sfeatures: `ethtool -K DEV …` over SIOCETHTOOL. The arguments set legacy flags and named
 * features (an "off" after an "on" of the same one keeps it on, as CMDL_FLAG does); a legacy flag
 * extends to its changeable features not named themselves ("Cannot change …" when it has none);
 * ETHTOOL_SFEATURES; then the new state against the old: a mismatch with nothing changed is
 * "Could not change any device features" (exit 1), with something changed "Actual changes:".
 */
export function doSfeatures(c: Cmd): number {
  const defs = getFeatureDefs(c);
  if (!defs.ok) {
    c.out.perror('Cannot get device feature names', defs.ret);
    return 1;
  }
  const parsed = parseGenericCmdline(c.args, SFEATURES_CMDLINE);
  if (parsed === undefined) return c.out.badArgs();
  if (parsed.length === 0) {
    c.out.out('no features changed\n');
    return 0;
  }
  const legacyCount = 2 * OFF_FLAG_DEF.length;
  let flagsWanted = 0;
  let flagsMask = 0;
  let valid = 0n;
  let requested = 0n;
  for (const { idx, value } of parsed) {
    if (idx < legacyCount) {
      const v = OFF_FLAG_DEF[idx >> 1]?.value ?? 0;
      flagsMask |= v;
      if (value === true) flagsWanted |= v;
    } else {
      valid |= bitOf(idx - legacyCount);
      if (value === true) requested |= bitOf(idx - legacyCount);
    }
  }
  const old = getFeaturesIoctl(c);
  if (old === undefined) return 1;
  OFF_FLAG_DEF.forEach((flag, i) => {
    if ((flagsMask & flag.value) === 0) return;
    const changeable = flagMembers(i).filter((bit) => featureOn(old.sets.hw, bit) && !featureOn(old.sets.nochange, bit));
    for (const bit of changeable) {
      if (featureOn(valid, bit)) continue;
      valid |= bitOf(bit);
      if ((flagsWanted & flag.value) !== 0) requested |= bitOf(bit);
    }
    if (changeable.length === 0) c.out.err(`Cannot change ${flag.long}\n`);
  });
  const set = sendIoctl(c, true, (dev) => ethtoolSetFeatures(dev, { valid, requested }, c.env));
  if (!set.ok) {
    c.out.perror('Cannot set device feature settings', set.ret);
    return 1;
  }
  const now = getFeaturesIoctl(c);
  if (now === undefined) return 1;
  const anyChanged = now.offFlags !== old.offFlags || now.sets.active !== old.sets.active;
  const anyMismatch =
    now.offFlags !== ((old.offFlags & ~flagsMask) | flagsWanted) || now.sets.active !== ((old.sets.active & ~valid) | requested);
  if (!anyMismatch) return 0;
  if (!anyChanged) {
    c.out.err('Could not change any device features\n');
    return 1;
  }
  c.out.out('Actual changes:\n');
  dumpFeaturesIoctl(c.out, now, { ref: old, release: releaseOf(c) });
  return 0;
}
