import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropDataSegments, makeLab, pattern, startBulk } from '../helpers.js';

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && Buffer.from(a).equals(Buffer.from(b));
}

describe('TcpSocket byte stream', () => {
  it('delivers a stream exactly once and in order across induced wire drops', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300_000 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { maxLength: 12 }),
        fc.constantFrom(1500, 9000, 65510),
        fc.integer({ min: 1, max: 1000 }),
        (bytes, drops, mtu, seed) => {
          const d = dropDataSegments(new Set(drops));
          const lab = makeLab({ seed, veth: { rateBps: 1e9, latencyNs: 50_000, mtu, maxMtu: 65535, loss: d.fn, frames: true } });
          const res = startBulk(lab, { bytes, functional: true, writeSize: 40_000 });
          lab.sim.run({ until: 600e9 });
          expect(res.error).toBeNull();
          expect(res.received).toBe(bytes);
          expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
          expect(res.client?.state).toBe('CLOSED');
          expect(res.server?.state).toBe('CLOSED');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('delivers across qdisc drops (a small txqueuelen) with CWR instead of loss', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 20_000, mtu: 1500, ringSize: 4, txqueuelen: 3, frames: true } });
    const bytes = 2_000_000;
    const res = startBulk(lab, { bytes, functional: true });
    lab.sim.run({ until: 60e9 });
    expect(res.received).toBe(bytes);
    expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
    const qd = lab.veth.a.dev.txQueue(0).qdisc.stats;
    expect(qd.drops).toBeGreaterThan(0);
    expect(lab.sa.tcpExt.TCPCwr).toBeGreaterThan(0);
  });
});
