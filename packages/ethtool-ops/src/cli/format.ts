/**
 * What userland ethtool prints, byte for byte (tabs, trailing spaces, blank lines included):
 * netlink/channels.c channels_reply_cb, ethtool.c dump_channels / dump_drvinfo / do_gstats /
 * dump_link_usettings / dump_link_caps / dump_mdix / dump_tsinfo / do_permaddr,
 * netlink/settings.c dump_our_modes / linkmodes_reply_cb / linkinfo_reply_cb /
 * linkstate_reply_cb, netlink/tsinfo.c tsinfo_reply_cb and netlink/permaddr.c permaddr_reply_cb.
 */
import { ETH_GSTRING_LEN, type LinkKsettingsBits } from '../info.js';
import { IOCTL_MODE_ORDER, linkModeBit, linkModeInfo, type LinkModeClass } from '../linkModes.js';
import type {
  EthnlChannelsReply,
  EthnlLinkinfoReply,
  EthnlLinkmodesReply,
  EthtoolChannels,
  EthtoolDrvinfo,
  EthtoolDuplex,
  EthtoolPort,
  EthtoolTpMdix,
  EthtoolTsInfo,
  SofTimestampingName,
} from '../types.js';

const showU32 = (label: string, v: number | undefined): string => `${label}${v === undefined ? 'n/a' : String(v)}\n`;

/** channels_reply_cb: the `-l` block; `silent` (dump or monitor) prefixes a blank line. */
export function formatChannelsNetlink(devName: string, reply: EthnlChannelsReply, silent: boolean): string {
  let s = silent ? '\n' : '';
  s += `Channel parameters for ${devName}:\nPre-set maximums:\n`;
  s += showU32('RX:\t\t', reply.rx?.max) + showU32('TX:\t\t', reply.tx?.max);
  s += showU32('Other:\t\t', reply.other?.max) + showU32('Combined:\t', reply.combined?.max);
  s += 'Current hardware settings:\n';
  s += showU32('RX:\t\t', reply.rx?.count) + showU32('TX:\t\t', reply.tx?.count);
  s += showU32('Other:\t\t', reply.other?.count) + showU32('Combined:\t', reply.combined?.count);
  return s;
}

/** dump_channels: the ioctl `-l` body (after "Channel parameters for DEV:"), zeros shown, blank line last. */
export function formatChannelsIoctl(ch: EthtoolChannels): string {
  return (
    `Pre-set maximums:\nRX:\t\t${ch.maxRx}\nTX:\t\t${ch.maxTx}\nOther:\t\t${ch.maxOther}\nCombined:\t${ch.maxCombined}\n` +
    `Current hardware settings:\nRX:\t\t${ch.rxCount}\nTX:\t\t${ch.txCount}\nOther:\t\t${ch.otherCount}\nCombined:\t${ch.combinedCount}\n\n`
  );
}

const yesNo = (n: number): string => (n !== 0 ? 'yes' : 'no');
const gstr = (s: string): string => s.slice(0, ETH_GSTRING_LEN);

/** dump_drvinfo: the `-i` block. */
export function formatDrvinfo(info: EthtoolDrvinfo): string {
  return (
    `driver: ${gstr(info.driver)}\nversion: ${gstr(info.version)}\nfirmware-version: ${gstr(info.fwVersion)}\n` +
    `expansion-rom-version: ${gstr(info.eromVersion)}\nbus-info: ${gstr(info.busInfo)}\n` +
    `supports-statistics: ${yesNo(info.nStats)}\nsupports-test: ${yesNo(info.testinfoLen)}\n` +
    `supports-eeprom-access: ${yesNo(info.eedumpLen)}\nsupports-register-dump: ${yesNo(info.regdumpLen)}\n` +
    `supports-priv-flags: ${yesNo(info.nPrivFlags)}\n`
  );
}

/** do_gstats: "NIC statistics:" and one `     name: value` line per counter (name cut at 32 characters). */
export function formatStats(names: readonly string[], values: readonly bigint[]): string {
  let s = 'NIC statistics:\n';
  names.forEach((name, i) => {
    s += `     ${gstr(name)}: ${(values[i] ?? 0n).toString()}\n`;
  });
  return s;
}

const PORT_NAMES: Record<EthtoolPort, string> = {
  tp: 'Twisted Pair',
  aui: 'AUI',
  bnc: 'BNC',
  mii: 'MII',
  fibre: 'FIBRE',
  da: 'Direct Attach Copper',
  none: 'None',
  other: 'Other',
};

const DUPLEX_UNKNOWN = 0xff;

function duplexLine(d: EthtoolDuplex): string {
  if (d === 'half') return '\tDuplex: Half\n';
  if (d === 'full') return '\tDuplex: Full\n';
  return `\tDuplex: Unknown! (${DUPLEX_UNKNOWN})\n`;
}

