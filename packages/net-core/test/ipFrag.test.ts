import type { CpuUsage } from '@ntbsim/kernel';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpFragQueue } from '../src/ipFrag.js';
import { ICMP_MAX_PAYLOAD, IPPROTO, ipDatagramTruesize, ipFragment, ipFragmentSizes, skbChecksumOk, skbFromFrame, skbToFrame, Skb, UDP_MAX_PAYLOAD, type L4Header, type UdpSocket } from '../src/index.js';
import { makeLab, pattern, type Lab } from './helpers.js';

const SRC = 0x0a000001;
const DST = 0x0a000002;

function datagram(len: number, functional: boolean, l4: L4Header = { kind: 'udp', sport: 4000, dport: 5201 }): Skb {
  return new Skb({
    ip: { src: SRC, dst: DST, protocol: l4.kind === 'icmp' ? IPPROTO.ICMP : IPPROTO.UDP, id: 0x1234, ttl: 64, df: false, tos: 0 },
    l4,
    data: functional ? pattern(0, len) : null,
    payloadLen: len,
    truesize: ipDatagramTruesize(len + 8, 1500),
  });
}

/** Each fragment through the wire format (skbToFrame → skbFromFrame), as a driver carries it. */
function viaWire(f: Skb): Skb {
  const frame = skbToFrame(f);
  const r = skbFromFrame(frame, 14 + f.networkLen);
  if (!r.ok) throw new Error(`fragment did not parse: ${r.error}`);
  return r.skb;
}

describe('ipFragmentSizes (ip_do_fragment geometry)', () => {
  it('cuts (mtu − 20) & ~7 bytes per fragment, the last takes the rest; one size when it fits', () => {
    expect(ipFragmentSizes(1480, 1500)).toEqual([1480]);
    expect(ipFragmentSizes(1481, 1500)).toEqual([1480, 1]);
    expect(ipFragmentSizes(32008, 1500)).toEqual([...Array<number>(21).fill(1480), 928]);
    expect(ipFragmentSizes(65515, 1500)).toHaveLength(45);
    expect(ipFragmentSizes(100, 68)).toEqual([48, 48, 4]);
    expect(ipFragmentSizes(60, 75)).toEqual([48, 12]);
    expect(() => ipFragmentSizes(100, 27)).toThrow(/mtu/);
  });

  it('fragments fit the MTU, start on 8-byte offsets, carry MF but the last, and add up to the datagram', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: UDP_MAX_PAYLOAD }), fc.integer({ min: 68, max: 9000 }), (len, mtu) => {
        const skb = datagram(len, false);
        const frags = ipFragment(skb, mtu);
        const n = frags.length;
        expect(n).toBe(skb.networkLen <= mtu ? 1 : Math.ceil(skb.l4Len / ((mtu - 20) & ~7)));
        let off = 0;
        for (const [i, f] of frags.entries()) {
          expect(f.networkLen).toBeLessThanOrEqual(mtu);
          expect(f.ip.fragOff).toBe(off);
          expect(off % 8).toBe(0);
          expect(f.ip.mf).toBe(i < n - 1);
          expect(f.ip.id).toBe(0x1234);
          expect(f.l4.kind).toBe(i === 0 ? 'udp' : 'frag');
          off += f.l4Len;
        }
        expect(off).toBe(skb.l4Len);
        expect(frags.reduce((a, f) => a + f.truesize, 0)).toBe(ipDatagramTruesize(skb.l4Len, mtu));
      }),
    );
  });
});

