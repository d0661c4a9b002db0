/**
 * lib/kstrtox.c: base 0 prefixes, the one trailing newline, EINVAL and ERANGE at each type's
 * bounds, and the bytes each _from_user variant copies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERRNO, kstrtobool, kstrtoboolFromUser, kstrtoint, kstrtoll, kstrtollFromUser, kstrtou8FromUser, kstrtouint, kstrtouintFromUser, kstrtoull, kstrtoullFromUser, parseInteger, parseIntegerFixupRadix } from '../src/index.js';

describe('kstrtoull / kstrtouint (base 0)', () => {
  it('reads decimal, 0x hex and 0 octal, an optional + and one trailing newline', () => {
    expect(['16384\n', '0x4000', '0X4000\n', '040000', '+1', '0'].map((s) => kstrtouint(s))).toEqual([16384n, 16384n, 16384n, 16384n, 1n, 0n]);
    expect(kstrtoull('0xffffffffffffffff\n')).toBe(0xffff_ffff_ffff_ffffn);
    expect(kstrtoull('ff', 16)).toBe(255n);
    expect(kstrtoull('0xff', 16)).toBe(255n);
  });

  it('refuses junk with EINVAL and values past the type with ERANGE (checked before what follows the digits)', () => {
    for (const s of ['', '\n', '-1', ' 1', '1 ', '1\n\n', '0x', '08', '1a', 'x1', '+']) expect(kstrtouint(s)).toBe(-ERRNO.EINVAL);
    expect(kstrtouint('4294967296')).toBe(-ERRNO.ERANGE);
    expect(kstrtouint('256', 0, 8)).toBe(-ERRNO.ERANGE);
    expect(kstrtoull('18446744073709551616')).toBe(-ERRNO.ERANGE);
    expect(kstrtoull('18446744073709551616junk')).toBe(-ERRNO.ERANGE);
  });

  it('agrees with the decimal text of any u64 (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(), (v, nl) => {
        expect(kstrtoull(`${v}${nl ? '\n' : ''}`)).toBe(v);
        expect(kstrtoull(`0x${v.toString(16)}`)).toBe(v);
        expect(kstrtoull(`0${v.toString(8)}`)).toBe(v);
      }),
    );
  });
});

describe('kstrtoll / kstrtoint', () => {
  it('take a sign; ERANGE outside the type', () => {
    expect(kstrtoll('-9223372036854775808')).toBe(-(1n << 63n));
    expect(kstrtoll('9223372036854775807')).toBe((1n << 63n) - 1n);
    expect(kstrtoll('9223372036854775808')).toBe(-ERRNO.ERANGE);
    expect(kstrtoll('-9223372036854775809')).toBe(-ERRNO.ERANGE);
    expect(kstrtoll('-0x10\n')).toBe(-16n);
    expect(kstrtoll('-+1')).toBe(-ERRNO.EINVAL);
    expect(kstrtoll('--1')).toBe(-ERRNO.EINVAL);
    expect(kstrtoint('-2147483648')).toBe(-2147483648n);
    expect(kstrtoint('2147483648')).toBe(-ERRNO.ERANGE);
  });
});

describe('kstrtobool', () => {
  it('looks at the first characters only', () => {
    expect(['Y\n', 'yes', 't', 'T', '1', 'on', 'ON\n'].map(kstrtobool)).toEqual([true, true, true, true, true, true, true]);
    expect(['N\n', 'no', 'f', 'F', '0', 'off', 'oF'].map(kstrtobool)).toEqual([false, false, false, false, false, false, false]);
    expect(['', 'o', 'ox', '2', ' y', 'maybe'].map(kstrtobool)).toEqual(Array(6).fill(-ERRNO.EINVAL));
  });
});

describe('the _from_user variants parse only the buffer they copy', () => {
  it('34 bytes for 32-bit types, 66 for 64-bit ones, 10 for u8, 3 for bool', () => {
    expect(kstrtouintFromUser(`${'0'.repeat(33)}7x`)).toBe(7n);
    expect(kstrtouintFromUser(`${'0'.repeat(34)}7`)).toBe(0n);
    expect(kstrtoullFromUser(`${'0'.repeat(65)}7`)).toBe(7n);
    expect(kstrtoullFromUser(`${'0'.repeat(66)}7`)).toBe(0n);
    expect(kstrtollFromUser(`-${'0'.repeat(64)}7`)).toBe(-7n);
    expect(kstrtou8FromUser('256')).toBe(-ERRNO.ERANGE);
    expect(kstrtou8FromUser('0x000000ffjunk')).toBe(255n);
    expect(kstrtou8FromUser('0x0000000ff')).toBe(15n);
    expect(kstrtoboolFromUser('offjunk')).toBe(false);
  });
});

describe('the helpers vsprintf shares', () => {
  it('_parse_integer_fixup_radix and _parse_integer', () => {
    expect(parseIntegerFixupRadix('0x1f', 0, 0)).toEqual({ base: 16, at: 2 });
    expect(parseIntegerFixupRadix('0x', 0, 0)).toEqual({ base: 8, at: 0 });
    expect(parseIntegerFixupRadix('017', 0, 0)).toEqual({ base: 8, at: 0 });
    expect(parseInteger('1fz', 0, 16)).toEqual({ value: 31n, len: 2, overflow: false });
    expect(parseInteger('1'.padEnd(21, '0'), 0, 10).overflow).toBe(true);
  });
});
