import { describe, expect, it } from 'vitest';
import { bitmapParselist, maskHex, maskList } from '../../src/tools/cpumask.js';

describe('CPU masks as the kernel prints and parses them', () => {
  it('%*pb is the hex of nr_cpu_ids bits, %*pbl the set bits as ranges', () => {
    expect([maskHex(0xff, 8), maskHex(0x4, 8), maskHex(0x4, 12), maskHex(0, 8)]).toEqual(['ff', '04', '004', '00']);
    expect([0, 0xff, 0b1011, 0x80, 0x55, 0b1110_0111].map(maskList)).toEqual(['', '0-7', '0-1,3', '7', '0,2,4,6', '0-2,5-7']);
  });

  it('bitmap_parselist: bits, ranges, `all`, `N` and USED/GROUP patterns, separated by commas or blanks, up to a newline', () => {
    const bits = (text: string): number | string => {
      const r = bitmapParselist(text, 8);
      return typeof r === 'string' ? r : (r[0] ?? 0);
    };
    expect(bits('0-1,3\n')).toBe(0b1011);
    expect(bits('all')).toBe(0xff);
    expect(bits('ALL:1/2')).toBe(0x55);
    expect(bits('N')).toBe(0x80);
    expect(bits('0,N')).toBe(0x81);
    expect(bits('0-7:2/4')).toBe(0x33);
    expect(bits('1-3 5')).toBe(0b101110);
    expect(bits(',,1')).toBe(0b10);
    expect(bits('\n')).toBe(0);
    // A newline right after a region ends the list; one after a separator is skipped as blank.
    expect(bits('1\n5')).toBe(0b10);
    expect(bits('1,\n2')).toBe(0b110);
  });

  it('bitmap_parselist errors: EINVAL for a malformed region, ERANGE past nr_cpu_ids, EOVERFLOW past u32', () => {
    for (const bad of ['3-1', '1-', '-1', 'a', '1x', 'allx', '0-7:3/2', '0-7:1/0', '0-7:1', '0-7:2/4x']) expect([bad, bitmapParselist(bad, 8)]).toEqual([bad, 'EINVAL']);
    for (const far of ['8', '0-8', '0,9']) expect([far, bitmapParselist(far, 8)]).toEqual([far, 'ERANGE']);
    expect(bitmapParselist('4294967296', 8)).toBe('EOVERFLOW');
    expect(bitmapParselist('99999999999999999999999', 8)).toBe('EOVERFLOW');
    expect(bitmapParselist('0-40', 64)).toEqual([0xffffffff, 0x1ff]);
  });
});
