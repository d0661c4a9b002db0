import { ERRNO, type ExecContext } from '@ntbsim/kernel';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { formatQpStats, type TransportParams } from '../src/index.js';
import { inTask, payload, rig, runUntilUp, type Rig } from './harness.js';

/** Send `frames` from a to b on QP 0 from a kthread, retrying on ring full; returns the rig. */
function stream(r: Rig, frames: number[], onResult?: (rc: number) => void): void {
  const qp = r.a.qps[0];
  if (qp === undefined) throw new Error('no qp');
  let n = 0;
  const functional = r.functional;
  r.a.host.createKthread('sender', (ctx) => {
    while (n < frames.length) {
      const len = frames[n] ?? 1;
      const data = functional ? payload(n, len) : null;
      const rc = qp.txEnqueue(ctx, data, data, len);
      onResult?.(rc);
      if (rc === -ERRNO.EAGAIN || rc === -ERRNO.EBUSY) return 50_000;
      if (rc !== 0) return 'exit';
      n++;
      return 'run';
    }
    return 'exit';
  });
}

describe('datapath', () => {
  it('delivers frames in order with their bytes (functional mode)', () => {
    const r = rig({ functional: true });
    expect(runUntilUp(r)).toBe(true);
    const sizes = [1, 12, 100, 1500, 65524, 4096, 9000, 7];
    stream(r, sizes);
    r.sim.run({ until: r.sim.now + 100_000_000 });
    const got = r.b.received.get(0) ?? [];
    expect(got.map((g) => g.len)).toEqual(sizes);
    got.forEach((g, n) => expect(g.data).toEqual(payload(n, sizes[n] ?? 0)));
    expect(r.a.sent.get(0)).toBe(sizes.length);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    expect(qa?.stats).toMatchObject({ txPkts: 8, txBytes: sizes.reduce((a, b) => a + b, 0), txMemcpy: 8, txAsync: 0 });
    expect(qb?.stats).toMatchObject({ rxPkts: 8, rxBytes: sizes.reduce((a, b) => a + b, 0), rxErrVer: 0, rxErrOflow: 0 });
  });

  it('returns the kernel errnos: EINVAL, ENOLINK, EMSGSIZE, EAGAIN on a full ring', () => {
    const r = rig();
    const qa = r.a.qps[0];
    if (qa === undefined) throw new Error('no qp');
    const rcs: number[] = [];
    inTask(r.a.host, (ctx) => rcs.push(qa.txEnqueue(ctx, null, null, 100)));
    r.sim.run({ until: 1_000 });
    expect(rcs).toEqual([-ERRNO.ENOLINK]);
    expect(runUntilUp(r)).toBe(true);
    r.pair.dropDoorbells = 1_000_000;
    inTask(r.a.host, (ctx: ExecContext) => {
      rcs.push(qa.txEnqueue(ctx, null, null, 0));
      rcs.push(qa.txEnqueue(ctx, null, null, qa.maxSize() + 1));
      for (let i = 0; i < 16; i++) rcs.push(qa.txEnqueue(ctx, null, null, qa.maxSize()));
    });
    r.sim.run({ until: r.sim.now + 10_000_000 });
    expect(qa.maxSize()).toBe(65524);
    expect(rcs.slice(1, 3)).toEqual([-ERRNO.EINVAL, -ERRNO.EMSGSIZE]);
    expect(rcs.slice(3).filter((rc) => rc === 0)).toHaveLength(14);
    expect(rcs.slice(3 + 14)).toEqual([-ERRNO.EAGAIN, -ERRNO.EAGAIN]);
    expect(qa.stats.txRingFull).toBe(2);
    expect(qa.txFreeEntry()).toBe(0);
  });

  it('counts rx_err_no_buf when no buffer is posted and delivers once one is', () => {
    const r = rig({ rxBuffers: 0 });
    expect(runUntilUp(r)).toBe(true);
    stream(r, [100, 200]);
    r.sim.run({ until: r.sim.now + 10_000_000 });
    const qb = r.b.qps[0];
    if (qb === undefined) throw new Error('no qp');
    expect(r.b.received.get(0)).toBeUndefined();
    expect(qb.stats.rxErrNoBuf).toBeGreaterThan(0);
    qb.rxEnqueue(null, null, 65536);
    r.sim.run({ until: r.sim.now + 10_000_000 });
    expect(r.b.received.get(0)?.map((f) => f.len)).toEqual([100, 200]);
  });

  it('reports an oversized frame as -EIO, counts rx_err_oflow, and then stalls on rx_err_ver as the kernel does', () => {
    const r = rig({ rxLen: 1000, rxBuffers: 4 });
    expect(runUntilUp(r)).toBe(true);
    stream(r, [500, 5000, 600]);
    r.sim.run({ until: r.sim.now + 10_000_000 });
    expect(r.b.received.get(0)?.map((f) => f.len)).toEqual([500, -ERRNO.EIO]);
    expect(r.b.qps[0]?.stats.rxErrOflow).toBe(1);
    expect(r.b.qps[0]?.stats.rxPkts).toBe(1);
    expect(r.b.qps[0]?.stats.rxErrVer).toBeGreaterThan(0);
  });

  it('prints the debugfs stats lines in the kernel order, empty while down', () => {
    const r = rig();
    const qa = r.a.qps[0];
    if (qa === undefined) throw new Error('no qp');
    expect(formatQpStats(qa)).toBe('');
    expect(runUntilUp(r)).toBe(true);
    stream(r, [1000, 2000]);
    r.sim.run({ until: r.sim.now + 10_000_000 });
    const text = formatQpStats(qa);
    const keys = text.split('\n').filter((l) => l.includes(' - ')).map((l) => l.split(' - ')[0]);
    expect(keys).toEqual(['rx_bytes', 'rx_pkts', 'rx_memcpy', 'rx_async', 'rx_ring_empty', 'rx_err_no_buf', 'rx_err_oflow', 'rx_err_ver', 'rx_buff', 'rx_index', 'rx_max_entry', 'rx_alloc_entry', 'tx_bytes', 'tx_pkts', 'tx_memcpy', 'tx_async', 'tx_ring_full', 'tx_err_no_buf', 'tx_mw', 'tx_index (H)', 'RRI (T)', 'tx_max_entry', 'free tx', 'Using TX DMA', 'Using RX DMA', 'QP Link']);
    expect(text).toContain('tx_bytes - \t3000\n');
    expect(text).toContain('tx_pkts - \t2\n');
    expect(text).toContain('rx_ring_empty - ');
    expect(text).toContain('tx_index (H) - \t2\n');
    expect(text).toContain('QP Link - \tUp\n');
    expect(text.startsWith('\nNTB QP stats:\n\n')).toBe(true);
  });
});

