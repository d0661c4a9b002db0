import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NTB_TRANSPORT_VERSION, SPAD } from '../src/index.js';
import { inTask, payload, rig, runUntilUp, type Rig } from './harness.js';

describe('transport removal (ntb_transport_free)', () => {
  it('runs the link cleanup first: every client told 0, the QPs reset, the MWs freed, the local spads zeroed', () => {
    const r = rig({ queues: 2, params: { maxNumClients: 2 } });
    expect(runUntilUp(r)).toBe(true);
    const ntb = r.a.transport.dev;
    expect(ntb.spadRead(SPAD.VERSION)).toBe(NTB_TRANSPORT_VERSION);
    expect([r.a.events.get(0)?.at(-1), r.a.events.get(1)?.at(-1)]).toEqual([1, 1]);
    r.a.events.clear();
    const t0 = r.sim.now;
    r.a.ntbBus.unregisterClient(r.a.client);
    expect(r.sim.now).toBe(t0);
    expect([r.a.events.get(0), r.a.events.get(1)]).toEqual([[0], [0]]);
    for (const qp of r.a.qps) {
      expect(qp.linkQuery()).toBe(false);
      expect(qp.rxBuf).toBeNull();
      expect(qp.txIndex).toBe(0);
    }
    expect(Array.from({ length: ntb.spadCount() }, (_, i) => ntb.spadRead(i))).toEqual(new Array<number>(ntb.spadCount()).fill(0));
    expect(r.a.transport.freeQueueCount).toBe(2);
  });

  it('the peer sees the link go down and nothing of the removed transport runs afterwards', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    const qb = r.b.qps[0];
    if (qb === undefined) throw new Error('no qp');
    const reads: number[] = [];
    r.pair.onSpadRead = (dev) => {
      if (dev === r.pair.a) reads.push(r.sim.now);
    };
    r.b.events.clear();
    r.a.ntbBus.unregisterClient(r.a.client);
    reads.length = 0;
    r.sim.run({ until: r.sim.now + 200_000_000 });
    expect(qb.linkQuery()).toBe(false);
    expect(r.b.events.get(0)).toEqual([0]);
    const ntbB = r.b.transport.dev;
    expect([ntbB.spadRead(SPAD.VERSION), ntbB.spadRead(SPAD.QP_LINKS), ntbB.spadRead(SPAD.NUM_QPS)]).toEqual([0, 0, 0]);
    expect(qb.rxBuf).toBeNull();
    expect(reads).toEqual([]);
  });

  it('link works already queued when it goes do not run afterwards (cancel_work_sync, cancel_delayed_work_sync)', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    if (qa === undefined) throw new Error('no qp');
    const reads: number[] = [];
    r.pair.onSpadRead = (dev) => {
      if (dev === r.pair.a) reads.push(r.sim.now);
    };
    r.a.transport.onLinkEvent();
    qa.linkUp();
    r.a.ntbBus.unregisterClient(r.a.client);
    reads.length = 0;
    r.sim.run({ until: r.sim.now + 200_000_000 });
    expect(reads).toEqual([]);
    const ntbB = r.b.transport.dev;
    expect([ntbB.spadRead(SPAD.VERSION), ntbB.spadRead(SPAD.QP_LINKS)]).toEqual([0, 0]);
    expect(qa.linkQuery()).toBe(false);
  });

  it('a transport probed again on the same device renegotiates with the peer', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    r.a.ntbBus.unregisterClient(r.a.client);
    r.sim.run({ until: r.sim.now + 50_000_000 });
    r.a.ntbBus.registerClient(r.a.client);
    const t = r.a.client.instances.get(r.pair.a);
    const qa = t?.createQueue({});
    if (qa == null) throw new Error('no qp');
    qa.linkUp();
    const qb = r.b.qps[0];
    const until = r.sim.now + 500_000_000;
    while (!(qa.linkQuery() && qb?.linkQuery() === true) && r.sim.now < until) r.sim.run({ until: r.sim.now + 1_000_000 });
    expect(qa.linkQuery()).toBe(true);
    expect(qb?.linkQuery()).toBe(true);
  });
});

