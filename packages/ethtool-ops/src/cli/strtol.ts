/**
 * glibc strtoul / strtoll on 64-bit Linux, and the ways userland ethtool turns them into checked
 * integers: netlink/parser.c's parse_u32 (the netlink path) and ethtool.c's get_int_range /
 * get_uint_range (the ioctl path). Only what those callers observe is modelled: the value, where
 * parsing stopped, and ERANGE.
 */

const ULONG_MAX = (1n << 64n) - 1n;
const LLONG_MAX = (1n << 63n) - 1n;

/** What strtoul/strtoll report: the value, the index of *endptr, and whether errno became ERANGE. */
export interface StrtolResult {
  /** The converted value (wrapped or clamped as glibc does). */
  readonly value: bigint;
  /** Index of the first unparsed character (0 when no digits were found). */
  readonly end: number;
  /** errno == ERANGE. */
  readonly erange: boolean;
}

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 97 + 10;
  if (code >= 65 && code <= 90) return code - 65 + 10;
  return 99;
}

/** The sign, base and digits of a number as glibc's strto* scan them; `digitsEnd` < 0 when there are none. */
function scan(s: string, base: number): { neg: boolean; mag: bigint; digitsEnd: number; overflow: boolean } {
  let i = 0;
  while (isSpace(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  let b = base;
  const hexPrefix = s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16;
  if ((b === 0 || b === 16) && hexPrefix) {
    b = 16;
    i += 2;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  let mag = 0n;
  let overflow = false;
  const start = i;
  while (digitValue(s[i]) < b) {
    mag = mag * BigInt(b) + BigInt(digitValue(s[i]));
    if (mag > ULONG_MAX) overflow = true;
    i++;
  }
  return { neg, mag, digitsEnd: i === start ? -1 : i, overflow };
}

/** strtoul(s, &end, base): unsigned long, a leading '-' negates modulo 2^64, overflow gives ULONG_MAX. */
export function strtoul(s: string, base: number): StrtolResult {
  const { neg, mag, digitsEnd, overflow } = scan(s, base);
  if (digitsEnd < 0) return { value: 0n, end: 0, erange: false };
  if (overflow) return { value: ULONG_MAX, end: digitsEnd, erange: true };
  return { value: neg ? BigInt.asUintN(64, -mag) : mag, end: digitsEnd, erange: false };
}

/** strtoll(s, &end, base): signed long long, clamped to LLONG_MIN/LLONG_MAX with ERANGE. */
export function strtoll(s: string, base: number): StrtolResult {
  const { neg, mag, digitsEnd, overflow } = scan(s, base);
  if (digitsEnd < 0) return { value: 0n, end: 0, erange: false };
  const limit = neg ? LLONG_MAX + 1n : LLONG_MAX;
  if (overflow || mag > limit) return { value: neg ? -(LLONG_MAX + 1n) : LLONG_MAX, end: digitsEnd, erange: true };
  return { value: neg ? -mag : mag, end: digitsEnd, erange: false };
}

/**
 * netlink/parser.c parse_u32: "0x"/"0X" then base 16, else base 10; the whole argument must
 * parse and fit in a u32 (no errno check: overflow and negatives fail the range test, "-0" is 0).
 */
export function parseU32(arg: string): number | undefined {
  const hex = arg[0] === '0' && (arg[1] === 'x' || arg[1] === 'X');
  const text = hex ? arg.slice(2) : arg;
  if (text === '') return undefined;
  const r = strtoul(text, hex ? 16 : 10);
  if (r.end !== text.length || r.value > 0xffff_ffffn) return undefined;
  return Number(r.value);
}

/**
 * ethtool.c get_int_range: strtoll with base auto-detection (0x hex, leading-0 octal); errno,
 * trailing characters or a value outside [min, max] fail. An empty string is 0, as in C.
 */
export function getIntRange(arg: string, base: number, min: number, max: number): number | undefined {
  const r = strtoll(arg, base);
  if (r.erange || r.end !== arg.length || r.value < BigInt(min) || r.value > BigInt(max)) return undefined;
  return Number(r.value);
}

/**
 * ethtool.c get_uint_range: strtoull with base auto-detection; errno, trailing characters or a
 * value above `max` fail (a negative wraps around 2^64 and fails too). An empty string is 0.
 */
export function getUintRange(arg: string, base: number, max: number): number | undefined {
  const r = strtoul(arg, base);
  if (r.erange || r.end !== arg.length || r.value > BigInt(max)) return undefined;
  return Number(r.value);
}