describe('copy paths', () => {
  const sizes = [64, 1023, 1024, 4000, 65524, 300, 20000];
  function received(params: Partial<TransportParams>): { frames: (Uint8Array | null)[]; stats: unknown } {
    const r = rig({ functional: true, params });
    expect(runUntilUp(r)).toBe(true);
    stream(r, sizes);
    r.sim.run({ until: r.sim.now + 100_000_000 });
    return { frames: (r.b.received.get(0) ?? []).map((f) => f.data), stats: { a: r.a.qps[0]?.stats, b: r.b.qps[0]?.stats } };
  }

  it('CPU, offload kthread and DMA deliver the same bytes', () => {
    const cpu = received({});
    const offload = received({ txMemcpyOffload: true });
    const dma = received({ useDma: true });
    expect(cpu.frames).toHaveLength(sizes.length);
    expect(offload.frames).toEqual(cpu.frames);
    expect(dma.frames).toEqual(cpu.frames);
    expect(dma.stats).toMatchObject({ a: { txAsync: 4, txMemcpy: 3 }, b: { rxAsync: 8, rxMemcpy: 3 } });
  });

  it('use_rx_dma / use_tx_dma take one direction to DMA; num_*_dma_chan spread the copies round-robin over that many channels', () => {
    const cpu = received({});
    const rxOnly = received({ useRxDma: true, numRxDmaChan: 2 });
    const txOnly = received({ useTxDma: true, numTxDmaChan: 0 });
    expect(rxOnly.frames).toEqual(cpu.frames);
    expect(txOnly.frames).toEqual(cpu.frames);
    expect(rxOnly.stats).toMatchObject({ a: { txAsync: 0, txMemcpy: 7 }, b: { rxAsync: 8, rxMemcpy: 3 } });
    expect(txOnly.stats).toMatchObject({ a: { txAsync: 4, txMemcpy: 3 }, b: { rxAsync: 0, rxMemcpy: 7 } });
    const r = rig({ params: { useRxDma: true, numRxDmaChan: 3 }, lb: { dmaChannels: 5 } });
    expect(runUntilUp(r)).toBe(true);
    const qb = r.b.qps[0];
    // Three asked for, two left of the pair's five (a's QP took three first): the QP uses what it got.
    expect(qb?.rxDma.chans.map((c) => c.name)).toEqual(['dma0chan1', 'dma0chan0']);
    expect(qb?.txDma.chans).toEqual([]);
    const text = qb === undefined ? '' : formatQpStats(qb);
    expect(text).toContain('Using TX DMA - \tNo\n');
    expect(text).toContain('Using RX DMA - \tYes\n');
    const picks = qb === undefined ? [] : [0, 1, 2, 3].map(() => qb.rxDma.pick());
    expect(picks).toEqual([0, 1, 0, 1]);
  });

  it('the offload path runs the copy in the ntb-txcpy kthread', () => {
    const r = rig({ params: { txMemcpyOffload: true } });
    expect(runUntilUp(r)).toBe(true);
    const before = r.a.host.usage().reduce((s, u) => s + u.kthread, 0);
    stream(r, [65524, 65524, 65524]);
    r.sim.run({ until: r.sim.now + 100_000_000 });
    const after = r.a.host.usage().reduce((s, u) => s + u.kthread, 0);
    expect(after - before).toBeGreaterThan(3 * r.a.host.costs.memcpyToio(65524) * 0.99);
    expect(r.b.received.get(0)).toHaveLength(3);
  });

  it('reads copy_bytes and tx_memcpy_offload per frame: a change while loaded applies to the next frame', () => {
    const r = rig({ params: { useDma: true, txMemcpyOffload: true } });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const thread = qa?.offloadThread;
    if (qa === undefined || thread == null) throw new Error('no qp or no offload thread');
    // use_dma set use_tx_dma and use_rx_dma in the module's parameters when the queue was created.
    expect(r.a.client.params).toMatchObject({ useTxDma: true, useRxDma: true });
    const wakes = vi.spyOn(thread, 'wake');
    const send = (len: number): void => {
      stream(r, [len]);
      r.sim.run({ until: r.sim.now + 50_000_000 });
    };
    send(2000);
    expect(qa.stats).toMatchObject({ txAsync: 1, txMemcpy: 0 });
    r.a.client.setParam('copyBytes', 4096);
    send(2000);
    expect(qa.stats).toMatchObject({ txAsync: 1, txMemcpy: 1 });
    expect(wakes).toHaveBeenCalledTimes(1);
    // Offload off: the next CPU copy runs on the sender's stack; ntb-txcpy is not woken.
    r.a.client.setParam('txMemcpyOffload', false);
    send(3000);
    expect(qa.stats.txMemcpy).toBe(2);
    expect(wakes).toHaveBeenCalledTimes(1);
    expect(r.b.received.get(0)?.map((f) => f.len)).toEqual([2000, 2000, 3000]);
  });

  it('a TX DMA error falls back to the CPU copy into the entry\'s own slot: nothing lost or corrupted', () => {
    const r = rig({ functional: true, params: { useTxDma: true }, paramsB: {} });
    expect(runUntilUp(r)).toBe(true);
    r.pair.failDma = 2;
    stream(r, [5000, 6000, 7000]);
    r.sim.run({ until: r.sim.now + 100_000_000 });
    const got = r.b.received.get(0) ?? [];
    expect(got.map((g) => g.len)).toEqual([5000, 6000, 7000]);
    got.forEach((g, n) => expect(g.data).toEqual(payload(n, g.len)));
    expect(r.a.qps[0]?.stats).toMatchObject({ txAsync: 3, txMemcpy: 2 });
  });

  /** a streams `sizes` to b, whose RX uses DMA and whose first RX DMA copy fails. */
  function rxDmaError(sizes: number[], ownSlot: boolean): { got: { len: number; data: Uint8Array | null }[]; rig: Rig } {
    const r = rig({ functional: true, params: {}, paramsB: { useRxDma: true, rxDmaFallbackOwnSlot: ownSlot } });
    expect(runUntilUp(r)).toBe(true);
    r.pair.failDma = 1;
    stream(r, sizes);
    r.sim.run({ until: r.sim.now + 100_000_000 });
    return { got: r.b.received.get(0) ?? [], rig: r };
  }

  it('an RX DMA error: the kernel\'s fallback copies the slot at the advanced rx_index, so a lone frame arrives as that slot\'s stale bytes', () => {
    const { got, rig: r } = rxDmaError([5000], false);
    // Slot 1 was never written: the client gets 5000 zero bytes in place of frame 0.
    expect(got.map((g) => g.len)).toEqual([5000]);
    expect(got[0]?.data).toEqual(new Uint8Array(5000));
    expect(r.b.qps[0]?.stats).toMatchObject({ rxPkts: 1, rxMemcpy: 1, rxAsync: 2 });
    // The ring itself is intact: the next frame lands in slot 1 and arrives as sent.
    stream(r, [3000]);
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(got[1]?.data).toEqual(payload(0, 3000));
  });

  it('an RX DMA error a ring lap on: the kernel delivers the frame the next slot held a lap earlier in place of the lost one; rx_dma_fallback_own_slot delivers the frame', () => {
    const run = (ownSlot: boolean): { len: number; data: Uint8Array | null }[] => {
      const r = rig({ functional: true, params: {}, paramsB: { useRxDma: true, rxDmaFallbackOwnSlot: ownSlot } });
      expect(runUntilUp(r)).toBe(true);
      const lap = r.b.qps[0]?.rxRing?.maxEntry ?? 0;
      expect(lap).toBeGreaterThan(2);
      // One lap of distinct frames, every copy good: slot i holds frame i.
      stream(r, Array.from({ length: lap }, (_, i) => 2000 + 100 * i));
      r.sim.run({ until: r.sim.now + 100_000_000 });
      expect(r.b.received.get(0)).toHaveLength(lap);
      r.pair.failDma = 1;
      stream(r, [1500]);
      r.sim.run({ until: r.sim.now + 100_000_000 });
      return (r.b.received.get(0) ?? []).slice(lap);
    };
    // The lone frame went to slot 0; its fallback read slot 1, still holding frame 1 (2100 B).
    expect(run(false)).toEqual([{ len: 1500, data: payload(1, 2100).subarray(0, 1500) }]);
    expect(run(true)).toEqual([{ len: 1500, data: payload(0, 1500) }]);
  });
});

