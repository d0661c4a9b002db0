import { describe, expect, it } from 'vitest';
import type { TcpSocket } from '../../src/index.js';
import { acceptOne, makeLab, pattern, sameBytes, script, startBulk, stepWatch, type Lab } from '../helpers.js';

/** A device MTU below what any segment TCP may send needs: MSS ≥ tcp_min_snd_mss (48) − 12 of timestamps, so a data segment is ≥ 88 bytes. */
const SMALL_MTU = 80;

/**
 * Run `lab` until the client socket, once established, is CLOSED again: when each IP output
 * refused a DF packet on `lab.a`, and the client's RTO (µs) once established.
 */
function runRecordingFragFails(lab: Lab, client: () => TcpSocket | null, untilNs: number): { fails: number[]; closedAt: number; rtoUs: number } {
  const fails: number[] = [];
  let seen = lab.sa.snmp.Ip.FragFails;
  let closedAt = -1;
  let rtoUs = 0;
  stepWatch(
    lab.sim,
    () => {
      for (; seen < lab.sa.snmp.Ip.FragFails; seen++) fails.push(lab.sim.now);
      const c = client();
      if (rtoUs === 0 && c?.state === 'ESTABLISHED') rtoUs = c.tcpInfo().rto;
      if (rtoUs > 0 && c?.state === 'CLOSED') closedAt = lab.sim.now;
      return closedAt >= 0 || lab.sim.now > untilNs;
    },
    50_000_000,
  );
  return { fails, closedAt, rtoUs };
}

/** The probe timer's intervals (jiffies) after `probes` probes: tcp_probe0_base · 2^backoff, capped at TCP_RTO_MAX. */
function probeIntervals(baseJiffies: number, hz: number, probes: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= probes; k++) out.push(Math.min(baseJiffies * 2 ** k, 120 * hz));
  return out;
}

