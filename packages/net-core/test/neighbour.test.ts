import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARP_PARMS, ARP_PLEN, arpSkb, devQueueXmit, ETH_HLEN, ETH_P_ARP, formatIpv4, formatMac, parseIpv4, skbFromFrame, skbToFrame, type Skb } from '../src/index.js';
import { makeLab, startBulk, type Lab } from './helpers.js';

const MS = 1e6;
const S = 1e9;

/** What a ping socket of `lab.a` saw: replies and errors by sequence, with their virtual times (ns). */
interface PingLog {
  readonly replies: { seq: number; at: number }[];
  readonly errors: { seq: number; from: string; errno: string; at: number }[];
}

/** Send echo requests from `lab.a` to `addr`, one per `intervalNs`, `count` of them, and collect what comes back. */
function pinger(lab: Lab, addr: string, count: number, intervalNs: number): PingLog {
  const p = lab.sa.pingSocket();
  const log: PingLog = { replies: [], errors: [] };
  let sent = 0;
  let next = 0;
  lab.a.createUserTask('ping', (ctx, task) => {
    for (let r = p.recv(ctx); r.ok; r = p.recv(ctx)) log.replies.push({ seq: r.seq, at: ctx.time });
    for (let e = p.recvError(); e.ok; e = p.recvError()) log.errors.push({ seq: e.seq, from: e.from, errno: e.errno, at: ctx.time });
    if (sent < count && ctx.time >= next) {
      p.sendEcho(ctx, { addr, seq: ++sent, data: 56 });
      next = ctx.time + intervalNs;
    }
    if (sent >= count && log.replies.length + log.errors.length >= count) return 'exit';
    if (sent < count) return Math.max(1, next - ctx.time);
    p.waitReadable(task);
    return 'sleep';
  });
  return log;
}

/** ARP packets each end puts on the wire, with their send times (ns). */
function arpTrace(lab: Lab): { from: 'a' | 'b'; op: number; unicast: boolean; at: number }[] {
  const out: { from: 'a' | 'b'; op: number; unicast: boolean; at: number }[] = [];
  const hook = (end: 'a' | 'b') => (skb: Skb) => {
    if (skb.l4.kind === 'arp') out.push({ from: end, op: skb.l4.op, unicast: (skb.ethDst?.[0] ?? 0xff) !== 0xff, at: lab.sim.now });
    return false;
  };
  lab.veth.a.loss = hook('a');
  lab.veth.b.loss = hook('b');
  return out;
}

