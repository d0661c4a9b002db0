/**
 * Write-combining: WC writes linger in the mapping's buffer; a doorbell on another path can
 * overtake them unless barrier + read-back flushes them (the tx_memcpy_offload ordering fix).
 */
import fc from 'fast-check';
import type { ExecContext } from '@ntbsim/kernel';
import type { DmaBuffer, IoWindow } from '@ntbsim/ntb-core';
import { describe, expect, it } from 'vitest';
import type { EpfPair, LandEvent } from '../src/index.js';
import { inStep, linkUp, probedPair, runFor, runOp } from './helpers.js';

const FLAG = 0x40;

/** A pair with both MWs translated; returns the buffers and windows. */
function mwPair(): ReturnType<typeof probedPair> & { rcBuf: DmaBuffer; epBuf: DmaBuffer; rcWin: IoWindow; epWin: IoWindow } {
  const p = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
  const { sim, pair } = p;
  linkUp(sim, pair);
  const rcBuf = pair.rc.ops.allocCoherent(1 << 20, 4096);
  const epBuf = pair.ep.ops.allocCoherent(1 << 20, 4096);
  if (rcBuf === null || epBuf === null) throw new Error('alloc');
  runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: rcBuf.dmaAddr, size: 1 << 20 }, d));
  runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 0, addr: epBuf.dmaAddr, size: 1 << 20 }, d));
  const rcWin = pair.rc.ops.peerMwIoremap(0);
  const epWin = pair.ep.ops.peerMwIoremap(0);
  if (rcWin === null || epWin === null) throw new Error('ioremap');
  return { ...p, rcBuf, epBuf, rcWin, epWin };
}

/** The TX sequence of ntb_transport: payload, DONE flag, optional dma_mb + ioread32 flush, doorbell. */
function send(ctx: ExecContext, w: IoWindow, dev: EpfPair['ep'], flush: boolean): void {
  w.memcpyToio(ctx, 0, new Uint8Array(FLAG).fill(0x5a), FLAG);
  w.iowrite32(ctx, FLAG, 1);
  if (flush) {
    w.barrier(ctx);
    w.ioread32(ctx, FLAG);
  }
  dev.ops.peerDbSet(1, ctx);
}

