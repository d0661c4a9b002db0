/**
 * What inet_diag reports of a TCP socket (TcpSocket.diag): the mini socket Linux has in
 * SYN_RECV and TIME_WAIT (and for an orphan's FIN_WAIT2 timeout), the timer of each state as
 * inet_sk_diag_fill, inet_req_diag_fill and inet_twsk_diag_fill report it, and tcpi_options.
 */
import type { TaskStep } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { TCP_FLAG, TCPI_OPT, type TcpSocket } from '../../src/index.js';
import { acceptOne, connectOnce, makeLab, type Lab } from '../helpers.js';

/** A user task on lab.a writing `size` bytes at a time on `c` as long as it can. */
function writeOn(lab: Lab, c: TcpSocket, size: number): void {
  lab.a.createUserTask('w', (ctx, task): TaskStep => {
    const r = c.send(ctx, size);
    if (!r.ok) {
      c.waitWritable(task);
      return 'sleep';
    }
    return 'run';
  });
}

/** Milliseconds from lab.a's jiffies now to jiffy `j` at HZ 250. */
const msTo = (lab: Lab, j: number): number => Math.max(0, j - lab.a.jiffies) * 4;

describe('TcpSocket.diag: full sockets', () => {
  it('SYN_SENT: the retransmission timer (1) with icsk_retransmits, its expiry in jiffies as milliseconds', () => {
    const lab = makeLab({ arp: 'dynamic' });
    lab.sim.run({ until: 1_234_567 });
    const j0 = lab.a.jiffies;
    // Nobody has 10.0.0.3: the SYN and its retransmissions go unanswered.
    const c = connectOnce(lab, '10.0.0.3', 5201);
    lab.sim.run({ until: lab.sim.now + 300e6 });
    expect(c.state).toBe('SYN_SENT');
    // TCP_TIMEOUT_INIT: 1 s, 250 jiffies, from the jiffy of the connect.
    expect(c.diag()).toEqual({ kind: 'full', timer: 1, expires: msTo(lab, j0 + 250), retrans: 0 });
    // 100 ms later, exactly 25 jiffies later.
    const e = c.diag().expires;
    lab.sim.run({ until: lab.sim.now + 100e6 });
    expect(c.diag().expires).toBe(e - 100);
    // After the first retransmission (at 1 s), twice the RTO, one retransmission.
    lab.sim.run({ until: lab.sim.now + 700e6 });
    const d = c.diag();
    expect(d.retrans).toBe(1);
    expect(d.expires).toBeGreaterThan(1_600);
    expect(d.expires).toBeLessThanOrEqual(2_000);
    expect(d.expires % 4).toBe(0);
  });

  it('ESTABLISHED: the RTO while data is in flight, none once all is acknowledged', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 20_000, mtu: 1500 } });
    const { server } = acceptOne(lab, 5201);
    const c = connectOnce(lab, '10.0.0.2', 5201);
    lab.sim.run({ until: 0.05e9 });
    expect(c.state).toBe('ESTABLISHED');
    expect(c.diag()).toEqual({ kind: 'full', timer: 0, expires: 0, retrans: 0 });
    let sent = 0;
    lab.a.createUserTask('w', (ctx, task): TaskStep => {
      if (sent >= 2_000_000) return 'exit';
      const r = c.send(ctx, 65536);
      if (!r.ok) {
        c.waitWritable(task);
        return 'sleep';
      }
      sent += r.bytes;
      return 'run';
    });
    lab.b.createUserTask('r', (ctx, task): TaskStep => {
      const s = server();
      if (s === null) return 1e6;
      const r = s.recv(ctx, 65536);
      if (!r.ok) {
        s.waitReadable(task);
        return 'sleep';
      }
      return 'run';
    });
    lab.sim.run({ until: lab.sim.now + 5e6 });
    const d = c.diag();
    expect(d.timer).toBe(1);
    expect(d.retrans).toBe(0);
    expect(d.expires).toBeGreaterThan(0);
    expect(d.expires).toBeLessThanOrEqual(c.tcpInfo().rto / 1000);
    lab.sim.run({ until: lab.sim.now + 2e9 });
    expect(c.diag()).toEqual({ kind: 'full', timer: 0, expires: 0, retrans: 0 });
  });

  it('a zero window: the probe timer (4) with icsk_probes_out', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 20_000, mtu: 1500 } });
    acceptOne(lab, 5201);
    const c = connectOnce(lab, '10.0.0.2', 5201);
    lab.sim.run({ until: 0.05e9 });
    // The reader never reads: the window closes with everything sent acknowledged.
    writeOn(lab, c, 65536);
    lab.sim.run({ until: lab.sim.now + 1.5e9 });
    const d = c.diag();
    expect(c.tcpInfo().sndWnd).toBe(0);
    expect(d.timer).toBe(4);
    expect(d.retrans).toBeGreaterThan(0);
    expect(lab.sa.tcpExt.TCPWinProbe).toBeGreaterThanOrEqual(d.retrans);
    expect(d.expires).toBeGreaterThan(0);
  });
});