describe('the DONE-flag ordering hazard (write-combining)', () => {
  function lastFrameLatency(flush: boolean, lingerNs: number): number {
    const r = rig({ params: { flushDoneFlag: flush } });
    expect(runUntilUp(r)).toBe(true);
    r.pair.wcLingerNs = lingerNs;
    const sentAt = r.sim.now;
    stream(r, [1000]);
    let gotAt = -1;
    const until = r.sim.now + 200_000_000;
    while (gotAt < 0 && r.sim.now < until) {
      r.sim.run({ until: r.sim.now + 10_000 });
      if ((r.b.received.get(0)?.length ?? 0) > 0) gotAt = r.sim.now;
    }
    return gotAt < 0 ? Infinity : gotAt - sentAt;
  }

  it('with the flush a lone frame is always delivered promptly, whatever the linger (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500_000 }), (linger) => {
        expect(lastFrameLatency(true, linger)).toBeLessThan(linger + 1_000_000);
      }),
      { numRuns: 15 },
    );
  });

  it('without the flush, once the DONE write lingers past the doorbell-to-tasklet path, the frame waits for a doorbell that never comes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20_000, max: 500_000 }), (linger) => {
        expect(lastFrameLatency(false, linger)).toBe(Infinity);
      }),
      { numRuns: 15 },
    );
  });

  it('with no linger both orders deliver', () => {
    expect(lastFrameLatency(false, 0)).toBeLessThan(1_000_000);
  });
});