describe('ARP frames (net/ipv4/arp.c arp_create / arp_rcv)', () => {
  it('lays out a 42-byte Ethernet/IPv4 request and parses it back', () => {
    const sha = new Uint8Array([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
    const skb = arpSkb({ op: 1, sha, spa: parseIpv4('10.0.0.2'), tha: new Uint8Array(6), tpa: parseIpv4('10.0.0.1') }, ETH_HLEN);
    skb.ethSrc = sha;
    skb.ethDst = new Uint8Array(6).fill(0xff);
    expect(skb.len).toBe(ETH_HLEN + ARP_PLEN);
    expect(skb.protocol).toBe(ETH_P_ARP);
    const f = skbToFrame(skb);
    expect([...f]).toEqual([
      ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      ...sha,
      0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
      ...sha,
      10, 0, 0, 2,
      0, 0, 0, 0, 0, 0,
      10, 0, 0, 1,
    ]);
    const back = skbFromFrame(f);
    expect(back.ok).toBe(true);
    const s = back.ok ? back.skb : null;
    expect(s?.l4).toEqual({ kind: 'arp', op: 1, sha, spa: parseIpv4('10.0.0.2'), tha: new Uint8Array(6), tpa: parseIpv4('10.0.0.1') });
    expect(s?.macLen).toBe(ETH_HLEN);
  });

  it('rejects a malformed ARP packet (wrong hardware type, opcode, or short) as arp-header', () => {
    const skb = arpSkb({ op: 2, sha: new Uint8Array(6), spa: 1, tha: new Uint8Array(6), tpa: 2 }, ETH_HLEN);
    const good = skbToFrame(skb);
    const badHw = good.slice();
    badHw[15] = 6;
    const badOp = good.slice();
    badOp[21] = 9;
    expect(skbFromFrame(badHw)).toEqual({ ok: false, error: 'arp-header' });
    expect(skbFromFrame(badOp)).toEqual({ ok: false, error: 'arp-header' });
    expect(skbFromFrame(good.subarray(0, 40))).toEqual({ ok: false, error: 'arp-header' });
    expect(skbFromFrame(good, 60)).toEqual({ ok: false, error: 'length' });
  });
});

describe('neighbour resolution (net/core/neighbour.c)', () => {
  it('queues the first packet, broadcasts one request, sends the packet on the reply; the peer learns the sender', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const trace = arpTrace(lab);
    const log = pinger(lab, '10.0.0.2', 1, S);
    lab.sim.run({ until: 1 * S });
    expect(trace.map((t) => [t.from, t.op, t.unicast])).toEqual([
      ['a', 1, false],
      ['b', 2, true],
    ]);
    expect(log.replies.map((r) => r.seq)).toEqual([1]);
    expect(lab.sa.arp.entries()).toEqual([{ addr: '10.0.0.2', dev: 'veth0', lladdr: formatMac(lab.veth.b.dev.devAddr), hwaddr: formatMac(lab.veth.b.dev.devAddr), state: 'REACHABLE', probes: 4 }]);
    // The request made the peer's entry STALE; its echo reply through it moved it to DELAY.
    expect(lab.sb.arp.entries().map((e) => [e.addr, e.lladdr, e.state])).toEqual([['10.0.0.1', formatMac(lab.veth.a.dev.devAddr), 'DELAY']]);
    expect(lab.sa.arp.stats.allocs).toBe(1);
  });

  it('re-confirms an unconfirmed entry with unicast probes: DELAY for 5 s, then PROBE, then REACHABLE on the reply', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const trace = arpTrace(lab);
    pinger(lab, '10.0.0.2', 1, S);
    lab.sim.run({ until: 10 * S });
    // b's entry went DELAY when it answered the echo, and PROBE 5 s later: one unicast request, answered.
    const probes = trace.filter((t) => t.from === 'b' && t.op === 1);
    expect(probes).toHaveLength(1);
    expect(probes[0]?.unicast).toBe(true);
    expect((probes[0]?.at ?? 0) / S).toBeGreaterThan(ARP_PARMS.delayProbeTimeMs / 1000 - 0.01);
    expect((probes[0]?.at ?? 0) / S).toBeLessThan(ARP_PARMS.delayProbeTimeMs / 1000 + 0.05);
    expect(trace.filter((t) => t.from === 'a' && t.op === 2).map((t) => t.unicast)).toEqual([true]);
    expect(lab.sb.arp.entries().map((e) => e.state)).toEqual(['REACHABLE']);
  });

  it('lets an entry that nothing confirms go STALE after reachable_time, and DELAY when used again', () => {
    const lab = makeLab({ arp: 'dynamic' });
    pinger(lab, '10.0.0.2', 1, S);
    const t = lab.sa.arp.reachableTimeOf(lab.veth.a.dev);
    const jiffy = 1e9 / lab.a.profile.kernel.hz.value;
    expect(t * jiffy).toBeGreaterThanOrEqual((ARP_PARMS.baseReachableTimeMs / 2) * MS);
    expect(t * jiffy).toBeLessThan(((ARP_PARMS.baseReachableTimeMs * 3) / 2) * MS);
    lab.sim.run({ until: t * jiffy + 2 * S });
    expect(lab.sa.arp.entries().map((e) => e.state)).toEqual(['STALE']);
    const log = pinger(lab, '10.0.0.2', 1, S);
    lab.sim.run({ until: lab.sim.now + 1 * S });
    expect(log.replies).toHaveLength(1);
    expect(lab.sa.arp.entries().map((e) => e.state)).toEqual(['DELAY']);
  });

  it('fails after 3 broadcast probes 1 s apart and reports every queued packet to its sender as host unreachable', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const trace = arpTrace(lab);
    const drops: string[] = [];
    lab.sa.arp.addDropTap((skb, why) => drops.push(`${skb.l4.kind} ${why}`));
    const log = pinger(lab, '10.0.0.3', 5, S);
    lab.sim.run({ until: 10 * S });
    expect(drops).toEqual(Array<string>(5).fill('icmp NEIGH_FAILED'));
    const reqs = trace.filter((t) => t.from === 'a');
    expect(reqs.every((t) => t.op === 1 && !t.unicast)).toBe(true);
    // Two resolutions: seq 1-3 wait on the first (probes at 0, 1, 2 s, FAILED at 3 s), seq 4-5 on the second.
    expect(reqs.map((t) => Math.round(t.at / S))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(log.replies).toEqual([]);
    expect(log.errors.map((e) => [e.seq, e.from, e.errno, Math.round(e.at / S)])).toEqual([
      [1, '10.0.0.1', 'EHOSTUNREACH', 3],
      [2, '10.0.0.1', 'EHOSTUNREACH', 3],
      [3, '10.0.0.1', 'EHOSTUNREACH', 3],
      [4, '10.0.0.1', 'EHOSTUNREACH', 6],
      [5, '10.0.0.1', 'EHOSTUNREACH', 6],
    ]);
    expect(lab.sa.snmp.Icmp.OutDestUnreachs).toBe(5);
    expect(lab.sa.snmp.Icmp.InDestUnreachs).toBe(5);
    expect(lab.sa.arp.stats.resFailed).toBe(2);
    expect(lab.sa.arp.entries()).toEqual([{ addr: '10.0.0.3', dev: 'veth0', lladdr: null, hwaddr: '00:00:00:00:00:00', state: 'FAILED', probes: 6 }]);
  });

  it('fails a TCP connect with EHOSTUNREACH when the next hop does not resolve', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const s = lab.sa.tcpSocket();
    let result = '';
    let at = 0;
    lab.a.createUserTask('connect', (ctx, task) => {
      const r = s.connect(ctx, { addr: '10.0.0.3', port: 5201 });
      if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
        s.waitWritable(task);
        return 'sleep';
      }
      result = r.ok ? 'ok' : r.errno;
      at = ctx.time;
      return 'exit';
    });
    lab.sim.run({ until: 20 * S });
    expect(result).toBe('EHOSTUNREACH');
    expect(Math.round(at / S)).toBe(3);
    expect(lab.sa.snmp.Tcp.AttemptFails).toBe(1);
  });

  it("drops a request (SYN_RECV) whose SYN-ACK's next hop does not resolve, counted in ListenDrops, not AttemptFails (tcp_req_err)", () => {
    const lab = makeLab({ arp: 'dynamic', stack: { sysctl: { tcpSynRetries: 1 } }, veth: { loss: (skb) => skb.l4.kind === 'arp' && skb.l4.op === 2 && skb.l4.spa === parseIpv4('10.0.0.1') } });
    // The client knows the server without asking (an ARP request would teach the server its address).
    lab.sa.arp.replace(lab.veth.a.dev, parseIpv4('10.0.0.2'), { lladdr: lab.veth.b.dev.devAddr, state: 'PERMANENT' });
    const l = lab.sb.tcpSocket();
    expect(l.bind(5201).ok && l.listen(8).ok).toBe(true);
    const c = lab.sa.tcpSocket();
    lab.a.createUserTask('connect', (ctx) => {
      c.connect(ctx, { addr: '10.0.0.2', port: 5201 });
      return 'exit';
    });
    lab.sim.run({ until: 20 * S });
    expect({ drops: lab.sb.tcpExt.ListenDrops, fails: lab.sb.snmp.Tcp.AttemptFails, conns: lab.sb.tcpConns.size }).toEqual({ drops: 1, fails: 0, conns: 0 });
    // The client's own connect timed out: that one is an AttemptFails.
    expect(lab.sa.snmp.Tcp.AttemptFails).toBe(1);
  });

  it('an established sender whose ARP fails (carrier lost) takes one RTO backoff step back and retransmits at once (tcp_ld_RTO_revert, RFC 6069)', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const r = startBulk(lab, { bytes: 400_000_000 });
    lab.sim.run({ until: 300 * MS });
    lab.veth.a.dev.netifCarrierOff();
    const t0 = lab.sim.now;
    let unreachAt = -1;
    let backoffBefore = -1;
    const retransAt: number[] = [];
    let rtx = lab.sa.snmp.Tcp.RetransSegs;
    while (lab.sim.now < t0 + 4 * S) {
      const before = r.client?.tcpInfo().backoff ?? -1;
      lab.sim.run({ maxEvents: 1 });
      if (lab.sa.snmp.Tcp.RetransSegs !== rtx) {
        rtx = lab.sa.snmp.Tcp.RetransSegs;
        retransAt.push(lab.sim.now);
      }
      if (unreachAt < 0 && lab.sa.snmp.Icmp.OutDestUnreachs > 0) {
        unreachAt = lab.sim.now;
        backoffBefore = before;
      }
    }
    // The ARP entry made after the carrier loss fails 3 s later; its report reverts the backoff
    // and the head goes again in the same instant, whose RTO then backs off to where it was.
    expect(Math.round((unreachAt - t0) / S)).toBe(3);
    expect(retransAt.filter((t) => Math.abs(t - unreachAt) < MS)).toHaveLength(1);
    expect(r.client?.tcpInfo().backoff).toBe(backoffBefore);
    expect(lab.sa.arp.entries().map((e) => e.state)).toEqual(['INCOMPLETE']);
  });

  it('drops the oldest queued packet past unres_qlen_bytes and counts it in unresolved_discards', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const r = lab.sb.udpSocket();
    r.bind(5201);
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 5201 });
    s.setSndbuf(4 << 20);
    let full = 0;
    const untap = lab.sa.arp.addDropTap((_skb, why) => (full += why === 'NEIGH_QUEUEFULL' ? 1 : 0));
    lab.a.createUserTask('tx', (ctx) => {
      for (let i = 0; i < 200; i++) s.send(ctx, new Uint8Array(1400).fill(i));
      return 'exit';
    });
    const got: number[] = [];
    lab.b.createUserTask('rx', (ctx, task) => {
      for (let m = r.recv(ctx, 2000); m.ok; m = r.recv(ctx, 2000)) got.push(m.data?.[0] ?? -1);
      r.waitReadable(task);
      return 'sleep';
    });
    lab.sim.run({ until: 1 * S });
    const d = lab.sa.arp.stats.unresolvedDiscards;
    expect(d).toBeGreaterThan(0);
    expect(full).toBe(d);
    untap();
    // The newest survive, in order: delivered + discarded = sent.
    expect(got).toEqual(Array.from({ length: 200 - d }, (_, i) => i + d));
  });

  it('forgets dynamic entries on carrier loss but keeps permanent ones; a device going down forgets all', () => {
    const lab = makeLab({ arp: 'dynamic' });
    pinger(lab, '10.0.0.2', 1, S);
    lab.sim.run({ until: 1 * S });
    const dev = lab.veth.a.dev;
    lab.sa.arp.replace(dev, parseIpv4('10.0.0.9'), { lladdr: new Uint8Array([2, 0, 0, 0, 0, 9]), state: 'PERMANENT' });
    expect(lab.sa.arp.entries().map((e) => e.state)).toEqual(['REACHABLE', 'PERMANENT']);
    const dead: string[] = [];
    lab.sa.arp.addDropTap((skb, why) => dead.push(`${formatIpv4(skb.ip.dst)} ${why}`));
    pinger(lab, '10.0.0.5', 1, S);
    lab.sim.run({ until: lab.sim.now + 100 * MS });
    dev.netifCarrierOff();
    expect(dead).toEqual(['10.0.0.5 NEIGH_DEAD']);
    expect(lab.sa.arp.entries().map((e) => [e.addr, e.state])).toEqual([['10.0.0.9', 'PERMANENT']]);
    dev.close();
    expect(lab.sa.arp.entries()).toEqual([]);
    expect(() => lab.sa.arp.replace(dev, 1, { lladdr: new Uint8Array(6), state: 'FAILED' })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => lab.sa.arp.replace(dev, 1, { lladdr: new Uint8Array(5), state: 'STALE' })).toThrow(/allowed 6 bytes/);
  });
});

