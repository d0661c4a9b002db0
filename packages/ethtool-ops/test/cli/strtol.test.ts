import { describe, expect, it } from 'vitest';
import { getIntRange, parseU32, strtoll, strtoul } from '../../src/cli/strtol.js';

describe('strtoul / strtoll (glibc, 64-bit)', () => {
  it('skips white space, takes a sign, and stops at the first non-digit', () => {
    expect(strtoul('  42abc', 10)).toEqual({ value: 42n, end: 4, erange: false });
    expect(strtoul('-1', 10)).toEqual({ value: 2n ** 64n - 1n, end: 2, erange: false });
    expect(strtoul('xyz', 10)).toEqual({ value: 0n, end: 0, erange: false });
    expect(strtoul('', 10)).toEqual({ value: 0n, end: 0, erange: false });
    expect(strtoul('-', 10)).toEqual({ value: 0n, end: 0, erange: false });
  });

  it('detects the base for 0 and accepts 0x in base 16 only before a hex digit', () => {
    expect(strtoul('0x1F', 0).value).toBe(31n);
    expect(strtoul('017', 0).value).toBe(15n);
    expect(strtoul('019', 0)).toEqual({ value: 1n, end: 2, erange: false });
    expect(strtoul('0x10', 16).value).toBe(16n);
    expect(strtoul('0xg', 16)).toEqual({ value: 0n, end: 1, erange: false });
    expect(strtoul('0x', 0)).toEqual({ value: 0n, end: 1, erange: false });
  });

  it('saturates with ERANGE', () => {
    expect(strtoul('18446744073709551616', 10)).toEqual({ value: 2n ** 64n - 1n, end: 20, erange: true });
    expect(strtoll('9223372036854775808', 10)).toEqual({ value: 2n ** 63n - 1n, end: 19, erange: true });
    expect(strtoll('-9223372036854775808', 10)).toEqual({ value: -(2n ** 63n), end: 20, erange: false });
    expect(strtoll('-9223372036854775809', 10).erange).toBe(true);
    expect(strtoll('-12', 0).value).toBe(-12n);
  });
});

describe('parse_u32 (netlink parser)', () => {
  it.each([
    ['0', 0],
    ['4294967295', 4294967295],
    ['0x10', 16],
    ['0X0x10', 16],
    ['-0', 0],
    ['+7', 7],
    [' 7', 7],
    ['010', 10],
  ])('accepts %j as %d', (s, v) => {
    expect(parseU32(s)).toBe(v);
  });

  it.each(['', '0x', '-1', '4294967296', '1 ', 'x', '1e3', '0x1g', '99999999999999999999'])('rejects %j', (s) => {
    expect(parseU32(s)).toBeUndefined();
  });
});

describe('get_int_range (ioctl parser, strtoll base 0)', () => {
  it('accepts C literals in range, "" as 0, and rejects the rest', () => {
    expect(getIntRange('010', 0, -10, 100)).toBe(8);
    expect(getIntRange('0x1f', 0, -10, 100)).toBe(31);
    expect(getIntRange('-5', 0, -10, 100)).toBe(-5);
    expect(getIntRange('', 0, -10, 100)).toBe(0);
    expect(getIntRange('  ', 0, -10, 100)).toBeUndefined();
    expect(getIntRange('101', 0, -10, 100)).toBeUndefined();
    expect(getIntRange('5x', 0, -10, 100)).toBeUndefined();
    expect(getIntRange('99999999999999999999', 0, 0, 2 ** 62)).toBeUndefined();
  });
});
