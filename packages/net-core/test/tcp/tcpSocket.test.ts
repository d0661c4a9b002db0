import type { TaskStep } from '@ntbsim/kernel';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4, SOCK_MIN_SNDBUF, type TcpSocket } from '../../src/index.js';
import { acceptOne, connectOnce, dropDataSegments, makeLab, pattern, sameBytes, startBulk, stepWatch, type Lab } from '../helpers.js';

function lab0(): Lab {
  return makeLab();
}

/** Connect a client on lab.a to a listener on lab.b (`setup` sees both sockets first); returns both sockets once established. */
function connectPair(lab: Lab, port = 5201, setup: (listener: TcpSocket, client: TcpSocket) => void = () => undefined): { client: TcpSocket; server: () => TcpSocket | null } {
  const l = lab.sb.tcpSocket();
  const client = lab.sa.tcpSocket();
  setup(l, client);
  const { server } = acceptOne(lab, port, l);
  connectOnce(lab, '10.0.0.2', port, client);
  return { client, server };
}

describe('TcpSocket byte stream', () => {
  it('delivers a stream exactly once and in order across induced wire drops', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300_000 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { maxLength: 12 }),
        fc.constantFrom(1500, 9000, 65510),
        fc.integer({ min: 1, max: 1000 }),
        (bytes, drops, mtu, seed) => {
          const d = dropDataSegments(new Set(drops));
          const lab = makeLab({ seed, veth: { rateBps: 1e9, latencyNs: 50_000, mtu, maxMtu: 65535, loss: d.fn, frames: true } });
          const res = startBulk(lab, { bytes, functional: true, writeSize: 40_000 });
          lab.sim.run({ until: 600e9 });
          expect(res.error).toBeNull();
          expect(res.received).toBe(bytes);
          expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
          expect(res.client?.state).toBe('CLOSED');
          expect(res.server?.state).toBe('CLOSED');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('delivers across random loss in both directions (data and ACKs)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 0.08, noNaN: true }), (seed, p) => {
        let x = seed;
        const rnd = (): number => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return x / 4294967296;
        };
        const lab = makeLab({ seed, veth: { rateBps: 1e9, latencyNs: 30_000, mtu: 9000, frames: true, loss: () => rnd() < p } });
        const bytes = 400_000;
        const res = startBulk(lab, { bytes, functional: true, writeSize: 65_536 });
        lab.sim.run({ until: 900e9 });
        expect(res.received).toBe(bytes);
        expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('delivers across qdisc drops (a small txqueuelen), entering CWR instead of loss recovery', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 20_000, mtu: 1500, ringSize: 4, txqueuelen: 3, frames: true } });
    const bytes = 2_000_000;
    const res = startBulk(lab, { bytes, functional: true });
    lab.sim.run({ until: 60e9 });
    expect(res.received).toBe(bytes);
    expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
    expect(lab.veth.a.dev.txQueue(0).qdisc.stats.drops).toBeGreaterThan(0);
    expect(lab.sa.tcpExt.TCPCwr).toBeGreaterThan(0);
    expect(lab.sa.snmp.Tcp.RetransSegs).toBe(0);
  });

  it('sendfile carries the same stream without the user copy, paying a checksum pass instead', () => {
    const bytes = 5_000_000;
    const costs = lab0().a.costs;
    const run = (sendfile: boolean, tcpTxChecksum: 'copy' | 'xmit', functional = false): { busy: number; perByte: number; ok: boolean } => {
      const lab = makeLab({ veth: { rateBps: 10e9, mtu: 65510 }, stack: { tcpTxChecksum } });
      const res = startBulk(lab, { bytes, functional, sendfile });
      lab.sim.run({ until: 10e9 });
      const busy = lab.a.usage().reduce((s, u) => s + u.user + u.softirq + u.hardirq + u.kthread, 0);
      // The writer's per-segment work (a transmit per data segment, an ACK taken per segment in)
      // depends on how the writes were cut and ACKed, which the writer's speed moves; the rest
      // is what the bytes cost.
      const ci = res.client?.tcpInfo();
      const perByte = busy - (ci?.dataSegsOut ?? 0) * costs.txPacket() - (ci?.segsIn ?? 0) * costs.ack();
      return { busy, perByte, ok: res.received === bytes && (!functional || sameBytes(res.data, pattern(0, bytes))) };
    };
    const copyNs = costs.userCopy(bytes);
    const plainFolded = run(false, 'copy');
    const zcFolded = run(true, 'copy', true);
    const plainXmit = run(false, 'xmit');
    const zcXmit = run(true, 'xmit');
    expect(plainFolded.ok && zcFolded.ok && plainXmit.ok && zcXmit.ok).toBe(true);
    expect(Math.abs(zcFolded.perByte - plainFolded.perByte)).toBeLessThan(0.1 * plainFolded.perByte);
    expect(plainXmit.busy - zcXmit.busy).toBeGreaterThan(0.6 * copyNs);
    expect(plainXmit.busy - zcXmit.busy).toBeLessThan(1.4 * copyNs);
  });
});

