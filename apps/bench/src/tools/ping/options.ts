/**
 * iputils ping's command line (ping/ping.c main()'s getopt loop, 20240117): the options it
 * takes, checked and converted in the order given as getopt walks them — strtol_or_err ranges,
 * ping_strtod's warnings, parsetos, the preload limit of a user other than root, and fill(),
 * which prints `PATTERN: 0x…` as it parses `-p` — and usage().
 */
import type { PmtuDisc } from '@ntbsim/net-core';
import type { CommandResult } from '../../types.js';
import { ArgvWalker } from '../argv.js';
import { strtod } from '../net/cparse.js';
import { interleaved, type StreamWrite } from '../output.js';

/** Largest `-s` for IPv4: 65535 − IP − ICMP headers. */
export const MAX_DATALEN = 0xffff - 20 - 8;
/** ping.h's MAX_DUP_CHK: the received-sequence table's size, the largest `-l`. */
export const MAX_DUP_CHK = 0x10000;
/** The largest `-l` of a user other than root. */
const MAX_USER_PRELOAD = 3;

/** iputils ping's usage() (ping/ping_common.c), the whole option list, modelled or not. */
export const USAGE = [
  '',
  'Usage',
  '  ping [options] <destination>',
  '',
  'Options:',
  '  <destination>      DNS name or IP address',
  '  -a                 use audible ping',
  '  -A                 use adaptive ping',
  '  -B                 sticky source address',
  '  -c <count>         stop after <count> replies',
  '  -C                 call connect() syscall on socket creation',
  '  -D                 print timestamps',
  '  -d                 use SO_DEBUG socket option',
  '  -e <identifier>    define identifier for ping session, default is random for',
  '                     SOCK_RAW and kernel defined for SOCK_DGRAM',
  '                     Imply using SOCK_RAW (for IPv4 only for identifier 0)',
  '  -f                 flood ping',
  '  -h                 print help and exit',
  '  -H                 force reverse DNS name resolution (useful for numeric',
  '                     destinations or for -f), override -n',
  '  -I <interface>     either interface name or address',
  '  -i <interval>      seconds between sending each packet',
  '  -L                 suppress loopback of multicast packets',
  '  -l <preload>       send <preload> number of packages while waiting replies',
  '  -m <mark>          tag the packets going out',
  '  -M <pmtud opt>     define path MTU discovery, can be one of <do|dont|want|probe>',
  '  -n                 no reverse DNS name resolution, override -H',
  '  -O                 report outstanding replies',
  '  -p <pattern>       contents of padding byte',
  '  -q                 quiet output',
  '  -Q <tclass>        use quality of service <tclass> bits',
  '  -s <size>          use <size> as number of data bytes to be sent',
  '  -S <size>          use <size> as SO_SNDBUF socket option value',
  '  -t <ttl>           define time to live',
  '  -U                 print user-to-user latency',
  '  -v                 verbose output',
  '  -V                 print version and exit',
  '  -w <deadline>      reply wait <deadline> in seconds',
  '  -W <timeout>       time to wait for response',
  '',
  'IPv4 options:',
  '  -4                 use IPv4',
  '  -b                 allow pinging broadcast',
  '  -R                 record route',
  '  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>',
  '',
  'IPv6 options:',
  '  -6                 use IPv6',
  '  -F <flowlabel>     define flow label, default is random',
  '  -N <nodeinfo opt>  use IPv6 node info query, try <help> as argument',
  '',
  'For more details see ping(8).',
  '',
].join('\n');

