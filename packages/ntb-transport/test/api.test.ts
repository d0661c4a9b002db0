import { createHost, createSimulation, ERRNO, getProfile } from '@ntbsim/kernel';
import { createNtbBus, createNtbDev, type NtbDevOps } from '@ntbsim/ntb-core';
import { describe, expect, it, vi } from 'vitest';
import { createNtbTransportClient, TransportBus } from '../src/index.js';
import { inTask, rig, runUntilUp } from './harness.js';
import { createLoopbackPair } from './loopbackNtb.js';

describe('ntb_transport_tx_enqueue: -EBUSY', () => {
  it('returns -EBUSY and counts tx_err_no_buf once no TX entry is free: a LINK_DOWN that finds the ring full keeps its entry, as ntb_send_link_down does', () => {
    const r = rig({ queues: 1, rxBuffers: 0 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    if (qa === undefined) throw new Error('no qp');
    const max = qa.txRing.maxEntry;
    expect(qa.queueDepths().txFree).toBe(max);
    // The peer posts no buffer, so its ring stays full; each one-sided link_down then fails to
    // send LINK_DOWN, resets the QP, and the entry it took never returns to tx_free_q.
    for (let cycle = 1; cycle <= max; cycle++) {
      const rcs: number[] = [];
      inTask(r.a.host, (ctx) => {
        for (let n = 0; n < max - 1; n++) rcs.push(qa.txEnqueue(ctx, null, null, 100));
        rcs.push(qa.txEnqueue(ctx, null, null, 100));
        qa.linkDown(ctx);
      });
      r.sim.run({ until: r.sim.now + 1_000_000 });
      expect(rcs).toEqual([...new Array<number>(max - 1).fill(0), -ERRNO.EAGAIN]);
      expect(qa.queueDepths().txFree).toBe(max - cycle);
      expect(qa.linkQuery()).toBe(false);
      qa.linkUp();
      r.sim.run({ until: r.sim.now + 1_000_000 });
      expect(qa.linkQuery()).toBe(true);
    }
    expect(r.a.transport.dmesg.filter((l) => l.endsWith('QP0 unable to send linkdown msg'))).toHaveLength(max);
    const rcs: number[] = [];
    inTask(r.a.host, (ctx) => {
      rcs.push(qa.txEnqueue(ctx, null, null, qa.maxSize() + 1));
      rcs.push(qa.txEnqueue(ctx, null, null, 100));
      rcs.push(qa.txEnqueue(ctx, null, null, 100));
    });
    r.sim.run({ until: r.sim.now + 1_000_000 });
    expect(qa.txFreeEntry()).toBe(max - 1);
    expect(rcs).toEqual([-ERRNO.EMSGSIZE, -ERRNO.EBUSY, -ERRNO.EBUSY]);
    expect(qa.stats.txErrNoBuf).toBe(2);
    expect(qa.stats.txRingFull).toBe(0);
    // With no TX entry left, ntb_send_link_down tries ten times, 100 ms apart, and gives up after
    // the tenth try's sleep: a free_queue waiting for that LINK_DOWN ends 1 s after the link_down.
    const free0 = r.a.transport.freeQueueCount;
    const t0 = r.sim.now;
    inTask(r.a.host, (ctx) => {
      qa.linkDown(ctx);
      r.a.transport.freeQueue(qa);
    });
    let freedAt = -1;
    while (r.sim.now < t0 + 2e9 && freedAt < 0) {
      r.sim.run({ until: r.sim.now + 1e6 });
      if (r.a.transport.freeQueueCount > free0) freedAt = r.sim.now - t0;
    }
    // (Delayed work expires on a tick, so each 100 ms sleep is 25 jiffies from the current one.)
    expect(freedAt).toBeGreaterThan(1000e6 - r.a.host.tickNs);
    expect(freedAt).toBeLessThan(1000e6 + 10 * r.a.host.tickNs);
  });
});

describe('ntb_transport_rx_remove', () => {
  it('returns nothing while the client is ready, even with buffers posted', () => {
    const r = rig({ queues: 1, rxBuffers: 2 });
    const qb = r.b.qps[0];
    if (qb === undefined) throw new Error('no qp');
    expect(qb.rxRemove()).toBeNull();
    expect(runUntilUp(r)).toBe(true);
    expect(qb.rxRemove()).toBeNull();
    expect(qb.queueDepths().rxPend).toBe(2);
  });

  it('after link_down returns the posted buffers first-posted first with their lengths, then null; a removed buffer is not used again', () => {
    const r = rig({ queues: 1, rxBuffers: 0 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    if (qa === undefined || qb === undefined) throw new Error('no qp');
    const cbs = [{ id: 0 }, { id: 1 }, { id: 2 }];
    cbs.forEach((cb, i) => expect(qb.rxEnqueue(cb, null, 100 * (i + 1))).toBe(0));
    qb.linkDown();
    expect(qb.queueDepths().rxFree).toBe(97);
    expect([qb.rxRemove(), qb.rxRemove(), qb.rxRemove(), qb.rxRemove()]).toEqual([{ cb: cbs[0], len: 100 }, { cb: cbs[1], len: 200 }, { cb: cbs[2], len: 300 }, null]);
    expect(qb.queueDepths()).toMatchObject({ rxFree: 100, rxPend: 0 });
    qb.linkUp();
    expect(runUntilUp(r, r.sim.now + 200_000_000)).toBe(true);
    inTask(r.a.host, (ctx) => expect(qa.txEnqueue(ctx, null, null, 50)).toBe(0));
    r.sim.run({ until: r.sim.now + 5_000_000 });
    expect(r.b.received.get(0)).toBeUndefined();
    expect(qb.stats.rxErrNoBuf).toBeGreaterThan(0);
    const cb = { id: 3 };
    qb.rxEnqueue(cb, null, 100);
    r.sim.run({ until: r.sim.now + 5_000_000 });
    expect(r.b.received.get(0)?.map((f) => f.len)).toEqual([50]);
  });

  it('a link down from the peer leaves this client ready, so rx_remove still returns nothing', () => {
    const r = rig({ queues: 1, rxBuffers: 3 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    const qb = r.b.qps[0];
    if (qa === undefined || qb === undefined) throw new Error('no qp');
    qa.linkDown();
    r.sim.run({ until: r.sim.now + 5_000_000 });
    expect(qb.linkQuery()).toBe(false);
    expect(r.b.events.get(0)?.at(-1)).toBe(0);
    expect(qb.rxRemove()).toBeNull();
    qb.linkDown();
    expect(qb.rxRemove()).toEqual({ cb: null, len: 65536 });
  });
});

describe('ntb_transport_probe: the inbound memory-window API', () => {
  it('refuses a device with only the outbound (peer_mw_set_trans) interface: -EINVAL and "Inbound MW based NTB API is required"', () => {
    const sim = createSimulation({ seed: 1 });
    const host = createHost(sim, { name: 'a', profile: getProfile('rcar-s4') });
    const other = createHost(sim, { name: 'b', profile: getProfile('rcar-s4') });
    const lb = createLoopbackPair({ a: host, b: other });
    const outboundOnly: NtbDevOps = { ...lb.a.ops, peerMwSetTrans: (_t, done) => done(0) };
    delete outboundOnly.mwSetTrans;
    const dev = createNtbDev({ name: '0000:05:00.0', host, ops: outboundOnly });
    const bus = createNtbBus();
    const client = createNtbTransportClient({ bus: new TransportBus() });
    bus.registerDevice(dev);
    bus.registerClient(client);
    expect(client.instances.size).toBe(0);
    expect(client.probeLog).toEqual(['0000:05:00.0: Inbound MW based NTB API is required']);
    expect(client.probe(dev)).toBe(-ERRNO.EINVAL);
  });
});

describe('ntb_transport_probe: ports', () => {
  it('warns "Multi-port NTB devices unsupported" on a device with more than one peer port, and probes it anyway (peer index 0)', () => {
    const sim = createSimulation({ seed: 1 });
    const host = createHost(sim, { name: 'a', profile: getProfile('rcar-s4') });
    const other = createHost(sim, { name: 'b', profile: getProfile('rcar-s4') });
    const lb = createLoopbackPair({ a: host, b: other });
    const probe = (peerPorts: number): { probed: number; warned: boolean } => {
      const dev = createNtbDev({ name: `0000:0${peerPorts}:00.0`, host, ops: { ...lb.a.ops, peerPortCount: () => peerPorts } });
      const client = createNtbTransportClient({ bus: new TransportBus() });
      const bus = createNtbBus();
      bus.registerDevice(dev);
      bus.registerClient(client);
      return { probed: client.instances.size, warned: host.kmsg().some((l) => l.endsWith(`${dev.name}: Multi-port NTB devices unsupported`)) };
    };
    expect(probe(1)).toEqual({ probed: 1, warned: false });
    expect(probe(2)).toEqual({ probed: 1, warned: true });
  });
});

describe('ntb_transport_probe: queue-pair count', () => {
  it('a device with one doorbell bit (ilog2(db_valid_mask) = 0) probes with no QP, links, and create_queue finds none; fewer than 6 scratchpads fail the probe', () => {
    const sim = createSimulation({ seed: 1 });
    const host = createHost(sim, { name: 'a', profile: getProfile('rcar-s4') });
    const other = createHost(sim, { name: 'b', profile: getProfile('rcar-s4') });
    const lb = createLoopbackPair({ a: host, b: other }, { dbCount: 1 });
    const buses = [new TransportBus(), new TransportBus()] as const;
    for (const [i, dev] of [lb.a, lb.b].entries()) {
      const bus = createNtbBus();
      bus.registerClient(createNtbTransportClient({ bus: buses[i] as TransportBus }));
      bus.registerDevice(dev);
    }
    const t = buses[0].transports[0];
    expect(t?.counts).toMatchObject({ qpCount: 0, qpBitmap: 0 });
    sim.run({ until: 200_000_000 });
    expect(t?.linkIsUp).toBe(true);
    expect(t?.freeQueueCount).toBe(0);
    expect(t?.createQueue({}, null)).toBeNull();

    const few = createLoopbackPair({ a: host, b: other }, { spadCount: 5 });
    const client = createNtbTransportClient({ bus: new TransportBus() });
    const bus = createNtbBus();
    bus.registerClient(client);
    bus.registerDevice(few.a);
    expect(client.instances.size).toBe(0);
    expect(client.probe(few.a)).toBe(-ERRNO.EINVAL);
  });
});

describe('ntb_transport_create_queue: the RX entry pool', () => {
  it('a QP first created after the link set it up holds rx_max_entry + 100 RX entries (setup_qp_mw filled it first); one created again after a free holds 100', () => {
    const r = rig({ queues: 1, lb: { mwCount: 2 } });
    expect(runUntilUp(r)).toBe(true);
    const accepted = (): { qp: number; n: number; maxEntry: number } => {
      const qp = r.a.transport.createQueue({}, null);
      if (qp === null) throw new Error('no free QP');
      let n = 0;
      while (n < 1000 && qp.rxEnqueue(null, null, 65536) === 0) n++;
      const num = qp.qpNum;
      const maxEntry = qp.rxRing?.maxEntry ?? 0;
      r.a.transport.freeQueue(qp);
      r.sim.run({ until: r.sim.now + 10_000_000 });
      return { qp: num, n, maxEntry };
    };
    const first = accepted();
    expect(first.qp).toBe(1);
    expect(first.maxEntry).toBeGreaterThan(0);
    expect(first.n).toBe(first.maxEntry + 100);
    expect(accepted()).toEqual({ qp: 1, n: 100, maxEntry: first.maxEntry });
  });
});

describe('kernel log lines of queue creation, freeing and ntb_set_mw', () => {
  const since = (log: readonly string[], n: number): string[] => log.slice(n).map((l) => l.replace(/^\S+: /, ''));

  it('use_dma without a DMA_MEMCPY channel: "Unable to allocate TX DMA channel", then RX, before "QP 0 created", and the QP holds no channel', () => {
    const r = rig({ queues: 0, params: { useDma: true }, lb: { dmaChannels: 0 } });
    const n = r.a.transport.dmesg.length;
    const qp = r.a.transport.createQueue({});
    expect(since(r.a.transport.dmesg, n)).toEqual(['Unable to allocate TX DMA channel', 'Unable to allocate RX DMA channel', 'NTB Transport QP 0 created']);
    expect([qp?.txDma.chans.length, qp?.rxDma.chans.length]).toEqual([0, 0]);
  });

  it('free_queue warns once per receive buffer still posted ("Freeing item from non-empty rx_pend_q") before "QP N freed"', () => {
    const r = rig({ queues: 1, rxBuffers: 3 });
    expect(runUntilUp(r)).toBe(true);
    const qa = r.a.qps[0];
    if (qa === undefined) throw new Error('no qp');
    qa.linkDown();
    const n = r.a.transport.dmesg.length;
    r.a.transport.freeQueue(qa);
    expect(since(r.a.transport.dmesg, n)).toEqual([...new Array<string>(3).fill('Freeing item from non-empty rx_pend_q'), 'NTB Transport QP 0 freed']);
    // A client that takes its buffers back first (ntb_netdev's close) sees no warning.
    const again = r.a.transport.createQueue({});
    if (again === null) throw new Error('no qp');
    again.rxEnqueue('x', null, 100);
    expect(again.rxRemove()).toEqual({ cb: 'x', len: 100 });
    const m = r.a.transport.dmesg.length;
    r.a.transport.freeQueue(again);
    expect(since(r.a.transport.dmesg, m)).toEqual(['NTB Transport QP 0 freed']);
  });

  it('ntb_set_mw out of memory: each failed allocation logs its size, then "Unable to alloc aligned MW buff"; the link work gives up silently and does not retry', () => {
    const r = rig({ queues: 1 });
    const alloc = vi.spyOn(r.pair.a.ops, 'allocCoherent').mockReturnValue(null);
    const n = r.a.transport.dmesg.length;
    r.sim.run({ until: 500_000_000 });
    expect(alloc).toHaveBeenCalledTimes(2);
    // (The probe's first link event, before the link came up, cleaned the QP up.)
    expect(since(r.a.transport.dmesg, n).filter((l) => l !== 'qp 0: Link Cleanup')).toEqual([`Unable to alloc MW buff of size ${1 << 20}`, `Unable to alloc MW buff of size ${2 << 20}`, 'Unable to alloc aligned MW buff']);
    expect(r.a.transport.linkIsUp).toBe(false);
  });
});