function speedLine(speed: number): string {
  const u = speed >>> 0;
  return u === 0 || u === 0xffff || u === 0xffff_ffff ? '\tSpeed: Unknown!\n' : `\tSpeed: ${u}Mb/s\n`;
}

/** dump_mdix: the "MDI-X:" line of a twisted-pair port. */
export function formatMdix(mdix: EthtoolTpMdix, ctrl: EthtoolTpMdix): string {
  if (ctrl === 'mdi') return '\tMDI-X: off (forced)\n';
  if (ctrl === 'mdi-x') return '\tMDI-X: on (forced)\n';
  const state = mdix === 'mdi' ? 'off' : mdix === 'mdi-x' ? 'on' : 'Unknown';
  return `\tMDI-X: ${state}${ctrl === 'auto' ? ' (auto)' : ''}\n`;
}

function bitsOf(names: readonly string[]): number[] {
  return names.map((n) => linkModeBit(n) ?? -1).filter((b) => b >= 0);
}

/** netlink/settings.c dump_link_modes over a verbose bitset (the bits listed, in order). */
function nlLinkModes(bits: readonly number[], cls: LinkModeClass, texts: readonly [string, string | null, string, string | null]): string {
  const [before, between, after, ifNone] = texts;
  let s = `\t${before}`;
  let first = true;
  let prev = -2;
  for (const idx of bits) {
    const info = linkModeInfo(idx);
    if (info.cls !== cls) continue;
    if (first) {
      first = false;
    } else if (cls === 'real' && prev === idx - 1 && linkModeInfo(prev).cls === 'real' && linkModeInfo(prev).half) {
      s += ' ';
    } else if (between !== null) {
      s += `\t${between}`;
    } else {
      s += `\n\t${' '.repeat(before.length)}`;
    }
    s += info.name;
    prev = idx;
  }
  if (first && ifNone !== null) s += ifNone;
  return s + after;
}

function pauseText(pause: boolean, asym: boolean): string {
  if (pause) return asym ? 'Symmetric Receive-only' : 'Symmetric';
  return asym ? 'Transmit-only' : 'No';
}

/** linkmodes_reply_cb: dump_our_modes, then Speed, Duplex and Auto-negotiation (no banner). */
export function formatLinkmodesNetlink(reply: EthnlLinkmodesReply): string {
  const sup = bitsOf(reply.supported);
  const adv = bitsOf(reply.advertising);
  const has = (bits: readonly number[], name: string): boolean => bits.includes(linkModeBit(name) ?? -1);
  let s = nlLinkModes(sup, 'port', ['Supported ports: [ ', ' ', ' ]\n', null]);
  s += nlLinkModes(sup, 'real', ['Supported link modes:   ', null, '\n', 'Not reported']);
  s += `\tSupported pause frame use: ${pauseText(has(sup, 'Pause'), has(sup, 'Asym_Pause'))}\n`;
  s += `\tSupports auto-negotiation: ${has(sup, 'Autoneg') ? 'Yes' : 'No'}\n`;
  s += nlLinkModes(sup, 'fec', ['Supported FEC modes: ', ' ', '\n', 'Not reported']);
  s += nlLinkModes(adv, 'real', ['Advertised link modes:  ', null, '\n', 'Not reported']);
  s += `\tAdvertised pause frame use: ${pauseText(has(adv, 'Pause'), has(adv, 'Asym_Pause'))}\n`;
  s += `\tAdvertised auto-negotiation: ${has(adv, 'Autoneg') ? 'Yes' : 'No'}\n`;
  s += nlLinkModes(sup, 'fec', ['Advertised FEC modes: ', ' ', '\n', 'Not reported']);
  s += speedLine(reply.speed) + duplexLine(reply.duplex);
  s += `\tAuto-negotiation: ${reply.autoneg ? 'on' : 'off'}\n`;
  return s;
}

/** linkinfo_reply_cb: Port, PHYAD, Transceiver and, for twisted pair, MDI-X (no banner). */
export function formatLinkinfoNetlink(reply: EthnlLinkinfoReply): string {
  let s = `\tPort: ${PORT_NAMES[reply.port]}\n\tPHYAD: ${reply.phyAddress}\n\tTransceiver: ${reply.transceiver}\n`;
  if (reply.port === 'tp') s += formatMdix(reply.tpMdix, reply.tpMdixCtrl);
  return s;
}

