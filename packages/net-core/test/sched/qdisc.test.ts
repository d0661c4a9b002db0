import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPPROTO, PFIFO_FAST_PRIOMAP, PfifoFast, rtTos2Priority, Skb, TC_PRIO } from '../../src/index.js';

function skb(id: number, priority = 0): Skb {
  const s = new Skb({ ip: { src: 1, dst: 2, protocol: IPPROTO.UDP, id, ttl: 64, df: true, tos: 0 }, l4: { kind: 'udp', sport: 1, dport: 2 }, payloadLen: 100, macLen: 14 });
  s.priority = priority;
  return s;
}

describe('rt_tos2priority (ip_tos2prio)', () => {
  it('maps the TOS field (0x1e) to a TC_PRIO class, ignoring precedence and ECN bits', () => {
    expect([0x00, 0x02, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c].map(rtTos2Priority)).toEqual([
      TC_PRIO.BESTEFFORT, TC_PRIO.BESTEFFORT, TC_PRIO.BESTEFFORT, TC_PRIO.BULK, TC_PRIO.BULK, TC_PRIO.INTERACTIVE, TC_PRIO.INTERACTIVE, TC_PRIO.INTERACTIVE_BULK, TC_PRIO.INTERACTIVE_BULK,
    ]);
    // DSCP EF (0xb8) has TOS bits 0x18: interactive bulk; CS6 (0xc0) none: best effort.
    expect([rtTos2Priority(0xb8), rtTos2Priority(0xc0), rtTos2Priority(0x13)]).toEqual([TC_PRIO.INTERACTIVE_BULK, TC_PRIO.BESTEFFORT, TC_PRIO.INTERACTIVE]);
    // pfifo_fast: interactive in band 0, best effort and interactive bulk in band 1, bulk in band 2.
    expect([TC_PRIO.INTERACTIVE, TC_PRIO.BESTEFFORT, TC_PRIO.INTERACTIVE_BULK, TC_PRIO.BULK].map((p) => PFIFO_FAST_PRIOMAP[p])).toEqual([0, 1, 1, 2]);
  });
});

describe('Qdisc (pfifo_fast)', () => {
  it('dequeues band 0, then 1, then 2, each in arrival order; each band holds up to txqueuelen', () => {
    const q = new PfifoFast(() => 2);
    const order: [number, number][] = [[1, TC_PRIO.BULK], [2, 0], [3, TC_PRIO.INTERACTIVE], [4, 0], [5, TC_PRIO.CONTROL], [6, 0], [7, TC_PRIO.INTERACTIVE]];
    const accepted = order.map(([id, prio]) => q.enqueue(skb(id, prio)) === 'success');
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    expect([q.bandQlen(0), q.bandQlen(1), q.bandQlen(2), q.qlen, q.stats.drops]).toEqual([2, 2, 1, 5, 2]);
    expect(q.purge().map((s) => s.ip.id)).toEqual([3, 5, 2, 4, 1]);
  });

  it('property: nothing lost or duplicated, FIFO within a band, no band served while a lower one waits', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 15 }).map((p) => ({ op: 'enq' as const, p })), fc.constant({ op: 'deq' as const })), { maxLength: 200 }), fc.integer({ min: 1, max: 8 }), (ops, limit) => {
        const q = new PfifoFast(() => limit);
        const inQueue: Skb[] = [];
        const out: Skb[] = [];
        let id = 0;
        const mismatches: string[] = [];
        for (const o of ops) {
          if (o.op === 'enq') {
            const s = skb(++id, o.p);
            const band = PFIFO_FAST_PRIOMAP[o.p] ?? 1;
            const room = inQueue.filter((x) => PFIFO_FAST_PRIOMAP[x.priority] === band).length < limit;
            if ((q.enqueue(s) === 'success') !== room) mismatches.push(`enqueue ${id}`);
            if (room) inQueue.push(s);
          } else {
            const s = q.dequeue();
            const want = [...inQueue].sort((a, b) => (PFIFO_FAST_PRIOMAP[a.priority] ?? 1) - (PFIFO_FAST_PRIOMAP[b.priority] ?? 1))[0];
            if (s !== want) mismatches.push(`dequeue ${s?.ip.id} for ${want?.ip.id}`);
            if (s !== undefined) {
              inQueue.splice(inQueue.indexOf(s), 1);
              out.push(s);
            }
          }
          if (q.qlen !== inQueue.length) mismatches.push(`qlen ${q.qlen} for ${inQueue.length}`);
        }
        expect(mismatches).toEqual([]);
        expect(new Set([...out, ...q.purge()]).size).toBe(out.length + inQueue.length);
      }),
    );
  });

  it('counts drops over the limit (not overlimits, as pfifo_fast_enqueue) and tracks the byte backlog', () => {
    let limit = 2;
    const q = new PfifoFast(() => limit);
    expect(q.enqueue(skb(1))).toBe('success');
    expect(q.enqueue(skb(2))).toBe('success');
    expect(q.enqueue(skb(3))).toBe('drop');
    expect(q.stats.drops).toBe(1);
    expect(q.stats.overlimits).toBe(0);
    expect(q.qlen).toBe(2);
    expect(q.backlog).toBe(2 * (14 + 20 + 8 + 100));
    limit = 3;
    expect(q.enqueue(skb(3))).toBe('success');
  });

  it('puts a requeued skb back at the head', () => {
    const q = new PfifoFast(() => 10);
    for (let i = 1; i <= 3; i++) q.enqueue(skb(i));
    const head = q.dequeue() as Skb;
    q.requeue(head);
    expect(q.stats.requeues).toBe(1);
    expect(q.purge().map((s) => s.ip.id)).toEqual([1, 2, 3]);
    expect(q.qlen).toBe(0);
    expect(q.backlog).toBe(0);
  });
});
