import { describe, expect, it } from 'vitest';
import { SCENARIOS, summarize } from '../../src/reproduce/scenarios.js';

describe('the seed matrix', () => {
  it('has the eight scenarios of the issue, in the seed order', () => {
    expect(SCENARIOS.map((s) => s.id)).toEqual(['baseline-tcp', 'baseline-udp', 'mq1-tcp', 'mq1-udp', 'mq2-legacy-tcp', 'mq2-legacy-udp', 'mq2-perbit-tcp', 'mq2-perbit-udp']);
    expect(SCENARIOS.map((s) => s.published.mean)).toEqual([599.5, 598, 595.2, 605, 600.4, 598, 1150, 1180]);
  });

  it("summarize() reproduces the seed's published statistics from its raw runs (sample SD)", () => {
    for (const s of SCENARIOS) {
      const p = s.published;
      if (p.runs === undefined) continue;
      const sum = summarize(p.runs);
      expect(sum.mean).toBeCloseTo(p.mean, 1);
      expect(sum.min).toBe(p.min);
      expect(sum.max).toBe(p.max);
      expect(sum.median).toBe(p.median);
      expect(sum.sd).toBeCloseTo(p.sd ?? NaN, 2);
    }
  });

  it('summarize() rejects an empty sample', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});
