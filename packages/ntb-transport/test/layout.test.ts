import { describe, expect, it } from 'vitest';
import { DESC_DONE_FLAG, ilog2, qpRing, slotHeaderOffset, transportCounts } from '../src/index.js';
import { inTask, payload, rig, runUntilUp } from './harness.js';

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

describe('layout in the memory-window bytes after traffic', () => {
  /** Little-endian u32 from raw bytes (not through the DataView the model writes with). */
  const le32 = (b: Uint8Array, at: number): number => ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;
  const REGION = 0x80000; // 1 MiB window shared by 2 QPs
  const FRAME = 0x10000; // min(transport_mtu, (region - 4) / 2)
  const sizes = [
    [100, 65524, 7],
    [1, 300, 4096],
  ];

  it('frames sit at the slot starts, {ver, len, flags=DONE} at the slot ends, rx_info in the last 4 bytes of each QP region', () => {
    const r = rig({ functional: true, queues: 2, params: { maxNumClients: 2 }, rxBuffers: 0 });
    expect(runUntilUp(r)).toBe(true);
    inTask(r.a.host, (ctx) => {
      sizes.forEach((list, q) => list.forEach((len, n) => expect(r.a.qps[q]?.txEnqueue(ctx, null, payload(q * 10 + n, len), len)).toBe(0)));
    });
    r.sim.run({ until: r.sim.now + 5_000_000 });
    const rx = r.b.qps[0]?.rxBuf;
    const txSide = r.a.qps[0]?.rxBuf;
    if (rx == null || txSide == null) throw new Error('no window buffer');
    expect(r.b.qps[1]?.rxBuf).toBe(rx);
    const bytes = rx.bytes;
    sizes.forEach((list, q) => {
      const base = q * REGION;
      list.forEach((len, n) => {
        const slot = base + n * FRAME;
        const hdr = slot + FRAME - 12;
        expect(bytes.subarray(slot, slot + len)).toEqual(payload(q * 10 + n, len));
        expect([le32(bytes, hdr), le32(bytes, hdr + 4), le32(bytes, hdr + 8)]).toEqual([n, len, DESC_DONE_FLAG]);
      });
      const next = base + 4 * FRAME - 12;
      expect(bytes.subarray(next, next + 12)).toEqual(new Uint8Array(12));
      // rx_info of this side's RX ring: what the peer consumed; none yet, so still rx_max_entry - 1.
      expect(le32(bytes, base + REGION - 4)).toBe(6);
      expect(le32(txSide.bytes, base + REGION - 4)).toBe(6);
    });

    for (const qp of r.b.qps) for (let n = 0; n < 3; n++) qp.rxEnqueue(null, null, 65536);
    r.sim.run({ until: r.sim.now + 5_000_000 });
    expect(r.b.received.get(0)?.map((f) => f.len)).toEqual(sizes[0]);
    expect(r.b.received.get(1)?.map((f) => f.len)).toEqual(sizes[1]);
    sizes.forEach((list, q) => {
      const base = q * REGION;
      list.forEach((len, n) => {
        const hdr = base + (n + 1) * FRAME - 12;
        expect([le32(bytes, hdr), le32(bytes, hdr + 4), le32(bytes, hdr + 8)]).toEqual([n, len, 0]);
      });
      // The receiver wrote the index of the last slot it consumed into the sender's window.
      expect(le32(txSide.bytes, base + REGION - 4)).toBe(2);
      expect(r.a.qps[q]?.txFreeEntry()).toBe(6);
    });
  });
});