describe('ARP sysctls (net.ipv4.neigh.*, net.ipv4.conf.*.arp_evict_nocarrier)', () => {
  it('lists, reads and writes them in their /proc units; a new default reaches the devices that did not set their own; bad values change nothing', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const names = lab.sa.sysctlNames();
    expect(names).toContain('net.ipv4.neigh.veth0.retrans_time_ms');
    expect(names).toContain('net.ipv4.neigh.default.delay_first_probe_time');
    expect(names).toContain('net.ipv4.conf.all.arp_evict_nocarrier');
    expect(names).toEqual([...names].sort());
    expect(['retrans_time_ms', 'base_reachable_time_ms', 'delay_first_probe_time', 'locktime', 'ucast_solicit', 'mcast_solicit', 'unres_qlen_bytes'].map((n) => lab.sa.getSysctl(`net.ipv4.neigh.veth0.${n}`))).toEqual(['1000', '30000', '5', '100', '3', '3', '212992']);
    lab.sa.setSysctl('net.ipv4.neigh.veth0.retrans_time_ms', '200');
    lab.sa.setSysctl('net.ipv4.neigh.veth0.mcast_solicit', 5);
    lab.sa.setSysctl('net.ipv4.neigh.default.retrans_time_ms', 50);
    expect(lab.sa.arp.parmsOf(lab.veth.a.dev)).toMatchObject({ retransTimeMs: 200, mcastProbes: 5 });
    // A new default reaches the devices that did not set it themselves (neigh_copy_dflt_parms).
    expect(lab.sa.getSysctl('net.ipv4.neigh.lo.retrans_time_ms')).toBe('50');
    for (const [name, v] of [['net.ipv4.neigh.veth0.retrans_time_ms', '-1'], ['net.ipv4.neigh.veth0.locktime', 'x'], ['net.ipv4.neigh.veth9.retrans_time_ms', '1'], ['net.ipv4.neigh.veth0.gc_thresh1', '1'], ['net.ipv4.conf.veth0.arp_evict_nocarrier', '2']] as const) {
      expect(() => lab.sa.setSysctl(name, v)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
    expect(lab.sa.getSysctl('net.ipv4.neigh.veth0.retrans_time_ms')).toBe('200');
    expect(lab.sa.getSysctl('net.ipv4.conf.veth0.arp_evict_nocarrier')).toBe('1');
    // A shorter retrans_time with more broadcast probes: failure after 3 + 5 probes 200 ms apart.
    const trace = arpTrace(lab);
    const log = pinger(lab, '10.0.0.3', 1, S);
    lab.sim.run({ until: 5 * S });
    expect(trace.filter((t) => t.from === 'a').map((t) => Math.round(t.at / MS))).toEqual([0, 200, 400, 600, 800]);
    expect(log.errors.map((e) => Math.round(e.at / MS))).toEqual([1000]);
  });

  it('makes NOARP entries as arp_constructor does — a broadcast next hop (ff:ff:ff:ff:ff:ff, no request sent), any next hop through lo (its own address) — which a carrier loss forgets', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const trace = arpTrace(lab);
    pinger(lab, '10.0.0.255', 1, S);
    pinger(lab, '10.0.0.1', 1, S);
    lab.sim.run({ until: 0.5 * S });
    const noarp = (): string[][] => lab.sa.arp.entries().filter((e) => e.state === 'NOARP').map((e) => [e.addr, e.dev, e.lladdr ?? '']);
    expect(noarp()).toEqual([
      ['10.0.0.255', 'veth0', 'ff:ff:ff:ff:ff:ff'],
      ['10.0.0.1', 'lo', '00:00:00:00:00:00'],
    ]);
    expect(trace).toEqual([]);
    lab.veth.a.dev.netifCarrierOff();
    expect(noarp()).toEqual([['10.0.0.1', 'lo', '00:00:00:00:00:00']]);
  });

  it('never changes a PERMANENT entry on ARP (only an admin update does): a request from the peer with another address leaves it as it was', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const wrong = new Uint8Array([0x02, 0, 0, 0, 0, 0x99]);
    lab.sa.arp.replace(lab.veth.a.dev, parseIpv4('10.0.0.2'), { lladdr: wrong, state: 'PERMANENT' });
    // b asks for a (it has no entry): a answers, and keeps its own entry for b as set.
    const p = lab.sb.pingSocket();
    lab.b.createUserTask('ping', (ctx) => {
      p.sendEcho(ctx, { addr: '10.0.0.1', seq: 1, data: 56 });
      return 'exit';
    });
    lab.sim.run({ until: 2 * S });
    expect(lab.sb.arp.entries().map((e) => [e.addr, e.state])).toEqual([['10.0.0.1', 'REACHABLE']]);
    expect(lab.sa.arp.entries().map((e) => [e.addr, e.lladdr, e.state])).toEqual([['10.0.0.2', formatMac(wrong), 'PERMANENT']]);
  });

  it('mcast_solicit 0: a packet to an unresolved neighbour is dropped at once, no probe, no report', () => {
    const lab = makeLab({ arp: 'dynamic' });
    lab.sa.setSysctl('net.ipv4.neigh.veth0.mcast_solicit', 0);
    const trace = arpTrace(lab);
    const drops: string[] = [];
    lab.sa.arp.addDropTap((_skb, why) => drops.push(why));
    pinger(lab, '10.0.0.2', 2, S);
    lab.sim.run({ until: 5 * S });
    expect(trace).toEqual([]);
    expect(drops).toEqual(['NEIGH_FAILED', 'NEIGH_FAILED']);
    expect(lab.sa.snmp.Icmp.OutDestUnreachs).toBe(0);
    expect(lab.sa.arp.entries().map((e) => e.state)).toEqual(['FAILED']);
  });

  it('answers a duplicate-address probe (sender 0.0.0.0) for its address without learning from it; del of a resolving entry counts res_failed', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const trace = arpTrace(lab);
    lab.a.createKthread('dad', (ctx) => {
      const skb = arpSkb({ op: 1, sha: lab.veth.a.dev.devAddr, spa: 0, tha: new Uint8Array(6), tpa: parseIpv4('10.0.0.2') }, ETH_HLEN);
      skb.dev = lab.veth.a.dev;
      skb.ethSrc = lab.veth.a.dev.devAddr;
      skb.ethDst = new Uint8Array(6).fill(0xff);
      devQueueXmit(skb, ctx);
      return 'exit';
    });
    lab.sim.run({ until: 100 * MS });
    expect(trace.map((t) => [t.from, t.op, t.unicast])).toEqual([
      ['a', 1, false],
      ['b', 2, true],
    ]);
    expect(lab.sb.arp.entries()).toEqual([]);
    pinger(lab, '10.0.0.3', 1, S);
    lab.sim.run({ until: lab.sim.now + 100 * MS });
    expect(lab.sa.arp.remove(lab.veth.a.dev, parseIpv4('10.0.0.3'))).toBe(true);
    expect(lab.sa.arp.stats.resFailed).toBe(1);
    expect(lab.sa.snmp.Icmp.OutDestUnreachs).toBe(1);
  });

  it('with arp_evict_nocarrier off, a carrier loss keeps the entries (and traffic resumes without ARP)', () => {
    const lab = makeLab({ arp: 'dynamic' });
    pinger(lab, '10.0.0.2', 1, S);
    lab.sim.run({ until: 1 * S });
    lab.sa.setSysctl('net.ipv4.conf.veth0.arp_evict_nocarrier', 0);
    lab.veth.a.dev.netifCarrierOff();
    expect(lab.sa.arp.entries().map((e) => e.state)).toEqual(['REACHABLE']);
    lab.veth.a.dev.netifCarrierOn();
    lab.sa.setSysctl('net.ipv4.conf.veth0.arp_evict_nocarrier', 1);
    lab.sa.setSysctl('net.ipv4.conf.all.arp_evict_nocarrier', 0);
    lab.veth.a.dev.netifCarrierOff();
    expect(lab.sa.arp.entries().map((e) => e.state)).toEqual(['REACHABLE']);
    lab.sa.setSysctl('net.ipv4.conf.all.arp_evict_nocarrier', 1);
    lab.veth.a.dev.netifCarrierOn();
    lab.veth.a.dev.netifCarrierOff();
    expect(lab.sa.arp.entries()).toEqual([]);
  });
});

