import { describe, expect, it } from 'vitest';
import { createVethPair, ETH_HLEN } from '../src/index.js';
import { makeLab, startBulk } from './helpers.js';

describe('createVethPair', () => {
  it('has carrier only while both ends are up', () => {
    const lab = makeLab();
    expect(lab.veth.a.dev.operstate).toBe('UP');
    lab.veth.b.dev.close();
    expect(lab.veth.a.dev.netifCarrierOk()).toBe(false);
    expect(lab.veth.a.dev.operstate).toBe('LOWERLAYERDOWN');
    lab.veth.b.dev.open();
    expect(lab.veth.a.dev.netifCarrierOk()).toBe(true);
  });

  it('runs a bulk TCP transfer near the wire rate (64 KiB MTU, 1 Gb/s)', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 5_000, mtu: 65510 } });
    const bytes = 40_000_000;
    const res = startBulk(lab, { bytes });
    lab.sim.run({ until: 10e9 });
    expect(res.received).toBe(bytes);
    const gbps = (bytes * 8) / (res.doneAt - res.connectedAt);
    expect(gbps).toBeGreaterThan(0.9);
    expect(gbps).toBeLessThan(1.0);
    expect(res.client?.tcpInfo().totalRetrans).toBe(0);
  });

  it('is window-limited with -w 512M at 10 Gb/s: rate ≈ window / RTT', () => {
    const lab = makeLab({ veth: { rateBps: 10e9, latencyNs: 50_000, mtu: 65510 } });
    const bytes = 50_000_000;
    const res = startBulk(lab, { bytes, window: 512 * 1024 * 1024 });
    lab.sim.run({ until: 10e9 });
    expect(res.received).toBe(bytes);
    const gbps = (bytes * 8) / (res.doneAt - res.connectedAt);
    expect(gbps).toBeLessThan(9);
    expect(gbps).toBeGreaterThan(1);
  });

  it('stops a TX queue when its ring is full and wakes it when half has drained', () => {
    const lab = makeLab({ veth: { rateBps: 1e8, ringSize: 8, mtu: 9000 } });
    const res = startBulk(lab, { bytes: 2_000_000 });
    lab.sim.run({ until: 10e9 });
    expect(res.received).toBe(2_000_000);
    const q = lab.veth.a.dev.txQueue(0);
    expect(q.stops).toBeGreaterThan(0);
    expect(q.wakes).toBe(q.stops);
    expect(lab.veth.a.inFlight(0)).toBe(0);
  });

  it('drops frames over the peer MTU and counts wire losses from the hook', () => {
    const lab = makeLab({ veth: { mtu: 9000 } });
    lab.veth.b.dev.setMtu(1500);
    const u = lab.sa.udpSocket();
    u.connect({ addr: '10.0.0.2', port: 9 });
    lab.a.createUserTask('u', (ctx) => {
      u.send(ctx, 4000);
      u.send(ctx, 100);
      return 'exit';
    });
    lab.veth.a.loss = (skb) => skb.payloadLen === 100;
    lab.sim.run({ until: 1e9 });
    expect(lab.veth.a.dev.stats.txDropped).toBe(1);
    expect(lab.veth.a.stats.wireDrops).toBe(1);
    expect(lab.veth.b.dev.stats.rxPackets).toBe(0);
  });

  it('serialises to frames and back when asked, preserving the headers', () => {
    const lab = makeLab({ veth: { frames: true } });
    const u = lab.sb.udpSocket();
    u.bind(9);
    const s = lab.sa.udpSocket();
    lab.a.createUserTask('u', (ctx) => {
      s.sendTo(ctx, new Uint8Array([1, 2, 3, 4]), { addr: '10.0.0.2', port: 9 });
      return 'exit';
    });
    let got: number[] = [];
    lab.b.createUserTask('r', (ctx, task) => {
      const r = u.recv(ctx, 100);
      if (!r.ok) {
        u.waitReadable(task);
        return 'sleep';
      }
      got = [...(r.data ?? [])];
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(got).toEqual([1, 2, 3, 4]);
    expect(lab.veth.b.dev.stats.rxBytes).toBe(ETH_HLEN + 20 + 8 + 4);
  });

  it('validates its options', () => {
    const lab = makeLab();
    expect(() => createVethPair(lab.a, lab.b, { names: ['x0', 'x1'], numQueues: 0 })).toThrow(/numQueues/);
    expect(() => createVethPair(lab.a, lab.b, { names: ['y0', 'y1'], rateBps: -1 })).toThrow(/rateBps/);
  });
});
