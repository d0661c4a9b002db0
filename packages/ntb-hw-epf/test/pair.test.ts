/**
 * The checks of the kernel's ntb_test.sh / ntb_tool, run on the model: link, scratchpads,
 * doorbells and memory windows, from both sides.
 */
import { pcieBytesPerSec } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import type { DoorbellMode } from '../src/index.js';
import { inStep, linkUp, probedPair, recordDb, runFor, runOp } from './helpers.js';

const MiB = 1 << 20;

describe('createEpfPair', () => {
  it('probes the host driver, registers both devices and brings the link up', () => {
    const { sim, pair } = probedPair();
    expect(pair.probe().state).toBe('done');
    expect(pair.buses.rc.deviceList).toEqual([pair.rc]);
    expect(pair.buses.ep.deviceList).toEqual([pair.ep]);
    expect(pair.config).toMatchObject({ doorbell: { rc: 'legacy', ep: 'legacy' }, numMws: 1, dbCount: 16, spadCount: 128, msiVectors: 16, doorbellIrq: false });
    expect(linkUp(sim, pair)).toBe(0);
    expect(pair.rc.ops.linkIsUp().peers).toBe(1);
    expect(pair.ep.ops.linkIsUp().peers).toBe(1);
  });
});

describe('ntb_test.sh on the model: link', () => {
  it('link up from the host is seen on both sides; link down likewise; the EP side cannot change it', () => {
    const { sim, pair } = probedPair();
    let epEvents = 0;
    pair.ep.setCtx({ linkEvent: () => epEvents++ });
    expect([pair.rc.ops.linkIsUp().peers, pair.ep.ops.linkIsUp().peers]).toEqual([0, 0]);
    expect(linkUp(sim, pair)).toBe(0);
    expect([pair.rc.ops.linkIsUp().peers, pair.ep.ops.linkIsUp().peers]).toEqual([1, 1]);
    expect(runOp(sim, (d) => pair.ep.ops.linkDisable(d))).toBe(0);
    expect([pair.rc.ops.linkIsUp().peers, pair.ep.ops.linkIsUp().peers]).toEqual([1, 1]);
    expect(runOp(sim, (d) => pair.rc.ops.linkDisable(d))).toBe(0);
    expect([pair.rc.ops.linkIsUp().peers, pair.ep.ops.linkIsUp().peers]).toEqual([0, 0]);
    expect(runOp(sim, (d) => pair.ep.ops.linkEnable('auto', 'auto', d))).toBe(0);
    expect(pair.ep.ops.linkIsUp().peers).toBe(0);
    expect(epEvents).toBe(2);
  });
});

describe('ntb_test.sh on the model: scratchpads', () => {
  it('a peer scratchpad written by one side is read back as a local scratchpad by the other, both ways', () => {
    const { sim, rc, ep, pair } = probedPair();
    const n = pair.rc.spadCount();
    expect(n).toBe(pair.ep.spadCount());
    inStep(rc, (ctx) => {
      for (let i = 0; i < n; i++) pair.rc.peerSpadWrite(0, i, 0x1000_0000 + i, ctx);
    });
    inStep(ep, (ctx) => {
      for (let i = 0; i < n; i++) pair.ep.peerSpadWrite(0, i, 0x2000_0000 + i, ctx);
    });
    runFor(sim, 10_000_000);
    const epSees: number[] = [];
    const rcSees: number[] = [];
    inStep(ep, (ctx) => {
      for (let i = 0; i < n; i++) epSees.push(pair.ep.spadRead(i, ctx));
    });
    inStep(rc, (ctx) => {
      for (let i = 0; i < n; i++) rcSees.push(pair.rc.spadRead(i, ctx));
    });
    runFor(sim, 10_000_000);
    expect(epSees).toEqual(Array.from({ length: n }, (_, i) => 0x1000_0000 + i));
    expect(rcSees).toEqual(Array.from({ length: n }, (_, i) => 0x2000_0000 + i));
    expect(pair.rc.peerSpadRead(0, 7)).toBe(0x1000_0007);
    expect(pair.ep.peerSpadRead(0, 7)).toBe(0x2000_0007);
  });

  it('host accesses are PCIe round trips, EP accesses are local', () => {
    const { sim, rc, ep, pair } = probedPair();
    const cost = { rc: 0, ep: 0 };
    inStep(rc, (ctx) => {
      pair.rc.spadRead(0, ctx);
      cost.rc = ctx.time - ctx.start;
    });
    inStep(ep, (ctx) => {
      pair.ep.spadRead(0, ctx);
      cost.ep = ctx.time - ctx.start;
    });
    runFor(sim, 1_000_000);
    expect(cost).toEqual({ rc: 2 * 1500, ep: 200 });
  });
});

