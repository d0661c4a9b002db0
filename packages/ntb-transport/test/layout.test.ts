import { describe, expect, it } from 'vitest';
import { ilog2, qpRing, slotHeaderOffset, transportCounts } from '../src/index.js';

describe('layout (byte-compatible with ntb_transport)', () => {
  it('gives 15 slots of 64 KiB in a 1 MiB window with one QP, header at the slot end, rx_info in the last 4 bytes', () => {
    const r = qpRing({ qpNum: 0, qpCount: 1, mwCount: 1, windowSize: 1 << 20, transportMtu: 0x10000 });
    expect(r).toEqual({ mw: 0, offset: 0, size: (1 << 20) - 4, rxInfoOffset: (1 << 20) - 4, maxFrame: 0x10000, maxEntry: 15 });
    expect(slotHeaderOffset(r, 0)).toBe(0x10000 - 12);
    expect(slotHeaderOffset(r, 14)).toBe(15 * 0x10000 - 12);
  });

  it.each([
    [1 << 20, 1, [15]],
    [1 << 20, 2, [7, 7]],
    [1 << 20, 3, [5, 5, 5]],
    [1 << 20, 4, [3, 3, 3, 3]],
    [2 << 20, 1, [31]],
    [2 << 20, 2, [15, 15]],
    [2 << 20, 3, [10, 10, 10]],
    [2 << 20, 4, [7, 7, 7, 7]],
  ])('window %i bytes shared by %i QPs: slots %j', (size, qps, slots) => {
    const rings = Array.from({ length: qps }, (_, q) => qpRing({ qpNum: q, qpCount: qps, mwCount: 1, windowSize: size, transportMtu: 0x10000 }));
    expect(rings.map((r) => r.maxEntry)).toEqual(slots);
    const region = Math.floor(size / qps);
    rings.forEach((r, q) => {
      expect(r.offset).toBe(region * q);
      expect(r.rxInfoOffset).toBe(region * (q + 1) - 4);
      expect(r.maxFrame * r.maxEntry).toBeLessThanOrEqual(r.size);
    });
  });

  it('spreads QPs over MWs (QP_TO_MW = qp % mw_count) with the remainder to the low MWs', () => {
    const rings = Array.from({ length: 3 }, (_, q) => qpRing({ qpNum: q, qpCount: 3, mwCount: 2, windowSize: 1 << 20, transportMtu: 0x10000 }));
    expect(rings.map((r) => [r.mw, r.offset])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1 << 19],
    ]);
    expect(rings[1]?.maxEntry).toBe(15);
  });

  it('caps the frame at half the region: "at least 2 buffs"', () => {
    const r = qpRing({ qpNum: 0, qpCount: 1, mwCount: 1, windowSize: 64 * 1024, transportMtu: 0x10000 });
    expect(r.maxFrame).toBe(Math.floor((65536 - 4) / 2));
    expect(r.maxEntry).toBe(2);
  });

  it('sizes qp_count by ilog2(db_valid_mask), one QP per MW unless max_num_clients', () => {
    expect(ilog2(0xffff)).toBe(15);
    expect(transportCounts({ peerMwCount: 1, spadCount: 128, dbValidMask: 0x7fff, maxNumClients: 0, msi: false })).toEqual({ mwCount: 1, qpCount: 1, qpBitmap: 1, msiDbMask: 0 });
    expect(transportCounts({ peerMwCount: 2, spadCount: 128, dbValidMask: 0x7fff, maxNumClients: 0, msi: false })?.qpCount).toBe(2);
    expect(transportCounts({ peerMwCount: 1, spadCount: 128, dbValidMask: 0x7fff, maxNumClients: 4, msi: false })).toEqual({ mwCount: 1, qpCount: 4, qpBitmap: 0xf, msiDbMask: 0 });
    expect(transportCounts({ peerMwCount: 1, spadCount: 128, dbValidMask: 0x7, maxNumClients: 8, msi: false })?.qpCount).toBe(1);
    expect(transportCounts({ peerMwCount: 4, spadCount: 7, dbValidMask: 0xff, maxNumClients: 0, msi: false })?.mwCount).toBe(1);
    expect(transportCounts({ peerMwCount: 4, spadCount: 5, dbValidMask: 0xff, maxNumClients: 0, msi: false })).toBeNull();
    expect(transportCounts({ peerMwCount: 3, spadCount: 128, dbValidMask: 0xff, maxNumClients: 0, msi: true })).toEqual({ mwCount: 2, qpCount: 2, qpBitmap: 3, msiDbMask: 0x40 });
  });
});
