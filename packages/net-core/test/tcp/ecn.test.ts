import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INET_ECN, TCP_FLAG, type FqCodel, type Skb, type TcpHeader, type VethEnd } from '../../src/index.js';
import { makeLab, pattern, sameBytes, startBulk, type Lab, type LabOptions } from '../helpers.js';

const { SYN, ACK, FIN, RST, ECE, CWR } = TCP_FLAG;

/** One TCP segment as it left an end of the veth pair. */
interface Seen {
  readonly from: 'a' | 'b';
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  readonly len: number;
  /** The ECN field of the IP header as sent (before any marking by the test). */
  readonly ecn: number;
}

/** A lab whose wire records every TCP segment and lets `mark` set CE on a data segment from `a` (by its index among a's data segments). */
function tappedLab(options: LabOptions, mark: (dataIndex: number, skb: Skb) => boolean = () => false): { lab: Lab; seen: Seen[] } {
  const seen: Seen[] = [];
  let dataIndex = 0;
  const lab = makeLab({
    ...options,
    veth: {
      ...options.veth,
      loss: (skb: Skb, from: VethEnd) => {
        if (skb.l4.kind !== 'tcp') return false;
        const h = skb.l4;
        const side = from === lab.veth.a ? 'a' : 'b';
        seen.push({ from: side, flags: h.flags, seq: h.seq, ack: h.ack, len: skb.payloadLen, ecn: skb.ip.tos & INET_ECN.MASK });
        if (side === 'a' && skb.payloadLen > 0 && mark(dataIndex++, skb)) skb.ip.tos |= INET_ECN.CE;
        return false;
      },
    },
  });
  return { lab, seen };
}

/** Set net.ipv4.tcp_ecn on the client (a) and server (b). */
function setEcn(lab: Lab, client: number, server: number): void {
  lab.sa.setSysctl('net.ipv4.tcp_ecn', client);
  lab.sb.setSysctl('net.ipv4.tcp_ecn', server);
}

describe('TCP ECN: sysctls', () => {
  it('has net.ipv4.tcp_ecn (default 2) and tcp_ecn_fallback (default 1), validated', () => {
    const { sa } = makeLab();
    expect([sa.getSysctl('net.ipv4.tcp_ecn'), sa.getSysctl('net.ipv4.tcp_ecn_fallback')]).toEqual(['2', '1']);
    expect(sa.sysctlNames()).toEqual(expect.arrayContaining(['net.ipv4.tcp_ecn', 'net.ipv4.tcp_ecn_fallback']));
    sa.setSysctl('net.ipv4.tcp_ecn', '1');
    sa.setSysctl('net.ipv4.tcp_ecn_fallback', 0);
    expect([sa.sysctl.tcpEcn, sa.sysctl.tcpEcnFallback]).toEqual([1, false]);
    for (const bad of [3, 5, -1, 1.5, 'x', '']) expect(() => sa.setSysctl('net.ipv4.tcp_ecn', bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(sa.sysctl.tcpEcn).toBe(1);
  });
});

describe('TCP ECN: negotiation', () => {
  it('asks with ECE|CWR on the SYN at tcp_ecn=1, answers ECE on the SYN-ACK unless tcp_ecn=0, and is ECN-capable only when both agree', () => {
    for (const client of [0, 1, 2]) {
      for (const server of [0, 1, 2]) {
        const { lab, seen } = tappedLab({});
        setEcn(lab, client, server);
        const res = startBulk(lab, { bytes: 200_000 });
        lab.sim.run({ until: 2e9 });
        expect(res.received).toBe(200_000);
        const syn = seen.find((s) => s.flags === (s.flags & (SYN | ECE | CWR)) && (s.flags & SYN) !== 0);
        const synack = seen.find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK));
        const ok = client === 1 && server !== 0;
        expect(syn?.flags, `SYN ${client}/${server}`).toBe(client === 1 ? SYN | ECE | CWR : SYN);
        expect(synack?.flags, `SYN-ACK ${client}/${server}`).toBe(ok ? SYN | ACK | ECE : SYN | ACK);
        const data = seen.filter((s) => s.len > 0);
        expect(data.length).toBeGreaterThan(0);
        expect(
          data.every((s) => s.ecn === (ok ? INET_ECN.ECT_0 : INET_ECN.NOT_ECT)),
          `data ECN ${client}/${server}`,
        ).toBe(true);
        expect(seen.filter((s) => s.len === 0).every((s) => s.ecn === INET_ECN.NOT_ECT)).toBe(true);
        expect(seen.some((s) => (s.flags & SYN) === 0 && (s.flags & (ECE | CWR)) !== 0)).toBe(false);
        expect(lab.sb.snmp.Ip.InECT0Pkts > 0).toBe(ok);
        expect(lab.sb.snmp.Ip.InNoECTPkts + lab.sb.snmp.Ip.InECT0Pkts).toBe(lab.sb.snmp.Ip.InReceives);
      }
    }
  });

  it('with tcp_ecn_fallback a retransmitted SYN stops asking; without, it keeps ECE|CWR', () => {
    for (const fallback of [true, false]) {
      let synsSeen = 0;
      const { lab, seen } = tappedLab({});
      lab.veth.a.loss = ((orig) => (skb: Skb, from: VethEnd) => {
        const r = orig?.(skb, from) ?? false;
        if (skb.l4.kind === 'tcp' && (skb.l4.flags & SYN) !== 0 && synsSeen++ < 2) return true;
        return r;
      })(lab.veth.a.loss);
      setEcn(lab, 1, 2);
      lab.sa.setSysctl('net.ipv4.tcp_ecn_fallback', fallback);
      const res = startBulk(lab, { bytes: 100_000 });
      lab.sim.run({ until: 10e9 });
      expect(res.received).toBe(100_000);
      const syns = seen.filter((s) => s.from === 'a' && (s.flags & SYN) !== 0).map((s) => s.flags);
      expect(syns).toEqual(fallback ? [SYN | ECE | CWR, SYN, SYN] : [SYN | ECE | CWR, SYN | ECE | CWR, SYN | ECE | CWR]);
      // The server still answers the last SYN: only one that asked gets ECE back.
      const synack = seen.find((s) => s.from === 'b' && (s.flags & SYN) !== 0);
      expect(synack?.flags).toBe(fallback ? SYN | ACK : SYN | ACK | ECE);
      expect(seen.filter((s) => s.from === 'a' && s.len > 0).every((s) => s.ecn === (fallback ? INET_ECN.NOT_ECT : INET_ECN.ECT_0))).toBe(true);
    }
  });

  it('refuses ECN for a SYN that arrives ECT (RFC 3168: a SYN is sent not-ECT)', () => {
    const { lab, seen } = tappedLab({});
    lab.veth.a.loss = ((orig) => (skb: Skb, from: VethEnd) => {
      if (skb.l4.kind === 'tcp' && (skb.l4.flags & SYN) !== 0) skb.ip.tos |= INET_ECN.ECT_0;
      return orig?.(skb, from) ?? false;
    })(lab.veth.a.loss);
    setEcn(lab, 1, 2);
    startBulk(lab, { bytes: 50_000 });
    lab.sim.run({ until: 2e9 });
    expect(seen.find((s) => s.from === 'b' && (s.flags & SYN) !== 0)?.flags).toBe(SYN | ACK);
    expect(seen.filter((s) => s.len > 0).every((s) => s.ecn === INET_ECN.NOT_ECT)).toBe(true);
  });
});

