/**
 * iperf3's number input and output (src/units.c): `unit_atof`/`unit_atoi` read `#[KMGT]` with
 * 1024-based suffixes, `unit_atof_rate` with 1000-based ones; `unit_snprintf` prints a byte
 * count in adaptive KByte/MByte/GByte steps of 1024 or a rate in adaptive Kbit/Mbit/Gbit steps
 * of 1000, with `%4.2f` below 9.995, `%4.1f` below 99.95 and `%4.0f` above (the report's
 * format string appends the `s`: `MBytes`, `Gbits/sec`).
 */
import { cFixed, padLeft } from '../net/cformat.js';
import { strtod } from '../net/cparse.js';

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
