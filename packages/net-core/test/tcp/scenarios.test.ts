import { describe, expect, it } from 'vitest';
import type { TcpSocket } from '../../src/index.js';
import { dropDataSegments, makeLab, pattern, sameBytes, startBulk, type Lab } from '../helpers.js';

/** Both ends write `bytes` and read until EOF on one connection (iperf3 --bidir style). */
function bidir(lab: Lab, bytes: number): { got: [number, number]; data: [Uint8Array, Uint8Array]; socks: TcpSocket[] } {
  const got: [number, number] = [0, 0];
  const data: [Uint8Array, Uint8Array] = [new Uint8Array(bytes), new Uint8Array(bytes)];
  const socks: TcpSocket[] = [];
  const l = lab.sb.tcpSocket();
  l.bind(5201);
  l.listen();
  const c = lab.sa.tcpSocket();
  socks.push(c);
  const run = (host: Lab['a'], side: 0 | 1, sock: () => TcpSocket | null): void => {
    let sent = 0;
    host.createUserTask(`w${side}`, (ctx, task) => {
      const s = sock();
      if (s === null || s.state === 'SYN_SENT') return 1_000_000;
      if (sent >= bytes) {
        s.shutdown(ctx, 'wr');
        return 'exit';
      }
      const r = s.send(ctx, pattern(sent, Math.min(50_000, bytes - sent)));
      if (!r.ok) {
        s.waitWritable(task);
        return 'sleep';
      }
      sent += r.bytes;
      return 'run';
    });
    host.createUserTask(`r${side}`, (ctx, task) => {
      const s = sock();
      if (s === null || s.state === 'SYN_SENT') return 1_000_000;
      const r = s.recv(ctx, 70_000);
      if (!r.ok) {
        s.waitReadable(task);
        return 'sleep';
      }
      if (r.bytes === 0) return 'exit';
      if (r.data !== null) data[side].set(r.data, got[side]);
      got[side] += r.bytes;
      return 'run';
    });
  };
  let server: TcpSocket | null = null;
  lab.b.createUserTask('acc', (_ctx, task) => {
    const r = l.accept();
    if (!r.ok) {
      l.waitReadable(task);
      return 'sleep';
    }
    server = r.sock;
    socks.push(r.sock);
    return 'exit';
  });
  lab.a.createUserTask('conn', (ctx, task) => {
    const r = c.connect(ctx, { addr: '10.0.0.2', port: 5201 });
    if (!r.ok) {
      c.waitWritable(task);
      return 'sleep';
    }
    return 'exit';
  });
  run(lab.a, 0, () => c);
  run(lab.b, 1, () => server);
  return { got, data, socks };
}

describe('TCP scenarios', () => {
  it('carries two streams at once on one connection (bidirectional, with drops both ways)', () => {
    const d = dropDataSegments(new Set([5, 17, 40, 41, 90]));
    const lab = makeLab({ veth: { rateBps: 2e9, latencyNs: 40_000, mtu: 9000, frames: true, loss: d.fn } });
    const bytes = 3_000_000;
    const r = bidir(lab, bytes);
    lab.sim.run({ until: 60e9 });
    expect(r.got).toEqual([bytes, bytes]);
    expect(sameBytes(r.data[0], pattern(0, bytes))).toBe(true);
    expect(sameBytes(r.data[1], pattern(0, bytes))).toBe(true);
    expect(lab.veth.a.stats.wireDrops + lab.veth.b.stats.wireDrops).toBe(5);
  });

  it('runs four parallel connections over a 4-queue device and shares the wire (iperf3 -P 4)', () => {
    const lab = makeLab({ veth: { rateBps: 4e9, latencyNs: 20_000, mtu: 65510, numQueues: 4 } });
    const bytes = 10_000_000;
    const runs = [0, 1, 2, 3].map((i) => startBulk(lab, { bytes, port: 5201 + i }));
    lab.sim.run({ until: 20e9 });
    for (const r of runs) expect(r.received).toBe(bytes);
    const end = Math.max(...runs.map((r) => r.doneAt));
    const gbps = (4 * bytes * 8) / end;
    expect(gbps).toBeGreaterThan(2);
    const perQueue = Array.from({ length: 4 }, (_, q) => lab.veth.a.dev.txQueue(q).qdisc.stats.packets);
    const byMapping = [0, 0, 0, 0];
    for (const r of runs) {
      const q = r.client?.txQueueMapping ?? -1;
      byMapping[q] = (byMapping[q] ?? 0) + (r.client?.tcpInfo().segsOut ?? 0);
    }
    expect(perQueue).toEqual(byMapping);
  });

  it('works without timestamps and window scaling (window ≤ 64 KiB)', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 50_000, mtu: 1500 }, stack: { sysctl: { tcpTimestamps: false, tcpWindowScaling: false } } });
    const bytes = 1_000_000;
    const res = startBulk(lab, { bytes, functional: true });
    lab.sim.run({ until: 30e9 });
    expect(res.received).toBe(bytes);
    expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
    expect(res.client?.tcpInfo().sndWnd).toBeLessThanOrEqual(65535);
    expect(res.client?.tcpInfo().sndMss).toBe(1460);
  });

  it('delivers with tiny reads and writes (Nagle and autocorking on small segments)', () => {
    const lab = makeLab({ veth: { rateBps: 1e8, latencyNs: 100_000, mtu: 1500, frames: true } });
    const bytes = 60_000;
    const res = startBulk(lab, { bytes, functional: true, writeSize: 7, readSize: 13 });
    lab.sim.run({ until: 60e9 });
    expect(res.received).toBe(bytes);
    expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
    expect(res.client?.tcpInfo().dataSegsOut).toBeLessThan(bytes / 7 / 4);
  });

  it('survives an MTU change mid-transfer (MSS follows the route MTU)', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, mtu: 9000 } });
    const bytes = 5_000_000;
    const res = startBulk(lab, { bytes, functional: true });
    lab.sim.run({ until: 0.01e9 });
    const before = res.client?.mss ?? 0;
    lab.veth.a.dev.setMtu(1500);
    lab.veth.b.dev.setMtu(1500);
    lab.sim.run({ until: 30e9 });
    expect(before).toBe(8948);
    expect(res.client?.mss).toBe(1448);
    expect(res.received).toBe(bytes);
    expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
  });
});
