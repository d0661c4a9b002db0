import type { ExecContext } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNetDevice, IPPROTO, Skb, type NetDevice, type NetDeviceOps, type NetdevTx } from '../src/index.js';
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

/** A driver whose ring holds `cap` skbs until `complete()`; it stops its queue when full (NETDEV_TX_BUSY on overflow). */
class RingDriver implements NetDeviceOps {
  dev: NetDevice | null = null;
  ring: Skb[] = [];
  sent: number[] = [];
  busy = 0;
  constructor(readonly cap: number) {}
  open(): number {
    return 0;
  }
  stop(): void {}
  changeMtu(): number {
    return 0;
  }
  startXmit(skb: Skb): NetdevTx {
    const dev = this.dev as NetDevice;
    if (this.ring.length >= this.cap) {
      dev.netifStopSubqueue(skb.queueMapping);
      this.busy++;
      return 'busy';
    }
    this.ring.push(skb);
    this.sent.push(skb.ip.id);
    return 'ok';
  }
  complete(ctx: ExecContext): void {
    for (const s of this.ring.splice(0)) s.free(ctx);
    this.dev?.netifWakeSubqueue(0, ctx);
  }
}

describe('qdisc run with a stopping driver', () => {
  it('requeues on NETDEV_TX_BUSY, keeps order, and resumes when the queue is woken', () => {
    const lab = makeLab();
    const drv = new RingDriver(2);
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
    const first = drv.sent[0] ?? 0;
    lab.a.createUserTask('irq', (ctx) => {
      drv.complete(ctx);
      return 'exit';
    });
    lab.sim.run({ until: 2e6 });
    lab.a.createUserTask('irq2', (ctx) => {
      drv.complete(ctx);
      return 'exit';
    });
    lab.sim.run({ until: 3e6 });
    expect(drv.sent.map((id) => (id - first) & 0xffff)).toEqual([0, 1, 2, 3, 4]);
    expect(q.qdisc.qlen).toBe(0);
    expect(q.wakes).toBe(2);
  });
});
