import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FqCodel, IPPROTO, Skb, type FqCodelParams } from '../../src/index.js';

const MTU = 1514;
const PAYLOAD = 1000;
/** skb.len of the test packets: Ethernet + IPv4 + UDP + payload. */
const LEN = 14 + 20 + 8 + PAYLOAD;

/** A test clock (ns) and an fq_codel reading it. */
function setup(params: Partial<FqCodelParams> = {}): { q: FqCodel; clock: { now: number } } {
  const clock = { now: 0 };
  return { q: new FqCodel(MTU, () => clock.now, 1, params), clock };
}

let ids = 0;
/** A packet of flow bucket `bucket` (of 1024: its hash is set so reciprocal_scale lands there). */
function pkt(bucket: number, tos = 0, flows = 1024): Skb {
  const s = new Skb({ ip: { src: 1, dst: 2, protocol: IPPROTO.UDP, id: ++ids & 0xffff, ttl: 64, df: true, tos }, l4: { kind: 'udp', sport: 1, dport: 2 }, payloadLen: PAYLOAD, macLen: 14 });
  s.hash = Math.floor(((bucket + 0.5) * 2 ** 32) / flows);
  return s;
}

/** Dequeue until empty, returning the flow bucket of each packet. */
function drain(q: FqCodel): number[] {
  const out: number[] = [];
  for (let s = q.dequeue(); s !== undefined; s = q.dequeue()) out.push(q.classify(s));
  return out;
}

describe('fq_codel: flow queueing', () => {
  it('classifies by the flow hash scaled to the bucket count and counts each flow that becomes active', () => {
    const { q } = setup();
    expect([pkt(0), pkt(7), pkt(1023)].map((s) => q.classify(s))).toEqual([0, 7, 1023]);
    for (const b of [3, 3, 5, 3]) expect(q.enqueue(pkt(b))).toBe('success');
    expect(q.xstats()).toMatchObject({ newFlowCount: 2, newFlowsLen: 2, oldFlowsLen: 0 });
    expect([q.qlen, q.backlog, q.flowBacklog(3), q.flowBacklog(5)]).toEqual([4, 4 * LEN, 3 * LEN, LEN]);
  });

  it('serves flows round-robin by quantum (DRR): a quantum of two packets gives each flow two per round', () => {
    const { q } = setup({ quantum: 2 * LEN });
    for (let i = 0; i < 4; i++) q.enqueue(pkt(1));
    for (let i = 0; i < 4; i++) q.enqueue(pkt(2));
    expect(drain(q)).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    expect(q.xstats()).toMatchObject({ newFlowsLen: 0, oldFlowsLen: 0 });
  });

  it('gives a newly active (sparse) flow priority over a backlogged one', () => {
    const { q } = setup({ quantum: LEN });
    for (let i = 0; i < 5; i++) q.enqueue(pkt(1));
    expect(q.classify(q.dequeue() as Skb)).toBe(1);
    expect(q.classify(q.dequeue() as Skb)).toBe(1);
    // Flow 1 has spent its deficit and went to old_flows; flow 9 arrives on new_flows.
    q.enqueue(pkt(9));
    expect(q.xstats()).toMatchObject({ newFlowsLen: 1, oldFlowsLen: 1 });
    expect(drain(q)).toEqual([9, 1, 1, 1]);
  });
});

