import { describe, expect, it } from 'vitest';
import { NTB_TRANSPORT_VERSION, SPAD } from '../src/index.js';
import { rig, runUntilUp } from './harness.js';

describe('transport removal (ntb_transport_free)', () => {
  it('runs the link cleanup first: every client told 0, the QPs reset, the MWs freed, the local spads zeroed', () => {
    const r = rig({ queues: 2, params: { maxNumClients: 2 } });
    expect(runUntilUp(r)).toBe(true);
    const ops = r.a.transport.dev.ops;
    expect(ops.spadRead(SPAD.VERSION)).toBe(NTB_TRANSPORT_VERSION);
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
    expect(Array.from({ length: ops.spadCount() }, (_, i) => ops.spadRead(i))).toEqual(new Array<number>(ops.spadCount()).fill(0));
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
    const opsB = r.b.transport.dev.ops;
    expect([opsB.spadRead(SPAD.VERSION), opsB.spadRead(SPAD.QP_LINKS), opsB.spadRead(SPAD.NUM_QPS)]).toEqual([0, 0, 0]);
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
    const opsB = r.b.transport.dev.ops;
    expect([opsB.spadRead(SPAD.VERSION), opsB.spadRead(SPAD.QP_LINKS)]).toEqual([0, 0]);
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