/** ethtool.c dump_link_caps: one capability block (link modes, pause, autoneg, FEC). */
function ioctlLinkCaps(prefix: string, anPrefix: string, bits: ReadonlySet<number>): string {
  const indent = Math.max(prefix.length + 14, 24);
  let s = `\t${prefix} link modes:${' '.repeat(indent - prefix.length - 12)}`;
  let did1 = 0;
  let newLinePend = false;
  for (const mode of IOCTL_MODE_ORDER) {
    if (did1 > 0 && !mode.sameLine) newLinePend = true;
    if (!bits.has(mode.bit)) continue;
    if (newLinePend) {
      s += `\n\t${' '.repeat(indent)}`;
      newLinePend = false;
    }
    did1++;
    s += `${linkModeInfo(mode.bit).name} `;
  }
  if (did1 === 0) s += 'Not reported';
  s += '\n';
  const has = (name: string): boolean => bits.has(linkModeBit(name) ?? -1);
  s += `\t${prefix} pause frame use: ${pauseText(has('Pause'), has('Asym_Pause'))}\n`;
  s += `\t${anPrefix} auto-negotiation: ${has('Autoneg') ? 'Yes' : 'No'}\n`;
  let fec = '';
  if (has('None')) fec += ' None';
  if (has('BASER')) fec += ' BaseR';
  if (has('RS')) fec += ' RS';
  if (has('LLRS')) fec += ' LLRS';
  s += `\t${prefix} FEC modes:${fec === '' ? ' Not reported' : fec}\n`;
  return s;
}

/** dump_link_usettings: the ioctl settings block (no banner, no link state). */
export function formatLinkUsettingsIoctl(ks: LinkKsettingsBits): string {
  const sup = new Set(ks.supportedBits);
  let s = '\tSupported ports: [ ';
  for (const port of ['TP', 'AUI', 'BNC', 'MII', 'FIBRE', 'Backplane']) {
    if (sup.has(linkModeBit(port) ?? -1)) s += `${port} `;
  }
  s += ']\n';
  s += ioctlLinkCaps('Supported', 'Supports', sup);
  s += ioctlLinkCaps('Advertised', 'Advertised', new Set(ks.advertisingBits));
  const st = ks.settings;
  s += speedLine(st.speed) + duplexLine(st.duplex);
  s += `\tPort: ${PORT_NAMES[st.port]}\n\tPHYAD: ${st.phyAddress}\n\tTransceiver: internal\n`;
  s += `\tAuto-negotiation: ${st.autoneg ? 'on' : 'off'}\n`;
  if (st.port === 'tp') s += formatMdix(st.ethTpMdix ?? 'invalid', st.ethTpMdixCtrl ?? 'invalid');
  return s;
}

const phcLine = (info: EthtoolTsInfo): string => `PTP Hardware Clock: ${info.phcIndex < 0 ? 'none' : String(info.phcIndex)}\n`;

/** What both -T layouts print after the capabilities: no hardware time stamping modes (the contract has none). */
const NO_HW_TS_MODES = 'Hardware Transmit Timestamp Modes: none\nHardware Receive Filter Modes: none\n';

/**
 * tsinfo_reply_cb: the -T block, capabilities by their kernel names; `silent` (dump) prefixes a
 * blank line.
 */
export function formatTsinfoNetlink(devName: string, info: EthtoolTsInfo, silent: boolean): string {
  let s = `${silent ? '\n' : ''}Time stamping parameters for ${devName}:\nCapabilities:\n`;
  for (const name of info.soTimestamping) s += `\t${name}\n`;
  return s + phcLine(info) + NO_HW_TS_MODES;
}

/** so_timestamping_labels: the seven capabilities ethtool.c names, with their constants. */
const SO_TIMESTAMPING_LABELS: ReadonlyMap<SofTimestampingName, string> = new Map([
  ['hardware-transmit', 'hardware-transmit     (SOF_TIMESTAMPING_TX_HARDWARE)'],
  ['software-transmit', 'software-transmit     (SOF_TIMESTAMPING_TX_SOFTWARE)'],
  ['hardware-receive', 'hardware-receive      (SOF_TIMESTAMPING_RX_HARDWARE)'],
  ['software-receive', 'software-receive      (SOF_TIMESTAMPING_RX_SOFTWARE)'],
  ['software-system-clock', 'software-system-clock (SOF_TIMESTAMPING_SOFTWARE)'],
  ['hardware-legacy-clock', 'hardware-legacy-clock (SOF_TIMESTAMPING_SYS_HARDWARE)'],
  ['hardware-raw-clock', 'hardware-raw-clock    (SOF_TIMESTAMPING_RAW_HARDWARE)'],
]);

/** dump_tsinfo: the ioctl -T body (after "Time stamping parameters for DEV:"); only the first seven capabilities have labels. */
export function formatTsinfoIoctl(info: EthtoolTsInfo): string {
  let s = 'Capabilities:\n';
  for (const name of info.soTimestamping) {
    const label = SO_TIMESTAMPING_LABELS.get(name);
    if (label !== undefined) s += `\t${label}\n`;
  }
  return s + phcLine(info) + NO_HW_TS_MODES;
}

/**
 * A permanent address line: "Permanent address: xx:…" (do_permaddr, and permaddr_reply_cb for
 * one device) or, in a dump, "Permanent address of DEV: xx:…".
 */
export function formatPermAddr(addr: Uint8Array, dumpDevName?: string): string {
  const hex = [...addr].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `Permanent address${dumpDevName === undefined ? '' : ` of ${dumpDevName}`}: ${hex}\n`;
}
