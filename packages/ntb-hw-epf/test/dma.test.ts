import type { DmaBuffer, DmaChannel, IoWindow } from '@ntbsim/ntb-core';
import { describe, expect, it } from 'vitest';
import { inStep, probedPair, runFor, runOp } from './helpers.js';

const MiB = 1 << 20;

function dmaPair(dmaDoneLatencyNs?: number): ReturnType<typeof probedPair> & { win: IoWindow; epBuf: DmaBuffer; chan: DmaChannel } {
  const p = probedPair(dmaDoneLatencyNs === undefined ? {} : { dmaDoneLatencyNs });
  const epBuf = p.pair.ep.ops.allocCoherent(MiB, 4096);
  if (epBuf === null) throw new Error('alloc');
  runOp(p.sim, (d) => p.pair.ep.mwSetTrans({ pidx: 0, widx: 0, addr: epBuf.dmaAddr, size: MiB }, d));
  const win = p.pair.rc.ops.peerMwIoremap(0);
  const chan = p.pair.rc.ops.requestDmaChannel?.() ?? null;
  if (win === null || chan === null) throw new Error('setup');
  return { ...p, win, epBuf, chan };
}

describe('DMA engine', () => {
  it('copies into the peer window: setup on the CPU, engine-rate transfer, completion callback in hardirq', () => {
    const { sim, rc, pair, win, epBuf, chan } = dmaPair();
    const data = Uint8Array.from({ length: 65536 }, (_, i) => i & 0xff);
    let submitted = 0;
    let setupCost = 0;
    const done: { ok: boolean; kind: string; at: number; landed: boolean }[] = [];
    let landedAt = 0;
    pair.fabric.onLand((e) => {
      if (e.kind === 'dma') landedAt = e.arrival;
    });
    inStep(rc, (ctx) => {
      const ok = chan.copyToPeer(ctx, { dst: win, offset: 0x100, data, len: data.length }, (okc, c) =>
        done.push({ ok: okc, kind: c.kind, at: c.time, landed: epBuf.bytes[0x100 + 65535] === 255 }),
      );
      expect(ok).toBe(2);
      setupCost = ctx.time - ctx.start;
      submitted = Math.round(ctx.time);
    });
    runFor(sim, 1_000_000);
    expect(setupCost).toBe(3000);
    const engineNs = Math.round((65536 * 1e9) / 3000e6);
    expect(landedAt).toBe(submitted + engineNs + 700);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ ok: true, kind: 'hardirq' });
    expect(done[0]?.at).toBe(submitted + engineNs + 2000 + 200);
    expect(Buffer.from(epBuf.bytes.subarray(0x100, 0x100 + 65536)).equals(data)).toBe(true);
    expect(pair.dma.rc.stats).toEqual({ submitted: 1, completed: 1, failed: 0, terminated: 0, bytes: 65536, busyNs: engineNs });
    expect(pair.dma.rc.irq.name).toBe('dw-edma');
    expect(pair.dma.rc.irq.counts.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('runs a channel in order; local copies take the engine time and copy at completion', () => {
    const { sim, rc, pair, chan } = dmaPair();
    const src = pair.rc.ops.allocCoherent(8192, 4096);
    if (src === null) throw new Error('alloc');
    src.bytes.fill(3, 0, 4096);
    src.bytes.fill(4, 4096);
    const a = new Uint8Array(4096);
    const b = new Uint8Array(4096);
    const order: string[] = [];
    inStep(rc, (ctx) => {
      chan.copyFromLocal(ctx, { src, offset: 0, dst: a, len: 4096 }, () => order.push(`a:${a[0]}`));
      chan.copyFromLocal(ctx, { src, offset: 4096, dst: b, len: 4096 }, () => order.push(`b:${b[0]}`));
      expect(a[0]).toBe(0);
    });
    runFor(sim, 1_000_000);
    expect(order).toEqual(['a:3', 'b:4']);
    expect(pair.dma.rc.stats.bytes).toBe(8192);
    const head = new Uint8Array(12);
    let doneAt = 0;
    let t0 = 0;
    inStep(rc, (ctx) => {
      chan.copyFromLocal(ctx, { src, offset: 4090, dst: head, len: 4096 }, (_ok, c) => (doneAt = c.time));
      t0 = Math.round(ctx.time);
    });
    runFor(sim, 1_000_000);
    expect(Array.from(head)).toEqual([3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4]);
    expect(doneAt).toBe(t0 + Math.round((4096 * 1e9) / 3000e6) + 2000 + 200);
  });

  it('reports an injected descriptor error with ok = false and writes nothing', () => {
    const { sim, rc, pair, win, epBuf, chan } = dmaPair();
    pair.faults.dmaError('rc');
    const results: boolean[] = [];
    inStep(rc, (ctx) => {
      chan.copyToPeer(ctx, { dst: win, offset: 0, data: new Uint8Array(64).fill(1), len: 64 }, (ok) => results.push(ok));
      chan.copyToPeer(ctx, { dst: win, offset: 64, data: new Uint8Array(64).fill(2), len: 64 }, (ok) => results.push(ok));
    });
    runFor(sim, 1_000_000);
    expect(results).toEqual([false, true]);
    expect(epBuf.bytes[0]).toBe(0);
    expect(epBuf.bytes[64]).toBe(2);
    expect(pair.dma.rc.stats).toMatchObject({ completed: 1, failed: 1 });
    expect(() => pair.faults.dmaError('rc', { channel: 99 })).toThrow(/channel: got 99, allowed 0\.\.7/);
  });

  it('hands out profile dma.channels channels and rejects descriptors it cannot prepare', () => {
    const { sim, rc, pair, win, chan } = dmaPair();
    const more: (DmaChannel | null)[] = [];
    for (let i = 0; i < 8; i++) more.push(pair.rc.ops.requestDmaChannel?.() ?? null);
    expect(more.filter((c) => c !== null)).toHaveLength(7);
    expect(pair.dma.rc.freeChannels).toBe(0);
    more[0]?.release();
    expect(pair.dma.rc.freeChannels).toBe(1);
    const fake: IoWindow = { size: 16, memcpyToio: () => undefined, iowrite32: () => undefined, ioread32: () => 0, barrier: () => undefined };
    const res: number[] = [];
    inStep(rc, (ctx) => {
      res.push(chan.copyToPeer(ctx, { dst: fake, offset: 0, data: null, len: 4 }, () => undefined));
      res.push(chan.copyToPeer(ctx, { dst: win, offset: MiB - 2, data: null, len: 4 }, () => undefined));
      res.push(chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 0 }, () => undefined));
      chan.release();
      res.push(chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 4 }, () => undefined));
    });
    runFor(sim, 100_000);
    expect(res).toEqual([0, 0, 0, 0]);
  });

  it('hands out cookies 2, 3, … per channel; dma_sync_wait returns once the cookie\'s callback has run, at once for a cookie not outstanding', () => {
    const { sim, rc, pair, win, chan } = dmaPair();
    const other = pair.rc.ops.requestDmaChannel?.() ?? null;
    if (other === null) throw new Error('no second channel');
    const log: string[] = [];
    const cookies: number[] = [];
    inStep(rc, (ctx) => {
      for (const name of ['a', 'b', 'c']) cookies.push(chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 65536 }, () => log.push(`cb ${name}`)));
      cookies.push(other.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 4096 }, () => log.push('cb other')));
      chan.syncWait(3, () => log.push('wait 3'));
      // Not outstanding: 0, one never handed out, one beyond this channel's range (another's).
      for (const c of [0, 1, 9]) chan.syncWait(c, () => log.push(`now ${c}`));
      expect(log).toEqual(['now 0', 'now 1', 'now 9']);
    });
    runFor(sim, 1_000_000);
    expect(cookies).toEqual([2, 3, 4, 2]);
    const cbB = log.indexOf('cb b');
    expect(cbB).toBeGreaterThan(-1);
    expect(log.indexOf('wait 3')).toBe(cbB + 1);
    expect(log).toContain('cb c');
    const late: string[] = [];
    chan.syncWait(4, () => late.push('done'));
    expect(late).toEqual(['done']);
  });

  it('starts a channel\'s next descriptor from the done interrupt (dw_edma_done_interrupt): a busy interrupt CPU delays it', () => {
    function completions(blockNs: number): number[] {
      const { sim, rc, pair, win, chan } = dmaPair();
      const at: number[] = [];
      const cpu = pair.dma.rc.irq.target.id;
      inStep(rc, (ctx) => {
        for (let i = 0; i < 2; i++) chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 65536 }, (_ok, c) => at.push(c.time));
      });
      // Occupy the interrupt's CPU with a hardirq-free kernel step from before the first transfer ends.
      if (blockNs > 0) sim.after(10_000, () => inStep(rc, (ctx) => ctx.charge(blockNs), { cpu }));
      runFor(sim, 1_000_000);
      return at;
    }
    const free = completions(0);
    const blocked = completions(100_000);
    expect(free).toHaveLength(2);
    expect(blocked).toHaveLength(2);
    // The second transfer (22 µs) starts only once the first's done interrupt has run.
    expect((blocked[1] ?? 0) - (free[1] ?? 0)).toBeGreaterThan(50_000);
    expect((blocked[1] ?? 0) - (blocked[0] ?? 0)).toBeGreaterThan(20_000);
  });

  it('raises the done interrupt dma.doneLatencyNs after a transfer ends; the channel waits for it before its next descriptor, and a terminate meanwhile drops the callback', () => {
    function run(latency: number, terminateAt?: number): { at: number[]; terminated: number } {
      const { sim, rc, pair, win, chan } = dmaPair(latency);
      const at: number[] = [];
      inStep(rc, (ctx) => {
        for (let i = 0; i < 2; i++) chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 65536 }, (_ok, c) => at.push(c.time));
      });
      if (terminateAt !== undefined) {
        runFor(sim, terminateAt);
        chan.terminate();
      }
      runFor(sim, 2_000_000);
      return { at, terminated: pair.dma.rc.stats.terminated };
    }
    const prompt = run(0);
    const late = run(50_000);
    expect(prompt.at).toHaveLength(2);
    expect(late.at).toHaveLength(2);
    expect(Math.round((late.at[0] ?? 0) - (prompt.at[0] ?? 0))).toBe(50_000);
    // The second transfer starts only after the first's late interrupt: it ends two latencies later.
    expect(Math.round((late.at[1] ?? 0) - (prompt.at[1] ?? 0))).toBe(100_000);
    // Terminated while the first's interrupt is pending: neither calls back.
    expect(run(50_000, 40_000)).toEqual({ at: [], terminated: 2 });
  });

  it('terminate completes the cookies of the dropped descriptors for dma_sync_wait', () => {
    const { sim, rc, win, chan } = dmaPair();
    let last = 0;
    inStep(rc, (ctx) => {
      for (let i = 0; i < 3; i++) last = chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 65536 }, () => undefined);
    });
    runFor(sim, 10_000);
    const woke: number[] = [];
    chan.syncWait(last, () => woke.push(sim.now));
    const at = sim.now;
    chan.terminate();
    runFor(sim, 1_000);
    expect(woke).toEqual([at]);
  });

  it('a DMA write on a dead link fails', () => {
    const { sim, rc, pair, win, chan } = dmaPair();
    pair.faults.linkDown();
    const results: boolean[] = [];
    inStep(rc, (ctx) => chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 4096 }, (ok) => results.push(ok)));
    runFor(sim, 1_000_000);
    expect(results).toEqual([false]);
  });

  it('terminate drops the descriptors not yet completed: none of them calls back, the running one stops, the channel runs new ones at once', () => {
    const { sim, rc, pair, win, chan } = dmaPair();
    const calls: string[] = [];
    inStep(rc, (ctx) => {
      for (const name of ['a', 'b', 'c']) chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 65536 }, (ok) => calls.push(`${name}:${String(ok)}`));
    });
    // The first (22 µs at 3 GB/s after 9 µs of setups) completes; terminate while the second runs.
    runFor(sim, 40_000);
    expect(calls).toEqual(['a:true']);
    chan.terminate();
    runFor(sim, 1_000_000);
    expect(calls).toEqual(['a:true']);
    expect(pair.dma.rc.stats).toMatchObject({ submitted: 3, completed: 1, failed: 0, terminated: 2 });
    inStep(rc, (ctx) => chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 4096 }, (ok) => calls.push(`d:${String(ok)}`)));
    runFor(sim, 1_000_000);
    expect(calls).toEqual(['a:true', 'd:true']);
    // A descriptor whose transfer has ended (its bytes landed) but whose interrupt has not run
    // yet is dropped too, and counted once: terminated, not also completed.
    let late = 0;
    inStep(rc, (ctx) => chan.copyToPeer(ctx, { dst: win, offset: 0, data: null, len: 4096 }, () => late++));
    const engine = pair.dma.rc;
    const before = engine.stats.bytes;
    for (let i = 0; i < 10_000 && engine.stats.bytes === before; i++) sim.run({ maxEvents: 1 });
    chan.terminate();
    runFor(sim, 1_000_000);
    expect(late).toBe(0);
    expect(engine.stats).toMatchObject({ submitted: 5, completed: 2, failed: 0, terminated: 3 });
    expect(engine.stats.submitted - engine.stats.completed - engine.stats.failed - engine.stats.terminated).toBe(0);
  });
});