/** The parsed ping command line (the option fields of iputils' `struct ping_rts`). */
export interface PingOptions {
  /** `-c` (npackets); 0 for none. */
  readonly count: number;
  /** `-i` in ms, 1000 by default. */
  readonly intervalMs: number;
  /** `-i` was given (opt_interval): `-f` keeps it instead of flooding at 0. */
  readonly intervalGiven: boolean;
  /** `-s`. */
  readonly datalen: number;
  /** `-q`. */
  readonly quiet: boolean;
  /** `-M do|want|dont`: IP_MTU_DISCOVER; null when not given (the socket's default, want; do for `-b`). */
  readonly pmtudisc: PmtuDisc | null;
  /** `-b`: allow pinging a broadcast address (SO_BROADCAST). */
  readonly broadcast: boolean;
  /** `-w` in s; 0 for none. */
  readonly deadline: number;
  /** `-W` in ms. */
  readonly lingerMs: number;
  /** `-f`: flood (a `.` per request, a backspace per reply; the interval 0 unless `-i` is given). */
  readonly flood: boolean;
  /** `-A`: adaptive interval (update_interval after each reply). */
  readonly adaptive: boolean;
  /** `-l` (preload): requests sent without waiting at the start; 1 by default. */
  readonly preload: number;
  /** `-D`: `[sec.usec] ` before each line (print_timestamp). */
  readonly timestamps: boolean;
  /** `-O`: report a request still unanswered when the next is sent. */
  readonly outstanding: boolean;
  /** `-a`: a BEL with each reply. */
  readonly audible: boolean;
  /** `-n` or `-f` (opt_numeric): no reverse lookup of the replies' source. */
  readonly numeric: boolean;
  /** `-H` (opt_force_lookup): look the source up even for a numeric destination; `-n` clears it. */
  readonly forceLookup: boolean;
  /** `-v`. */
  readonly verbose: boolean;
  /** `-U` (opt_latency): user-to-user latency. */
  readonly latency: boolean;
  /** `-p`: the pattern's bytes (fill()), empty for a pattern with no hex pair; null without `-p`. */
  readonly pattern: Uint8Array | null;
  /** `-t` (IP_TTL and IP_MULTICAST_TTL); null when not given. */
  readonly ttl: number | null;
  /** `-Q` (settos, IP_TOS); 0 when not given, as iputils leaves it unset then. */
  readonly tos: number;
  /** `-S` (SO_SNDBUF); 0 when not given (the per-packet estimate). */
  readonly sndbuf: number;
  /** `-I IFACE`: the device to bind to (SO_BINDTODEVICE); null for none. */
  readonly device: string | null;
  /** `-I ADDR`: the source address to bind to (opt_strictsource); null for none. */
  readonly source: string | null;
  /** The destination (the last operand). */
  readonly target: string;
}

/** The parsed options, and what parsing wrote in order (ping_strtod's warnings on stderr, fill()'s PATTERN line on stdout). */
export interface ParsedPing {
  /** The options. */
  readonly o: PingOptions;
  /** The writes made while parsing. */
  readonly writes: readonly StreamWrite[];
}

/** iputils' option letters that take an argument. */
const WITH_ARG = new Set(['T', 'F', 'N', 'c', 'e', 'i', 'I', 'l', 'm', 'M', 'p', 'Q', 's', 'S', 't', 'w', 'W']);
/**
 * iputils' options the lab's ping does not model: they need what the model's IPv4 layer and
 * sockets lack (IP options for `-R` and `-T`, IPv6, SO_MARK, SO_DEBUG, SO_DONTROUTE, a raw socket or an
 * identifier of one's own for `-e`, connect() on the echo socket, multicast loop, a sticky source).
 */
const UNMODELLED = new Set(['R', 'T', '6', 'F', 'N', 'B', 'C', 'd', 'e', 'L', 'm', 'r']);

/** LONG_MAX on 64-bit Linux (strtol's range). */
const LONG_MAX = 9223372036854775807n;
/** INT_MAX. */
const INT_MAX = 2147483647n;
/** The largest TOS byte (TOS_MAX). */
const TOS_MAX = 255;

/** A dotted quad, as inet_aton takes one here. */
export const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/**
 * iputils strtol_or_err: base-10 strtol over the whole argument (leading blanks allowed, nothing
 * after the digits) in [min, max], else its message; a value outside long reports ERANGE.
 */
function integer(arg: string, min: bigint, max: bigint): number | string {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(arg);
  if (m === null) return `invalid argument: '${arg}'`;
  const n = BigInt(m[1] as string);
  if (n > LONG_MAX || n < -LONG_MAX - 1n) return `invalid argument: '${arg}': Numerical result out of range`;
  if (n < min || n > max) return `invalid argument: '${arg}': out of range: ${min} <= value <= ${max}`;
  return Number(n);
}

/**
 * iputils ping_strtod: strtod of the argument (an empty one is an error); text after the
 * number — or the whole argument when no number starts it, which reads as 0 — is warned about
 * and ignored (`option argument contains garbage: REST`, then `this will become fatal error in
 * the future`); infinities, NaN and subnormals are ERANGE.
 */
function pingStrtod(arg: string, what: string): { value: number; warning: string } | string {
  if (arg === '') return `${what}: ${arg}`;
  const p = strtod(arg);
  const value = p?.value ?? 0;
  const rest = p === null ? arg : p.rest;
  const warning = rest === '' ? '' : `ping: option argument contains garbage: ${rest}\nping: this will become fatal error in the future\n`;
  if (!Number.isFinite(value) || (value !== 0 && Math.abs(value) < 2.2250738585072014e-308)) return `${what}: ${arg}: Numerical result out of range`;
  return { value, warning };
}