describe('frames to another MAC (eth_type_trans PACKET_OTHERHOST)', () => {
  it('drops an IP packet sent to a stale permanent address and counts it in rx_otherhost_dropped', () => {
    const lab = makeLab();
    lab.sa.arp.replace(lab.veth.a.dev, parseIpv4('10.0.0.2'), { lladdr: new Uint8Array([2, 0xde, 0xad, 0, 0, 1]), state: 'PERMANENT' });
    const log = pinger(lab, '10.0.0.2', 2, S);
    lab.sim.run({ until: 3 * S });
    expect(log.replies).toEqual([]);
    expect(lab.veth.b.dev.stats.rxOtherhostDropped).toBe(2);
    expect(lab.sb.snmp.Ip.InReceives).toBe(0);
  });
});

describe('neighbour invariants (property-based)', () => {
  it('every echo request ends exactly once: a reply if its host exists, else a host-unreachable error; lost ARP frames only delay', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ host: fc.constantFrom('10.0.0.2', '10.0.0.7'), gapMs: fc.integer({ min: 0, max: 2500 }) }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 2 }),
        (pings, arpLoss) => {
          const lab = makeLab({ arp: 'dynamic' });
          let k = 0;
          // Lose the first ARP frames on the wire (at most 2: one of the 3 probes gets through and is answered).
          lab.veth.a.loss = lab.veth.b.loss = (skb) => skb.l4.kind === 'arp' && k++ < arpLoss;
          const p = lab.sa.pingSocket();
          const seen = new Map<number, string[]>();
          let i = 0;
          lab.a.createUserTask('ping', (ctx, task) => {
            for (let r = p.recv(ctx); r.ok; r = p.recv(ctx)) seen.set(r.seq, [...(seen.get(r.seq) ?? []), 'reply']);
            for (let e = p.recvError(); e.ok; e = p.recvError()) seen.set(e.seq, [...(seen.get(e.seq) ?? []), 'error']);
            const next = pings[i];
            if (next !== undefined) {
              p.sendEcho(ctx, { addr: next.host, seq: i, data: 56 });
              i++;
              return Math.max(1, next.gapMs * MS);
            }
            p.waitReadable(task);
            return 'sleep';
          });
          lab.sim.run({ until: 60 * S });
          pings.forEach((q, seq) => {
            expect(seen.get(seq)).toEqual([q.host === '10.0.0.2' ? 'reply' : 'error']);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});