/**
 * Send frames of `sizes` on a's QP 0 (frame n with cb n and payload(n)), and `freeAfterNs` later
 * take its link down and free it (`atFree` runs just before), as ntb_netdev's channel shrink
 * does; once the QP is free a new client opens it, and `late` records any completion or frame
 * of the old one that reaches it. Runs 50 ms.
 */
function sendThenFree(r: Rig, sizes: readonly number[], freeAfterNs: number, atFree: () => void = () => undefined): { accepted: number[]; late: string[] } {
  const qp = r.a.qps[0];
  if (qp === undefined) throw new Error('no qp');
  const accepted: number[] = [];
  inTask(r.a.host, (ctx) => {
    sizes.forEach((len, n) => {
      if (qp.txEnqueue(ctx, n, payload(n, len), len) === 0) accepted.push(n);
    });
  });
  r.sim.after(freeAfterNs, () =>
    inTask(r.a.host, (ctx) => {
      atFree();
      qp.linkDown(ctx);
      r.a.transport.freeQueue(qp);
    }),
  );
  const late: string[] = [];
  const poll = (): void => {
    if (r.a.transport.freeQueueCount === 1) {
      r.a.transport.createQueue({ tx: (_q, cb) => void late.push(`tx ${String(cb)}`), rx: (_q, _cb, len) => void late.push(`rx ${len}`) });
      return;
    }
    r.sim.after(20_000, poll);
  };
  r.sim.after(freeAfterNs, poll);
  r.sim.run({ until: r.sim.now + 50_000_000 });
  return { accepted, late };
}

/** The peer received frames `order` (indices into `sizes`), in that order, each intact. */
function expectFrames(r: Rig, order: readonly number[], sizes: readonly number[]): void {
  const got = r.b.received.get(0) ?? [];
  expect(got.length).toBe(order.length);
  got.forEach((g, i) => {
    const n = order[i] ?? -1;
    expect(g.len).toBe(sizes[n]);
    expect(g.data).toEqual(payload(n, g.len));
  });
}

