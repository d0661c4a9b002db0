import { SOFTIRQ_VECTORS, type ExecContext } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNetDevice, devQueueXmit, IPPROTO, Skb, type NetDevice, type NetDeviceOps, type NetdevTx } from '../src/index.js';
import { makeLab } from './helpers.js';

function perQueue(dev: NetDevice): number[] {
  return Array.from({ length: dev.numTxQueues }, (_, i) => dev.txQueue(i).qdisc.stats.packets);
}

describe('TX queue pick (netdev_core_pick_tx)', () => {
  it('spreads connected sockets over the queues by flow hash', () => {
    const lab = makeLab({ veth: { numQueues: 4 } });
    const socks = Array.from({ length: 400 }, () => {
      const u = lab.sa.udpSocket();
      u.connect({ addr: '10.0.0.2', port: 9 });
      return u;
    });
    let i = 0;
    lab.a.createUserTask('tx', (ctx) => {
      socks[i]?.send(ctx, 10);
      return ++i < socks.length ? 'run' : 'exit';
    });
    lab.sim.run({ until: 1e9 });
    const counts = perQueue(lab.veth.a.dev);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(400);
    for (const c of counts) {
      expect(c).toBeGreaterThan(60);
      expect(c).toBeLessThan(140);
    }
  });

  it('caches the queue on a connected socket (sk_tx_queue_mapping)', () => {
    const lab = makeLab({ veth: { numQueues: 4 } });
    const u = lab.sa.udpSocket();
    u.connect({ addr: '10.0.0.2', port: 9 });
    let n = 0;
    lab.a.createUserTask('tx', (ctx) => (u.send(ctx, 10).ok && ++n < 50 ? 'run' : 'exit'), { cpus: 0b1111 });
    lab.sim.run({ until: 1e9 });
    const counts = perQueue(lab.veth.a.dev);
    expect(counts.filter((c) => c > 0)).toEqual([50]);
    expect(counts.indexOf(50)).toBe(u.txQueueMapping);
  });

  it('follows XPS: the queue mapped to the sending CPU', () => {
    const lab = makeLab({ veth: { numQueues: 4 }, cpus: 4 });
    const dev = lab.veth.a.dev;
    for (let q = 0; q < 4; q++) dev.setXpsCpus(q, 1 << (3 - q));
    for (let cpu = 0; cpu < 4; cpu++) {
      const u = lab.sa.udpSocket();
      let n = 0;
      lab.a.createUserTask(`tx${cpu}`, (ctx) => (u.sendTo(ctx, 10, { addr: '10.0.0.2', port: 9 }).ok && ++n < 5 + cpu ? 'run' : 'exit'), { cpus: 1 << cpu });
    }
    lab.sim.run({ until: 1e9 });
    expect(perQueue(dev)).toEqual([8, 7, 6, 5]);
  });

  it('caps a driver pick beyond real_num_tx_queues to queue 0 and counts it', () => {
    const lab = makeLab({ veth: { numQueues: 4 } });
    const dev = lab.veth.a.dev;
    expect('selectQueue' in dev.ops).toBe(false);
    (dev.ops as { selectQueue?: NetDeviceOps['selectQueue'] }).selectQueue = () => 9;
    const u = lab.sa.udpSocket();
    lab.a.createUserTask('tx', (ctx) => {
      u.sendTo(ctx, 10, { addr: '10.0.0.2', port: 9 });
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(dev.capTxqueueWarnings).toBe(1);
    expect(perQueue(dev)[0]).toBe(1);
  });
});

/** Per-TX-queue rings of `cap` skbs each (as a multiqueue NIC): a full ring stops its own queue. */
class RingDriver implements NetDeviceOps {
  dev: NetDevice | null = null;
  rings: Skb[][];
  sent: [number, number][] = [];
  /** NETDEV_TX_BUSY answers. */
  busy = 0;
  constructor(
    readonly cap: number,
    queues: number,
  ) {
    this.rings = Array.from({ length: queues }, () => []);
  }
  open(): number {
    return 0;
  }
  stop(): void {}
  changeMtu(): number {
    return 0;
  }
  startXmit(skb: Skb): NetdevTx {
    const ring = this.rings[skb.queueMapping] as Skb[];
    if (ring.length >= this.cap) {
      (this.dev as NetDevice).netifStopSubqueue(skb.queueMapping);
      this.busy++;
      return 'busy';
    }
    ring.push(skb);
    this.sent.push([skb.queueMapping, skb.ip.id]);
    return 'ok';
  }
  complete(q: number, ctx: ExecContext): void {
    for (const s of (this.rings[q] as Skb[]).splice(0)) s.free(ctx);
    this.dev?.netifWakeSubqueue(q, ctx);
  }
}

describe('qdisc run with a stopping driver', () => {
  it('requeues on NETDEV_TX_BUSY, keeps order, and resumes when the queue is woken', () => {
    const lab = makeLab();
    const drv = new RingDriver(2, 1);
    const dev = createNetDevice(lab.sa, { name: 'ring0', ops: drv });
    drv.dev = dev;
    dev.open();
    dev.netifCarrierOn();
    lab.sa.ipAddrAdd(dev, '192.168.1.1/24');
    lab.sa.arp.replace(dev, 0xc0a80102, { lladdr: new Uint8Array([2, 0, 0, 0, 0, 2]), state: 'PERMANENT' });
    lab.a.createUserTask('tx', (ctx) => {
      for (let i = 0; i < 5; i++) {
        const skb = new Skb({ ip: { src: 0xc0a80101, dst: 0xc0a80102, protocol: IPPROTO.UDP, id: 0, ttl: 64, df: true, tos: 0 }, l4: { kind: 'udp', sport: 1, dport: 2 }, payloadLen: 10 });
        lab.sa.ipOutput(skb, ctx);
      }
      return 'exit';
    });
    lab.sim.run({ until: 1e6 });
    const q = dev.txQueue(0);
    expect(drv.sent.length).toBe(2);
    expect(drv.busy).toBe(1);
    expect(q.qdisc.stats.requeues).toBe(1);
    expect(q.qdisc.qlen).toBe(3);
    expect(q.stopped).toBe(true);
    const first = drv.sent[0]?.[1] ?? 0;
    lab.a.createUserTask('irq', (ctx) => {
      drv.complete(0, ctx);
      return 'exit';
    });
    lab.sim.run({ until: 2e6 });
    lab.a.createUserTask('irq2', (ctx) => {
      drv.complete(0, ctx);
      return 'exit';
    });
    lab.sim.run({ until: 3e6 });
    expect(drv.sent.map(([, id]) => (id - first) & 0xffff)).toEqual([0, 1, 2, 3, 4]);
    expect(q.qdisc.qlen).toBe(0);
    expect(q.wakes).toBe(2);
  });
});

/** A driver that takes every packet, charging `costNs` to the context that hands it over, and notes which CPU and context kind that was. */
class TimedDriver implements NetDeviceOps {
  sent: { id: number; cpu: number; kind: string; at: number }[] = [];
  constructor(readonly costNs: number) {}
  open(): number {
    return 0;
  }
  stop(): void {}
  changeMtu(): number {
    return 0;
  }
  startXmit(skb: Skb, ctx: ExecContext): NetdevTx {
    ctx.charge(this.costNs);
    this.sent.push({ id: skb.ip.id, cpu: ctx.cpu.id, kind: ctx.kind, at: ctx.time });
    skb.free(ctx);
    return 'ok';
  }
}

function timedDevice(costNs: number) {
  const lab = makeLab({ cpus: 2 });
  const drv = new TimedDriver(costNs);
  const dev = createNetDevice(lab.sa, { name: 'timed0', ops: drv });
  dev.open();
  dev.netifCarrierOn();
  return { lab, drv, dev };
}

function udpSkb(dev: NetDevice, id: number): Skb {
  const skb = new Skb({ ip: { src: 0xc0a80101, dst: 0xc0a80102, protocol: IPPROTO.UDP, id, ttl: 64, df: true, tos: 0 }, l4: { kind: 'udp', sport: 1, dport: 2 }, payloadLen: 100 });
  skb.dev = dev;
  return skb;
}

const NET_TX = SOFTIRQ_VECTORS.indexOf('NET_TX');

describe('qdisc run ownership and NET_TX (qdisc_run_begin, __netif_schedule)', () => {
  it("a CPU that reaches the qdisc after another CPU's run has ended runs it itself, though its step began during that run", () => {
    const { lab, drv, dev } = timedDevice(10_000);
    lab.a.createUserTask('tx0', (ctx) => {
      devQueueXmit(udpSkb(dev, 1), ctx);
      return 'exit';
    }, { cpus: 0b01 });
    // CPU 1's step begins 1 µs in, while CPU 0 runs the qdisc (until about 10 µs), but works 50 µs before it transmits.
    lab.sim.at(1_000, () => {
      lab.a.createUserTask('tx1', (ctx) => {
        ctx.charge(50_000);
        devQueueXmit(udpSkb(dev, 2), ctx);
        return 'exit';
      }, { cpus: 0b10 });
    });
    lab.sim.run({ until: 1e6 });
    expect(drv.sent.map((s) => [s.id, s.cpu, s.kind])).toEqual([
      [1, 0, 'user'],
      [2, 1, 'user'],
    ]);
    expect(lab.a.cpus.map((c) => c.softirqCounts()[NET_TX])).toEqual([0, 0]);
  });

  it('a CPU that reaches the qdisc while another runs it leaves its packet to the owner, which sends it from NET_TX on its own CPU once its run ends', () => {
    const { lab, drv, dev } = timedDevice(10_000);
    lab.a.createUserTask('tx0', (ctx) => {
      for (let id = 1; id <= 3; id++) devQueueXmit(udpSkb(dev, id), ctx);
      return 'exit';
    }, { cpus: 0b01 });
    lab.sim.at(1_000, () => {
      lab.a.createUserTask('tx1', (ctx) => {
        devQueueXmit(udpSkb(dev, 9), ctx);
        return 'exit';
      }, { cpus: 0b10 });
    });
    lab.sim.run({ until: 1e6 });
    expect(drv.sent.map((s) => [s.id, s.cpu, s.kind])).toEqual([
      [1, 0, 'user'],
      [2, 0, 'user'],
      [3, 0, 'user'],
      [9, 0, 'softirq'],
    ]);
    expect(lab.a.cpus.map((c) => c.softirqCounts()[NET_TX])).toEqual([1, 0]);
  });

  it("waking a stopped queue schedules its qdisc on the waker's CPU even when it holds nothing (netif_tx_wake_queue)", () => {
    const { lab, dev } = timedDevice(0);
    dev.netifStopSubqueue(0);
    dev.netifWakeSubqueue(0, lab.a.cpus[1]);
    dev.netifWakeSubqueue(0, lab.a.cpus[1]);
    lab.sim.run({ until: 1e6 });
    expect(dev.txQueue(0).wakes).toBe(1);
    expect(lab.a.cpus.map((c) => c.softirqCounts()[NET_TX])).toEqual([0, 1]);
  });
});

describe('qdisc attach and graft (attach_default_qdiscs, qdisc_graft)', () => {
  function mqDevice(queues: number, cap = 100) {
    const lab = makeLab({ cpus: Math.max(2, queues) });
    const drv = new RingDriver(cap, queues);
    const dev = createNetDevice(lab.sa, { name: 'mq0', ops: drv, numTxQueues: queues });
    drv.dev = dev;
    for (let q = 0; q < queues; q++) dev.setXpsCpus(q, 1 << q);
    return { lab, drv, dev };
  }
  /** Queue `n` UDP packets on TX queue `q` (XPS maps CPU q to it), ids from `id0`. */
  function send(lab: ReturnType<typeof makeLab>, dev: NetDevice, q: number, n: number, id0: number): void {
    lab.a.createUserTask(`tx${q}-${id0}`, (ctx) => {
      for (let i = 0; i < n; i++) {
        const skb = new Skb({ ip: { src: 0xc0a80101, dst: 0xc0a80102, protocol: IPPROTO.UDP, id: id0 + i, ttl: 64, df: true, tos: 0 }, l4: { kind: 'udp', sport: 1000 + q, dport: 2 }, payloadLen: 100 });
        skb.dev = dev;
        devQueueXmit(skb, ctx);
      }
      return 'exit';
    }, { cpus: 1 << q });
  }

  it('the root is noop until the first open, then the defaults of net.core.default_qdisc: one on a single-queue device, mq over one per queue', () => {
    const { lab, dev } = mqDevice(2);
    const single = createNetDevice(lab.sa, { name: 'sq0', ops: new RingDriver(1, 1) });
    expect([dev.rootQdiscKind, single.rootQdiscKind]).toEqual(['noop', 'noop']);
    expect(() => dev.replaceQdisc({ root: true }, dev.createQdisc('fq_codel'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    lab.sa.setSysctl('net.core.default_qdisc', 'fq_codel');
    expect(lab.sa.getSysctl('net.core.default_qdisc')).toBe('fq_codel');
    dev.open();
    single.open();
    expect([dev.rootQdiscKind, dev.txQueue(0).qdisc.kind, dev.txQueue(1).qdisc.kind, dev.rootQdisc]).toEqual(['mq', 'fq_codel', 'fq_codel', null]);
    expect([single.rootQdiscKind, single.rootQdisc?.kind]).toEqual(['fq_codel', 'fq_codel']);
    // A later default applies to qdiscs attached later, not to these.
    lab.sa.setSysctl('net.core.default_qdisc', 'pfifo_fast');
    expect(dev.txQueue(0).qdisc.kind).toBe('fq_codel');
    dev.restoreDefaultQdiscs();
    expect([dev.txQueue(0).qdisc.kind, dev.txQueue(1).qdisc.kind]).toEqual(['pfifo_fast', 'pfifo_fast']);
  });

  it('refuses an unknown default qdisc with ENOENT and a bad graft with its errno, changing nothing', () => {
    const { lab, dev } = mqDevice(2);
    expect(() => lab.sa.setSysctl('net.core.default_qdisc', 'sfq')).toThrow(/net.core.default_qdisc "?sfq"?: allowed pfifo_fast, fq_codel/);
    expect(() => lab.sa.setSysctl('net.core.default_qdisc', 'sfq')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(lab.sa.getSysctl('net.core.default_qdisc')).toBe('pfifo_fast');
    dev.open();
    const before = dev.txQueue(1).qdisc;
    expect(() => dev.replaceQdisc({ txq: 2 }, dev.createQdisc('fq_codel'))).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => dev.createQdisc('fq_codel', { quantum: 10 })).toThrow(/quantum 10: allowed an integer in 256\.\.1048576/);
    expect(() => dev.createQdisc('pfifo_fast', { limit: 5 })).toThrow(/pfifo_fast takes no parameters/);
    expect(dev.txQueue(1).qdisc).toBe(before);
    dev.replaceQdisc({ root: true }, dev.createQdisc('fq_codel'));
    expect(() => dev.replaceQdisc({ txq: 0 }, dev.createQdisc('pfifo_fast'))).toThrow(/the root is fq_codel, not mq/);
  });

  it('deleting a grafted root brings the defaults back at once when up, noop until the next open when down', () => {
    const { lab, dev } = mqDevice(2);
    dev.open();
    expect(() => dev.deleteRootQdisc()).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    dev.replaceQdisc({ root: true }, dev.createQdisc('fq_codel'));
    lab.sa.setSysctl('net.core.default_qdisc', 'fq_codel');
    dev.deleteRootQdisc();
    expect([dev.rootQdiscKind, dev.txQueue(0).qdisc.kind, dev.txQueue(1).qdisc.kind]).toEqual(['mq', 'fq_codel', 'fq_codel']);
    dev.replaceQdisc({ root: true }, dev.createQdisc('pfifo_fast'));
    dev.close();
    dev.deleteRootQdisc();
    expect(dev.rootQdiscKind).toBe('noop');
    dev.open();
    expect(dev.rootQdiscKind).toBe('mq');
  });

  it('grafting at an mq class replaces that queue only, freeing what its old qdisc held', () => {
    const { lab, drv, dev } = mqDevice(2, 1);
    dev.open();
    dev.netifCarrierOn();
    send(lab, dev, 1, 3, 10);
    lab.sim.run({ until: 1e6 });
    const old = dev.txQueue(1).qdisc;
    expect([drv.sent.length, old.qlen]).toEqual([1, 2]);
    dev.replaceQdisc({ txq: 1 }, dev.createQdisc('fq_codel'));
    expect([dev.rootQdiscKind, dev.txQueue(0).qdisc.kind, dev.txQueue(1).qdisc.kind, old.qlen]).toEqual(['mq', 'pfifo_fast', 'fq_codel', 0]);
  });

  it('a root shared by the queues of a multiqueue device holds a packet for a stopped queue, and the packets behind it, until that queue wakes', () => {
    const { lab, drv, dev } = mqDevice(2, 1);
    dev.open();
    dev.netifCarrierOn();
    const root = dev.createQdisc('fq_codel');
    dev.replaceQdisc({ root: true }, root);
    expect([dev.rootQdiscKind, dev.txQueue(0).qdisc, dev.txQueue(1).qdisc, root.oneTxQueue]).toEqual(['fq_codel', root, root, false]);
    send(lab, dev, 0, 2, 100);
    lab.sim.run({ until: 1e6 });
    send(lab, dev, 1, 1, 200);
    lab.sim.run({ until: 2e6 });
    // Queue 0's second packet was requeued when queue 0 stopped; queue 1's waits behind it.
    expect(drv.sent).toEqual([[0, 100]]);
    expect([root.qlen, root.stats.requeues, dev.txQueue(0).stopped, dev.txQueue(1).stopped]).toEqual([2, 1, true, false]);
    lab.a.createUserTask('irq', (ctx) => (drv.complete(0, ctx), 'exit'));
    lab.sim.run({ until: 3e6 });
    expect(drv.sent).toEqual([[0, 100], [0, 101], [1, 200]]);
    expect([root.qlen, root.stats.requeues, root.stats.packets]).toEqual([0, 1, 3]);
  });

  it('graftMq: a new mq with a handle over children of the current default qdisc (handle 0, hashed for the real queues), the old qdiscs reset', () => {
    const { lab, drv, dev } = mqDevice(3, 1);
    dev.open();
    dev.netifCarrierOn();
    dev.netifSetRealNumTxQueues(2);
    send(lab, dev, 1, 3, 10);
    lab.sim.run({ until: 1e6 });
    const old = dev.txQueue(1).qdisc;
    expect([drv.sent.length, old.qlen, dev.rootQdiscHandle]).toEqual([1, 2, 0]);
    lab.sa.setSysctl('net.core.default_qdisc', 'fq_codel');
    dev.graftMq(0x10000);
    expect([dev.rootQdiscKind, dev.rootQdiscHandle, dev.rootQdisc, old.qlen]).toEqual(['mq', 0x10000, null, 0]);
    expect([0, 1, 2].map((i) => [dev.txQueue(i).qdisc.kind, dev.txQueue(i).qdisc.handle, dev.txQueue(i).qdisc.oneTxQueue])).toEqual([['fq_codel', 0, true], ['fq_codel', 0, true], ['fq_codel', 0, true]]);
    // mq_attach hashes the real queues' children in queue order; tc dumps them newest first.
    expect(dev.mqChildren.map((c) => [c.txq, c.qdisc])).toEqual([[1, dev.txQueue(1).qdisc], [0, dev.txQueue(0).qdisc]]);
    // A handled mq is deleted like any grafted root: the defaults come back.
    dev.deleteRootQdisc();
    expect([dev.rootQdiscKind, dev.rootQdiscHandle, dev.mqChildren.length]).toEqual(['mq', 0, 2]);
  });

  it('graftMq refuses a single-queue device (EOPNOTSUPP), a noop root (ENOENT) and a bad handle (EINVAL), changing nothing', () => {
    const { lab, dev } = mqDevice(2);
    const single = createNetDevice(lab.sa, { name: 'sq0', ops: new RingDriver(1, 1) });
    expect(() => dev.graftMq(0x10000)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(dev.rootQdiscKind).toBe('noop');
    dev.open();
    single.open();
    const before = single.rootQdisc;
    expect(() => single.graftMq(0x10000)).toThrow(expect.objectContaining({ code: 'EOPNOTSUPP' }));
    expect([single.rootQdisc, single.rootQdiscKind]).toEqual([before, 'pfifo_fast']);
    const q0 = dev.txQueue(0).qdisc;
    for (const h of [0, 0x10001, -0x10000, 0x100000000, 1.5]) expect(() => dev.graftMq(h)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect([dev.txQueue(0).qdisc, dev.rootQdiscHandle]).toEqual([q0, 0]);
  });

  it('a graft at a class of a handled mq hashes the new child (hash_32 bucket order, newest first in a bucket) and resets every queue (dev_deactivate)', () => {
    const { lab, drv, dev } = mqDevice(3, 1);
    dev.open();
    dev.netifCarrierOn();
    dev.graftMq(0x10000);
    send(lab, dev, 0, 3, 10);
    lab.sim.run({ until: 1e6 });
    expect([drv.sent.length, dev.txQueue(0).qdisc.qlen]).toEqual([1, 2]);
    const graft = (txq: number, handle: number) => {
      const q = dev.createQdisc('fq_codel', { limit: 100 });
      q.handle = handle;
      dev.replaceQdisc({ txq }, q);
      return q;
    };
    // 8002: hashes to bucket 8, after the defaults (bucket 0); the graft on queue 2 freed queue 0's packets too.
    const a = graft(2, 0x80020000);
    expect(dev.txQueue(0).qdisc.qlen).toBe(0);
    const d = [0, 1].map((i) => dev.txQueue(i).qdisc);
    expect(dev.mqChildren.map((c) => [c.txq, c.qdisc])).toEqual([[1, d[1]], [0, d[0]], [2, a]]);
    // 8001: hashes to bucket 0 with the defaults, and is the newest there.
    const b = graft(1, 0x80010000);
    expect(dev.mqChildren.map((c) => [c.txq, c.qdisc])).toEqual([[1, b], [0, d[0]], [2, a]]);
    // real_num_tx_queues: the default children leave and join the hash; grafted ones stay (mq_change_real_num_tx).
    dev.netifSetRealNumTxQueues(1);
    expect(dev.mqChildren.map((c) => c.txq)).toEqual([1, 0, 2]);
    const c = graft(0, 0x80030000);
    dev.netifSetRealNumTxQueues(3);
    expect(dev.mqChildren.map((x) => [x.txq, x.qdisc])).toEqual([[1, b], [0, c], [2, a]]);
  });

  it('deleteMqChild leaves noop on the queue: what is sent there is dropped (tx_dropped, NET_XMIT_CN) until a qdisc is grafted again', () => {
    const { lab, drv, dev } = mqDevice(2);
    dev.open();
    dev.netifCarrierOn();
    dev.graftMq(0x10000);
    expect(() => dev.deleteMqChild(0)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const q = dev.createQdisc('pfifo_fast');
    q.handle = 0x80010000;
    dev.replaceQdisc({ txq: 0 }, q);
    expect(() => dev.deleteMqChild(2)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    dev.deleteMqChild(0);
    expect([dev.txQueue(0).qdisc.kind, dev.mqChildren.map((c) => c.txq)]).toEqual(['noop', [1]]);
    expect(() => dev.deleteMqChild(0)).toThrow(/holds noop \(handle 0\)/);
    const rcs: string[] = [];
    lab.a.createUserTask('tx', (ctx) => {
      for (let i = 0; i < 3; i++) {
        const skb = new Skb({ ip: { src: 0xc0a80101, dst: 0xc0a80102, protocol: IPPROTO.UDP, id: i, ttl: 64, df: true, tos: 0 }, l4: { kind: 'udp', sport: 1000, dport: 2 }, payloadLen: 100 });
        skb.dev = dev;
        rcs.push(devQueueXmit(skb, ctx));
      }
      return 'exit';
    }, { cpus: 1 });
    send(lab, dev, 1, 2, 10);
    lab.sim.run({ until: 1e6 });
    expect([rcs, dev.stats.txDropped, drv.sent]).toEqual([['cn', 'cn', 'cn'], 3, [[1, 10], [1, 11]]]);
    dev.replaceQdisc({ txq: 0 }, dev.createQdisc('fq_codel'));
    expect(dev.txQueue(0).qdisc.kind).toBe('fq_codel');
    // A shared root has no mq classes.
    dev.replaceQdisc({ root: true }, dev.createQdisc('fq_codel'));
    expect(() => dev.deleteMqChild(0)).toThrow(/the root is fq_codel, not mq/);
    expect(dev.mqChildren).toEqual([]);
  });
});

describe('txQdiscs', () => {
  it('lists each qdisc on the TX queues once: one per queue under mq, the shared root once', () => {
    const lab = makeLab({ cpus: 2 });
    const drv = new RingDriver(4, 4);
    const dev = createNetDevice(lab.sa, { name: 'mq4', ops: drv, numTxQueues: 4 });
    dev.open();
    expect(dev.txQdiscs.map((q) => q.kind)).toEqual(['pfifo_fast', 'pfifo_fast', 'pfifo_fast', 'pfifo_fast']);
    const root = dev.createQdisc('fq_codel');
    dev.replaceQdisc({ root: true }, root);
    expect(dev.txQdiscs).toEqual([root]);
  });
});
