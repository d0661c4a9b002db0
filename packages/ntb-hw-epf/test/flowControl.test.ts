/**
 * Posted-write flow control: CPU copies into a window stall only when, together, they outrun
 * the link by more than the posted buffering; then they share the link's payload rate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CpuWriteQueue } from '../src/index.js';
import { inStep, linkUp, probedPair } from './helpers.js';

/** 3 bytes/ns (3 GB/s) with an 8 KiB buffer. */
const RATE = 3;
const BUF = 8192;

describe('CpuWriteQueue', () => {
  it('a copy slower than the link never stalls; one faster stalls for what the buffer cannot hold', () => {
    const q = new CpuWriteQueue(RATE, BUF);
    // 64 KiB over 36 µs (1.8 GB/s): the link keeps up.
    expect(q.copy(0, 0, 36_000, 65_536)).toBe(0);
    // 64 KiB over 10 µs (6.5 GB/s) from an idle link: 65536 − 3·10000 bytes wait, less the buffer.
    const r = new CpuWriteQueue(RATE, BUF);
    expect(r.copy(0, 0, 10_000, 65_536)).toBeCloseTo((65_536 - RATE * 10_000 - BUF) / RATE, 6);
    // An instant write of less than the buffer: no stall.
    expect(new CpuWriteQueue(RATE, BUF).copy(0, 0, 0, 4096)).toBe(0);
  });

  it('two concurrent copies that together outrun the link share it: the second waits for the excess', () => {
    const q = new CpuWriteQueue(RATE, BUF);
    // Two CPUs copy 180 KB each over [0, 100 µs] (1.8 GB/s each, 3.6 together).
    expect(q.copy(0, 0, 100_000, 180_000)).toBe(0);
    const stall = q.copy(0, 0, 100_000, 180_000);
    // Backlog at 100 µs: 360 KB issued − 300 KB sent = 60 KB; less the buffer, at 3 B/ns.
    expect(stall).toBeCloseTo((60_000 - BUF) / RATE, 6);
  });

  it('the backlog drains while the link is idle, and reset forgets it', () => {
    const q = new CpuWriteQueue(RATE, BUF);
    expect(q.copy(0, 0, 1000, 100_000)).toBeGreaterThan(0);
    // Long after, the queue is empty: a fast copy stalls only for itself.
    expect(q.copy(1_000_000, 1_000_000, 1_001_000, 100_000)).toBeCloseTo((100_000 - RATE * 1000 - BUF) / RATE, 6);
    const s = new CpuWriteQueue(RATE, BUF);
    s.copy(0, 0, 1000, 100_000);
    s.reset(1000);
    expect(s.copy(1000, 1000, 1000, 4096)).toBe(0);
  });

  it('property: for copies that start and end in the order they run, the bytes whose last store has issued by T never exceed what the link sent by T plus the buffer', () => {
    const copy = fc.record({ gap: fc.integer({ min: 0, max: 50_000 }), dur: fc.integer({ min: 0, max: 80_000 }), bytes: fc.integer({ min: 1, max: 300_000 }) });
    fc.assert(
      fc.property(fc.array(copy, { minLength: 1, maxLength: 12 }), (copies) => {
        const q = new CpuWriteQueue(RATE, BUF);
        let now = 0;
        let lastT1 = 0;
        const done: { end: number; bytes: number }[] = [];
        for (const c of copies) {
          now += c.gap;
          // A copy that ends before one that ran earlier would overtake it: the queue serves first come, first served.
          const t1 = Math.max(now + c.dur, lastT1);
          lastT1 = t1;
          const stall = q.copy(now, now, t1, c.bytes);
          expect(stall).toBeGreaterThanOrEqual(0);
          done.push({ end: t1 + stall, bytes: c.bytes });
        }
        for (const { end } of done) {
          const issued = done.filter((d) => d.end <= end).reduce((a, d) => a + d.bytes, 0);
          expect(issued).toBeLessThanOrEqual(RATE * end + BUF + 1e-6 * issued + 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('memcpy_toio through the fabric', () => {
  /** Each of `cpus` EP CPUs copies `chunks` × 1 MiB into MW 0; returns the elapsed time of each CPU's copies (ns). */
  function copies(cpus: number, chunks: number, down = false): { elapsed: number[]; stall: number; rate: number } {
    const { sim, pair } = probedPair();
    linkUp(sim, pair);
    if (down) pair.faults.linkDown();
    const win = pair.ep.ops.peerMwIoremap(0);
    if (win === null) throw new Error('ioremap');
    const elapsed: number[] = [];
    for (let c = 0; c < cpus; c++) {
      inStep(
        pair.ep.host,
        (ctx) => {
          const t = ctx.time;
          for (let i = 0; i < chunks; i++) win.memcpyToio(ctx, 0, null, 1 << 20);
          elapsed.push(ctx.time - t);
        },
        { cpu: c },
      );
    }
    sim.run({ until: sim.now + 100_000_000 });
    return { elapsed, stall: pair.fabric.stats('ep-to-rc').cpuStallNs, rate: pair.fabric.bytesPerSec / 1e9 };
  }

  it('one CPU below the link rate copies at its own rate, without stalls', () => {
    const { sim, pair } = probedPair();
    const one = copies(1, 4);
    expect(one.stall).toBe(0);
    // Each copy's cost is charged rounded to the nanosecond.
    expect(one.elapsed[0]).toBe(4 * Math.round(pair.ep.host.costs.memcpyToio(1 << 20)));
    expect(sim.now).toBeGreaterThan(0);
  });

  it('two CPUs that together outrun the link stall and move their bytes at the link rate; on a dead link nothing stalls', () => {
    const two = copies(2, 4);
    expect(two.stall).toBeGreaterThan(0);
    const slowest = Math.max(...two.elapsed);
    const bytes = 2 * 4 * (1 << 20);
    // The link's payload rate bounds them (within the posted buffer).
    expect(slowest).toBeGreaterThanOrEqual((bytes - 8192) / two.rate - 1);
    expect(slowest).toBeLessThan((bytes / two.rate) * 1.05);
    const dead = copies(2, 4, true);
    expect(dead.stall).toBe(0);
  });
});