describe('ntb_transport_free_queue with tx_memcpy_offload', () => {
  it('kthread_stop has ntb-txcpy copy what tx_offl_q holds before the QP is freed: the frames and the LINK_DOWN reach the peer, their completions the freeing client', () => {
    const r = rig({ functional: true, params: { txMemcpyOffload: true }, paramsB: {} });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    if (qa === undefined || qb === undefined) throw new Error('no qp');
    const thread = qa.offloadThread;
    r.b.events.clear();
    inTask(r.a.host, (ctx) => {
      for (let n = 0; n < 3; n++) expect(qa.txEnqueue(ctx, n, payload(n, 4000), 4000)).toBe(0);
      qa.linkDown(ctx);
      r.a.transport.freeQueue(qa);
      // The copies (three frames and the LINK_DOWN) wait in tx_offl_q for the kthread.
      expect(qa.queueDepths().txOffl).toBe(4);
      expect(r.a.transport.freeQueueCount).toBe(0);
    });
    r.sim.run({ until: r.sim.now + 50_000_000 });
    expect(thread?.state).toBe('exited');
    expect(qa.offloadThread).toBeNull();
    expect(r.a.transport.freeQueueCount).toBe(1);
    expect(r.a.completed.get(0)).toEqual([0, 1, 2]);
    const got = r.b.received.get(0) ?? [];
    expect(got.map((g) => g.len)).toEqual([4000, 4000, 4000]);
    got.forEach((g, n) => expect(g.data).toEqual(payload(n, 4000)));
    expect(qb.linkQuery()).toBe(false);
    expect(r.b.events.get(0)).toEqual([0]);
  });

  it('whenever the free comes, the peer gets exactly the frames the freeing client saw complete, a prefix of those accepted, intact and in order; the QP is freed and nothing reaches its next client; a peer gone down got them all, and a kthread in its wait at the free sends them all and the LINK_DOWN (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff }),
        fc.array(fc.integer({ min: 1, max: 60000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 200_000 }),
        (seed, sizes, freeAfterNs) => {
          const r = rig({ seed, functional: true, params: { txMemcpyOffload: true }, paramsB: {} });
          expect(runUntilUp(r)).toBe(true);
          const qb = r.b.qps[0];
          const thread = r.a.qps[0]?.offloadThread;
          // Whether ntb-txcpy sleeps in its wait when the free comes: kthread_stop then has it copy all it holds.
          let waiting = false;
          const { accepted, late } = sendThenFree(r, sizes, freeAfterNs, () => {
            waiting = thread?.state === 'sleeping';
          });
          expect(thread?.state).toBe('exited');
          expect(r.a.transport.freeQueueCount).toBe(0);
          expect(late).toEqual([]);
          const completed = (r.a.completed.get(0) ?? []) as number[];
          expect(completed).toEqual(accepted.slice(0, completed.length));
          expectFrames(r, completed, sizes);
          // A peer gone down read the LINK_DOWN, so every accepted frame went before it.
          const down = qb?.linkQuery() === false;
          expect(down ? completed : 'up').toEqual(down ? accepted : 'up');
          expect(waiting ? [down, completed] : 'busy').toEqual(waiting ? [true, accepted] : 'busy');
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a device removal (free with `now`) does not wait for ntb-txcpy: what tx_offl_q holds is dropped', () => {
    const r = rig({ params: { txMemcpyOffload: true } });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    if (qa === undefined) throw new Error('no qp');
    inTask(r.a.host, (ctx) => {
      for (let n = 0; n < 3; n++) expect(qa.txEnqueue(ctx, n, null, 4000)).toBe(0);
      r.a.transport.freeQueue(qa, true);
      expect(r.a.transport.freeQueueCount).toBe(1);
    });
    r.sim.run({ until: r.sim.now + 50_000_000 });
    expect(r.a.completed.get(0)).toBeUndefined();
    expect(r.b.received.get(0)).toBeUndefined();
  });
});

describe('ntb_transport_free_queue with DMA copies in flight', () => {
  /**
   * A client on `a` sends three 60000-byte frames by DMA, then goes away as ntb_netdev's
   * channel shrink does (link_down, then free_queue) before the copies complete.
   */
  function freeWithTxInFlight(dmaSyncTx: boolean): { r: Rig; tx: string[]; oldClient: number; freedAt: () => number | null; t0: number } {
    const r = rig({ functional: true, params: { useDma: true, dmaSyncTx } });
    expect(runUntilUp(r)).toBe(true);
    const qp = r.a.qps[0];
    if (qp === undefined) throw new Error('no qp');
    const tx: string[] = [];
    const t0 = r.sim.now;
    let freedAt: number | null = null;
    inTask(r.a.host, (ctx) => {
      for (let n = 0; n < 3; n++) expect(qp.txEnqueue(ctx, `frame ${n}`, payload(n, 60000), 60000)).toBe(0);
      qp.linkDown(ctx);
      r.a.transport.freeQueue(qp);
    });
    // Who gets the TX completions: the client that freed the QP (counted in `sent`), or one that opens it again.
    const poll = (): void => {
      if (freedAt === null && r.a.transport.freeQueueCount === 1) {
        freedAt = r.sim.now;
        const again = r.a.transport.createQueue({ tx: (_q, cb) => void tx.push(`new client: ${String(cb)}`) });
        expect(again).not.toBeNull();
      }
      if (r.sim.now < t0 + 50_000_000) r.sim.after(10_000, poll);
    };
    r.sim.after(0, poll);
    r.sim.run({ until: t0 + 100_000_000 });
    return { r, tx, oldClient: r.a.sent.get(0) ?? 0, freedAt: () => freedAt, t0 };
  }

  it('v7.0: the TX channel\'s dma_sync_wait waits on the RX cookie, so the terminate drops the copies in flight: no completion, the peer stops at the first dropped slot and never reads the LINK_DOWN', () => {
    const { r, tx, oldClient, freedAt, t0 } = freeWithTxInFlight(false);
    expect(freedAt()).toBe(t0);
    expect([oldClient, tx]).toEqual([0, []]);
    expect(r.b.received.get(0) ?? []).toEqual([]);
    const qb = r.b.qps[0];
    expect(qb?.linkQuery()).toBe(true);
    expect(qb?.stats.rxPkts).toBe(0);
  });

  it('dmaSyncTx: free_queue waits for the TX copies; the freeing client gets their completions, the peer every frame intact and then the LINK_DOWN', () => {
    const { r, tx, oldClient, freedAt, t0 } = freeWithTxInFlight(true);
    const at = freedAt();
    expect(at).not.toBeNull();
    expect(at ?? 0).toBeGreaterThan(t0);
    expect([oldClient, tx]).toEqual([3, []]);
    const got = r.b.received.get(0) ?? [];
    expect(got.map((g) => g.len)).toEqual([60000, 60000, 60000]);
    got.forEach((g, n) => expect(g.data).toEqual(payload(n, 60000)));
    expect(r.b.qps[0]?.linkQuery()).toBe(false);
  });

  it('waits for the RX copies out of the ring on the RX cookie before the QP is free; their completions reach no client', () => {
    const r = rig({ functional: true, params: { useDma: true } });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    if (qa === undefined || qb === undefined) throw new Error('no qp');
    inTask(r.a.host, (ctx) => {
      for (let n = 0; n < 3; n++) qa.txEnqueue(ctx, null, payload(n, 60000), 60000);
    });
    // Run until b has started copying the first frame out by DMA, then free b's queue.
    for (let i = 0; i < 1_000_000 && qb.stats.rxAsync === 0; i++) r.sim.run({ maxEvents: 1 });
    expect(qb.stats.rxAsync).toBeGreaterThan(0);
    const delivered = r.b.received.get(0)?.length ?? 0;
    inTask(r.b.host, (ctx) => {
      qb.linkDown(ctx);
      r.b.transport.freeQueue(qb);
    });
    r.sim.run({ until: r.sim.now + 1000 });
    expect(r.b.transport.freeQueueCount).toBe(0);
    r.sim.run({ until: r.sim.now + 10_000_000 });
    expect(r.b.transport.freeQueueCount).toBe(1);
    expect(r.b.received.get(0)?.length ?? 0).toBe(delivered);
  });

  it('a device removal (free with `now`) terminates the channels without waiting', () => {
    const r = rig({ functional: true, params: { useDma: true, dmaSyncTx: true } });
    expect(runUntilUp(r)).toBe(true);
    const qp = r.a.qps[0];
    if (qp === undefined) throw new Error('no qp');
    inTask(r.a.host, (ctx) => {
      for (let n = 0; n < 3; n++) qp.txEnqueue(ctx, null, payload(n, 60000), 60000);
      r.a.transport.freeQueue(qp, true);
      expect(r.a.transport.freeQueueCount).toBe(1);
    });
    r.sim.run({ until: r.sim.now + 10_000_000 });
    expect(r.a.sent.get(0) ?? 0).toBe(0);
  });
});

describe('ntb_transport_free_queue with DMA: property', () => {
  it('no completion or frame of a freed QP reaches its next client; the peer gets a prefix of the frames, intact and in order, and all of them with dmaSyncTx', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff }),
        fc.array(fc.integer({ min: 1024, max: 60000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 300_000 }),
        fc.boolean(),
        (seed, sizes, freeAfterNs, dmaSyncTx) => {
          // The receiver copies by CPU: with RX DMA a frame whose copy is in flight when the LINK_DOWN behind it resets the QP is taken twice (its DONE flag is cleared only at completion), a receive-side weakness of its own.
          const r = rig({ seed, functional: true, params: { useDma: true, dmaSyncTx }, paramsB: {} });
          expect(runUntilUp(r)).toBe(true);
          const { accepted, late } = sendThenFree(r, sizes, freeAfterNs);
          expect(late).toEqual([]);
          const completed = (r.a.completed.get(0) ?? []) as number[];
          expect(new Set(completed).size).toBe(completed.length);
          const got = r.b.received.get(0) ?? [];
          expect(got.length).toBeLessThanOrEqual(accepted.length);
          expectFrames(r, accepted.slice(0, got.length), sizes);
          // With dmaSyncTx nothing accepted is lost: every frame arrives and completes.
          expect(dmaSyncTx ? [got.length, completed] : [accepted.length, accepted]).toEqual([accepted.length, accepted]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