describe('fq_codel: overflow', () => {
  it('over the limit cuts half of the fattest flow from its head and answers NET_XMIT_CN to that flow', () => {
    const { q } = setup({ limit: 10 });
    for (let i = 0; i < 8; i++) expect(q.enqueue(pkt(4))).toBe('success');
    expect(q.enqueue(pkt(6))).toBe('success');
    expect(q.enqueue(pkt(6))).toBe('success');
    // The 11th packet: flow 4 (8 packets) is the fattest; up to half its backlog goes, from the head.
    expect(q.enqueue(pkt(6))).toBe('success');
    expect([q.flowBacklog(4), q.flowBacklog(6), q.qlen, q.stats.drops]).toEqual([4 * LEN, 3 * LEN, 7, 4]);
    expect(q.xstats().dropOverlimit).toBe(4);
    for (let i = 0; i < 3; i++) q.enqueue(pkt(4));
    expect(q.enqueue(pkt(4))).toBe('cn');
    expect(q.xstats()).toMatchObject({ dropOverlimit: 8, dropOvermemory: 0 });
  });

  it('drops at most drop_batch packets at once, and over memory_limit counts drop_overmemory', () => {
    const batch = setup({ limit: 20, dropBatch: 3 });
    for (let i = 0; i < 21; i++) batch.q.enqueue(pkt(2));
    expect([batch.q.qlen, batch.q.stats.drops]).toEqual([18, 3]);
    const truesize = pkt(0).truesize;
    const mem = setup({ memoryLimit: 4 * truesize });
    for (let i = 0; i < 5; i++) mem.q.enqueue(pkt(2));
    // Over the memory limit at the 5th: half of the flow's 5 packets rounds up to 3 (the cut stops once it reaches half).
    expect(mem.q.xstats()).toMatchObject({ dropOverlimit: 3, dropOvermemory: 3, memoryUsage: 2 * truesize });
  });
});