describe('TcpSocket.diag: the mini sockets', () => {
  it('SYN_RECV is a request sock: timer 1 with num_retrans, the SYN-ACK timeout from the SYN', () => {
    // Every SYN-ACK is lost: the request stays and its SYN-ACK is resent.
    const lab = makeLab({ veth: { loss: (skb) => skb.l4.kind === 'tcp' && (skb.l4.flags & (TCP_FLAG.SYN | TCP_FLAG.ACK)) === (TCP_FLAG.SYN | TCP_FLAG.ACK) } });
    const { listener } = acceptOne(lab, 5201);
    connectOnce(lab, '10.0.0.2', 5201);
    lab.sim.run({ until: 0.3e9 });
    const req = [...lab.sb.socketTables().tcpConns.values()].find((s) => s.state === 'SYN_RECV');
    expect(req).toBeDefined();
    const d = (req as TcpSocket).diag();
    expect(d.kind).toBe('request');
    expect(d.timer).toBe(1);
    expect(d.retrans).toBe(0);
    expect(d.expires).toBeGreaterThan(600);
    expect(d.expires).toBeLessThanOrEqual(1_000);
    lab.sim.run({ until: 1.5e9 });
    expect((req as TcpSocket).diag().retrans).toBe(1);
    expect(listener.diag()).toEqual({ kind: 'full', timer: 0, expires: 0, retrans: 0 });
  });

  it('TIME_WAIT and an orphan\'s FIN_WAIT2 timeout are timewait socks (timer 3); a FIN_WAIT2 still open is a full socket without a timer', () => {
    const lab = makeLab();
    const { server } = acceptOne(lab, 5201);
    const c = connectOnce(lab, '10.0.0.2', 5201);
    lab.sim.run({ until: 0.05e9 });
    const s = server() as TcpSocket;
    // shutdown(SHUT_WR): FIN_WAIT2 once the FIN is acknowledged, the socket still open.
    lab.a.createUserTask('shut', (ctx) => {
      c.shutdown(ctx, 'wr');
      return 'exit';
    });
    lab.sim.run({ until: lab.sim.now + 0.05e9 });
    expect(c.state).toBe('FIN_WAIT2');
    expect(c.diag()).toEqual({ kind: 'full', timer: 0, expires: 0, retrans: 0 });
    // close(): an orphan in FIN_WAIT2, which Linux hands to a timewait sock (tw_substate FIN_WAIT2).
    lab.a.createUserTask('close', (ctx) => {
      c.close(ctx);
      return 'exit';
    });
    lab.sim.run({ until: lab.sim.now + 0.1e9 });
    expect(c.state).toBe('FIN_WAIT2');
    const fw2 = c.diag();
    expect(fw2.kind).toBe('timewait');
    expect(fw2.timer).toBe(3);
    expect(fw2.retrans).toBe(0);
    expect(fw2.expires).toBeGreaterThan(800);
    expect(fw2.expires).toBeLessThanOrEqual(1_000);
    // The peer closes too: its FIN puts the orphan in TIME_WAIT for (the model's) 1 s.
    lab.b.createUserTask('close', (ctx) => {
      s.close(ctx);
      return 'exit';
    });
    lab.sim.run({ until: lab.sim.now + 0.1e9 });
    expect(c.state).toBe('TIME_WAIT');
    const tw = c.diag();
    expect(tw).toEqual({ kind: 'timewait', timer: 3, expires: tw.expires, retrans: 0 });
    expect(tw.expires).toBeGreaterThan(850);
    expect(tw.expires).toBeLessThanOrEqual(1_000);
    lab.sim.run({ until: lab.sim.now + 1e9 });
    expect(c.state).toBe('CLOSED');
  });
});

describe('TcpSocket.tcpInfo: tcpi_options', () => {
  it('reports timestamps and window scaling once negotiated, ECN and ECN_SEEN when ECN is on, never SACK or SYN_DATA', () => {
    const lab = makeLab({ stack: { sysctl: { tcpEcn: 1 } } });
    const { server } = acceptOne(lab, 5201);
    const c = connectOnce(lab, '10.0.0.2', 5201);
    lab.sim.run({ until: 0.05e9 });
    const both = TCPI_OPT.TIMESTAMPS | TCPI_OPT.WSCALE | TCPI_OPT.ECN;
    expect(c.tcpInfo().options).toBe(both);
    const s = server() as TcpSocket;
    expect(s.tcpInfo().options).toBe(both);
    // An ECT(0) data segment marks the receiver's TCP_ECN_SEEN.
    lab.a.createUserTask('w', (ctx) => {
      c.send(ctx, 1000);
      return 'exit';
    });
    lab.sim.run({ until: lab.sim.now + 0.05e9 });
    expect(s.tcpInfo().options).toBe(both | TCPI_OPT.ECN_SEEN);
    expect(c.tcpInfo().options).toBe(both);
  });

  it('has no ECN bit when tcp_ecn keeps it off, nor timestamps when tcp_timestamps is 0', () => {
    const lab = makeLab({ stack: { sysctl: { tcpTimestamps: false } } });
    acceptOne(lab, 5201);
    const c = connectOnce(lab, '10.0.0.2', 5201);
    lab.sim.run({ until: 0.05e9 });
    expect(c.tcpInfo().options).toBe(TCPI_OPT.WSCALE);
  });
});