describe('invariants (property-based)', () => {
  it('every accepted frame is delivered exactly once, in order per QP, bytes intact, counters consistent', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 65525 }), fc.constant(-1)), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 3 }),
        (ops, queues) => {
          const r = rig({ functional: true, params: { maxNumClients: queues }, queues, rxBuffers: 20, lb: { mwSize: 1 << 20 } });
          expect(runUntilUp(r)).toBe(true);
          const accepted = new Map<number, Uint8Array[]>();
          const rejected: number[] = [];
          let n = 0;
          let step = 0;
          r.a.host.createKthread('fuzz', (ctx) => {
            const op = ops[step];
            if (op === undefined) return 'exit';
            const q = r.a.qps[step % queues];
            if (q === undefined) return 'exit';
            if (op === -1) {
              step++;
              return 200_000;
            }
            const data = payload(n++, op);
            const rc = q.txEnqueue(ctx, data, data, op);
            if (rc === 0) accepted.set(q.qpNum, [...(accepted.get(q.qpNum) ?? []), data]);
            else if (rc === -ERRNO.EAGAIN || rc === -ERRNO.EBUSY) return 100_000;
            else rejected.push(rc);
            step++;
            return 'run';
          });
          r.sim.run({ until: r.sim.now + 100_000_000 });
          expect(rejected.filter((rc) => rc !== -ERRNO.EINVAL && rc !== -ERRNO.EMSGSIZE)).toEqual([]);
          expect(rejected.length).toBe(ops.filter((op) => op === 0 || op === 65525).length);
          for (const q of r.a.qps) {
            const sent = accepted.get(q.qpNum) ?? [];
            const got = r.b.received.get(q.qpNum) ?? [];
            expect(got.map((g) => g.data)).toEqual(sent);
            expect(q.stats.txPkts).toBe(sent.length);
            expect(r.b.qps[q.qpNum]?.stats.rxPkts).toBe(sent.length);
            expect(q.stats.txBytes).toBe(sent.reduce((s, d) => s + d.length, 0));
            expect(q.txFreeEntry()).toBe(q.txRing.maxEntry - 1);
          }
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);

  it('timing and functional modes give identical timelines', () => {
    const run = (mode: 'timing' | 'functional'): unknown => {
      const r = rig({ functional: mode === 'functional', noise: true, seed: 99 });
      runUntilUp(r);
      stream(r, [65524, 1500, 65524, 9000, 65524, 100, 65524, 65524]);
      r.sim.run({ until: r.sim.now + 100_000_000 });
      return { now: r.sim.now, events: r.sim.eventsRun, usage: [r.a.host.usage(), r.b.host.usage()], stats: [r.a.qps[0]?.stats, r.b.qps[0]?.stats], lens: r.b.received.get(0)?.map((f) => f.len) };
    };
    expect(run('functional')).toEqual(run('timing'));
  });
});