describe('TcpSocket connection management', () => {
  it('connects with a 3-way handshake and negotiates MSS from the route MTU', () => {
    const lab = makeLab({ veth: { mtu: 1500, latencyNs: 10_000 } });
    const { client, server } = connectPair(lab);
    lab.sim.run({ until: 1e9 });
    const s = server();
    expect(client.state).toBe('ESTABLISHED');
    expect(s?.state).toBe('ESTABLISHED');
    expect(client.tcpInfo().sndMss).toBe(1448);
    expect(client.tcpInfo().advmss).toBe(1448);
    expect(s?.remoteAddress()).toEqual(client.localAddress());
    expect(client.remoteAddress()).toEqual({ addr: '10.0.0.2', port: 5201 });
    expect(lab.sa.snmp.Tcp.ActiveOpens).toBe(1);
    expect(lab.sb.snmp.Tcp.PassiveOpens).toBe(1);
    expect(lab.sa.tcpCurrEstab).toBe(1);
  });

  it('TCP_MAXSEG caps the MSS a socket advertises and the one it sends with, on either end (a listener\'s children inherit it); EINVAL outside 88..32767', () => {
    const synMss: string[] = [];
    for (const side of ['client', 'listener'] as const) {
      const lab = makeLab({ veth: { mtu: 1500, latencyNs: 10_000 } });
      for (const [name, st] of [['a', lab.sa], ['b', lab.sb]] as const) {
        st.addPacketHandler((skb, _dev, direction) => {
          if (direction === 'out' && skb.l4.kind === 'tcp' && skb.l4.mss !== undefined) synMss.push(`${side} ${name} ${skb.l4.mss}`);
        });
      }
      const { client, server } = connectPair(lab, 5201, (l, c) => (side === 'listener' ? l : c).setMaxSeg(1000));
      lab.sim.run({ until: 1e9 });
      const s = server();
      // 1000 − 12 bytes of timestamps on both ends: the peer's MSS option binds its sender too.
      expect([client.tcpInfo().sndMss, s?.tcpInfo().sndMss]).toEqual([988, 988]);
    }
    expect(synMss).toEqual(['client a 1000', 'client b 1460', 'listener a 1460', 'listener b 1000']);
    const t = makeLab().sa.tcpSocket();
    for (const bad of [87, 32768, -1, 1.5]) expect(() => t.setMaxSeg(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    t.setMaxSeg(0);
  });

  it('uses MSS = MTU − 40 without timestamps', () => {
    const lab = makeLab({ veth: { mtu: 1500 }, stack: { sysctl: { tcpTimestamps: false } } });
    const { client } = connectPair(lab);
    lab.sim.run({ until: 1e9 });
    expect(client.tcpInfo().sndMss).toBe(1460);
  });

  it('uses MSS 65458 at MTU 65510 once the window allows, bounded to half the first window before', () => {
    const lab = makeLab({ veth: { rateBps: 10e9, mtu: 65510 } });
    const res = startBulk(lab, { bytes: 50_000_000 });
    let firstMss = 0;
    stepWatch(lab.sim, () => {
      if (firstMss === 0 && res.client?.state === 'ESTABLISHED') firstMss = res.client.mss;
      return res.doneAt >= 0;
    });
    expect(firstMss).toBe(Math.floor(65458 / 2));
    expect(res.client?.tcpInfo().sndMss).toBe(65458);
    expect(res.received).toBe(50_000_000);
  });

  it('answers a SYN to a closed port with RST: connect fails with ECONNREFUSED', () => {
    const lab = makeLab();
    const sock = lab.sa.tcpSocket();
    let result = '';
    lab.a.createUserTask('c', (ctx, task) => {
      const r = sock.connect(ctx, { addr: '10.0.0.2', port: 9 });
      if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
        sock.waitWritable(task);
        return 'sleep';
      }
      result = r.ok ? 'ok' : r.errno;
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(result).toBe('ECONNREFUSED');
    expect(lab.sb.snmp.Tcp.OutRsts).toBe(1);
    expect(lab.sa.snmp.Tcp.AttemptFails).toBe(1);
    expect(lab.sa.tcpPorts.size).toBe(0);
  });

  it('retransmits the SYN with exponential backoff and gives up with ETIMEDOUT after tcp_syn_retries', () => {
    const lab = makeLab({ stack: { sysctl: { tcpSynRetries: 3 } }, veth: { loss: () => true } });
    const sock = lab.sa.tcpSocket();
    let result = '';
    let at = 0;
    lab.a.createUserTask('c', (ctx, task) => {
      const r = sock.connect(ctx, { addr: '10.0.0.2', port: 5201 });
      if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
        sock.waitWritable(task);
        return 'sleep';
      }
      result = r.ok ? 'ok' : r.errno;
      at = ctx.time;
      return 'exit';
    });
    lab.sim.run({ until: 100e9 });
    expect(result).toBe('ETIMEDOUT');
    expect(lab.sa.tcpExt.TCPSynRetrans).toBe(3);
    expect(at / 1e9).toBeGreaterThan(14.99);
    expect(at / 1e9).toBeLessThan(15.01);
  });

  it('retransmits a lost SYN-ACK when the client repeats its SYN', () => {
    let n = 0;
    const lab = makeLab({ veth: { loss: (skb) => skb.l4.kind === 'tcp' && (skb.l4.flags & 0x12) === 0x12 && n++ === 0 } });
    const { client, server } = connectPair(lab);
    lab.sim.run({ until: 10e9 });
    expect(client.state).toBe('ESTABLISHED');
    expect(server()?.state).toBe('ESTABLISHED');
    expect(lab.sb.tcpExt.TCPSynRetrans).toBeGreaterThanOrEqual(1);
  });

  it('a request (SYN_RECV) reset by a RST counts AttemptFails and EmbryonicRsts (tcp_check_req); one whose SYN-ACK retries run out ends uncounted', () => {
    let n = 0;
    const lab = makeLab({ veth: { loss: (skb) => skb.l4.kind === 'tcp' && (skb.l4.flags & 0x12) === 0x12 && n++ === 0 } });
    const l = lab.sb.tcpSocket();
    expect(l.bind(5201).ok && l.listen(8).ok).toBe(true);
    const client = lab.sa.tcpSocket();
    lab.a.createUserTask('connect', (ctx) => {
      expect(client.connect(ctx, { addr: '10.0.0.2', port: 5201 })).toEqual({ ok: false, errno: 'EINPROGRESS' });
      return 'exit';
    });
    lab.sim.run({ until: 0.1e9 });
    // The client gives up before the SYN-ACK's retransmission arrives: its stack answers that with a RST.
    lab.a.createUserTask('close', (ctx) => {
      client.close(ctx);
      return 'exit';
    });
    lab.sim.run({ until: 5e9 });
    expect(lab.sb.snmp.Tcp.AttemptFails).toBe(1);
    expect(lab.sb.tcpExt.EmbryonicRsts).toBe(1);
    expect(lab.sb.tcpConns.size).toBe(0);

    // The handshake's last ACK never arrives: the SYN-ACK goes tcp_synack_retries (5) more times, then the request is dropped.
    const acks = makeLab({ veth: { loss: (skb) => skb.l4.kind === 'tcp' && skb.ip.src === parseIpv4('10.0.0.1') && (skb.l4.flags & 0x12) === 0x10 } });
    connectPair(acks);
    acks.sim.run({ until: 200e9 });
    expect(acks.sb.tcpExt.TCPSynRetrans).toBe(5);
    expect(acks.sb.tcpConns.size).toBe(0);
    expect({ fails: acks.sb.snmp.Tcp.AttemptFails, resets: acks.sb.tcpExt.EmbryonicRsts, drops: acks.sb.tcpExt.ListenDrops }).toEqual({ fails: 0, resets: 0, drops: 0 });
  });

  it('closes with FIN in both directions: FIN_WAIT → TIME_WAIT → CLOSED, ports released', () => {
    const lab = makeLab();
    const res = startBulk(lab, { bytes: 100_000 });
    lab.sim.run({ until: 0.5e9 });
    expect(res.received).toBe(100_000);
    expect(res.client?.state).toBe('TIME_WAIT');
    expect(res.server?.state).toBe('CLOSED');
    lab.sim.run({ until: 3e9 });
    expect(res.client?.state).toBe('CLOSED');
    expect(lab.sa.tcpConns.size).toBe(0);
    expect(lab.sb.tcpConns.size).toBe(0);
    expect(lab.sa.tcpPorts.size).toBe(0);
    expect(lab.sb.tcpPorts.size).toBe(0);
    expect(lab.sa.snmp.Tcp.EstabResets + lab.sb.snmp.Tcp.EstabResets).toBe(0);
  });

  it('resets on close with unread data; the peer sees ECONNRESET', () => {
    const lab = makeLab();
    const { client, server } = connectPair(lab);
    lab.sim.run({ until: 0.1e9 });
    let peerErr = '';
    lab.a.createUserTask('w', (ctx, task) => {
      const r = client.send(ctx, 10_000);
      if (r.ok) return 'exit';
      client.waitWritable(task);
      return 'sleep';
    });
    lab.sim.run({ until: 0.2e9 });
    const s = server();
    expect(s?.inq).toBe(10_000);
    lab.b.createUserTask('close', (ctx) => {
      s?.close(ctx);
      return 'exit';
    });
    lab.a.createUserTask('r', (ctx, task) => {
      const r = client.recv(ctx, 100);
      if (!r.ok && r.errno === 'EAGAIN') {
        client.waitReadable(task);
        return 'sleep';
      }
      peerErr = r.ok ? 'ok' : r.errno;
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(lab.sb.tcpExt.TCPAbortOnClose).toBe(1);
    expect(peerErr).toBe('ECONNRESET');
    expect(client.state).toBe('CLOSED');
    expect(lab.sa.snmp.Tcp.EstabResets).toBe(1);
  });

  it('half-closes with shutdown(wr): the peer reads EOF and can still send back', () => {
    const lab = makeLab();
    const { client, server } = connectPair(lab);
    lab.sim.run({ until: 0.1e9 });
    const s = server() as TcpSocket;
    const log: string[] = [];
    lab.a.createUserTask('a', (ctx) => {
      client.send(ctx, 1000);
      expect(client.shutdown(ctx, 'wr').ok).toBe(true);
      return 'exit';
    });
    let step = 0;
    let backSent = false;
    lab.b.createUserTask('b', (ctx, task): TaskStep => {
      const r = s.recv(ctx, 4096);
      if (!r.ok) {
        s.waitReadable(task);
        return 'sleep';
      }
      log.push(`b:${r.bytes}`);
      if (r.bytes === 0 && step++ === 0) {
        backSent = s.send(ctx, 500).ok;
        s.close(ctx);
        return 'exit';
      }
      return 'run';
    });
    let got = 0;
    lab.a.createUserTask('a2', (ctx, task) => {
      const r = client.recv(ctx, 4096);
      if (!r.ok) {
        client.waitReadable(task);
        return 'sleep';
      }
      got += r.bytes;
      if (r.bytes === 0) {
        client.close(ctx);
        return 'exit';
      }
      return 'run';
    });
    lab.sim.run({ until: 5e9 });
    expect(log).toEqual(['b:1000', 'b:0']);
    expect(backSent).toBe(true);
    expect(got).toBe(500);
    expect(client.state).toBe('CLOSED');
    expect(s.state).toBe('CLOSED');
  });

  it('refuses a second bind of a port without SO_REUSEADDR and reports misuse with NetError', () => {
    const lab = makeLab();
    const a = lab.sa.tcpSocket();
    const b = lab.sa.tcpSocket();
    expect(a.bind(7000).ok).toBe(true);
    expect(b.bind(7000)).toEqual({ ok: false, errno: 'EADDRINUSE' });
    expect(b.bind(7001, '10.9.9.9')).toEqual({ ok: false, errno: 'EADDRNOTAVAIL' });
    expect(() => b.bind(70000)).toThrow(/port 70000/);
    a.close();
    expect(() => a.listen()).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
  });
});

describe('SO_SNDBUF / SO_RCVBUF (iperf3 -w)', () => {
  it('doubles the request clamped to wmem_max/rmem_max and locks autotuning', () => {
    const lab = makeLab();
    const s = lab.sa.tcpSocket();
    s.setSndbuf(512 * 1024 * 1024);
    s.setRcvbuf(512 * 1024 * 1024);
    expect(s.sndbuf).toBe(2 * 212992);
    expect(s.rcvbuf).toBe(2 * 212992);
    expect(s.sndbufLocked && s.rcvbufLocked).toBe(true);
    s.setSndbuf(1000);
    expect(s.sndbuf).toBe(SOCK_MIN_SNDBUF);
    lab.sa.setSysctl('net.core.wmem_max', 8_388_608);
    s.setSndbuf(4_000_000);
    expect(s.sndbuf).toBe(8_000_000);
  });

  it('keeps the locked buffers through a transfer, while default sockets autotune', () => {
    const locked = makeLab({ veth: { rateBps: 10e9, mtu: 65510 } });
    const r1 = startBulk(locked, { bytes: 100_000_000, window: 512 * 1024 * 1024 });
    locked.sim.run({ until: 10e9 });
    expect(r1.received).toBe(100_000_000);
    expect(r1.client?.tcpInfo().sndbuf).toBe(425984);
    expect(r1.server?.tcpInfo().rcvbuf).toBe(425984);
    expect(r1.client?.tcpInfo().sndMss).toBe(65458);
    const auto = makeLab({ veth: { rateBps: 10e9, mtu: 65510 } });
    const r2 = startBulk(auto, { bytes: 100_000_000 });
    auto.sim.run({ until: 10e9 });
    expect(r2.server?.tcpInfo().rcvbuf).toBeGreaterThan(131072);
    expect(r2.client?.tcpInfo().sndbuf).toBeGreaterThan(16384);
  });
});

describe('TcpSocket congestion control', () => {
  it('fast-retransmits after 3 duplicate ACKs: Recovery with ssthresh = 0.7 cwnd, cwnd = ssthresh at exit', () => {
    const d = dropDataSegments(new Set([200]));
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 100_000, mtu: 1500, loss: d.fn } });
    const res = startBulk(lab, { bytes: 3_000_000 });
    let before = 0;
    let atEntry = 0;
    let ssthresh = 0;
    let exitCwnd = -1;
    let exitSsthresh = -1;
    let prev = 'open';
    stepWatch(lab.sim, () => {
      const c = res.client;
      if (c === null) return false;
      if (c.caState === 'recovery' && prev !== 'recovery') {
        ssthresh = c.ssthresh;
        atEntry = before;
      }
      if (c.caState !== 'recovery' && prev === 'recovery') {
        exitCwnd = c.cwnd;
        exitSsthresh = c.ssthresh;
      }
      if (c.caState !== 'recovery') before = c.cwnd;
      prev = c.caState;
      return res.doneAt >= 0;
    });
    expect(res.received).toBe(3_000_000);
    expect(lab.sa.tcpExt.TCPRenoRecovery).toBe(1);
    expect(lab.sa.tcpExt.TCPFastRetrans).toBe(1);
    expect(lab.sa.tcpExt.TCPTimeouts).toBe(0);
    expect(ssthresh).toBe(Math.max(Math.floor((atEntry * 717) / 1024), 2));
    expect(exitCwnd).toBe(exitSsthresh);
    expect(lab.sb.tcpExt.TCPOFOQueue).toBeGreaterThanOrEqual(3);
  });

  it('times out a lost tail: RTO ≥ 200 ms, cwnd 1 in Loss, then exponential backoff', () => {
    const d = dropDataSegments(new Set([40, 41, 42]));
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 100_000, mtu: 1500, loss: d.fn } });
    const res = startBulk(lab, { bytes: 41 * 1448 });
    const timeouts: number[] = [];
    let lastSend = 0;
    let cwndAtRto = -1;
    stepWatch(lab.sim, () => {
      const c = res.client;
      if (c === null) return false;
      if (d.seen() === 41 && lastSend === 0) lastSend = lab.sim.now;
      if (c.stats.timeouts > timeouts.length) {
        timeouts.push(lab.sim.now);
        if (cwndAtRto < 0) cwndAtRto = c.cwnd;
      }
      return res.doneAt >= 0;
    });
    expect(res.received).toBe(41 * 1448);
    expect(timeouts.length).toBe(3);
    expect(cwndAtRto).toBe(1);
    const [t0 = 0, t1 = 0, t2 = 0] = timeouts;
    expect(t0 - lastSend).toBeGreaterThanOrEqual(200e6);
    expect((t2 - t1) / (t1 - t0)).toBeGreaterThan(1.8);
    expect((t2 - t1) / (t1 - t0)).toBeLessThan(2.2);
    expect(lab.sa.tcpExt.TCPTimeouts).toBe(3);
    expect(res.client?.tcpInfo().totalRetrans).toBe(3);
  });

  it('backs off the RTO while the head is still in the host queue (-EBUSY), then recovers intact', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 50_000, mtu: 1500 } });
    const res = startBulk(lab, { bytes: 2_000_000, functional: true });
    const end = lab.veth.a;
    stepWatch(lab.sim, () => {
      if (res.client?.state !== 'ESTABLISHED' || end.inFlight(0) > 0) return false;
      end.dev.netifStopSubqueue(0);
      return true;
    });
    const stalledAt = lab.sim.now;
    const timeouts: number[] = [];
    stepWatch(lab.sim, () => {
      const c = res.client;
      if (c !== null && c.stats.timeouts > timeouts.length) timeouts.push(lab.sim.now);
      return lab.sim.now >= stalledAt + 10e9;
    });
    // 0.2 + 0.4 + 0.8 + 1.6 + 3.2 s ≤ 10 s < … + 6.4 s: five expiries, not twenty at 500 ms.
    expect(timeouts.length).toBe(5);
    const gaps = timeouts.slice(1).map((t, i) => t - (timeouts[i] ?? 0));
    for (let i = 1; i < gaps.length; i++) expect((gaps[i] ?? 0) / (gaps[i - 1] ?? 1)).toBeCloseTo(2, 1);
    expect(lab.sa.tcpExt.TCPSpuriousRtxHostQueues).toBe(5);
    expect(res.client?.tcpInfo().totalRetrans).toBe(0);
    expect(res.received).toBeLessThan(2_000_000);
    end.dev.netifWakeSubqueue(0, lab.a.cpus[0]);
    lab.sim.run({ until: lab.sim.now + 30e9 });
    expect(res.received).toBe(2_000_000);
    expect(sameBytes(res.data, pattern(0, 2_000_000))).toBe(true);
  });

  it('gives up after tcp_retries2 worth of backoff with ETIMEDOUT when the peer vanishes', () => {
    let dead = false;
    const lab = makeLab({ stack: { sysctl: { tcpRetries2: 3 } }, veth: { rateBps: 1e9, latencyNs: 50_000, loss: () => dead } });
    const res = startBulk(lab, { bytes: 50_000_000 });
    lab.sim.run({ until: 0.05e9 });
    dead = true;
    lab.sim.run({ until: 60e9 });
    expect(res.error).toBe('writer: ETIMEDOUT');
    expect(res.client?.state).toBe('CLOSED');
    expect(lab.sa.tcpExt.TCPTimeouts).toBeGreaterThanOrEqual(3);
  });

  it('grows cwnd in slow start while cwnd-limited and not when window-limited', () => {
    const free = makeLab({ veth: { rateBps: 1e9, latencyNs: 500_000, mtu: 1500 } });
    const r1 = startBulk(free, { bytes: 5_000_000 });
    free.sim.run({ until: 20e9 });
    // Slow start took it past twice the path's BDP (1 Gb/s × 1 ms RTT ≈ 86 segments).
    const bdp = Math.ceil(((1e9 / 8) * 1e-3) / 1448);
    expect(r1.client?.cwnd).toBeGreaterThan(2 * bdp);
    const small = makeLab({ veth: { rateBps: 1e9, latencyNs: 500_000, mtu: 1500 } });
    const r2 = startBulk(small, { bytes: 5_000_000, window: 16_384 });
    small.sim.run({ until: 60e9 });
    expect(r2.received).toBe(5_000_000);
    const flight = Math.ceil((r2.client?.tcpInfo().sndWnd ?? 0) / 1448);
    expect(r2.client?.cwnd).toBeLessThanOrEqual(2 * flight + 2);
  });
});