describe('IpFragQueue (ip_frag_queue / ip_frag_reasm)', () => {
  it('reassembles the datagram byte-exact from its fragments in any order, with duplicates, completing on the last missing byte', () => {
    const arb = fc.record({
      len: fc.integer({ min: 1, max: 20_000 }),
      mtu: fc.integer({ min: 68, max: 4000 }),
      order: fc.array(fc.nat(), { maxLength: 200 }),
      dups: fc.array(fc.nat(), { maxLength: 5 }),
      functional: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ len, mtu, order: seed, dups, functional }) => {
        const frags = ipFragment(datagram(len, functional), mtu);
        const order = frags.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = (seed[i % Math.max(1, seed.length)] ?? 0) % (i + 1);
          [order[i], order[j]] = [order[j] as number, order[i] as number];
        }
        const q = new IpFragQueue('k');
        const results = order.map((i) => q.insert(viaWire(frags[i] as Skb)));
        const again = dups.map((d) => q.insert(viaWire(frags[order[d % order.length] as number] as Skb)));
        expect(results.slice(0, -1).every((r) => r === 'queued')).toBe(true);
        expect(results.at(-1)).toBe('complete');
        expect(again.every((r) => r === 'dup')).toBe(true);
        const whole = q.reassemble();
        expect(whole?.payloadLen).toBe(len);
        expect(whole?.l4).toMatchObject({ kind: 'udp', sport: 4000, dport: 5201 });
        expect(whole?.ip.mf).toBeUndefined();
        expect(whole?.ip.fragOff).toBeUndefined();
        expect(whole !== null && skbChecksumOk(whole)).toBe(true);
        expect(whole?.data ?? null).toEqual(functional ? pattern(0, len) : null);
      }),
      { numRuns: 200 },
    );
  });

  it('never completes with a fragment missing; a partial overlap condemns the queue', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3000, max: 20_000 }), fc.integer({ min: 68, max: 1500 }), fc.nat(), (len, mtu, pick) => {
        const frags = ipFragment(datagram(len, false), mtu);
        const missing = pick % frags.length;
        const q = new IpFragQueue('k');
        expect(frags.filter((_, i) => i !== missing).map((f) => q.insert(f))).toEqual(Array<string>(frags.length - 1).fill('queued'));
        expect(q.reassemble()).toBeNull();
      }),
    );
    const frags = ipFragment(datagram(4000, true), 1500);
    const q = new IpFragQueue('k');
    expect(q.insert(frags[0] as Skb)).toBe('queued');
    expect(q.insert(frags[0] as Skb)).toBe('dup');
    const overlap = new Skb({ ip: { ...(frags[1] as Skb).ip, fragOff: 1472, mf: true }, l4: { kind: 'frag' }, data: null, payloadLen: 16 });
    expect(q.insert(overlap)).toBe('bad');
  });

  it('refuses a last fragment that contradicts the length already known', () => {
    const frags = ipFragment(datagram(4000, false), 1500);
    const q = new IpFragQueue('k');
    expect(q.insert(frags[2] as Skb)).toBe('queued');
    const shorter = new Skb({ ip: { ...(frags[2] as Skb).ip, fragOff: 2960, mf: false }, l4: { kind: 'frag' }, payloadLen: 8 });
    expect(q.insert(shorter)).toBe('bad');
  });
});

describe('frames of fragments', () => {
  it('a first fragment carries the whole datagram\'s UDP length and checksum; later ones only the IP header (timing mode)', () => {
    const skb = datagram(3000, true);
    const frags = ipFragment(skb, 1500);
    const first = skbToFrame(frags[0] as Skb);
    expect((first[14 + 6] as number) & 0x20).toBe(0x20);
    expect(((first[14 + 20 + 4] as number) << 8) | (first[14 + 20 + 5] as number)).toBe(3008);
    const timing = ipFragment(datagram(3000, false), 1500).map((f) => skbToFrame(f));
    expect(timing.map((f) => f.length)).toEqual([14 + 20 + 8, 14 + 20, 14 + 20]);
    const last = skbFromFrame(timing[2] as Uint8Array, 14 + 20 + 3008 - 2960);
    expect(last.ok && last.skb.l4.kind === 'frag' && last.skb.ip.fragOff === 2960 && last.skb.ip.mf === false).toBe(true);
  });
});

/** A UDP reader on the lab's second host that counts datagrams and keeps their bytes. */
function udpSink(lab: Lab, port: number): { sock: UdpSocket; got: Uint8Array[]; lens: number[]; times: number[] } {
  const sock = lab.sb.udpSocket();
  sock.bind(port);
  sock.setRcvbuf(1 << 20);
  const got: Uint8Array[] = [];
  const lens: number[] = [];
  const times: number[] = [];
  lab.b.createUserTask('rx', (ctx, task) => {
    const r = sock.recv(ctx, 70_000);
    if (!r.ok) {
      sock.waitReadable(task);
      return 'sleep';
    }
    lens.push(r.bytes);
    times.push(ctx.time);
    if (r.data !== null) got.push(r.data);
    return 'run';
  });
  return { sock, got, lens, times };
}

function udpSend(lab: Lab, sizes: readonly number[], functional: boolean, setup?: (s: UdpSocket) => void): string[] {
  const s = lab.sa.udpSocket();
  s.connect({ addr: '10.0.0.2', port: 5201 });
  setup?.(s);
  const results: string[] = [];
  let i = 0;
  lab.a.createUserTask('tx', (ctx, task) => {
    const n = sizes[i];
    if (n === undefined) return 'exit';
    const r = s.send(ctx, functional ? pattern(i, n) : n);
    if (!r.ok && r.errno === 'EAGAIN') {
      s.waitWritable(task);
      return 'sleep';
    }
    results.push(r.ok ? `ok ${r.bytes}` : r.errno);
    i++;
    return 'run';
  });
  return results;
}