describe('fq_codel: CoDel', () => {
  /** Enqueue `n` packets of one flow at t = 0, then dequeue one every `gapMs`; the dequeue times (ms) of the packets CoDel dropped. */
  function slowDrain(params: Partial<FqCodelParams>, n: number, gapMs: number, tos = 0): { q: FqCodel; dropsAt: number[]; delivered: number } {
    const { q, clock } = setup(params);
    for (let i = 0; i < n; i++) q.enqueue(pkt(1, tos));
    const dropsAt: number[] = [];
    let delivered = 0;
    for (let t = 0; q.qlen > 0; t += gapMs) {
      clock.now = t * 1e6;
      const before = q.stats.drops;
      if (q.dequeue() !== undefined) delivered++;
      for (let d = before; d < q.stats.drops; d++) dropsAt.push(t);
    }
    return { q, dropsAt, delivered };
  }

  it('drops nothing while the sojourn stays under target, or for less than an interval above it', () => {
    expect(slowDrain({}, 50, 0.1).dropsAt).toEqual([]);
    // Above 5 ms from the 2nd dequeue on (t = 6 ms), first_above_time = 106 ms: the queue is gone by 60 ms.
    expect(slowDrain({}, 11, 6).dropsAt).toEqual([]);
  });

  it('after an interval above target drops at the head, then at interval / sqrt(count) (the control law)', () => {
    const { q, dropsAt, delivered } = slowDrain({}, 500, 1);
    // Sojourn at target from t = 5 ms (CoDel's 1.024 µs units round 5 ms down to the target);
    // first_above_time an interval later; the first drop at the first dequeue past it.
    expect(dropsAt[0]).toBe(105);
    const gaps = dropsAt.slice(1, 6).map((t, i) => t - (dropsAt[i] as number));
    // interval × rec_inv_sqrt, on the 1 ms dequeue grid: 1/sqrt(count) is refined by one Newton
    // step per drop from 1.0, so count 2 first gets 0.5 (50 ms, not 71), then 0.57, 0.49, 0.44.
    expect(gaps).toEqual([100, 50, 57, 49, 44]);
    expect(delivered + dropsAt.length).toBe(500);
    expect(q.stats.drops).toBe(dropsAt.length);
    expect(q.xstats().maxpacket).toBe(LEN);
  });

  it('never drops while the whole qdisc holds at most one MTU', () => {
    const { q, clock } = setup();
    q.enqueue(pkt(1));
    clock.now = 10e9;
    q.enqueue(pkt(2));
    expect(q.classify(q.dequeue() as Skb)).toBe(1);
    clock.now = 20e9;
    expect(q.dequeue()).toBeDefined();
    expect(q.stats.drops).toBe(0);
  });

  it('marks ECT packets CE instead of dropping them with ecn, drops them with noecn', () => {
    const ect = slowDrain({}, 500, 1, 0x02);
    expect(ect.dropsAt).toEqual([]);
    expect(ect.q.xstats().ecnMark).toBeGreaterThan(3);
    expect(ect.delivered).toBe(500);
    const noecn = slowDrain({ ecn: false }, 500, 1, 0x02);
    expect(noecn.q.xstats().ecnMark).toBe(0);
    expect(noecn.dropsAt.length).toBeGreaterThan(3);
  });

  it('a reset (qdisc_reset) returns what is queued and leaves no flow listed and no CoDel state', () => {
    const { q, clock } = setup();
    for (let i = 0; i < 300; i++) q.enqueue(pkt(1 + (i % 3)));
    let delivered = 0;
    for (let t = 0; t < 200; t++) {
      clock.now = t * 1e6;
      if (q.dequeue() !== undefined) delivered++;
    }
    const dropped = q.stats.drops;
    expect(dropped).toBeGreaterThan(0);
    expect(q.purge().length).toBe(300 - delivered - dropped);
    expect([q.qlen, q.backlog, q.xstats().newFlowsLen, q.xstats().oldFlowsLen, q.xstats().memoryUsage]).toEqual([0, 0, 0, 0, 0]);
    // CoDel starts afresh: a new standing queue is spared for an interval (stale state would drop at once).
    const t0 = 1000;
    clock.now = t0 * 1e6;
    for (let i = 0; i < 60; i++) q.enqueue(pkt(1));
    for (let t = t0; q.qlen > 0; t++) {
      clock.now = t * 1e6;
      q.dequeue();
    }
    expect(q.stats.drops).toBe(dropped);
  });

  it('refuses bad parameters with EINVAL naming the field and the range', () => {
    const make = (p: Partial<FqCodelParams>) => () => new FqCodel(MTU, () => 0, 1, p);
    expect(make({ flows: 0 })).toThrow(/fq_codel flows 0: allowed an integer in 1\.\.65536/);
    expect(make({ quantum: 100 })).toThrow(/quantum 100: allowed an integer in 256\.\./);
    expect(make({ limit: 1.5 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('fq_codel: the flows as classes (flowStats: fq_codel_walk, fq_codel_dump_class_stats)', () => {
  it('lists the flows on new_flows or old_flows by bucket index, an emptied one until a dequeue finds it empty', () => {
    const { q } = setup();
    expect(q.flowStats()).toEqual([]);
    for (const b of [900, 3, 500, 3]) q.enqueue(pkt(b));
    const idle = { count: 0, lastcount: 0, ldelayUs: 0, dropping: false, dropNextUs: 0 };
    expect(q.flowStats()).toEqual([
      { index: 3, qlen: 2, backlog: 2 * LEN, deficit: MTU, ...idle },
      { index: 500, qlen: 1, backlog: LEN, deficit: MTU, ...idle },
      { index: 900, qlen: 1, backlog: LEN, deficit: MTU, ...idle },
    ]);
    // DRR serves flow 900 (the first on new_flows) first; it stays listed, empty, with what is left of its quantum.
    expect(q.classify(q.dequeue() as Skb)).toBe(900);
    expect(q.flowStats().map((f) => [f.index, f.qlen, f.backlog, f.deficit])).toEqual([[3, 2, 2 * LEN, MTU], [500, 1, LEN, MTU], [900, 0, 0, MTU - LEN]]);
    // The next dequeue finds 900 empty and moves it to old_flows (which is empty: it leaves the lists), then serves 3.
    expect(q.classify(q.dequeue() as Skb)).toBe(3);
    expect(q.flowStats().map((f) => f.index)).toEqual([3, 500]);
    drain(q);
    expect(q.flowStats()).toEqual([]);
    expect(q.xstats()).toMatchObject({ newFlowsLen: 0, oldFlowsLen: 0 });
  });

  it('reports CoDel\'s state: ldelay of the last packet, and while dropping count, lastcount and drop_next against the clock (negative when overdue)', () => {
    const { q, clock } = setup();
    for (let i = 0; i < 500; i++) q.enqueue(pkt(1));
    // One dequeue a millisecond: the sojourn passes target at 5 ms, CoDel drops first at 105 ms.
    for (let t = 0; t <= 105; t++) {
      clock.now = t * 1e6;
      q.dequeue();
    }
    expect(q.stats.drops).toBe(1);
    const [f] = q.flowStats();
    // ldelay = 105 ms in CoDel units (102539) → 104999 µs; drop_next = now + interval·(0xffff/65536) = 97654 units ahead → 99997 µs.
    expect(f).toMatchObject({ index: 1, qlen: 393, backlog: 393 * LEN, count: 1, lastcount: 1, ldelayUs: 104_999, dropping: true, dropNextUs: 99_997 });
    // The same flow later, with no dequeue meanwhile: only drop_next moves, past zero once overdue.
    clock.now = 135e6;
    expect(q.flowStats()[0]?.dropNextUs).toBe(69_998);
    clock.now = 250e6;
    expect(q.flowStats()[0]?.dropNextUs).toBe(-45_001);
    // Reading changed nothing.
    expect([q.qlen, q.stats.drops, q.xstats().newFlowCount]).toEqual([393, 1, 1]);
  });
});

describe('fq_codel: change (fq_codel_change)', () => {
  it('replaces the parameters given, refuses flows and bad values without changing anything, and frees what a lowered limit leaves over', () => {
    const { q } = setup();
    for (let i = 0; i < 10; i++) q.enqueue(pkt(1 + (i % 2)));
    expect(() => q.change({ flows: 16 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => q.change({ limit: 0 })).toThrow(/fq_codel limit 0: allowed an integer in 1\.\./);
    expect([q.params.limit, q.params.flows, q.qlen]).toEqual([10240, 1024, 10]);
    expect(q.change({ limit: 4, targetNs: 2_000_000, ecn: false })).toBe(6);
    expect([q.params.limit, q.params.targetNs, q.params.ecn, q.qlen, q.backlog]).toEqual([4, 2_000_000, false, 4, 4 * LEN]);
    // The packets a change frees are dequeued as fq_codel_dequeue does: counted as sent, not as drops.
    expect([q.stats.packets, q.stats.drops]).toEqual([6, 0]);
  });
});

describe('fq_codel: property', () => {
  it('every packet is delivered once, dropped once (counted) or still queued; FIFO within a flow; counters consistent', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ op: fc.constant('enq' as const), flow: fc.integer({ min: 0, max: 5 }) }), fc.record({ op: fc.constant('deq' as const), advanceUs: fc.integer({ min: 0, max: 20_000 }) })), { maxLength: 300 }),
        fc.record({ limit: fc.integer({ min: 1, max: 40 }), quantum: fc.integer({ min: 256, max: 4 * LEN }), dropBatch: fc.integer({ min: 1, max: 8 }), targetNs: fc.constantFrom(1_000_000, 5_000_000), intervalNs: fc.constantFrom(10_000_000, 100_000_000) }),
        (ops, params) => {
          const { q, clock } = setup({ ...params, flows: 8 });
          const seq = new Map<Skb, number>();
          const lastOut = new Map<number, number>();
          const delivered = new Set<Skb>();
          const faults: string[] = [];
          let n = 0;
          for (const o of ops) {
            if (o.op === 'enq') {
              const s = pkt(o.flow, 0, 8);
              seq.set(s, ++n);
              q.enqueue(s);
            } else {
              clock.now += o.advanceUs * 1000;
              const s = q.dequeue();
              if (s === undefined) continue;
              if (delivered.has(s)) faults.push(`packet ${seq.get(s)} delivered twice`);
              delivered.add(s);
              const flow = q.classify(s);
              if ((seq.get(s) as number) <= (lastOut.get(flow) ?? 0)) faults.push(`flow ${flow}: packet ${seq.get(s)} after ${lastOut.get(flow)}`);
              lastOut.set(flow, seq.get(s) as number);
            }
            if (q.qlen > params.limit) faults.push(`qlen ${q.qlen} over limit ${params.limit}`);
          }
          expect(faults).toEqual([]);
          const rest = q.purge();
          expect(rest.filter((s) => delivered.has(s))).toEqual([]);
          const dropped = [...seq.keys()].filter((s) => !delivered.has(s) && !rest.includes(s));
          expect(dropped.length).toBe(q.stats.drops);
          expect(dropped.every((s) => s.isFreed)).toBe(true);
          expect([q.qlen, q.backlog, q.xstats().memoryUsage]).toEqual([0, 0, 0]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
