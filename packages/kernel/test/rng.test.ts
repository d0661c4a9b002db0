import { describe, expect, it } from 'vitest';
import { Rng } from '../src/index.js';

describe('Rng (xoshiro128**)', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 100 }, () => a.nextU32());
    const sb = Array.from({ length: 100 }, () => b.nextU32());
    const sc = Array.from({ length: 100 }, () => c.nextU32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    for (const v of sa) expect(v >>> 0).toBe(v);
  });

  it('is roughly uniform and its gaussian has mean 0 and sd 1', () => {
    const r = new Rng(7);
    const n = 20_000;
    let sum = 0;
    let gs = 0;
    let gs2 = 0;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      const k = Math.floor(u * 10);
      buckets[k] = (buckets[k] ?? 0) + 1;
      const g = r.gaussian();
      gs += g;
      gs2 += g * g;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 10 / 5);
    expect(gs / n).toBeCloseTo(0, 1);
    expect(Math.sqrt(gs2 / n)).toBeCloseTo(1, 1);
  });

  it('normalFast has mean 0, sd 1 and bounded tails', () => {
    const r = new Rng(9);
    const n = 50_000;
    let s = 0;
    let s2 = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const g = r.normalFast();
      s += g;
      s2 += g * g;
      max = Math.max(max, Math.abs(g));
    }
    expect(s / n).toBeCloseTo(0, 1);
    expect(Math.sqrt(s2 / n)).toBeCloseTo(1, 1);
    expect(max).toBeLessThan(3.7);
    expect(max).toBeGreaterThan(3);
  });

  it('int(n) stays in [0, n)', () => {
    const r = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(7);
      expect(Number.isInteger(v) && v >= 0 && v < 7).toBe(true);
    }
  });
});