describe('UDP over an MTU of 1500 (IP_PMTUDISC_WANT)', () => {
  it('fragments datagrams up to 65507 bytes and reassembles them byte-exact through the wire format; EMSGSIZE beyond', () => {
    const lab = makeLab({ veth: { mtu: 1500, frames: true, rateBps: 10e9 } });
    const sink = udpSink(lab, 5201);
    const sizes = [1472, 1473, 32_000, UDP_MAX_PAYLOAD, UDP_MAX_PAYLOAD + 1];
    const res = udpSend(lab, sizes, true);
    lab.sim.run({ until: 1e9 });
    expect(res).toEqual(['ok 1472', 'ok 1473', 'ok 32000', `ok ${UDP_MAX_PAYLOAD}`, 'EMSGSIZE']);
    expect(sink.lens).toEqual(sizes.slice(0, 4));
    for (const [i, d] of sink.got.entries()) expect(d).toEqual(pattern(i, sizes[i] as number));
    const frags = [1, 2, 22, 45];
    const created = frags.slice(1).reduce((a, n) => a + n, 0);
    expect(lab.sa.snmp.Ip).toMatchObject({ OutRequests: 4, FragOKs: 3, FragCreates: created, FragFails: 0 });
    expect(lab.veth.a.dev.stats.txPackets).toBe(1 + created);
    expect(lab.sb.snmp.Ip).toMatchObject({ InReceives: 1 + created, ReasmReqds: created, ReasmOKs: 3, ReasmFails: 0, InDelivers: 4 });
    expect(lab.veth.a.stats.parseErrors).toBe(0);
    expect(lab.sb.snmp.Udp).toMatchObject({ InDatagrams: 4, InCsumErrors: 0 });
    expect(lab.sb.ipFragStat()).toEqual({ inuse: 0, memory: 0 });
  });

  it('with IP_MTU_DISCOVER do (DF) a datagram over the MTU fails with EMSGSIZE, as before', () => {
    const lab = makeLab({ veth: { mtu: 1500 } });
    udpSink(lab, 5201);
    const res = udpSend(lab, [1472, 1473], false, (s) => s.setMtuDiscover('do'));
    lab.sim.run({ until: 1e9 });
    expect(res).toEqual(['ok 1472', 'EMSGSIZE']);
    expect(lab.sa.snmp.Ip.FragOKs).toBe(0);
  });

  it('gives the same timeline with payload bytes (functional) and lengths only (timing)', () => {
    const run = (functional: boolean): unknown => {
      const lab = makeLab({ veth: { mtu: 1500, rateBps: 1e9 }, noise: true, seed: 7 });
      const sink = udpSink(lab, 5201);
      udpSend(lab, [32_000, 9000, 65_000, 1473, 20_000], functional);
      lab.sim.run({ until: 1e9 });
      return { lens: sink.lens, times: sink.times, a: lab.a.usage(), b: lab.b.usage(), ipA: { ...lab.sa.snmp.Ip }, ipB: { ...lab.sb.snmp.Ip } };
    };
    expect(run(true)).toEqual(run(false));
  });

  it('charges each fragment the per-packet costs: an skb and the transmit cost on the sender, the receive cost on the receiver', () => {
    const cpuNs = (size: number): { tx: number; rx: number } => {
      const lab = makeLab({ veth: { mtu: 1500 } });
      udpSink(lab, 5201);
      udpSend(lab, [size], false);
      lab.sim.run({ until: 1e9 });
      const busy = (us: readonly CpuUsage[]): number => us.reduce((a, u) => a + u.hardirq + u.softirq + u.kthread + u.user, 0);
      return { tx: busy(lab.a.usage()), rx: busy(lab.b.usage()) };
    };
    const one = cpuNs(1472);
    const two = cpuNs(1473);
    const costs = makeLab().a.costs;
    const byte = costs.userCopy(1);
    expect(Math.abs(two.tx - one.tx - (costs.skbAlloc() + costs.txPacket() + byte))).toBeLessThanOrEqual(1);
    expect(two.rx - one.rx).toBeGreaterThanOrEqual(costs.rxPacket());
  });

  it('drops a datagram that lost a fragment: ReasmTimeout and ReasmFails after ipfrag_time, the memory released', () => {
    let seen = 0;
    const lab = makeLab({ veth: { mtu: 1500, loss: (skb) => skb.ip.protocol === IPPROTO.UDP && (skb.ip.fragOff ?? 0) === 1480 && seen++ === 0 } });
    const sink = udpSink(lab, 5201);
    udpSend(lab, [4000, 4000, 4000], false);
    lab.sim.run({ until: 1e9 });
    expect(sink.lens).toEqual([4000, 4000]);
    expect(lab.sb.ipFragStat().inuse).toBe(1);
    expect(lab.sb.ipFragStat().memory).toBeGreaterThan(0);
    expect(lab.sb.snmp.Ip.ReasmFails).toBe(0);
    lab.sim.run({ until: 29e9 });
    expect(lab.sb.ipFragStat().inuse).toBe(1);
    lab.sim.run({ until: 32e9 });
    expect(lab.sb.snmp.Ip).toMatchObject({ ReasmTimeout: 1, ReasmFails: 1, ReasmOKs: 2 });
    expect(lab.sb.ipFragStat()).toEqual({ inuse: 0, memory: 0 });
    expect(lab.veth.b.dev.stats.rxPackets).toBe(3 * 3 - 1);
    expect(lab.veth.a.dev.stats.txPackets).toBe(9);
  });

  it('refuses every fragment while reassembly memory is above ipfrag_high_thresh', () => {
    const lab = makeLab({ veth: { mtu: 1500, loss: (skb) => skb.ip.protocol === IPPROTO.UDP && skb.ip.mf === false && (skb.ip.fragOff ?? 0) > 0 } });
    lab.sb.setSysctl('net.ipv4.ipfrag_low_thresh', 0);
    lab.sb.setSysctl('net.ipv4.ipfrag_high_thresh', 6000);
    udpSink(lab, 5201);
    udpSend(lab, [4000, 4000, 4000], false);
    lab.sim.run({ until: 1e9 });
    const ip = lab.sb.snmp.Ip;
    const truesize = 2304;
    expect(ip.ReasmReqds).toBe(6);
    expect(lab.sb.ipFragStat()).toEqual({ inuse: 2, memory: 3 * truesize });
    expect(ip.ReasmFails).toBe(3);
    expect(() => lab.sb.setSysctl('net.ipv4.ipfrag_low_thresh', 7000)).toThrow(/low/);
    expect(lab.sb.sysctl.ipfragLowThresh).toBe(0);
  });

  it('fails with ENOBUFS (SndbufErrors) when a datagram\'s fragments would take the socket over twice its send buffer', () => {
    const lab = makeLab({ veth: { mtu: 1500 } });
    udpSink(lab, 5201);
    const res = udpSend(lab, [20_000, 1000], false, (s) => s.setSndbuf(4096));
    lab.sim.run({ until: 1e9 });
    expect(res).toEqual(['ENOBUFS', 'ok 1000']);
    expect(lab.sa.snmp.Udp.SndbufErrors).toBe(1);
  });
});