describe('write-combining', () => {
  it('with no linger (default) WC writes leave at once, in order', () => {
    const { sim, ep, pair, epWin } = mwPair();
    const kinds: string[] = [];
    pair.fabric.onLand((e) => {
      if (e.dir === 'ep-to-rc') kinds.push(e.kind);
    });
    inStep(ep, (ctx) => send(ctx, epWin, pair.ep, false));
    runFor(sim, 1_000_000);
    expect(kinds).toEqual(['wc', 'wc', 'msi']);
  });

  it('a lingering write reaches the fabric after the linger delay, or at the barrier', () => {
    const { sim, ep, pair, epWin } = mwPair();
    pair.faults.setWcLinger(50_000);
    const lands: LandEvent[] = [];
    pair.fabric.onLand((e) => {
      if (e.kind === 'wc') lands.push(e);
    });
    let t0 = 0;
    inStep(ep, (ctx) => {
      epWin.iowrite32(ctx, 0, 1);
      t0 = Math.round(ctx.time);
    });
    runFor(sim, 1_000_000);
    expect(lands.map((e) => e.issue)).toEqual([t0 + 50_000]);
    lands.length = 0;
    inStep(ep, (ctx) => {
      epWin.iowrite32(ctx, 4, 1);
      epWin.barrier(ctx);
      t0 = Math.round(ctx.time);
    });
    runFor(sim, 1_000_000);
    expect(lands.map((e) => e.issue)).toEqual([t0]);
  });

  it('ioread32 after barrier returns only after the lingering writes landed', () => {
    const { sim, ep, pair, epWin, rcBuf } = mwPair();
    pair.faults.setWcLinger(1_000_000);
    let seenAt = 0;
    let readDone = 0;
    pair.fabric.onLand((e) => (seenAt = e.arrival));
    inStep(ep, (ctx) => {
      epWin.memcpyToio(ctx, 0, new Uint8Array(4096).fill(9), 4096);
      epWin.barrier(ctx);
      expect(epWin.ioread32(ctx, 4092)).toBe(0x09090909);
      readDone = ctx.time;
    });
    runFor(sim, 2_000_000);
    expect(rcBuf.bytes[4095]).toBe(9);
    expect(readDone).toBeGreaterThan(seenAt);
  });

  it('property: without the flush, an EP doorbell (MSI) is handled before the DONE flag is visible once the linger exceeds the MSI path', () => {
    fc.assert(
      fc.property(fc.integer({ min: 50_000, max: 2_000_000 }), (linger) => {
        const { sim, ep, pair, epWin, rcBuf } = mwPair();
        pair.faults.setWcLinger(linger, 'ep');
        const seen: number[] = [];
        pair.rc.setCtx({ dbEvent: () => seen.push(rcBuf.view.getUint32(FLAG, true)) });
        inStep(ep, (ctx) => send(ctx, epWin, pair.ep, false));
        runFor(sim, 5_000_000);
        expect(seen).toEqual([0]);
        expect(rcBuf.view.getUint32(FLAG, true)).toBe(1);
      }),
      { numRuns: 15 },
    );
  });

  it('property: with barrier + read-back, the EP doorbell never overtakes the data, whatever the linger', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000 }), fc.boolean(), (linger, perBit) => {
        const { sim, ep, pair, epWin, rcBuf } = mwPair();
        pair.faults.setWcLinger(linger);
        const seen: number[][] = [];
        pair.rc.setCtx({ dbEvent: () => seen.push([rcBuf.view.getUint32(FLAG, true), rcBuf.bytes[FLAG - 1] ?? 0]) });
        inStep(ep, (ctx) => {
          send(ctx, epWin, pair.ep, true);
          if (perBit) pair.ep.ops.peerDbSet(2, ctx);
        });
        runFor(sim, 10_000_000);
        expect(seen.length).toBeGreaterThan(0);
        for (const s of seen) expect(s).toEqual([1, 0x5a]);
      }),
      { numRuns: 25 },
    );
  });

  it('property: host → EP, without the flush the doorbell can land before the data; with it, never', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3_000_000 }), fc.boolean(), (linger, flush) => {
        const { sim, rc, pair, rcWin, epBuf } = mwPair();
        pair.faults.setWcLinger(linger, 'rc');
        const order: string[] = [];
        pair.fabric.onLand((e) => {
          if (e.dir === 'rc-to-ep' && (e.kind === 'wc' || e.kind === 'doorbell')) order.push(e.kind);
        });
        const seenAtPoll: number[] = [];
        pair.ep.setCtx({ dbEvent: () => seenAtPoll.push(epBuf.view.getUint32(FLAG, true)) });
        inStep(rc, (ctx) => send(ctx, rcWin, pair.rc, flush));
        runFor(sim, 20_000_000);
        expect(seenAtPoll).toHaveLength(1);
        const doorbellAt = order.indexOf('doorbell');
        const expected = flush ? 2 : linger >= 10_000 ? 0 : doorbellAt;
        expect(doorbellAt).toBe(expected);
        expect(flush ? seenAtPoll : [1]).toEqual([1]);
      }),
      { numRuns: 25 },
    );
  });

  it('a partial payload writes its real bytes, elides the rest, and costs the whole length', () => {
    const { sim, ep, pair, epWin, rcBuf } = mwPair();
    rcBuf.bytes.fill(0xee, 0, 64);
    const header = Uint8Array.of(1, 2, 3, 4, 5, 6);
    let cost = 0;
    let readBack = 0;
    let landedLen = 0;
    pair.fabric.onLand((e) => {
      if (e.kind === 'wc') landedLen = e.len;
    });
    inStep(ep, (ctx) => {
      epWin.memcpyToio(ctx, 0, header, 64);
      cost = ctx.time - ctx.start;
      readBack = epWin.ioread32(ctx, 4);
    });
    runFor(sim, 1_000_000);
    expect(cost).toBe(Math.round(200 + 64 / 1.8));
    expect(landedLen).toBe(64);
    expect(Array.from(rcBuf.bytes.slice(0, 8))).toEqual([1, 2, 3, 4, 5, 6, 0xee, 0xee]);
    expect(readBack).toBe(0xeeee0605);
  });

  it('rejects accesses outside the window', () => {
    const { sim, ep, epWin } = mwPair();
    let err: unknown = null;
    inStep(ep, (ctx) => {
      try {
        epWin.iowrite32(ctx, epWin.size - 2, 0);
      } catch (e) {
        err = e;
      }
    });
    runFor(sim, 100_000);
    expect(String(err)).toMatch(/iowrite32: \[1048574, 1048578\) outside the 1048576-byte window/);
  });
});
