import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { inStep, linkUp, probedPair, recordDb, runFor, runOp } from './helpers.js';

describe('pci-epf-vntb command handler', () => {
  it('re-queues itself every msecs_to_jiffies(5) = 2 jiffies at HZ 250 (8 ms)', () => {
    const { sim, pair } = probedPair();
    const before = pair.stats().ep.handlerRuns;
    runFor(sim, 1_000_000_000);
    expect(pair.stats().ep.handlerRuns - before).toBe(125);
  });

  it('follows LINK_UP / LINK_DOWN from the host and raises link events on the EP device in process context', () => {
    const { sim, pair } = probedPair();
    const events: string[] = [];
    pair.ep.setCtx({ linkEvent: () => events.push(pair.ep.ops.linkIsUp().peers === 1 ? 'up' : 'down') });
    expect(pair.ep.ops.linkIsUp()).toEqual({ peers: 0, speed: 'none', width: 'none' });
    expect(linkUp(sim, pair)).toBe(0);
    expect(pair.ep.ops.linkIsUp()).toEqual({ peers: 1, speed: 4, width: 2 });
    expect(runOp(sim, (d) => pair.rc.ops.linkDisable(d))).toBe(0);
    expect(events).toEqual(['up', 'down']);
    expect(pair.rc.ops.linkIsUp().peers).toBe(0);
  });

  it('link_enable / link_disable on the EP are no-ops that complete in process context', () => {
    const { sim, pair } = probedPair();
    const t0 = sim.now;
    expect(runOp(sim, (d) => pair.ep.ops.linkEnable('auto', 'auto', d))).toBe(0);
    expect(sim.now).toBeGreaterThan(t0);
    expect(pair.ep.ops.linkIsUp().peers).toBe(0);
    expect(runOp(sim, (d) => pair.ep.ops.linkDisable(d))).toBe(0);
  });
});

describe('pci-epf-vntb doorbells from the host (polled every msecs_to_jiffies(5), 8 ms at HZ 250)', () => {
  for (const mode of ['legacy', 'per-bit'] as const) {
    it(`${mode}: a host doorbell is seen at the next poll, within one handler period`, () => {
      const { sim, rc, pair } = probedPair({ doorbell: { rc: 'legacy', ep: mode } });
      linkUp(sim, pair);
      const log = recordDb(pair.ep);
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        runFor(sim, 1_234_567 * (i + 1));
        const t = sim.now;
        inStep(rc, (ctx) => pair.rc.ops.peerDbSet(1 << (i % 4), ctx));
        runFor(sim, 10_000_000);
        const ev = log.shift();
        if (ev === undefined) throw new Error('no doorbell');
        latencies.push(ev.t - t);
        expect(ev.kind).toBe('kthread');
        const bit = i % 4;
        expect(ev.vector).toBe(mode === 'legacy' ? bit + 2 : bit);
        expect(ev.bits).toBe(mode === 'legacy' ? 1 << (bit + 1) : 1 << bit);
        pair.ep.ops.dbClear(ev.bits);
      }
      expect(log).toHaveLength(0);
      expect(Math.min(...latencies)).toBeGreaterThan(5_000);
      expect(Math.max(...latencies)).toBeLessThanOrEqual(8_100_000);
      expect(Math.max(...latencies) - Math.min(...latencies)).toBeGreaterThan(4_000_000);
      expect(pair.ep.ops.dbRead()).toBe(0);
    });
  }

  it('legacy EP: slot 1 (bits = 0 on the host) is reported as bit 0 / vector 1; per-bit EP ignores it', () => {
    for (const mode of ['legacy', 'per-bit'] as const) {
      const { sim, rc, pair } = probedPair({ doorbell: { ep: mode } });
      const log = recordDb(pair.ep);
      inStep(rc, (ctx) => pair.rc.ops.peerDbSet(0, ctx));
      runFor(sim, 10_000_000);
      expect(log.map((e) => [e.vector, e.bits])).toEqual(mode === 'legacy' ? [[1, 1]] : []);
    }
  });
});