describe('TCP ECN: ECT(0) on new data only', () => {
  it('sends retransmissions, pure ACKs, FIN-only segments and RSTs not-ECT', () => {
    let n = 0;
    const { lab, seen } = tappedLab({});
    const tap = lab.veth.a.loss;
    lab.veth.a.loss = (skb: Skb, from: VethEnd) => {
      const r = tap?.(skb, from) ?? false;
      return r || (skb.l4.kind === 'tcp' && skb.payloadLen > 0 && [7, 30, 31].includes(n++));
    };
    setEcn(lab, 1, 1);
    const res = startBulk(lab, { bytes: 400_000, functional: true });
    lab.sim.run({ until: 5e9 });
    expect(sameBytes(res.data, pattern(0, 400_000))).toBe(true);
    expect(lab.sa.snmp.Tcp.RetransSegs).toBeGreaterThan(0);
    const firstSeen = new Set<number>();
    const sent = seen
      .filter((x) => x.from === 'a' && x.len > 0)
      .map((s) => {
        const again = firstSeen.has(s.seq);
        firstSeen.add(s.seq);
        return { again, ecn: s.ecn };
      });
    expect(sent.filter((s) => s.again).length).toBeGreaterThan(0);
    expect(sent.every((s) => s.ecn === (s.again ? INET_ECN.NOT_ECT : INET_ECN.ECT_0))).toBe(true);
    expect(seen.filter((s) => s.len === 0).every((s) => s.ecn === INET_ECN.NOT_ECT)).toBe(true);
    expect(seen.some((s) => (s.flags & FIN) !== 0)).toBe(true);
    expect(seen.some((s) => (s.flags & RST) !== 0 && s.ecn !== INET_ECN.NOT_ECT)).toBe(false);
  });
});

/** The absolute sequence (relative to the first SYN's) of a wire value. */
function rel(wire: number, isn: number): number {
  return (wire - isn) >>> 0;
}