describe('ntb_test.sh on the model: doorbells', () => {
  const modes: DoorbellMode[] = ['legacy', 'per-bit'];
  for (const mode of modes) {
    it(`${mode}: each doorbell bit rung by the EP raises db_event on the host with the right vector and bits`, () => {
      const { sim, ep, pair } = probedPair({ doorbell: { rc: mode, ep: mode } });
      linkUp(sim, pair);
      const log = recordDb(pair.rc);
      const valid = pair.ep.ops.dbValidMask();
      for (let b = 0; b < 14; b++) {
        inStep(ep, (ctx) => pair.ep.ops.peerDbSet(1 << b, ctx));
        runFor(sim, 100_000);
        const ev = log.shift();
        expect(ev?.kind).toBe('hardirq');
        expect([ev?.vector, ev?.bits]).toEqual(mode === 'legacy' ? [b + 2, b + 3] : [b, 1 << b]);
        pair.rc.ops.dbClear(ev?.bits ?? 0);
      }
      expect(valid).toBe(mode === 'legacy' ? 0xffff : 0x3fff);
    });

    it(`${mode}: each doorbell bit rung by the host raises db_event on the EP at its next poll`, () => {
      const { sim, rc, pair } = probedPair({ doorbell: { rc: mode, ep: mode } });
      linkUp(sim, pair);
      const log = recordDb(pair.ep);
      for (let b = 0; b < 14; b++) {
        inStep(rc, (ctx) => pair.rc.ops.peerDbSet(1 << b, ctx));
        runFor(sim, 9_000_000);
        const ev = log.shift();
        expect(ev?.kind).toBe('kthread');
        expect([ev?.vector, ev?.bits]).toEqual(mode === 'legacy' ? [b + 2, 1 << (b + 1)] : [b, 1 << b]);
        pair.ep.ops.dbClear(ev?.bits ?? 0);
      }
      expect(log).toHaveLength(0);
    });
  }

  it('legacy: no vector ops, so ntb_db_vector_mask covers every bit (each doorbell kicks every QP)', () => {
    const { pair } = probedPair({ doorbell: { rc: 'legacy', ep: 'legacy' } });
    for (const dev of [pair.rc, pair.ep]) {
      expect(dev.dbVectorCount()).toBe(1);
      for (const v of [0, 2, 5, 13]) expect(dev.dbVectorMask(v)).toBe(dev.ops.dbValidMask());
    }
  });

  it('per-bit: one vector per bit; IRQ affinity steers each doorbell to its CPU on the host', () => {
    const { sim, ep, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    for (const dev of [pair.rc, pair.ep]) {
      expect(dev.dbVectorCount()).toBe(14);
      expect(dev.dbVectorMask(3)).toBe(1 << 3);
    }
    const irqs = pair.rcIrqs();
    irqs[2]?.setAffinity(1 << 2);
    irqs[3]?.setAffinity(1 << 5);
    const log = recordDb(pair.rc);
    inStep(ep, (ctx) => pair.ep.ops.peerDbSet(0b11, ctx));
    runFor(sim, 1_000_000);
    expect(log.map((e) => [e.vector, e.cpu])).toEqual([
      [0, 2],
      [1, 5],
    ]);
    expect(irqs[2]?.counts[2]).toBe(1);
    expect(irqs[3]?.counts[5]).toBe(1);
  });

  it('mixed boards interoperate on the wire (legacy host, per-bit EP and the reverse)', () => {
    const a = probedPair({ doorbell: { rc: 'legacy', ep: 'per-bit' } });
    const la = recordDb(a.pair.rc);
    inStep(a.ep, (ctx) => a.pair.ep.ops.peerDbSet(1 << 4, ctx));
    runFor(a.sim, 1_000_000);
    expect(la.map((e) => e.vector)).toEqual([6]);
    const b = probedPair({ doorbell: { rc: 'per-bit', ep: 'legacy' } });
    const lb = recordDb(b.pair.rc);
    inStep(b.ep, (ctx) => b.pair.ep.ops.peerDbSet(1 << 4, ctx));
    runFor(b.sim, 1_000_000);
    expect(lb.map((e) => e.vector)).toEqual([4]);
  });
});

describe('ntb_test.sh on the model: memory windows', () => {
  it('host → EP: bytes written through the host IoWindow land in the EP buffer at the right offset and time', () => {
    const { sim, rc, pair } = probedPair();
    const buf = pair.ep.ops.allocCoherent(MiB, 4096);
    if (buf === null) throw new Error('alloc');
    expect(runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr, size: MiB }, d))).toBe(0);
    const w = pair.rc.ops.peerMwIoremap(0);
    if (w === null) throw new Error('ioremap');
    const data = Uint8Array.from({ length: 65536 }, (_, i) => (i * 7) & 0xff);
    let issued = 0;
    inStep(rc, (ctx) => {
      w.memcpyToio(ctx, 0x8000, data, data.length);
      issued = Math.round(ctx.time);
      expect(ctx.time - ctx.start).toBe(Math.round(200 + 65536 / 1.8));
    });
    const rate = pcieBytesPerSec(rc.profile);
    let landed = -1;
    pair.fabric.onLand((e) => {
      if (e.kind === 'wc') landed = e.arrival;
    });
    runFor(sim, 1_000_000);
    expect(landed).toBe(issued + Math.ceil((65536 * 1e9) / rate) + 700);
    expect(Buffer.from(buf.bytes.subarray(0x8000, 0x8000 + 65536)).equals(data)).toBe(true);
    expect(buf.bytes[0x7fff]).toBe(0);
    expect(buf.bytes[0x8000 + 65536]).toBe(0);
  });

  it('EP → host: bytes written through the EP outbound window land in the host buffer at the right offset and time', () => {
    const { sim, ep, pair } = probedPair();
    const buf = pair.rc.ops.allocCoherent(MiB, 4096);
    if (buf === null) throw new Error('alloc');
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr, size: MiB }, d))).toBe(0);
    const w = pair.ep.ops.peerMwIoremap(0);
    if (w === null) throw new Error('ioremap');
    const data = Uint8Array.from({ length: 4096 }, (_, i) => 255 - (i & 0xff));
    const times: number[] = [];
    inStep(ep, (ctx) => {
      w.memcpyToio(ctx, MiB - 4096, data, 4096);
      times.push(Math.round(ctx.time));
    });
    pair.fabric.onLand((e) => {
      if (e.kind === 'wc') times.push(e.arrival);
    });
    runFor(sim, 1_000_000);
    expect(times[1]).toBe((times[0] ?? 0) + Math.ceil((4096 * 1e9) / pair.fabric.bytesPerSec) + 700);
    expect(Buffer.from(buf.bytes.subarray(MiB - 4096)).equals(data)).toBe(true);
  });

  it('four MWs share BAR2 at their offsets; each window translates to its own buffer, both ways', () => {
    const { sim, rc, ep, pair } = probedPair({ vntb: { mwSizes: [0x40000, 0x40000, 0x40000, 0x40000] } });
    expect(pair.config.bars.bar2.size).toBe(MiB);
    expect(pair.config.mwOffsets).toEqual([0, 0x40000, 0x80000, 0xc0000]);
    expect(pair.rc.ops.mwCount(0)).toBe(4);
    const epBufs = [0, 1, 2, 3].map(() => pair.ep.ops.allocCoherent(0x40000, 4096));
    const rcBufs = [0, 1, 2, 3].map(() => pair.rc.ops.allocCoherent(0x40000, 4096));
    for (let i = 0; i < 4; i++) {
      const e = epBufs[i];
      const r = rcBufs[i];
      if (e == null || r == null) throw new Error('alloc');
      expect(runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: i, addr: e.dmaAddr, size: 0x40000 }, d))).toBe(0);
      expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: i, addr: r.dmaAddr, size: 0x40000 }, d))).toBe(0);
      expect(pair.rc.ops.peerMwGetAddr(i)).toEqual({ base: pair.config.bars.bar2.base + i * 0x40000, size: 0x40000 });
    }
    inStep(rc, (ctx) => {
      for (let i = 0; i < 4; i++) pair.rc.ops.peerMwIoremap(i)?.iowrite32(ctx, 0x3fffc, 0x100 + i);
    });
    inStep(ep, (ctx) => {
      for (let i = 0; i < 4; i++) pair.ep.ops.peerMwIoremap(i)?.iowrite32(ctx, 0, 0x200 + i);
    });
    runFor(sim, 1_000_000);
    expect(epBufs.map((b) => b?.view.getUint32(0x3fffc, true))).toEqual([0x100, 0x101, 0x102, 0x103]);
    expect(rcBufs.map((b) => b?.view.getUint32(0, true))).toEqual([0x200, 0x201, 0x202, 0x203]);
  });

  it('several CPUs writing at once saturate the link: landings are spaced by the serialisation time', () => {
    const { sim, rc, pair } = probedPair();
    const buf = pair.ep.ops.allocCoherent(MiB, 4096);
    if (buf === null) throw new Error('alloc');
    runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr, size: MiB }, d));
    const w = pair.rc.ops.peerMwIoremap(0);
    if (w === null) throw new Error('ioremap');
    const arrivals: number[] = [];
    pair.fabric.onLand((e) => {
      if (e.kind === 'wc') arrivals.push(e.arrival);
    });
    for (let cpu = 0; cpu < 4; cpu++) inStep(rc, (ctx) => w.memcpyToio(ctx, cpu * 65536, null, 65536), { cpu });
    runFor(sim, 1_000_000);
    const ser = pair.fabric.serializationNs(65536);
    expect(arrivals).toHaveLength(4);
    for (let i = 1; i < 4; i++) expect((arrivals[i] as number) - (arrivals[i - 1] as number)).toBe(ser);
  });

  it('back-to-back writes queue behind each other on the link (rate-limited), reads wait for them', () => {
    const { sim, rc, pair } = probedPair();
    const buf = pair.ep.ops.allocCoherent(MiB, 4096);
    if (buf === null) throw new Error('alloc');
    runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr, size: MiB }, d));
    const w = pair.rc.ops.peerMwIoremap(0);
    if (w === null) throw new Error('ioremap');
    const ser = pair.fabric.serializationNs(65536);
    let readCost = 0;
    const arrivals: number[] = [];
    pair.fabric.onLand((e) => {
      if (e.kind === 'wc') arrivals.push(e.arrival);
    });
    inStep(rc, (ctx) => {
      for (let i = 0; i < 4; i++) w.memcpyToio(ctx, i * 65536, null, 65536);
      w.iowrite32(ctx, 4 * 65536, 0xc0ffee);
      const t = ctx.time;
      expect(w.ioread32(ctx, 4 * 65536)).toBe(0xc0ffee);
      readCost = ctx.time - t;
    });
    runFor(sim, 1_000_000);
    // The CPU copies at 1.8 GB/s, slower than the 3.35 GB/s link: each 64 KiB write lands
    // 36.6 µs after the previous one; the read waits for the last one to leave the link.
    const gaps = arrivals.slice(1, 4).map((t, i) => t - (arrivals[i] as number));
    for (const g of gaps) expect(g).toBeCloseTo(200 + 65536 / 1.8, -1);
    expect(readCost).toBeCloseTo(1500 + ser + 2 - 100, -1);
    expect(arrivals[4]).toBe((arrivals[3] as number) + 2);
  });
});
