import { describe, expect, it } from 'vitest';
import { bootLab, seedMwSizes } from '../../src/lab/lab.js';

describe('seedMwSizes', () => {
  it('splits the 2 MiB BAR2 into whole 4 KiB pages of at most 1 MiB', () => {
    expect(seedMwSizes(1)).toEqual([1 << 20]);
    expect(seedMwSizes(2)).toEqual([1 << 20, 1 << 20]);
    expect(seedMwSizes(3)).toEqual([696_320, 696_320, 696_320]);
    expect(seedMwSizes(4)).toEqual([1 << 19, 1 << 19, 1 << 19, 1 << 19]);
  });

  it('boots three MWs at 4 KiB-aligned offsets inside a 2 MiB BAR2', () => {
    const lab = bootLab({ seed: 3, vntb: { mwSizes: seedMwSizes(3) }, params: { transport: {}, netdev: { queues: 3 } } });
    const cfg = lab.pair.config;
    expect(cfg.mwOffsets).toEqual([0, 696_320, 1_392_640]);
    for (const off of cfg.mwOffsets) expect(off % 4096).toBe(0);
    expect(cfg.bars.bar2.size).toBe(2 << 20);
    expect(lab.boards.ep.netdev()?.ndev.netifCarrierOk()).toBe(true);
  });
});
