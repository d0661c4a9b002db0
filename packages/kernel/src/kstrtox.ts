/**
 * The kernel's string-to-integer conversions (lib/kstrtox.c, and the two helpers it shares with
 * lib/vsprintf.c's simple_strto* through lib/kstrtox.h), as the write handlers of sysfs,
 * debugfs and module parameters use them. Values are 64-bit (BigInt); each function returns
 * the value as a `bigint`, or a negative errno as a `number` (-EINVAL: no digits, or other
 * characters after them than one newline; -ERANGE: past the type).
 */
import { ERRNO } from './errno.js';

const U64 = 1n << 64n;
const S64_MAX = (1n << 63n) - 1n;

const isXDigit = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * _parse_integer_fixup_radix: base 0 becomes 16 after `0x` and a hex digit, 8 after `0`, else
 * 10; a `0x` prefix is skipped in base 16. Returns the base and where the digits start in `s`.
 */
export function parseIntegerFixupRadix(s: string, at: number, base: number): { readonly base: number; readonly at: number } {
  let b = base;
  if (b === 0) {
    if (s[at] === '0') b = s[at + 1]?.toLowerCase() === 'x' && isXDigit(s[at + 2]) ? 16 : 8;
    else b = 10;
  }
  if (b === 16 && s[at] === '0' && s[at + 1]?.toLowerCase() === 'x') return { base: b, at: at + 2 };
  return { base: b, at };
}

/** _parse_integer: the digits of `base` from `at`; the value (mod 2^64), how many digits there were, and whether it overflowed u64. */
export function parseInteger(s: string, at: number, base: number): { readonly value: bigint; readonly len: number; readonly overflow: boolean } {
  let value = 0n;
  let overflow = false;
  let i = at;
  for (; i < s.length; i++) {
    const d = parseInt(s[i] as string, 16);
    if (Number.isNaN(d) || d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value >= U64) {
      overflow = true;
      value %= U64;
    }
  }
  return { value, len: i - at, overflow };
}

/** _kstrtoull: the digits (no sign) and at most one newline after them. */
function kstrtoullDigits(s: string, at: number, base: number): bigint | number {
  const fixed = parseIntegerFixupRadix(s, at, base);
  const r = parseInteger(s, fixed.at, fixed.base);
  if (r.len === 0) return -ERRNO.EINVAL;
  if (r.overflow) return -ERRNO.ERANGE;
  let end = fixed.at + r.len;
  if (s[end] === '\n') end++;
  return end === s.length ? r.value : -ERRNO.EINVAL;
}

/** kstrtoull(s, base): an unsigned 64-bit value, an optional leading `+`; base 0 reads `0x` hex and `0` octal. */
export function kstrtoull(s: string, base = 0): bigint | number {
  return kstrtoullDigits(s, s.startsWith('+') ? 1 : 0, base);
}

/** kstrtoll(s, base): a signed 64-bit value, `-` or `+` first; -ERANGE outside s64. */
export function kstrtoll(s: string, base = 0): bigint | number {
  if (s.startsWith('-')) {
    const v = kstrtoullDigits(s, 1, base);
    if (typeof v === 'number') return v;
    return v > S64_MAX + 1n ? -ERRNO.ERANGE : -v;
  }
  const v = kstrtoull(s, base);
  if (typeof v === 'number') return v;
  return v > S64_MAX ? -ERRNO.ERANGE : v;
}

/** kstrtouint / kstrtou32 (and kstrtou16 / kstrtou8 with `bits`): kstrtoull, then -ERANGE above the type. */
export function kstrtouint(s: string, base = 0, bits = 32): bigint | number {
  const v = kstrtoull(s, base);
  if (typeof v === 'number') return v;
  return v >= 1n << BigInt(bits) ? -ERRNO.ERANGE : v;
}

/** kstrtoint / kstrtos32: kstrtoll, then -ERANGE outside s32. */
export function kstrtoint(s: string, base = 0): bigint | number {
  const v = kstrtoll(s, base);
  if (typeof v === 'number') return v;
  return v > 0x7fff_ffffn || v < -0x8000_0000n ? -ERRNO.ERANGE : v;
}

/** kstrtobool: `y Y t T 1` and `on` true, `n N f F 0` and `of…` false, from the first characters only; else -EINVAL. */
export function kstrtobool(s: string): boolean | number {
  const c = s[0];
  if (c !== undefined && 'yYtT1'.includes(c)) return true;
  if (c !== undefined && 'nNfF0'.includes(c)) return false;
  if (c === 'o' || c === 'O') {
    const d = s[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  return -ERRNO.EINVAL;
}

/*
 * The _from_user variants (kstrto*_from_user): each copies at most its buffer of what was written
 * (1 + the type's bits + 1 + 1 bytes, the NUL excluded; kstrtobool's 3) before parsing it.
 */

/** kstrtoull_from_user (kstrtou64): the first 66 bytes written, parsed by kstrtoull. */
export const kstrtoullFromUser = (text: string, base = 0): bigint | number => kstrtoull(text.slice(0, 66), base);
/** kstrtoll_from_user (kstrtos64): the first 66 bytes, by kstrtoll. */
export const kstrtollFromUser = (text: string, base = 0): bigint | number => kstrtoll(text.slice(0, 66), base);
/** kstrtouint_from_user (kstrtou32): the first 34 bytes, by kstrtouint. */
export const kstrtouintFromUser = (text: string, base = 0): bigint | number => kstrtouint(text.slice(0, 34), base);
/** kstrtoint_from_user (kstrtos32): the first 34 bytes, by kstrtoint. */
export const kstrtointFromUser = (text: string, base = 0): bigint | number => kstrtoint(text.slice(0, 34), base);
/** kstrtou8_from_user: the first 10 bytes, by kstrtouint with 8 bits. */
export const kstrtou8FromUser = (text: string, base = 0): bigint | number => kstrtouint(text.slice(0, 10), base, 8);
/** kstrtobool_from_user: the first 3 bytes, by kstrtobool. */
export const kstrtoboolFromUser = (text: string): boolean | number => kstrtobool(text.slice(0, 3));