describe('TCP on a device MTU below the smallest segment', () => {
  it('locks the route MTU after the local FRAG_NEEDED and carries the stream in IP fragments (IP_PMTUDISC_WANT)', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 50_000, mtu: SMALL_MTU } });
    const bytes = 4000;
    const res = startBulk(lab, { bytes, functional: true });
    lab.sim.run({ until: 5e9 });
    const info = res.client?.tcpInfo();
    expect(res.error).toBeNull();
    expect(res.received).toBe(bytes);
    expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
    expect(res.doneAt).toBeGreaterThan(0);
    expect(info?.sndMss).toBe(36);
    const ip = lab.sa.snmp.Ip;
    expect(ip.FragFails).toBe(1);
    expect(lab.sa.snmp.Icmp).toMatchObject({ OutMsgs: 1, OutDestUnreachs: 1, InMsgs: 1, InDestUnreachs: 1, OutEchos: 0 });
    // Every full segment (36 + 32 + 20 bytes) goes in two fragments; the 4-byte tail fits.
    expect(info?.dataSegsOut).toBe(112);
    expect(ip.FragOKs).toBe(111);
    expect(ip.FragCreates).toBe(222);
    expect(lab.sb.snmp.Ip.ReasmOKs).toBe(111);
    expect(lab.sa.snmp.Tcp.RetransSegs).toBe(0);
    expect(lab.sa.tcpExt.TCPAbortOnTimeout).toBe(0);
  });

  it('with IP_PMTUDISC_DO probes with exponential backoff and aborts with ETIMEDOUT after tcp_retries2 probes', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 50_000, mtu: SMALL_MTU } });
    const { server } = acceptOne(lab, 5201);
    const client = lab.sa.tcpSocket();
    client.setMtuDiscover('do');
    let errno: string | null = null;
    let errAt = -1;
    script(lab.a, 'app', [
      (ctx, task) => {
        const r = client.connect(ctx, { addr: '10.0.0.2', port: 5201 });
        if (r.ok) return 'next';
        client.waitWritable(task);
        return 'sleep';
      },
      (ctx) => {
        expect(client.send(ctx, 4000)).toEqual({ ok: true, bytes: 4000 });
        return 'next';
      },
      (ctx, task) => {
        const r = client.recv(ctx, 1000);
        if (!r.ok && r.errno === 'EAGAIN') {
          client.waitReadable(task);
          return 'sleep';
        }
        errno = r.ok ? 'ok' : r.errno;
        errAt = ctx.time;
        return 'exit';
      },
    ]);
    const { fails, closedAt, rtoUs } = runRecordingFragFails(lab, () => client, 3000e9);
    const hz = lab.a.profile.kernel.hz.value;
    const tick = lab.a.tickNs;
    const base = Math.max(Math.round((rtoUs * hz) / 1e6), Math.round(hz / 5));
    // Failures in the write path come within a jiffy; then one per probe.
    const first = fails[0] ?? -1;
    const probes = fails.filter((t) => t - first > tick);
    expect(probes).toHaveLength(15);
    const firstProbe = probes[0] ?? -1;
    expect(firstProbe - first).toBeGreaterThan((base - 1) * tick);
    expect(firstProbe - first).toBeLessThanOrEqual(base * tick);
    const gaps = [...probes.slice(1), closedAt].map((t, i) => (t - (probes[i] ?? 0)) / tick);
    expect(gaps).toEqual(probeIntervals(base, hz, 15));
    lab.sim.run({ until: closedAt + 1e9 });
    expect(errno).toBe('ETIMEDOUT');
    expect(errAt).toBeGreaterThanOrEqual(closedAt);
    expect(errAt - closedAt).toBeLessThan(1e6);
    expect(client.state).toBe('CLOSED');
    expect(server()?.state).toBe('ESTABLISHED');
    expect(lab.sa.snmp.Icmp.OutMsgs).toBe(lab.sa.snmp.Ip.FragFails);
    expect(lab.sa.tcpExt.TCPAbortOnTimeout).toBe(1);
    expect(lab.sa.tcpExt.TCPTimeouts).toBe(0);
    expect(lab.sa.tcpExt.TCPWinProbe).toBe(0);
    expect(lab.sa.snmp.Tcp.RetransSegs).toBe(0);
    expect(lab.sa.snmp.Tcp.EstabResets).toBe(1);
    // The peer saw the handshake (SYN, ACK) and nothing after it: tcp_write_err sends no RST.
    expect(lab.sb.snmp.Tcp.InSegs).toBe(2);
  });

  it('aborts an orphan after tcp_orphan_retries (8) probes', () => {
    const lab = makeLab({ veth: { rateBps: 1e9, latencyNs: 50_000, mtu: SMALL_MTU } });
    const res = startBulk(lab, {
      bytes: 4000,
      setup: (s) => {
        s.setMtuDiscover('do');
      },
    });
    const { fails, closedAt, rtoUs } = runRecordingFragFails(lab, () => res.client, 3000e9);
    const hz = lab.a.profile.kernel.hz.value;
    const base = Math.max(Math.round((rtoUs * hz) / 1e6), Math.round(hz / 5));
    const first = fails[0] ?? -1;
    const probes = fails.filter((t) => t - first > lab.a.tickNs);
    expect(fails).toHaveLength(10);
    expect(probes).toHaveLength(8);
    const gaps = [...probes.slice(1), closedAt].map((t, i) => (t - (probes[i] ?? 0)) / lab.a.tickNs);
    expect(gaps).toEqual(probeIntervals(base, hz, 8));
    expect(res.received).toBe(0);
    expect(lab.sa.tcpExt.TCPAbortOnTimeout).toBe(1);
  });

  it('follows an MTU that shrinks under a running connection (65510 → 1500) without a local DF failure', () => {
    const lab = makeLab({ veth: { rateBps: 4e9, latencyNs: 20_000, mtu: 65510 } });
    const bytes = 8_000_000;
    const res = startBulk(lab, { bytes, functional: true });
    lab.sim.run({ until: 0.005e9 });
    const before = res.client?.mss ?? 0;
    const sentBefore = res.client?.tcpInfo().dataSegsOut ?? 0;
    lab.veth.a.dev.setMtu(1500);
    lab.veth.b.dev.setMtu(1500);
    lab.sim.run({ until: 30e9 });
    expect(before).toBe(65458);
    expect(sentBefore).toBeGreaterThan(0);
    expect(res.received).toBe(bytes);
    expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
    expect(res.client?.mss).toBe(1448);
    expect(lab.sa.snmp.Ip.FragFails).toBe(0);
    expect(lab.sa.snmp.Icmp.OutMsgs).toBe(0);
    expect(lab.sa.tcpExt.TCPAbortOnTimeout).toBe(0);
  });
});