/**
 * C `(int)strtol(s, &end, base)` for base 10 or 16 (which takes a `0x` prefix): the value,
 * saturated to long and then cut to int as the cast does, and what follows the digits (all of
 * `s` when there is no digit).
 */
function strtolInt(s: string, base: 10 | 16): { value: number; rest: string } {
  const m = (base === 16 ? /^[ \t\n\v\f\r]*([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]+)/ : /^[ \t\n\v\f\r]*([+-]?)(\d+)/).exec(s);
  if (m === null) return { value: 0, rest: s };
  const magnitude = BigInt((base === 16 ? '0x' : '') + (m[2] as string));
  const signed = m[1] === '-' ? -magnitude : magnitude;
  const long = signed > LONG_MAX ? LONG_MAX : signed < -LONG_MAX - 1n ? -LONG_MAX - 1n : signed;
  return { value: Number(BigInt.asIntN(32, long)), rest: s.slice(m[0].length) };
}

/** iputils parsetos (`-Q`): `0x`-prefixed hex or decimal, the whole argument, at most 255 (a negative value passes). */
function parseTos(arg: string): number | string {
  const hex = arg.startsWith('0x') || arg.startsWith('0X');
  const { value, rest } = strtolInt(hex ? arg.slice(2) : arg, hex ? 16 : 10);
  if (rest !== '') return `bad TOS value: ${arg}`;
  if (value > TOS_MAX) return `the decimal value of TOS bits must be in range 0-255: ${value}`;
  return value;
}

/**
 * iputils fill() (`-p`): every character a hex digit, else `patterns must be specified as hex
 * digits: REST`; then sscanf's sixteen `%2x` take up to 16 bytes, two digits each.
 */
function parsePattern(arg: string): Uint8Array | string {
  const bad = arg.search(/[^0-9a-fA-F]/);
  if (bad >= 0) return `patterns must be specified as hex digits: ${arg.slice(bad)}`;
  return Uint8Array.from(arg.slice(0, 32).match(/.{1,2}/g) ?? [], (h) => parseInt(h, 16));
}

/** fill()'s line: `PATTERN: 0x` and the pattern's bytes in hex. */
function patternLine(bytes: Uint8Array): string {
  return `PATTERN: 0x${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}\n`;
}

/**
 * Parse `argv` as iputils 20240117's main() does; `root` is whether ping runs as root (uid 0:
 * the preload limit does not apply). An error ends parsing with iputils' message and exit
 * status, after what parsing already wrote.
 */