describe('TcpSocket ACK policy', () => {
  it('counts the pure ACKs of a steady transfer on the header-prediction fast path (TCPHPAcks), the others in TCPPureAcks', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 50_000, mtu: 1500 } });
    const res = startBulk(lab, { bytes: 5_000_000, window: 212_992 });
    lab.sim.run({ until: 10e9 });
    expect(res.received).toBe(5_000_000);
    const ext = lab.sa.tcpExt;
    const pureAcks = (res.client?.tcpInfo().segsIn ?? 0) - 1;
    // Every ACK the writer took but the SYN-ACK is a pure ACK, counted once, on one path or the other.
    expect(ext.TCPHPAcks + ext.TCPPureAcks).toBe(pureAcks);
    // Once the receiver's window stops growing, the window field repeats and the fast path takes them.
    expect(ext.TCPHPAcks).toBeGreaterThan(0.5 * pureAcks);
    expect(ext.TCPPureAcks).toBeGreaterThan(0);
  });

  it('ACKs every second full-sized segment once the receive window stops growing', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 50_000, mtu: 1500 } });
    const res = startBulk(lab, { bytes: 5_000_000, window: 212_992 });
    lab.sim.run({ until: 0.015e9 });
    const acks0 = res.server?.tcpInfo().segsOut ?? 0;
    const segs0 = res.client?.tcpInfo().dataSegsOut ?? 0;
    lab.sim.run({ until: 10e9 });
    const si = res.server?.tcpInfo();
    const ci = res.client?.tcpInfo();
    expect(res.received).toBe(5_000_000);
    expect(segs0).toBeGreaterThan(500);
    const ratio = ((si?.segsOut ?? 0) - acks0) / ((ci?.dataSegsOut ?? 0) - segs0);
    expect(ratio).toBeGreaterThan(0.45);
    expect(ratio).toBeLessThan(0.6);
  });

  it('probes a zero window while the reader stalls and resumes when it reads', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 20_000, mtu: 1500 } });
    const { client, server } = connectPair(lab);
    lab.sim.run({ until: 0.05e9 });
    const s = server() as TcpSocket;
    const bytes = 3_000_000;
    let sent = 0;
    lab.a.createUserTask('w', (ctx, task) => {
      if (sent >= bytes) return 'exit';
      const r = client.send(ctx, Math.min(65536, bytes - sent));
      if (!r.ok) {
        client.waitWritable(task);
        return 'sleep';
      }
      sent += r.bytes;
      return 'run';
    });
    let got = 0;
    let started = false;
    lab.b.createUserTask('r', (ctx, task): TaskStep => {
      if (!started) {
        started = true;
        return 3e9;
      }
      const r = s.recv(ctx, 65536);
      if (!r.ok) {
        s.waitReadable(task);
        return 'sleep';
      }
      got += r.bytes;
      return got >= bytes ? 'exit' : 'run';
    });
    lab.sim.run({ until: 20e9 });
    expect(got).toBe(bytes);
    expect(lab.sb.tcpExt.TCPToZeroWindowAdv).toBeGreaterThan(0);
    expect(lab.sa.tcpExt.TCPWinProbe).toBeGreaterThan(0);
  });
});