describe('ping over an MTU of 1500', () => {
  it('ping -s 1473 and -s 65000 get their replies: request and reply both fragmented', () => {
    const lab = makeLab({ veth: { mtu: 1500, frames: true } });
    const p = lab.sa.pingSocket();
    const sizes = [1473, 65_000, ICMP_MAX_PAYLOAD];
    const replies: { seq: number; bytes: number; data: Uint8Array | null }[] = [];
    let i = 0;
    lab.a.createUserTask('ping', (ctx, task) => {
      const n = sizes[i];
      if (n !== undefined) {
        const w = p.sendEcho(ctx, { addr: '10.0.0.2', seq: i, data: pattern(0, n) });
        if (!w.ok) throw new Error(w.errno);
        i++;
      }
      const r = p.recv(ctx);
      if (!r.ok) {
        p.waitReadable(task);
        return 'sleep';
      }
      replies.push({ seq: r.seq, bytes: r.bytes, data: r.data });
      return replies.length < sizes.length ? 'run' : 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(replies.map((r) => r.bytes)).toEqual(sizes);
    for (const r of replies) expect(r.data).toEqual(pattern(0, sizes[r.seq] as number));
    expect(lab.sb.snmp.Icmp).toMatchObject({ InEchos: 3, OutEchoReps: 3, InCsumErrors: 0 });
    expect(lab.sb.snmp.Ip.FragOKs).toBe(3);
    expect(lab.sa.snmp.Ip.ReasmOKs).toBe(3);
  });
});
