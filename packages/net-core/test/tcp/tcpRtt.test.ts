import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../src/index.js';

describe('RttEstimator', () => {
  it('starts at rto = 3 × rtt (floored at the 200 ms minimum) and converges on steady samples', () => {
    const e = new RttEstimator(200_000);
    e.sample(10_000, 0, 100);
    expect(e.srtt).toBe(10_000);
    expect(e.rtoUs()).toBe(10_000 + 200_000);
    for (let i = 1; i <= 200; i++) e.sample(10_000, 100 * i + 1, 100 * (i + 1));
    expect(e.srtt).toBe(10_000);
    expect(e.rtoUs()).toBe(210_000);
    e.updateMin(9_000);
    e.updateMin(12_000);
    expect(e.minRttUs).toBe(9_000);
  });

  it('raises rttvar quickly on a jump and smooths srtt by 1/8 per sample', () => {
    const e = new RttEstimator(200_000);
    e.sample(10_000, 0, 100);
    e.sample(1_010_000, 1, 200);
    expect(e.srtt).toBe(10_000 + 125_000);
    expect(e.rttvarUs).toBeGreaterThan(200_000);
  });
});