describe('TcpSocket fidelity modes and determinism', () => {
  const scenario = (functional: boolean, seed: number): string => {
    const d = dropDataSegments(new Set([30, 31, 90]));
    const lab = makeLab({ seed, noise: true, veth: { rateBps: 2e9, latencyNs: 30_000, mtu: 9000, loss: d.fn } });
    const res = startBulk(lab, { bytes: 3_000_000, functional, writeSize: 100_000 });
    lab.sim.run({ until: 30e9 });
    return JSON.stringify({
      done: res.doneAt,
      now: lab.sim.now,
      events: lab.sim.eventsRun,
      ci: res.client?.tcpInfo(),
      si: res.server?.tcpInfo(),
      ua: lab.a.usage(),
      ub: lab.b.usage(),
      ext: [lab.sa.tcpExt, lab.sb.tcpExt],
    });
  };

  it('gives the same timeline in functional and timing mode', () => {
    expect(scenario(true, 7)).toBe(scenario(false, 7));
  });

  it('is deterministic for a seed and varies across seeds', () => {
    expect(scenario(false, 11)).toBe(scenario(false, 11));
    expect(scenario(false, 11)).not.toBe(scenario(false, 12));
  });
});

describe('TcpSocket reuse', () => {
  it('connects again after a refused attempt', () => {
    const lab = makeLab();
    const sock = lab.sa.tcpSocket();
    const results: string[] = [];
    let phase = 0;
    lab.a.createUserTask('c', (ctx, task) => {
      const r = sock.connect(ctx, { addr: '10.0.0.2', port: 5201 });
      if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
        sock.waitWritable(task);
        return 'sleep';
      }
      results.push(r.ok ? 'ok' : r.errno);
      if (phase++ === 0) {
        const l = lab.sb.tcpSocket();
        l.bind(5201);
        l.listen();
        return 'run';
      }
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(results).toEqual(['ECONNREFUSED', 'ok']);
    expect(sock.state).toBe('ESTABLISHED');
    expect(lab.sa.tcpPorts.size).toBe(1);
  });
});

describe('TcpSocket with the device down', () => {
  it('times out with ETIMEDOUT when every retransmission fails locally', () => {
    const lab = makeLab({ stack: { sysctl: { tcpRetries2: 3 } }, veth: { rateBps: 1e9 } });
    const res = startBulk(lab, { bytes: 50_000_000 });
    lab.sim.run({ until: 0.02e9 });
    lab.veth.a.dev.close();
    lab.sim.run({ until: 60e9 });
    expect(res.error).toBe('writer: ETIMEDOUT');
    expect(lab.sa.snmp.Ip.OutNoRoutes).toBeGreaterThan(0);
  });
});
