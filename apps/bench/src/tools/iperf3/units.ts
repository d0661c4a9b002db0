/**
 * iperf3's number input and output (src/units.c): `unit_atof`/`unit_atoi` read `#[KMGT]` with
 * 1024-based suffixes, `unit_atof_rate` with 1000-based ones; `unit_snprintf` prints a byte
 * count in adaptive KByte/MByte/GByte steps of 1024 or a rate in adaptive Kbit/Mbit/Gbit steps
 * of 1000, with `%4.2f` below 9.995, `%4.1f` below 99.95 and `%4.0f` above (the report's
 * format string appends the `s`: `MBytes`, `Gbits/sec`).
 */
import { cFixed, padLeft } from '../net/cformat.js';

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

/** C `atoi`: the leading decimal integer of `s`, 0 when there is none (saturating to the int range). */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number(m[1]);
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/**
 * C `strtol(s, &end, 0)`: the leading integer of `s` in base 16 (`0x`), 8 (leading `0`) or 10,
 * saturating to the long range; null when no digit was converted (`end == s`).
 */
export function strtol0(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(s);
  if (m === null) return null;
  const digits = m[2] as string;
  const v = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
  return Math.max(-(2 ** 63), Math.min(2 ** 63 - 1, m[1] === '-' ? -v : v));
}

/** C `atof`: strtod's value, 0 when there is none. */
export function atof(s: string): number {
  return strtod(s)?.value ?? 0;
}

const BYTE_UNITS: Readonly<Record<string, number>> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const RATE_UNITS: Readonly<Record<string, number>> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

function scaled(s: string, units: Readonly<Record<string, number>>): number {
  const p = strtod(s);
  if (p === null) return 0;
  const suffix = p.rest.charAt(0).toLowerCase();
  return p.value * (units[suffix] ?? 1);
}

/** `unit_atof`: `#[KMGT]` with 1024-based suffixes (the `-w` argument). */
export function unitAtof(s: string): number {
  return scaled(s, BYTE_UNITS);
}

/** `unit_atof_rate`: `#[KMGT]` with 1000-based suffixes (the `-b` argument, bits/s). */
export function unitAtofRate(s: string): number {
  return scaled(s, RATE_UNITS);
}

/** `unit_atoi`: `unit_atof` truncated to an integer (the `-l`, `-n` arguments). */
export function unitAtoi(s: string): number {
  return Math.trunc(unitAtof(s));
}

const BYTE_LABELS = ['Byte', 'KByte', 'MByte', 'GByte', 'TByte'] as const;
const BIT_LABELS = ['bit', 'Kbit', 'Mbit', 'Gbit', 'Tbit'] as const;
const FIXED_CONV: Readonly<Record<string, number>> = { B: 0, K: 1, M: 2, G: 3, T: 4 };

/**
 * `unit_snprintf(value, format)`: `value` in bytes; an upper-case format prints bytes
 * (`A` adaptive, `K`/`M`/`G`/`T` fixed), a lower-case one prints bits (`a`, `k`, …).
 */
export function unitFormat(value: number, format: string): string {
  const bits = format !== format.toUpperCase();
  let n = bits ? value * 8 : value;
  const base = bits ? 1000 : 1024;
  let conv = FIXED_CONV[format.toUpperCase()];
  if (conv === undefined) {
    conv = 0;
    let tmp = n;
    while (tmp >= base && conv < 4) {
      tmp /= base;
      conv++;
    }
  }
  let factor = 1;
  for (let i = 0; i < conv; i++) factor /= base;
  n *= factor;
  const label = (bits ? BIT_LABELS : BYTE_LABELS)[conv] as string;
  const digits = n < 9.995 ? 2 : n < 99.95 ? 1 : 0;
  return `${padLeft(cFixed(n, digits), 4)} ${label}`;
}
