import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { EpfError, type EpfPair, type Fabric, type TlpKind } from '../src/index.js';
import { inStep, linkUp, probedPair, recordDb, runFor, runOp } from './helpers.js';

const KINDS: TlpKind[] = ['mmio', 'wc', 'doorbell', 'msi', 'dma'];

/** What a fault hook could accidentally touch. */
function snapshot(pair: EpfPair): unknown {
  const f = pair.fabric as Fabric;
  return {
    linkUp: f.linkUp,
    drops: KINDS.map((k) => f.pendingDrops(k)),
    rcLink: pair.rc.ops.linkIsUp(),
    epLink: pair.ep.ops.linkIsUp(),
    spads: [pair.rc.spadRead(0), pair.ep.spadRead(0)],
    db: [pair.rc.ops.dbRead(), pair.ep.ops.dbRead()],
    dma: [pair.dma.rc.freeChannels, pair.dma.ep.freeChannels],
  };
}

describe('fault hooks', () => {
  it('hardware link loss: both devices see link down, traffic is lost, reads time out with all-ones; recovery restores it', () => {
    const { sim, rc, ep, pair } = probedPair();
    linkUp(sim, pair);
    const events: string[] = [];
    const rcDb: number[] = [];
    expect(pair.rc.setCtx({ linkEvent: () => events.push(`rc:${pair.rc.ops.linkIsUp().peers}`), dbEvent: (v) => rcDb.push(v) })).toBe(0);
    expect(pair.ep.setCtx({ linkEvent: () => events.push(`ep:${pair.ep.ops.linkIsUp().peers}`) })).toBe(0);
    inStep(ep, (ctx) => pair.ep.ops.peerDbSet(1, ctx));
    pair.faults.linkDown();
    expect(pair.faults.linkLoss()).toBe('notified');
    runFor(sim, 1_000_000);
    expect(events.sort()).toEqual(['ep:0', 'rc:0']);
    expect(rcDb).toHaveLength(0);
    let cost = 0;
    let value = 0;
    inStep(rc, (ctx) => {
      value = pair.rc.peerSpadRead(0, 0, ctx);
      cost = ctx.time - ctx.start;
    });
    runFor(sim, 1_000_000);
    expect([value, cost]).toEqual([0xffffffff, 50_000]);
    expect(pair.fabric.stats('ep-to-rc').droppedLinkDown).toBe(1);
    events.length = 0;
    pair.faults.linkUp();
    runFor(sim, 1_000_000);
    expect(events.sort()).toEqual(['ep:1', 'rc:1']);
    inStep(ep, (ctx) => pair.ep.ops.peerDbSet(1, ctx));
    runFor(sim, 1_000_000);
    expect(rcDb).toEqual([2]);
  });

  it('an unnoticed link loss (notify: false, as mainline): no link event on either side, both still read the link up, traffic is lost; recovery is silent too', () => {
    const { sim, rc, ep, pair } = probedPair();
    linkUp(sim, pair);
    const events: string[] = [];
    const rcDb: number[] = [];
    expect(pair.rc.setCtx({ linkEvent: () => events.push('rc'), dbEvent: (v) => rcDb.push(v) })).toBe(0);
    expect(pair.ep.setCtx({ linkEvent: () => events.push('ep') })).toBe(0);
    expect(pair.faults.linkLoss()).toBe('none');
    pair.faults.linkDown({ notify: false });
    expect(pair.fabric.linkUp).toBe(false);
    expect(pair.faults.linkLoss()).toBe('silent');
    inStep(ep, (ctx) => pair.ep.ops.peerDbSet(1, ctx));
    let status = 0;
    inStep(rc, (ctx) => (status = pair.rc.peerSpadRead(0, 0, ctx)));
    runFor(sim, 1_000_000);
    expect(events).toEqual([]);
    expect(rcDb).toEqual([]);
    expect(status).toBe(0xffffffff);
    expect(pair.fabric.stats('ep-to-rc').droppedLinkDown).toBe(1);
    expect([pair.rc.ops.linkIsUp().peers, pair.ep.ops.linkIsUp().peers]).toEqual([1, 1]);
    pair.faults.linkUp();
    runFor(sim, 1_000_000);
    expect(events).toEqual([]);
    inStep(ep, (ctx) => pair.ep.ops.peerDbSet(1, ctx));
    runFor(sim, 1_000_000);
    expect(rcDb).toEqual([2]);
  });

  it('rejects a non-boolean notify with EINVAL and leaves the link up', () => {
    const { sim, pair } = probedPair();
    linkUp(sim, pair);
    expect(() => pair.faults.linkDown({ notify: 'no' as unknown as boolean })).toThrow(/notify: got "no", allowed true or false/);
    expect(() => pair.faults.linkDown({ notify: 'no' as unknown as boolean })).toThrow(EpfError);
    expect(pair.fabric.linkUp).toBe(true);
  });

  it('a host command during link loss times out', () => {
    const { sim, pair } = probedPair();
    pair.faults.linkDown();
    expect(runOp(sim, (d) => pair.rc.ops.linkEnable('auto', 'auto', d))).toBe(-ERRNO.ETIMEDOUT);
  });

  it('drops the next N host doorbells, then delivers again', () => {
    const { sim, rc, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    const log = recordDb(pair.ep);
    pair.faults.dropDoorbells(2);
    for (let i = 0; i < 3; i++) {
      inStep(rc, (ctx) => pair.rc.ops.peerDbSet(1 << i, ctx));
      runFor(sim, 9_000_000);
    }
    expect(log.map((e) => e.vector)).toEqual([2]);
    expect(pair.fabric.stats('rc-to-ep').droppedFault).toBe(2);
  });

  it('drops the next N MSIs, then delivers again', () => {
    const { sim, ep, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    const log = recordDb(pair.rc);
    pair.faults.dropMsis(1);
    inStep(ep, (ctx) => pair.ep.ops.peerDbSet(0b11, ctx));
    runFor(sim, 1_000_000);
    expect(log.map((e) => e.vector)).toEqual([1]);
  });

  it('spurious doorbells: a DB slot written without a host doorbell, an MSI without an EP doorbell', () => {
    const { sim, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    const epLog = recordDb(pair.ep);
    const rcLog = recordDb(pair.rc);
    pair.faults.spuriousDoorbell({ to: 'ep', slot: 5 });
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 4 });
    runFor(sim, 9_000_000);
    expect(epLog.map((e) => e.vector)).toEqual([3]);
    expect(rcLog.map((e) => e.vector)).toEqual([2]);
    expect(() => pair.faults.spuriousDoorbell({ to: 'rc', vector: 16 })).toThrow(EpfError);
    expect(() => pair.faults.spuriousDoorbell({ to: 'ep', slot: 64 })).toThrow(/doorbell slot: got 64, allowed 0\.\.63/);
    // A malformed target or stall flag is refused, not taken for the RC's vector 0 or "stalled".
    expect(() => pair.faults.spuriousDoorbell({ to: 'x', vector: 0 } as unknown as { to: 'rc'; vector: number })).toThrow(/spurious doorbell to: got "x", allowed ep or rc/);
    expect(() => pair.faults.stallEpHandler('x' as unknown as boolean)).toThrow(/stall: got "x", allowed true or false/);
    pair.faults.spuriousDoorbell({ to: 'ep', slot: 5 });
    runFor(sim, 9_000_000);
    expect(rcLog.map((e) => e.vector)).toEqual([2]);
    // The EP's command handler still polls: the second spurious slot write is seen.
    expect(epLog.map((e) => e.vector)).toEqual([3, 3]);
  });

  it('WC linger is per side', () => {
    const { sim, rc, ep, pair } = probedPair();
    const epBuf = pair.ep.ops.allocCoherent(4096, 4096);
    const rcBuf = pair.rc.ops.allocCoherent(4096, 4096);
    if (epBuf === null || rcBuf === null) throw new Error('alloc');
    runOp(sim, (d) => pair.ep.mwSetTrans({ pidx: 0, widx: 0, addr: epBuf.dmaAddr, size: 4096 }, d));
    runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: rcBuf.dmaAddr, size: 4096 }, d));
    pair.faults.setWcLinger(5_000_000, 'rc');
    inStep(rc, (ctx) => pair.rc.ops.peerMwIoremap(0)?.iowrite32(ctx, 0, 1));
    inStep(ep, (ctx) => pair.ep.ops.peerMwIoremap(0)?.iowrite32(ctx, 0, 1));
    runFor(sim, 1_000_000);
    expect([epBuf.bytes[0], rcBuf.bytes[0]]).toEqual([0, 1]);
    runFor(sim, 5_000_000);
    expect(epBuf.bytes[0]).toBe(1);
    expect(() => pair.faults.setWcLinger(-5)).toThrow(/wc linger: got -5/);
  });

  it('each hook changes only what it names', () => {
    const { sim, pair } = probedPair();
    linkUp(sim, pair);
    runFor(sim, 1_000_000);
    const base = snapshot(pair);
    const f = pair.fabric as Fabric;
    pair.faults.setWcLinger(1000);
    expect(snapshot(pair)).toEqual(base);
    pair.faults.dmaError('ep', { count: 2 });
    expect(snapshot(pair)).toEqual(base);
    pair.faults.dropMsis(3);
    expect(f.pendingDrops('msi')).toBe(3);
    expect(KINDS.filter((k) => k !== 'msi').map((k) => f.pendingDrops(k))).toEqual([0, 0, 0, 0]);
    pair.faults.dropDoorbells(1);
    expect(KINDS.map((k) => f.pendingDrops(k))).toEqual([0, 0, 1, 3, 0]);
    pair.faults.stallEpHandler(true);
    pair.faults.stallEpHandler(false);
    expect({ ...(snapshot(pair) as object), drops: [0, 0, 0, 0, 0] }).toEqual(base);
    expect(() => pair.faults.dropMsis(-1)).toThrow(/MSIs to drop: got -1/);
  });
});