export function parsePing(argv: readonly string[], root: boolean): ParsedPing | CommandResult {
  const ints: Partial<Record<keyof typeof INT_RANGES, number>> = {};
  const ms: Partial<Record<keyof typeof SECONDS_WHAT, number>> = {};
  let pmtudisc: PmtuDisc | null = null;
  let pattern: Uint8Array | null = null;
  let tos = 0;
  let device: string | null = null;
  let source: string | null = null;
  const flags = { quiet: false, broadcast: false, flood: false, adaptive: false, timestamps: false, outstanding: false, audible: false, numeric: false, forceLookup: false, verbose: false, latency: false };
  const writes: StreamWrite[] = [];
  /** An error exit after what parsing already wrote. */
  const fail = (msg: string, status: number): CommandResult => interleaved([...writes, { fd: 2, text: `ping: ${msg}\n` }], status);
  // iputils parses with plain getopt: `--x` is a cluster of '-' and 'x'.
  const words = new ArgvWalker(argv.slice(1), false);
  const operands: string[] = [];
  for (const w of words) {
    if (w.kind !== 'short') {
      if (w.kind === 'operand') operands.push(w.text);
      continue;
    }
    const a = w.chars;
    for (let j = 0; j < a.length; j++) {
      const c = a.charAt(j);
      let arg = '';
      if (WITH_ARG.has(c)) {
        arg = a.slice(j + 1);
        if (arg === '') {
          const next = words.next();
          if (next === undefined) return interleaved([...writes, { fd: 2, text: `ping: option requires an argument -- '${c}'\n${USAGE}` }], 2);
          arg = next;
        }
        j = a.length;
      }
      if (UNMODELLED.has(c)) return fail(`-${c}: not supported by the lab's ping`, 2);
      if (isKey(c, INT_RANGES)) {
        const [min, max] = INT_RANGES[c];
        const n = integer(arg, min, max);
        if (typeof n === 'string') return fail(n, 1);
        if (c === 'l' && !root && n > MAX_USER_PRELOAD) return fail(`cannot set preload to value greater than ${MAX_USER_PRELOAD}: ${n}`, 2);
        ints[c] = n;
        continue;
      }
      if (isKey(c, SECONDS_WHAT)) {
        const what = SECONDS_WHAT[c];
        const v = pingStrtod(arg, what);
        if (typeof v === 'string') return fail(v, 2);
        writes.push({ fd: 2, text: v.warning });
        if (v.value < 0 || v.value > MAX_SECONDS) return fail(`${what}: ${arg}`, 2);
        ms[c] = Math.trunc(v.value * 1000);
        continue;
      }
      if (isKey(c, FLAG_OF)) {
        flags[FLAG_OF[c]] = true;
        continue;
      }
      switch (c) {
        case 'Q': {
          const v = parseTos(arg);
          if (typeof v === 'string') return fail(v, 2);
          tos = v;
          break;
        }
        case 'p': {
          const v = parsePattern(arg);
          if (typeof v === 'string') return fail(v, 2);
          pattern = v;
          if (!flags.quiet) writes.push({ fd: 1, text: patternLine(v) });
          break;
        }
        case 'I':
          if (arg.includes(':')) return fail('-I with an IPv6 address: not supported by the lab\'s ping', 2);
          if (DOTTED_QUAD.test(arg)) source = arg;
          else device = arg;
          break;
        case 'M':
          if (arg === 'do' || arg === 'want' || arg === 'dont') pmtudisc = arg;
          else if (arg === 'probe') return fail('-M probe: not supported by the lab\'s ping', 2);
          else return fail(`invalid -M argument: ${arg}`, 2);
          break;
        case 'f':
          // avoid getaddrinfo() during flood
          flags.flood = true;
          flags.numeric = true;
          break;
        case 'n':
          flags.numeric = true;
          flags.forceLookup = false;
          break;
        case 'H':
          flags.forceLookup = true;
          break;
        case '4':
          break;
        case 'V':
          return interleaved([...writes, { fd: 1, text: 'ping from iputils 20240117\n' }], 0);
        case 'h':
        case '?':
          return interleaved([...writes, { fd: 2, text: USAGE }], 2);
        default:
          // getopt's message, then usage(), which starts with a blank line.
          return interleaved([...writes, { fd: 2, text: `ping: invalid option -- '${c}'\n${USAGE}` }], 2);
      }
    }
  }
  const target = operands[operands.length - 1];
  if (target === undefined) return fail('usage error: Destination address required', 1);
  const datalen = ints.s ?? 56;
  if (datalen > MAX_DATALEN) return fail(`packet size ${datalen} is too large. Maximum is ${MAX_DATALEN}`, 2);
  const o: PingOptions = {
    count: ints.c ?? 0,
    intervalMs: ms.i ?? 1000,
    intervalGiven: ms.i !== undefined,
    datalen,
    pmtudisc,
    deadline: ints.w ?? 0,
    lingerMs: ms.W ?? 10000,
    preload: ints.l ?? 1,
    pattern,
    ttl: ints.t ?? null,
    tos,
    sndbuf: ints.S ?? 0,
    device,
    source,
    target,
    ...flags,
  };
  return { o, writes };
}

/** Whether `c` is one of `table`'s option letters. */
function isKey<T extends object>(c: string, table: T): c is Extract<keyof T, string> {
  return Object.hasOwn(table, c);
}

/** The options strtol_or_err reads (exit 1 out of range): count, size, deadline, preload, TTL, SO_SNDBUF. */
const INT_RANGES = { c: [1n, LONG_MAX], s: [0n, INT_MAX], w: [0n, INT_MAX], l: [1n, BigInt(MAX_DUP_CHK)], t: [0n, 255n], S: [1n, INT_MAX] } as const;

/** The options ping_strtod reads as seconds (ms kept), and what their errors call them. */
const SECONDS_WHAT = { i: 'bad timing interval', W: 'bad linger time' } as const;

/** The option letters that only set a flag, and the flag. */
const FLAG_OF = { q: 'quiet', b: 'broadcast', A: 'adaptive', D: 'timestamps', O: 'outstanding', a: 'audible', v: 'verbose', U: 'latency' } as const;

/** INT_MAX / 1000 as a double: the largest `-i` and `-W` in seconds. */
const MAX_SECONDS = 2147483647 / 1000;
