/**
 * Userland ethtool's two argument parsers for SET subcommands: netlink/parser.c `nl_parser` over
 * a parameter table (the netlink path: its own error messages, exit 1) and ethtool.c
 * `parse_generic_cmdline` over a `cmdline_info` table (the ioctl path: any mistake is
 * `exit_bad_args`).
 */
import type { EthnlAttrValue } from '../types.js';
import type { Cmd } from './netlinkCmds.js';
import { getIntRange, getUintRange, parseU32 } from './strtol.js';

/** A netlink parameter's handler: nl_parse_direct_u32 or nl_parse_u8bool. */
export type NlParamType = 'u32' | 'u8bool';

/** One entry of a `param_parser` table: the argument and how its value is parsed. */
export interface NlParam<K extends string> {
  /** The parameter as typed (and the attribute it fills). */
  readonly arg: K;
  /** Its value's parser. */
  readonly type: NlParamType;
}

/** nl_parse_u8bool: "on" is 1, "off" is 0, anything else fails. */
function parseU8Bool(arg: string): number | undefined {
  if (arg === 'on') return 1;
  return arg === 'off' ? 0 : undefined;
}

/**
 * nl_parser with `min_argc` 1 for every parameter: the request attributes in command-line order,
 * or 1 after printing "unknown", "duplicate", "no value for" or "invalid value" as ethtool 6.1
 * does (`sub` is the subcommand, e.g. `-G`).
 */
export function nlParser<K extends string>(c: Cmd, sub: string, params: readonly NlParam<K>[]): EthnlAttrValue<K>[] | number {
  const attrs: EthnlAttrValue<K>[] = [];
  for (let i = 0; i < c.args.length; i++) {
    const param = c.args[i] ?? '';
    const p = params.find((q) => q.arg === param);
    if (p === undefined) {
      c.out.err(`ethtool (${sub}): unknown parameter '${param}'\n`);
      return 1;
    }
    if (attrs.some(([a]) => a === p.arg)) {
      c.out.err(`ethtool (${sub}): duplicate parameter '${param}'\n`);
      return 1;
    }
    const arg = c.args[i + 1];
    if (arg === undefined) {
      c.out.err(`ethtool (${sub}): no value for parameter '${param}'\n`);
      return 1;
    }
    i++;
    const val = p.type === 'u32' ? parseU32(arg) : parseU8Bool(arg);
    if (val === undefined) {
      c.out.err(`ethtool (${sub}): invalid value '${arg}' for parameter '${param}'\n`);
      return 1;
    }
    attrs.push([p.arg, val]);
  }
  return attrs;
}

/** A `cmdline_info` type: CMDL_BOOL, CMDL_S32, CMDL_U32, CMDL_STR or CMDL_FLAG (on|off into a flag mask). */
export type CmdlType = 'bool' | 's32' | 'u32' | 'str' | 'flag';

/** One entry of a `cmdline_info` table. */
export interface CmdlineInfo {
  /** The keyword. */
  readonly name: string;
  /** How its value parses. */
  readonly type: CmdlType;
}

/** A parsed keyword: its table index and value (booleans and flags as true for on). */
export interface CmdlineValue {
  /** Index of the matching entry (the first with that name). */
  readonly idx: number;
  /** The value. */
  readonly value: number | string | boolean;
}

function cmdlValue(type: CmdlType, arg: string): number | string | boolean | undefined {
  switch (type) {
    case 'bool':
    case 'flag':
      return arg === 'on' ? true : arg === 'off' ? false : undefined;
    case 's32':
      return getIntRange(arg, 0, -0x8000_0000, 0x7fff_ffff);
    case 'u32':
      return getUintRange(arg, 0, 0xffff_ffff);
    case 'str':
      return arg;
  }
}

/**
 * parse_generic_cmdline: each keyword of the table followed by its value, in any order and
 * repeatable (the later value wins); undefined where ethtool calls exit_bad_args (an unknown
 * keyword, a missing or malformed value).
 */
export function parseGenericCmdline(args: readonly string[], table: readonly CmdlineInfo[]): CmdlineValue[] | undefined {
  const parsed: CmdlineValue[] = [];
  for (let i = 0; i < args.length; i++) {
    const idx = table.findIndex((t) => t.name === args[i]);
    const info = table[idx];
    const arg = args[i + 1];
    if (info === undefined || arg === undefined) return undefined;
    i++;
    const value = cmdlValue(info.type, arg);
    if (value === undefined) return undefined;
    parsed.push({ idx, value });
  }
  return parsed;
}
