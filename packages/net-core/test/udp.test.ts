import { describe, expect, it } from 'vitest';
import { makeLab } from './helpers.js';

describe('UdpSocket loss accounting', () => {
  it('accounts every datagram: received + receive-buffer drops + wire drops = sent', () => {
    let k = 0;
    const lab = makeLab({ veth: { rateBps: 1e9, loss: () => k++ % 10 === 3 } });
    const r = lab.sb.udpSocket();
    r.bind(5201);
    r.setRcvbuf(8 * 1024);
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 5201 });
    let sent = 0;
    lab.a.createUserTask('tx', (ctx, task) => {
      const res = s.send(ctx, 1400);
      if (!res.ok) {
        s.waitWritable(task);
        return 'sleep';
      }
      return ++sent < 300 ? 'run' : 'exit';
    });
    let got = 0;
    let reading = false;
    lab.b.createUserTask('rx', (ctx, task) => {
      if (!reading) {
        reading = true;
        return 20_000_000;
      }
      const res = r.recv(ctx, 2000);
      if (!res.ok) {
        r.waitReadable(task);
        return 'sleep';
      }
      got++;
      return 'run';
    });
    lab.sim.run({ until: 1e9 });
    const mib = lab.sb.snmp.Udp;
    expect(sent).toBe(300);
    expect(lab.sa.snmp.Udp.OutDatagrams).toBe(300);
    expect(lab.veth.a.stats.wireDrops).toBe(30);
    expect(mib.RcvbufErrors).toBeGreaterThan(0);
    expect(mib.InErrors).toBe(mib.RcvbufErrors);
    expect(r.stats.drops).toBe(mib.RcvbufErrors);
    expect(got).toBe(mib.InDatagrams);
    expect(got + mib.RcvbufErrors + lab.veth.a.stats.wireDrops).toBe(300);
    // IpExt octets: 20 + 8 + 1400 bytes per packet each way the wire carried it; every packet Not-ECT.
    const ipA = lab.sa.snmp.Ip;
    const ipB = lab.sb.snmp.Ip;
    expect(ipA.OutOctets).toBe(300 * 1428);
    expect(ipB.InOctets).toBe(270 * 1428);
    expect(ipB.InNoECTPkts).toBe(ipB.InReceives);
    expect(ipB.InReceives).toBe(270);
  });

  it('counts qdisc drops as SndbufErrors and returns ENOBUFS only with IP_RECVERR', () => {
    const lab = makeLab({ veth: { txqueuelen: 0 } });
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 9 });
    const results: string[] = [];
    lab.a.createUserTask('tx', (ctx) => {
      const a = s.send(ctx, 100);
      s.setRecvErr(true);
      const b = s.send(ctx, 100);
      results.push(a.ok ? 'ok' : a.errno, b.ok ? 'ok' : b.errno);
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(results).toEqual(['ok', 'ENOBUFS']);
    expect(lab.sa.snmp.Udp.SndbufErrors).toBe(2);
    expect(lab.veth.a.dev.txQueue(0).qdisc.stats.drops).toBe(2);
  });

  it('sends datagrams over the MTU in fragments and refuses more than 65507 bytes with EMSGSIZE', () => {
    const lab = makeLab();
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 9 });
    const res: string[] = [];
    lab.a.createUserTask('tx', (ctx) => {
      for (const n of [1473, 65_507, 65_508]) {
        const r = s.send(ctx, n);
        res.push(r.ok ? 'ok' : r.errno);
      }
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(lab.veth.a.dev.mtu).toBe(1500);
    expect(res).toEqual(['ok', 'ok', 'EMSGSIZE']);
    expect(lab.sa.snmp.Ip.FragCreates).toBe(2 + 45);
    expect(lab.sb.snmp.Ip.ReasmOKs).toBe(2);
  });
});

describe('UDP send on a device without carrier (noop qdisc)', () => {
  it('counts the datagram in the device tx_dropped and as sent (OutDatagrams), not in SndbufErrors, as noop_enqueue returns NET_XMIT_CN', () => {
    const lab = makeLab();
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 5201 });
    lab.veth.a.dev.netifCarrierOff();
    const results: boolean[] = [];
    lab.a.createUserTask('tx', (ctx) => {
      for (let i = 0; i < 3; i++) results.push(s.send(ctx, 100).ok);
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(results).toEqual([true, true, true]);
    expect(lab.veth.a.dev.stats.txDropped).toBe(3);
    expect(lab.sa.snmp.Udp.OutDatagrams).toBe(3);
    expect(lab.sa.snmp.Udp.SndbufErrors).toBe(0);
  });
});

describe('UdpSocket bind to an address', () => {
  it('checks the address first (EADDRNOTAVAIL), then an earlier bind (EINVAL) and the port (EADDRINUSE), changing nothing on failure', () => {
    const lab = makeLab();
    const u = lab.sb.udpSocket();
    expect(u.bind(7000, '10.0.0.1')).toEqual({ ok: false, errno: 'EADDRNOTAVAIL' });
    expect([u.lport, u.laddr]).toEqual([0, 0]);
    expect(u.bind(7000, '10.0.0.2')).toEqual({ ok: true });
    expect(u.bind(7001, '10.0.0.9')).toEqual({ ok: false, errno: 'EADDRNOTAVAIL' });
    expect(u.bind(7001)).toEqual({ ok: false, errno: 'EINVAL' });
    expect(lab.sb.udpSocket().bind(7000, '10.0.0.2')).toEqual({ ok: false, errno: 'EADDRINUSE' });
  });

  it('sends from the bound address and receives only what is addressed to it (NoPorts for the rest)', () => {
    const lab = makeLab();
    const seen: string[] = [];
    lab.sb.addPacketTap((skb) => {
      if (skb.l4.kind === 'udp') seen.push(`${skb.ip.src & 255} -> ${skb.ip.dst & 255}`);
    });
    const onLo = lab.sb.udpSocket();
    expect(onLo.bind(9, '127.0.0.1')).toEqual({ ok: true });
    const s = lab.sa.udpSocket();
    expect(s.bind(0, '10.0.0.1')).toEqual({ ok: true });
    s.connect({ addr: '10.0.0.2', port: 9 });
    lab.a.createUserTask('tx', (ctx) => (s.send(ctx, 100).ok ? 'exit' : 'exit'));
    lab.sim.run({ until: 100_000_000 });
    expect(seen).toEqual(['1 -> 2']);
    expect(onLo.poll().readable).toBe(false);
    expect(lab.sb.snmp.Udp.NoPorts).toBe(1);
  });
});
