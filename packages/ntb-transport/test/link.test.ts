import { describe, expect, it } from 'vitest';
import { createNtbTransportClient, NTB_LINK_DOWN_TIMEOUT, NTB_TRANSPORT_VERSION, SPAD, TransportBus } from '../src/index.js';
import { inTask, payload, rig, runUntilUp } from './harness.js';

describe('link negotiation over scratchpads', () => {
  it('brings the transport and every QP up on both sides, with VERSION 4 and matching counts in the spads', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    for (const side of [r.a, r.b]) {
      const ntb = side.transport.dev;
      expect(side.transport.linkIsUp).toBe(true);
      expect(ntb.spadRead(SPAD.VERSION)).toBe(NTB_TRANSPORT_VERSION);
      expect(ntb.spadRead(SPAD.NUM_QPS)).toBe(1);
      expect(ntb.spadRead(SPAD.NUM_MWS)).toBe(1);
      expect(ntb.spadRead(SPAD.MW0_SZ_HIGH)).toBe(0);
      expect(ntb.spadRead(SPAD.MW0_SZ_LOW)).toBe(1 << 20);
      expect(ntb.spadRead(SPAD.QP_LINKS) & 1).toBe(1);
      const qp = side.qps[0];
      expect(qp?.rxRing?.maxEntry).toBe(15);
      expect(qp?.txFreeEntry()).toBe(14);
    }
  });

  it('keeps retrying every msecs_to_jiffies(10) while NUM_QPS differs and the link is up, and comes up once it matches', () => {
    const r = rig({ queues: 1, params: { maxNumClients: 2 }, paramsB: { maxNumClients: 1 } });
    const host = r.a.host;
    const runs: number[] = [];
    r.pair.onSpadRead = (dev, sidx) => {
      if (dev === r.pair.a && sidx === SPAD.VERSION) runs.push(r.sim.now);
    };
    expect(runUntilUp(r, 200_000_000)).toBe(false);
    expect(r.a.transport.linkIsUp).toBe(false);
    expect(r.b.transport.linkIsUp).toBe(false);
    const ntbA = r.a.transport.dev;
    expect(ntbA.spadRead(SPAD.NUM_QPS)).toBe(1);
    expect(r.b.transport.dev.spadRead(SPAD.NUM_QPS)).toBe(2);
    // 10 ms is 2.5 jiffies at HZ=250: msecs_to_jiffies rounds up to 3, and the timer fires on a tick.
    const period = host.msecsToJiffies(NTB_LINK_DOWN_TIMEOUT) * host.tickNs;
    expect(period).toBe(12_000_000);
    const gaps = runs.slice(1).map((t, i) => t - (runs[i] ?? 0));
    expect(runs.length).toBeGreaterThan(10);
    // The first retry is armed mid-jiffy (2 to 3 jiffies away); from then on each link work runs on the tick.
    expect(gaps[0]).toBeGreaterThan(period - host.tickNs);
    expect(gaps[0]).toBeLessThanOrEqual(period);
    expect(new Set(gaps.slice(1))).toEqual(new Set([period]));

    // The peer's transport goes (rmmod): the link drops and the retries stop with it.
    r.b.ntbBus.unregisterClient(r.b.client);
    r.sim.run({ until: r.sim.now + 10_000_000 });
    runs.length = 0;
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(runs).toEqual([]);

    // It comes back with a matching count (modprobe max_num_clients=2): both sides come up.
    const bus = new TransportBus();
    r.b.ntbBus.registerClient(createNtbTransportClient({ bus, params: { maxNumClients: 2 } }));
    const tb = bus.transports[0];
    const qb = tb?.createQueue({});
    if (tb === undefined || qb == null) throw new Error('no transport on b');
    qb.linkUp();
    const qa = r.a.qps[0];
    const until = r.sim.now + 200_000_000;
    while (!(qa?.linkQuery() === true && qb.linkQuery()) && r.sim.now < until) r.sim.run({ until: r.sim.now + 1_000_000 });
    expect(r.a.transport.linkIsUp && tb.linkIsUp).toBe(true);
    expect(qa?.linkQuery() && qb.linkQuery()).toBe(true);
    expect(ntbA.spadRead(SPAD.NUM_QPS)).toBe(2);
    runs.length = 0;
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(runs).toEqual([]);
  });

  it('a QP is up only when both clients are ready; link_down tells the peer with a LINK_DOWN frame', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    if (qa === undefined || qb === undefined) throw new Error('no qp');
    const events: number[] = [];
    r.b.transport.freeQueue(qb);
    const qb2 = r.b.transport.createQueue({ event: (s) => events.push(s) });
    expect(qb2).toBe(qb);
    qb.linkUp();
    r.sim.run({ until: r.sim.now + 50_000_000 });
    expect(events).toEqual([1]);
    r.a.host.createKthread('down', (ctx) => {
      qa.linkDown(ctx);
      return 'exit';
    });
    r.sim.run({ until: r.sim.now + 50_000_000 });
    expect(events).toEqual([1, 0]);
    expect(qb.linkQuery()).toBe(false);
    expect(qa.linkQuery()).toBe(false);
    qa.linkUp();
    r.sim.run({ until: r.sim.now + 50_000_000 });
    expect(qa.linkQuery() && qb.linkQuery()).toBe(true);
    expect(events).toEqual([1, 0, 1]);
  });

  it('link_down right after link_up cancels the queued QP link work, as cancel_delayed_work_sync does: the QP stays down', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    if (qa === undefined || qb === undefined) throw new Error('no qp');
    qa.linkDown();
    r.sim.run({ until: r.sim.now + 50_000_000 });
    expect(qa.linkQuery() || qb.linkQuery()).toBe(false);
    r.a.events.clear();
    qa.linkUp();
    qa.linkDown();
    r.sim.run({ until: r.sim.now + 100_000_000 });
    expect(qa.linkQuery()).toBe(false);
    expect(qb.linkQuery()).toBe(false);
    expect(r.a.events.get(0)).toBeUndefined();
    expect(r.b.transport.dev.spadRead(SPAD.QP_LINKS) & qa.bit).toBe(0);
  });

  it('hardware link loss cleans up every QP, zeroes the spads, and recovery renegotiates', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    r.pair.setLink(false);
    r.sim.run({ until: r.sim.now + 20_000_000 });
    for (const side of [r.a, r.b]) {
      expect(side.qps[0]?.linkQuery()).toBe(false);
      expect(side.transport.dev.spadRead(SPAD.VERSION)).toBe(0);
      expect(side.qps[0]?.rxBuf).toBeNull();
    }
    r.pair.setLink(true);
    expect(runUntilUp(r, r.sim.now + 200_000_000)).toBe(true);
  });

  describe('a one-sided QP reset with frames still in the RX ring', () => {
    /** a sends 3 frames b cannot consume (no RX buffer), b resets its QP, then a sends one frame of the new session. */
    const replay = (clearRxRingOnQpLink: boolean): { b: { len: number; data: Uint8Array | null }[]; rxPkts: number; peerTxPkts: number } => {
      const r = rig({ queues: 1, functional: true, rxBuffers: 0, params: { clearRxRingOnQpLink } });
      expect(runUntilUp(r)).toBe(true);
      const qa = r.a.qps[0];
      const qb = r.b.qps[0];
      if (qa === undefined || qb === undefined) throw new Error('no qp');
      inTask(r.a.host, (ctx) => {
        for (let n = 0; n < 3; n++) expect(qa.txEnqueue(ctx, null, payload(n, 1000), 1000)).toBe(0);
      });
      r.sim.run({ until: r.sim.now + 5_000_000 });
      expect(qb.stats.rxErrNoBuf).toBeGreaterThan(0);
      inTask(r.b.host, (ctx) => qb.linkDown(ctx));
      r.sim.run({ until: r.sim.now + 20_000_000 });
      qb.linkUp();
      expect(runUntilUp(r, r.sim.now + 100_000_000)).toBe(true);
      for (let n = 0; n < 4; n++) {
        const buf = new Uint8Array(65536);
        qb.rxEnqueue(buf, buf, 65536);
      }
      inTask(r.a.host, (ctx) => expect(qa.txEnqueue(ctx, null, payload(100, 1000), 1000)).toBe(0));
      r.sim.run({ until: r.sim.now + 5_000_000 });
      return { b: r.b.received.get(0) ?? [], rxPkts: qb.stats.rxPkts, peerTxPkts: qa.stats.txPkts };
    };

    it('kernel behaviour: the stale DONE descriptors (ver 0..2, as the new session counts) are delivered as ghost frames and the new frame is not', () => {
      const out = replay(false);
      expect(out.peerTxPkts).toBe(1);
      expect(out.rxPkts).toBe(3);
      expect(out.b.map((f) => f.data)).toEqual([payload(0, 1000), payload(1, 1000), payload(2, 1000)]);
    });

    it('clear_rx_ring_on_qp_link=Y: the ring is zeroed before the QP is advertised again; only the new frame arrives', () => {
      const out = replay(true);
      expect(out.rxPkts).toBe(1);
      expect(out.b.map((f) => f.data)).toEqual([payload(100, 1000)]);
    });
  });

  it('a context-less link_down sends LINK_DOWN at once, in the calling process (as the kernel does): free_queue right after it frees the QP and the peer goes down', () => {
    const r = rig({ queues: 1 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    if (qa === undefined || qb === undefined) throw new Error('no qp');
    const before = r.a.transport.freeQueueCount;
    const t0 = r.sim.now;
    qa.linkDown();
    expect(qa.linkQuery()).toBe(false);
    expect(qa.stats.txPkts).toBe(0);
    r.a.transport.freeQueue(qa);
    expect(r.a.transport.freeQueueCount).toBe(before + 1);
    expect(r.sim.now).toBe(t0);
    r.sim.run({ until: r.sim.now + 20_000_000 });
    expect(qb.linkQuery()).toBe(false);
    const again = r.a.transport.createQueue({});
    expect(again).toBe(qa);
    expect(again?.linkQuery()).toBe(false);
  });

  it('a link event while the link is up: the kernel re-runs the link work and resets the live QPs of that side only; ignore_link_event_when_up=Y leaves them alone', () => {
    const after = (ignoreLinkEventWhenUp: boolean): { aTx: number; bRx: number } => {
      const r = rig({ queues: 1, params: { ignoreLinkEventWhenUp } });
      expect(runUntilUp(r)).toBe(true);
      const qa = r.a.qps[0];
      const qb = r.b.qps[0];
      if (qa === undefined || qb === undefined) throw new Error('no qp');
      inTask(r.a.host, (ctx) => {
        for (let n = 0; n < 3; n++) expect(qa.txEnqueue(ctx, null, null, 1000)).toBe(0);
      });
      r.sim.run({ until: r.sim.now + 5_000_000 });
      r.a.transport.onLinkEvent();
      r.sim.run({ until: r.sim.now + 50_000_000 });
      return { aTx: qa.stats.txPkts, bRx: qb.stats.rxPkts };
    };
    expect(after(false)).toEqual({ aTx: 0, bRx: 3 });
    expect(after(true)).toEqual({ aTx: 3, bRx: 3 });
  });
});
