import { describe, expect, it } from 'vitest';
import { type NetError, Reno, TCP_AVAILABLE_CONGESTION_CONTROL, tcpCongestionOps, type CongestionSock } from '../../src/index.js';
import { dropDataSegments, makeLab, startBulk } from '../helpers.js';

function sock(cwnd: number, ssthresh: number): CongestionSock {
  return { cwnd, ssthresh, cwndCnt: 0, cwndClamp: 0xffffffff, hz: 250, jiffies: 0, usecsToJiffies: (us) => Math.ceil((us * 250) / 1e6), isCwndLimited: () => true };
}

describe('congestion control (tcp_cong.c)', () => {
  it('Reno: slow start up to ssthresh, then one segment per window of ACKs; half the window (at least 2) on loss', () => {
    const r = new Reno();
    const s = sock(10, 16);
    r.congAvoid(s, 10);
    // 6 of the 10 acknowledged segments fill slow start to ssthresh; the other 4 count toward the next segment.
    expect({ cwnd: s.cwnd, cnt: s.cwndCnt }).toEqual({ cwnd: 16, cnt: 4 });
    r.congAvoid(s, 12);
    expect({ cwnd: s.cwnd, cnt: s.cwndCnt }).toEqual({ cwnd: 17, cnt: 0 });
    expect(r.ssthresh(sock(17, 0))).toBe(8);
    expect(r.ssthresh(sock(3, 0))).toBe(2);
    // Not cwnd-limited: no growth (tcp_is_cwnd_limited).
    const idle = { ...sock(10, 16), isCwndLimited: () => false };
    r.congAvoid(idle, 10);
    expect(idle.cwnd).toBe(10);
  });

  it('has reno and cubic (tcp_available_congestion_control), a fresh instance each time, and nothing else', () => {
    expect(TCP_AVAILABLE_CONGESTION_CONTROL).toBe('reno cubic');
    expect(tcpCongestionOps('reno')?.name).toBe('reno');
    expect(tcpCongestionOps('cubic')?.name).toBe('cubic');
    expect(tcpCongestionOps('cubic')).not.toBe(tcpCongestionOps('cubic'));
    expect(tcpCongestionOps('bbr')).toBeNull();
  });

  it('a socket takes tcp_congestion_control at creation, TCP_CONGESTION changes it (ENOENT for one the host lacks), and an accepted child runs the one its listener chose with TCP_CONGESTION (else the default of its time)', () => {
    const lab = makeLab();
    expect(lab.sa.tcpSocket().congestion).toBe('cubic');
    expect(lab.sa.getSysctl('net.ipv4.tcp_available_congestion_control')).toBe('reno cubic');
    expect(() => lab.sa.setSysctl('net.ipv4.tcp_available_congestion_control', 'reno')).toThrow(expect.objectContaining({ code: 'EACCES' }) as NetError);
    expect(() => lab.sa.setSysctl('net.ipv4.tcp_congestion_control', 'bbr')).toThrow(expect.objectContaining({ code: 'ENOENT' }) as NetError);
    expect(lab.sa.getSysctl('net.ipv4.tcp_congestion_control')).toBe('cubic');
    lab.sa.setSysctl('net.ipv4.tcp_congestion_control', 'reno');
    const s = lab.sa.tcpSocket();
    expect(s.congestion).toBe('reno');
    expect(s.setCongestion('bbr')).toEqual({ ok: false, errno: 'ENOENT' });
    expect(s.setCongestion('cubic')).toEqual({ ok: true });
    expect(s.congestion).toBe('cubic');

    // A listener set to reno hands reno to the connections it accepts (the stack's default is cubic).
    const lab2 = makeLab();
    const l = lab2.sb.tcpSocket();
    expect(l.setCongestion('reno')).toEqual({ ok: true });
    expect(l.bind(5201).ok && l.listen(8).ok).toBe(true);
    const c = lab2.sa.tcpSocket();
    let child: string | null = null;
    lab2.a.createUserTask('connect', (ctx) => {
      c.connect(ctx, { addr: '10.0.0.2', port: 5201 });
      return 'exit';
    });
    lab2.b.createUserTask('accept', (_ctx, task) => {
      const a = l.accept();
      if (!a.ok) {
        l.waitReadable(task);
        return 'sleep';
      }
      child = a.sock.congestion;
      return 'exit';
    });
    lab2.sim.run({ until: 1e9 });
    expect({ child, client: c.congestion }).toEqual({ child: 'reno', client: 'cubic' });
    // A listener that never chose: its children take the default of the moment they are made.
    const l2 = lab2.sb.tcpSocket();
    expect(l2.bind(5202).ok && l2.listen(8).ok).toBe(true);
    lab2.sb.setSysctl('net.ipv4.tcp_congestion_control', 'reno');
    lab2.a.createUserTask('connect2', (ctx) => {
      lab2.sa.tcpSocket().connect(ctx, { addr: '10.0.0.2', port: 5202 });
      return 'exit';
    });
    lab2.sim.run({ until: 2e9 });
    const a2 = l2.accept();
    expect({ listener: l2.congestion, child: a2.ok ? a2.sock.congestion : null }).toEqual({ listener: 'cubic', child: 'reno' });
  });

  it('on a loss Reno halves the window where CUBIC keeps 0.7 of it (the ssthresh each leaves after fast recovery)', () => {
    const afterLoss = (ca: string): { cwnd: number; ssthresh: number } => {
      const lab = makeLab({ stack: { sysctl: { tcpCongestionControl: ca } }, veth: { rateBps: 1e9, latencyNs: 100_000, mtu: 1500, loss: dropDataSegments(new Set([400])).fn } });
      const r = startBulk(lab, { bytes: 40_000_000 });
      let at: { cwnd: number; ssthresh: number } | null = null;
      for (let t = 1; t <= 400 && at === null; t++) {
        lab.sim.run({ until: t * 5e6 });
        const c = r.client;
        if (c !== null && c.ssthresh < 0x7fffffff) at = { cwnd: c.cwnd, ssthresh: c.ssthresh };
      }
      return at ?? { cwnd: 0, ssthresh: 0 };
    };
    const reno = afterLoss('reno');
    const cubic = afterLoss('cubic');
    expect(reno.ssthresh).toBeGreaterThan(0);
    expect(cubic.ssthresh).toBeGreaterThan(reno.ssthresh);
    // Both reduce from the same flight at the same loss: the ratio of the two is 0.5 / 0.7.
    expect(reno.ssthresh / cubic.ssthresh).toBeCloseTo(0.5 / 0.7, 1);
  });
});
