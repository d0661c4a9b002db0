/**
 * The C and iproute2 number parsing (src/tools/net/cparse.ts): base 0's three forms, prefix
 * versus whole-word parses, and the ranges get_integer and get_unsigned enforce.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atof, atoi, getInteger, getUnsigned, strtod, strtol0, strtol0Whole } from '../../../src/tools/net/cparse.js';

describe('strtol base 0 and the parsers built on it', () => {
  it('reads hex, octal and decimal after C white space and a sign; strtol0 takes a prefix, the others the whole word', () => {
    const cases: [string, number | null, number | null, number | null, number | null][] = [
      // [input, strtol0, strtol0Whole, getInteger, getUnsigned]
      ['10', 10, 10, 10, 10],
      ['0x1F', 31, 31, 31, 31],
      ['0X1f', 31, 31, 31, 31],
      ['017', 15, 15, 15, 15],
      ['0', 0, 0, 0, 0],
      [' \t+42', 42, 42, 42, 42],
      ['-42', -42, -42, -42, null],
      ['-0', 0, 0, 0, 0],
      ['08', 0, null, null, null],
      ['0x', 0, null, null, null],
      ['12abc', 12, null, null, null],
      ['abc', null, null, null, null],
      ['', null, null, null, null],
      ['2147483647', 2147483647, 2147483647, 2147483647, 2147483647],
      ['2147483648', 2147483648, 2147483648, null, 2147483648],
      ['-2147483648', -2147483648, -2147483648, -2147483648, null],
      ['4294967295', 4294967295, 4294967295, null, 4294967295],
      ['4294967296', 4294967296, 4294967296, null, null],
      ['0x7fffffffffffffffff', 2 ** 63, 2 ** 63, null, null],
      ['-99999999999999999999', -(2 ** 63), -(2 ** 63), null, null],
    ];
    for (const [s, prefix, whole, int, uint] of cases) expect({ s, r: [strtol0(s), strtol0Whole(s), getInteger(s), getUnsigned(s)] }).toEqual({ s, r: [prefix, whole, int, uint] });
  });

  it('every int prints and parses back in each base (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (n) => {
        const sign = n < 0 ? '-' : '';
        const a = Math.abs(n);
        for (const text of [`${n}`, `${sign}0x${a.toString(16)}`, `${sign}0${a.toString(8)}`]) {
          expect(getInteger(text)).toBe(n);
          expect(strtol0Whole(text)).toBe(n);
          expect(strtol0(`${text} rest`)).toBe(n);
          expect(getUnsigned(text)).toBe(n > 0 ? n : n === 0 ? 0 : null);
        }
      }),
    );
  });

  it('atoi reads decimal only, saturating to int; atof and strtod read C floats', () => {
    expect([atoi('0x10'), atoi(' -7x'), atoi('x'), atoi('99999999999')]).toEqual([0, -7, 0, 2147483647]);
    expect(strtod('0x1.8p1 s')).toEqual({ value: 3, rest: ' s' });
    expect(strtod('  -2.5e3k')).toEqual({ value: -2500, rest: 'k' });
    expect(strtod('inFinity')).toEqual({ value: Infinity, rest: '' });
    expect(strtod('nan(abc)x')?.rest).toBe('x');
    expect([strtod('.'), strtod('e5'), atof('z')]).toEqual([null, null, 0]);
  });
});