describe('pci-epf-vntb interrupt-driven doorbells (msi_doorbell)', () => {
  it('takes host doorbells as EP interrupts, polls nothing and runs the command handler every 500 ms', () => {
    const { sim, rc, pair } = probedPair({ vntb: { doorbellIrq: true }, doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    expect(pair.probe().at).toBeGreaterThan(400_000_000);
    expect(pair.epIrqs()).toHaveLength(16);
    const ctrl = new DataView(pair.ctrlBytes.buffer, pair.ctrlBytes.byteOffset);
    expect([ctrl.getUint32(0x30, true), ctrl.getUint32(0x34 + 4 * 5, true), ctrl.getUint32(0xb4 + 4 * 5, true)]).toEqual([0, 5, 0]);
    const log = recordDb(pair.ep);
    const t0 = sim.now;
    inStep(rc, (ctx) => pair.rc.ops.peerDbSet(1 << 3, ctx));
    runFor(sim, 1_000_000);
    expect(log.map((e) => [e.vector, e.bits, e.kind])).toEqual([[3, 8, 'hardirq']]);
    expect((log[0]?.t ?? 0) - t0).toBeLessThan(20_000);
    const runs = pair.stats().ep.handlerRuns;
    runFor(sim, 1_000_000_000);
    expect(pair.stats().ep.handlerRuns - runs).toBe(2);
    pair.faults.spuriousDoorbell({ to: 'ep', slot: 2 });
    runFor(sim, 1_000_000);
    expect(log.map((e) => e.vector)).toEqual([3, 0]);
  });
});

describe('pci-epf-vntb doorbells to the host (MSI)', () => {
  it('legacy vNTB rings only the lowest set bit, as MSI ffs + 2, in the caller context', () => {
    const { sim, ep, pair } = probedPair({ doorbell: { rc: 'legacy', ep: 'legacy' } });
    const log = recordDb(pair.rc);
    inStep(ep, (ctx) => expect(pair.ep.ops.peerDbSet(0b1010, ctx)).toBe(0));
    runFor(sim, 1_000_000);
    expect(log.map((e) => [e.vector, e.bits, e.kind])).toEqual([[3, 4, 'hardirq']]);
    expect(pair.stats().ep.msis).toBe(1);
  });

  it('per-bit vNTB raises MSI bit + 3 for every set bit from peer_db_work', () => {
    const { sim, ep, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    const log = recordDb(pair.rc);
    inStep(ep, (ctx) => {
      expect(pair.ep.ops.peerDbSet(0b1010 | (1 << 20), ctx)).toBe(0);
      expect(ctx.time - ctx.start).toBeLessThan(500);
    });
    runFor(sim, 1_000_000);
    expect(log.map((e) => [e.vector, e.kind])).toEqual([
      [1, 'hardirq'],
      [3, 'hardirq'],
    ]);
    expect(pair.rc.ops.dbRead()).toBe(0b1010);
    expect(pair.rc.ops.dbClear(0b10)).toBe(0);
    expect(pair.rc.ops.dbRead()).toBe(0b1000);
    expect(pair.stats().ep.msis).toBe(2);
  });

  it('an MSI beyond the vectors the host enabled fails with -EINVAL', () => {
    const { sim, ep, pair } = probedPair({ doorbell: { ep: 'legacy' } });
    const rcs: number[] = [];
    inStep(ep, (ctx) => rcs.push(pair.ep.ops.peerDbSet(1 << 14, ctx), pair.ep.ops.peerDbSet(1 << 13, ctx)));
    runFor(sim, 1_000_000);
    expect(rcs).toEqual([-ERRNO.EINVAL, 0]);
    expect(pair.stats().ep.msiErrors).toBe(1);
  });
});

describe('pci-epf-vntb memory windows', () => {
  it('reports its windows and checks mw_set_trans (inbound iATU: 4 KiB aligned, any size, as vntb_epf_mw_set_trans)', () => {
    const { sim, rc, pair } = probedPair({ vntb: { mwSizes: [0xe0000, 0x20000] } });
    const ops = pair.ep.ops;
    expect(ops.mwGetAlign(0, 1)).toEqual({ addrAlign: 4096, sizeAlign: 1, sizeMax: 0x20000 });
    expect(ops.peerMwGetAddr(0)).toEqual({ base: pair.config.epOutbound[0], size: 0xe0000 });
    expect(ops.mwGetAlign(0, 2)).toBe(-ERRNO.EINVAL);
    const buf = ops.allocCoherent(0x20000, 4096);
    if (buf === null) throw new Error('alloc');
    expect(runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 1, addr: buf.dmaAddr + 8, size: 0x1000 }, d))).toBe(-ERRNO.EINVAL);
    expect(runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 1, addr: buf.dmaAddr, size: 0 }, d))).toBe(-ERRNO.EINVAL);
    expect(runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 1, addr: buf.dmaAddr, size: 0x40000 }, d))).toBe(0);
    expect(runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 4, addr: buf.dmaAddr, size: 0x1000 }, d))).toBe(-ERRNO.EINVAL);
    expect(runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 1, addr: buf.dmaAddr, size: 0x20000 }, d))).toBe(0);
    const w1 = pair.rc.ops.peerMwIoremap(1);
    expect(w1?.size).toBe(0x20000);
    inStep(rc, (ctx) => w1?.memcpyToio(ctx, 0x10, new Uint8Array([5, 6, 7]), 3));
    runFor(sim, 100_000);
    expect(Array.from(buf.bytes.slice(0x10, 0x13))).toEqual([5, 6, 7]);
    expect(runOp(sim, (d) => pair.ep.mwClearTrans(0, 1, d))).toBe(0);
    expect(pair.ep.ops.peerMwIoremap(5)).toBeNull();
  });
});

