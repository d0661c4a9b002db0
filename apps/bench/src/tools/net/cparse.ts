/**
 * The C library's and iproute2's number parsing, as the lab's tools take their arguments: glibc
 * `strtod` / `atof`, `atoi`, `strtol(s, &end, 0)`, and iproute2's lib/utils.c `get_integer` and
 * `get_unsigned` (base 0 over the whole word, with their range checks). Base 0 means a `0x`/`0X`
 * prefix for hex, a leading `0` for octal, decimal otherwise; leading white space is C's
 * `isspace` set; a sign may precede the digits.
 */

/** C strtod's prefix of `str` (decimal, hex float, inf, nan after white space): its value and the rest, or null when there is none. */
export function strtod(str: string): { value: number; rest: string } | null {
  const s = str.replace(/^[ \t\n\v\f\r]+/, '');
  const hex = /^([+-]?)0[xX](?=\.?[0-9a-fA-F])([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?/.exec(s);
  if (hex !== null) {
    const frac = hex[3] ?? '';
    const mant = Number.parseInt(`${hex[2] ?? ''}${frac}` || '0', 16) / 16 ** frac.length;
    const v = mant * 2 ** Number(hex[4] ?? '0');
    return { value: hex[1] === '-' ? -v : v, rest: s.slice(hex[0].length) };
  }
  const dec = /^[+-]?(?=\.?\d)\d*(?:\.\d*)?(?:[eE][+-]?\d+)?/.exec(s);
  if (dec !== null) return { value: Number(dec[0]), rest: s.slice(dec[0].length) };
  const special = /^([+-]?)(inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)/i.exec(s);
  if (special === null) return null;
  const v = (special[2] as string).toLowerCase().startsWith('inf') ? Infinity : NaN;
  return { value: special[1] === '-' ? -v : v, rest: s.slice(special[0].length) };
}

/** C `atof`: strtod's value, 0 when there is none. */
export function atof(s: string): number {
  return strtod(s)?.value ?? 0;
}

/** C `atoi`: the leading decimal integer of `s`, 0 when there is none (saturating to the int range). */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  return Math.max(-2147483648, Math.min(2147483647, Number(m[1])));
}

/** The integer strtol/strtoul base 0 converts at the start of `s`: its sign, magnitude and what follows; null when no digit was converted (`end == s`). */
function scanBase0(s: string): { readonly negative: boolean; readonly magnitude: bigint; readonly rest: string } | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))/.exec(s);
  if (m === null) return null;
  const magnitude = m[2] !== undefined ? BigInt(`0x${m[2]}`) : m[3] !== undefined ? BigInt(`0o${m[3]}`) : BigInt(m[4] ?? '0');
  return { negative: m[1] === '-', magnitude, rest: s.slice(m[0].length) };
}

const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

/** C `strtol(s, &end, 0)`: the leading integer of `s`, saturating to the (64-bit) long range; null when no digit was converted. */
export function strtol0(s: string): number | null {
  const r = scanBase0(s);
  if (r === null) return null;
  const v = r.negative ? -r.magnitude : r.magnitude;
  return Number(v > LONG_MAX ? LONG_MAX : v < LONG_MIN ? LONG_MIN : v);
}

/** `strtol(s, &end, 0)` that must take the whole of `s` (`end != s && *end == '\0'`), saturating to the long range; null otherwise. */
export function strtol0Whole(s: string): number | null {
  const r = scanBase0(s);
  return r === null || r.rest !== '' ? null : strtol0(s);
}

/** iproute2 get_integer(…, 0): strtol base 0 over the whole word, within int; null otherwise. */
export function getInteger(s: string): number | null {
  const r = scanBase0(s);
  if (r === null || r.rest !== '') return null;
  const v = r.negative ? -r.magnitude : r.magnitude;
  return v < -2147483648n || v > 2147483647n ? null : Number(v);
}

/** iproute2 get_unsigned(…, 0): strtoul base 0 over the whole word, at most UINT_MAX — a `-N` negates in unsigned long, so only `-0` passes; null otherwise. */
export function getUnsigned(s: string): number | null {
  const r = scanBase0(s);
  if (r === null || r.rest !== '') return null;
  if (r.magnitude > 0xffffffffn || (r.negative && r.magnitude !== 0n)) return null;
  return Number(r.magnitude);
}
