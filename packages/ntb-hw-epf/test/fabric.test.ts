import { createSimulation, type Simulation } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { Fabric, PhysMemory, type BusTarget, type LandEvent } from '../src/index.js';

/** 1 B/ns links, 700 ns latency, a 4 KiB memory on each side. */
function rig(): { sim: Simulation; fabric: Fabric; ep: PhysMemory; rc: PhysMemory } {
  const sim = createSimulation();
  const ep = new PhysMemory('ep', 0x1000, 0x10_0000);
  const rc = new PhysMemory('rc', 0x1000, 0x10_0000);
  ep.alloc(4096, 4096, 'ep ram');
  rc.alloc(4096, 4096, 'rc ram');
  const target = (m: PhysMemory): BusTarget => ({
    resolve: (addr, len) => {
      const r = m.find(addr, len);
      return r === null ? null : { region: r, offset: addr - r.dmaAddr };
    },
  });
  const fabric = new Fabric(sim, { bytesPerSec: 1e9, latencyNs: 700, completionTimeoutNs: 50_000, postedBufferBytes: 8192, epTarget: target(ep), rcTarget: target(rc) });
  return { sim, fabric, ep, rc };
}

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('PCIe fabric', () => {
  it('lands a posted write at issue + len/rate + latency, bytes and all', () => {
    const { sim, fabric, ep } = rig();
    const seen: LandEvent[] = [];
    fabric.onLand((e) => seen.push(e));
    fabric.post({ dir: 'rc-to-ep', kind: 'wc', addr: 0x1010, len: 1000, data: bytes(1000, 7), issue: 500 });
    sim.run({ until: 2199 });
    expect(ep.allocations[0]?.bytes[0x10]).toBe(0);
    sim.run({ until: 2200 });
    expect(ep.allocations[0]?.bytes[0x10]).toBe(7);
    expect(ep.allocations[0]?.bytes[0x10 + 999]).toBe(7);
    expect(seen).toEqual([{ dir: 'rc-to-ep', kind: 'wc', addr: 0x1010, len: 1000, issue: 500, arrival: 2200, mapped: true }]);
    expect(fabric.stats('rc-to-ep')).toMatchObject({ tlps: 1, bytes: 1000, landed: 1 });
  });

  it('serialises one direction in issue-time order; the other direction is independent', () => {
    const { sim, fabric } = rig();
    const arrivals: [string, number][] = [];
    fabric.onLand((e) => arrivals.push([`${e.dir}:${e.len}`, e.arrival]));
    fabric.post({ dir: 'rc-to-ep', kind: 'wc', addr: 0x1000, len: 2000, data: null, issue: 1000 });
    fabric.post({ dir: 'rc-to-ep', kind: 'mmio', addr: 0x1000, len: 4, data: null, issue: 100 });
    fabric.post({ dir: 'rc-to-ep', kind: 'doorbell', addr: 0x1000, len: 4, data: null, issue: 1500 });
    fabric.post({ dir: 'ep-to-rc', kind: 'msi', addr: 0x1000, len: 4, data: null, issue: 1500 });
    sim.run();
    expect(arrivals).toEqual([
      ['rc-to-ep:4', 100 + 4 + 700],
      ['ep-to-rc:4', 1500 + 4 + 700],
      ['rc-to-ep:2000', 1000 + 2000 + 700],
      ['rc-to-ep:4', 3000 + 4 + 700],
    ]);
  });

  it('a read waits behind earlier posted writes and returns their value', () => {
    const { sim, fabric } = rig();
    const le = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);
    fabric.post({ dir: 'rc-to-ep', kind: 'wc', addr: 0x1100, len: 4000, data: null, issue: 0 });
    fabric.post({ dir: 'rc-to-ep', kind: 'mmio', addr: 0x1040, len: 4, data: le(0xdeadbeef), issue: 10 });
    fabric.post({ dir: 'rc-to-ep', kind: 'mmio', addr: 0x1044, len: 4, data: le(0x12345678), issue: 20_000 });
    const r = fabric.read({ dir: 'rc-to-ep', addr: 0x1040, width: 4, issue: 1000 });
    expect(r).toEqual({ value: 0xdeadbeef, waitNs: 4004 - 1000, ok: true });
    const w = fabric.read({ dir: 'rc-to-ep', addr: 0x1042, width: 2, issue: 1000 });
    expect(w.value).toBe(0xdead);
    expect(fabric.read({ dir: 'rc-to-ep', addr: 0x1044, width: 4, issue: 1000 }).value).toBe(0);
    expect(fabric.read({ dir: 'rc-to-ep', addr: 0x1044, width: 4, issue: 20_000 }).value).toBe(0x12345678);
    expect(fabric.read({ dir: 'rc-to-ep', addr: 0x9_0000, width: 4, issue: 0 }).value).toBe(0xffffffff);
    sim.run();
    expect(fabric.read({ dir: 'rc-to-ep', addr: 0x1040, width: 4, issue: sim.now })).toEqual({ value: 0xdeadbeef, waitNs: 0, ok: true });
  });

  it('link loss drops writes in flight and later; reads return all-ones after the completion timeout', () => {
    const { sim, fabric, ep } = rig();
    fabric.post({ dir: 'rc-to-ep', kind: 'wc', addr: 0x1000, len: 4, data: bytes(4, 9), issue: 0 });
    sim.run({ until: 100 });
    fabric.loseLink();
    expect(fabric.post({ dir: 'rc-to-ep', kind: 'wc', addr: 0x1000, len: 4, data: bytes(4, 9), issue: 200 })).toBeNull();
    expect(fabric.read({ dir: 'rc-to-ep', addr: 0x1000, width: 2, issue: 200 })).toEqual({ value: 0xffff, waitNs: 50_000, ok: false });
    sim.run();
    expect(ep.allocations[0]?.bytes[0]).toBe(0);
    expect(fabric.stats('rc-to-ep').droppedLinkDown).toBe(2);
    fabric.restore();
    fabric.post({ dir: 'rc-to-ep', kind: 'wc', addr: 0x1000, len: 4, data: bytes(4, 9), issue: sim.now });
    sim.run();
    expect(ep.allocations[0]?.bytes[0]).toBe(9);
  });

  it('drops the next N writes of a kind and counts unmapped writes', () => {
    const { sim, fabric } = rig();
    fabric.dropNextWrites('doorbell', 2);
    for (let i = 0; i < 3; i++) fabric.post({ dir: 'rc-to-ep', kind: 'doorbell', addr: 0x1000, len: 4, data: null, issue: 0 });
    fabric.post({ dir: 'rc-to-ep', kind: 'wc', addr: 0x8_0000, len: 4, data: null, issue: 0 });
    sim.run();
    expect(fabric.stats('rc-to-ep')).toMatchObject({ droppedFault: 2, landed: 1, unmapped: 1 });
    expect(fabric.pendingDrops('doorbell')).toBe(0);
  });
});