describe('TCP ECN: a CE mark', () => {
  it('is echoed with ECE until CWR arrives; the sender cuts cwnd once and retransmits nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 120 }), fc.constantFrom(16384, 65536, 131072), (k, writeSize) => {
        let marked: { seq: number; len: number } | null = null;
        const { lab, seen } = tappedLab({ veth: { latencyNs: 50_000, rateBps: 1e9 } }, (i, skb) => {
          if (i !== k) return false;
          marked = { seq: (skb.l4 as TcpHeader).seq, len: skb.payloadLen };
          return true;
        });
        setEcn(lab, 1, 2);
        const bytes = 2_000_000;
        const res = startBulk(lab, { bytes, writeSize, functional: true });
        lab.sim.run({ until: 5e9 });
        expect(sameBytes(res.data, pattern(0, bytes))).toBe(true);
        expect(marked).not.toBeNull();
        const m = marked as unknown as { seq: number; len: number };
        const isn = seen.find((s) => s.from === 'a' && (s.flags & SYN) !== 0)?.seq ?? 0;
        const cwrSegs = seen.filter((s) => s.from === 'a' && (s.flags & CWR) !== 0 && (s.flags & SYN) === 0);
        expect(cwrSegs.length).toBe(1);
        const cwr = cwrSegs[0] as Seen;
        expect(cwr.len).toBeGreaterThan(0);
        const markedEnd = rel(m.seq, isn) + m.len;
        const cwrSeq = rel(cwr.seq, isn);
        expect(cwrSeq).toBeGreaterThanOrEqual(markedEnd);
        for (const s of seen.filter((x) => x.from === 'b' && (x.flags & SYN) === 0)) {
          const a = rel(s.ack, isn);
          expect((s.flags & ECE) !== 0, `ACK ${a} (mark ends ${markedEnd}, CWR at ${cwrSeq})`).toBe(a >= markedEnd && a <= cwrSeq);
        }
        expect(lab.sa.tcpExt.TCPCwr).toBe(1);
        expect(lab.sa.tcpExt.TCPDeliveredCE).toBeGreaterThan(0);
        expect(lab.sa.snmp.Tcp.RetransSegs).toBe(0);
        expect(lab.sb.snmp.Ip.InCEPkts).toBe(1);
      }),
      { numRuns: 12, seed: 7 },
    );
  });

  it('reduces once for several marks in one window', () => {
    const { lab } = tappedLab({ veth: { latencyNs: 200_000, rateBps: 1e9 } }, (i) => i >= 20 && i < 24);
    setEcn(lab, 1, 1);
    const res = startBulk(lab, { bytes: 1_000_000 });
    lab.sim.run({ until: 5e9 });
    expect(res.received).toBe(1_000_000);
    expect(lab.sb.snmp.Ip.InCEPkts).toBe(4);
    expect(lab.sa.tcpExt.TCPCwr).toBe(1);
    expect(lab.sa.snmp.Tcp.RetransSegs).toBe(0);
  });

  it('is ignored by a connection that did not negotiate ECN (the sender keeps its cwnd)', () => {
    const { lab, seen } = tappedLab({ veth: { latencyNs: 50_000, rateBps: 1e9 } }, (i) => i === 10);
    setEcn(lab, 2, 2);
    const res = startBulk(lab, { bytes: 1_000_000 });
    lab.sim.run({ until: 5e9 });
    expect(res.received).toBe(1_000_000);
    expect(seen.some((s) => (s.flags & (ECE | CWR)) !== 0)).toBe(false);
    expect(lab.sa.tcpExt.TCPCwr).toBe(0);
    expect(lab.sa.tcpExt.TCPDeliveredCE).toBe(0);
  });
});

/** A slow link (the a→b wire at `rateBps`, a short ring) with fq_codel at a's root, and four bulk flows. */
function codelRun(clientEcn: number): { lab: Lab; q: FqCodel; ok: boolean; seen: Seen[] } {
  const { lab, seen } = tappedLab({ veth: { latencyNs: 1_000_000, rateBps: 20e6, ringSize: 2 } });
  setEcn(lab, clientEcn, 2);
  const dev = lab.veth.a.dev;
  const q = dev.createQdisc('fq_codel') as FqCodel;
  dev.replaceQdisc({ root: true }, q);
  const bytes = 1_500_000;
  const runs = [5201, 5202, 5203, 5204].map((port) => startBulk(lab, { bytes, port, functional: true }));
  lab.sim.run({ until: 20e9 });
  const ok = runs.every((r) => sameBytes(r.data, pattern(0, bytes)));
  return { lab, q, ok, seen };
}

describe('TCP ECN: end to end through fq_codel', () => {
  it('with tcp_ecn=1 CoDel marks instead of dropping, the senders back off and every stream is intact', () => {
    const { lab, q, ok } = codelRun(1);
    expect(ok).toBe(true);
    const x = q.xstats();
    expect(x.ecnMark).toBeGreaterThan(0);
    expect(q.stats.drops).toBe(0);
    expect(lab.sa.snmp.Tcp.RetransSegs).toBe(0);
    expect(lab.sa.tcpExt.TCPCwr).toBeGreaterThan(0);
    expect(lab.sa.tcpExt.TCPDeliveredCE).toBeGreaterThan(0);
    expect(lab.sb.snmp.Ip.InCEPkts).toBe(x.ecnMark);
  });

  it('with tcp_ecn=2 on the client (the default) CoDel drops and TCP retransmits', () => {
    const { lab, q, ok } = codelRun(2);
    expect(ok).toBe(true);
    expect(q.xstats().ecnMark).toBe(0);
    expect(q.stats.drops).toBeGreaterThan(0);
    expect(lab.sa.snmp.Tcp.RetransSegs).toBeGreaterThan(0);
    expect(lab.sb.snmp.Ip.InCEPkts).toBe(0);
  });
});
