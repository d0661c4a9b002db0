import { describe, expect, it } from 'vitest';
import { cFixed, cGeneral, cjsonNumber } from '../../../src/tools/net/cformat.js';

describe('cformat', () => {
  it('rounds %f ties half to even on the exact binary value, as glibc', () => {
    expect(cFixed(0.125, 2)).toBe('0.12');
    expect(cFixed(0.375, 2)).toBe('0.38');
    expect(cFixed(1.005, 2)).toBe('1.00');
    expect(cFixed(2.5, 0)).toBe('2');
    expect(cFixed(3.5, 0)).toBe('4');
    expect(cFixed(930.4, 0)).toBe('930');
    expect(cFixed(-0.001, 2)).toBe('-0.00');
    expect(cFixed(7.8049, 1)).toBe('7.8');
  });

  it('prints %g with trailing zeros removed and exponents for small and large values', () => {
    expect(cGeneral(1.465, 2)).toBe('1.5');
    expect(cGeneral(0, 2)).toBe('0');
    expect(cGeneral(100, 2)).toBe('1e+02');
    expect(cGeneral(99.96, 2)).toBe('1e+02');
    expect(cGeneral(12.3, 2)).toBe('12');
    expect(cGeneral(0.00012, 2)).toBe('0.00012');
    expect(cGeneral(0.000012, 2)).toBe('1.2e-05');
    expect(cGeneral(1.0866238138965412, 2)).toBe('1.1');
  });

  it('renders numbers as cJSON 1.7.15 does', () => {
    expect(cjsonNumber(0)).toBe('0');
    expect(cjsonNumber(1487705600)).toBe('1487705600');
    expect(cjsonNumber(2954457600)).toBe('2954457600');
    expect(cjsonNumber(1.000115)).toBe('1.000115');
    expect(cjsonNumber(Math.fround(1.000115))).toBe('1.0001150369644165');
    expect(cjsonNumber(Math.fround(2.000016 - 1.000115))).toBe('0.999900996685028');
    expect(cjsonNumber(47284039327.685379)).toBe('47284039327.685379');
    expect(cjsonNumber(0.00519531307848801)).toBe('0.00519531307848801');
    expect(cjsonNumber(88.200161275244255)).toBe('88.200161275244255');
    expect(cjsonNumber(0.0055806102867843339)).toBe('0.0055806102867843339');
  });
});