describe('pci-epf-vntb per-bit doorbells to the host (MSIs from a work item)', () => {
  it('a doorbell rung from another CPU while the work is pending raises its MSI no earlier than the ring: the frame written before it has landed when the host sees it', () => {
    const { sim, ep, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    expect(linkUp(sim, pair)).toBe(0);
    const rcBuf = pair.rc.ops.allocCoherent(1 << 20, 4096);
    if (rcBuf === null) throw new Error('alloc');
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: rcBuf.dmaAddr, size: 1 << 20 }, d))).toBe(0);
    runFor(sim, 20_000_000);
    const win = pair.ep.ops.peerMwIoremap(0);
    if (win === null) throw new Error('no window');
    const seen: { bit: number; lastByte: number }[] = [];
    pair.rc.setCtx({
      dbEvent: () => {
        const bits = pair.rc.ops.dbRead();
        for (const bit of [0, 1]) if ((bits & (1 << bit)) !== 0) seen.push({ bit, lastByte: rcBuf.bytes[65535] ?? -1 });
        pair.rc.ops.dbClear(bits);
      },
    });
    // CPU 1 rings bit 0 (the doorbell work is queued on its kworker); CPU 2 meanwhile writes a
    // 64 KiB frame, flushes it with a read-back and rings bit 1 some 40 µs later in virtual time.
    inStep(ep, (ctx) => pair.ep.ops.peerDbSet(1, ctx), { cpu: 1 });
    inStep(
      ep,
      (ctx) => {
        win.memcpyToio(ctx, 0, new Uint8Array(65536).fill(7), 65536);
        win.barrier(ctx);
        win.ioread32(ctx, 65532);
        pair.ep.ops.peerDbSet(2, ctx);
      },
      { cpu: 2 },
    );
    runFor(sim, 10_000_000);
    expect(seen).toEqual([
      { bit: 0, lastByte: expect.any(Number) as number },
      { bit: 1, lastByte: 7 },
    ]);
  });
});

