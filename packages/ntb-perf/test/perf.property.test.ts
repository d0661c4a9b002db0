import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { only, parseStats, perfRig, runToEnd } from './harness.js';

describe('every test run ends with every thread accounted for', () => {
  it('any threads 1..4, chunk_order 12..16, total_order chunk..chunk+3, CPU or DMA: each thread copies 2^total_order and nothing is left running', () => {
    const config = fc
      .record({ threads: fc.integer({ min: 1, max: 4 }), chunkOrder: fc.integer({ min: 12, max: 16 }), extra: fc.integer({ min: 0, max: 3 }), useDma: fc.boolean(), seed: fc.integer({ min: 1, max: 1000 }) })
      .map(({ extra, ...c }) => ({ ...c, totalOrder: c.chunkOrder + extra }));
    fc.assert(
      fc.property(config, ({ threads, chunkOrder, totalOrder, useDma, seed }) => {
        const r = perfRig({ seed, perf: { params: { chunkOrder, totalOrder, useDma } } });
        const ep = only(r.epClient);
        expect(ep.params).toEqual({ maxMwSize: 0, chunkOrder, totalOrder, useDma });
        expect(ep.setThreadsCount(threads)).toBe(0);
        const out = runToEnd(r.sim, ep, 0, 1_000_000_000);
        expect(out.rc).toBe(0);
        expect(out.done).toEqual([0]);
        expect(ep.running).toBe(false);
        const { header, lines } = parseStats(out.stats);
        expect(header).toBe('    Peer 0 test statistics:');
        expect(lines.map((l) => ('copied' in l ? [l.tidx, l.copied] : [l.tidx, l.status]))).toEqual(Array.from({ length: threads }, (_, i) => [i, 2 ** totalOrder]));
        const rates = lines.flatMap((l) => ('copied' in l ? [[l.mbps, l.usecs === 0 ? 0 : Math.floor(l.copied / l.usecs)]] : []));
        expect(rates.map(([printed]) => printed)).toEqual(rates.map(([, computed]) => computed));
        expect(ep.results().map((t) => t.status)).toEqual(Array.from({ length: threads }, () => 0));
        // A second run right after starts from a clean slate and ends the same way.
        const again = runToEnd(r.sim, ep, 0, 1_000_000_000);
        expect(again.done).toEqual([0]);
        expect(parseStats(again.stats).lines).toHaveLength(threads);
        expect(ep.running).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
