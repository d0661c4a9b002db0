import { describe, expect, it } from 'vitest';
import { IPPROTO, Qdisc, Skb } from '../src/index.js';

function skb(id: number): Skb {
  return new Skb({ ip: { src: 1, dst: 2, protocol: IPPROTO.UDP, id, ttl: 64, df: true, tos: 0 }, l4: { kind: 'udp', sport: 1, dport: 2 }, payloadLen: 100, macLen: 14 });
}

describe('Qdisc (pfifo_fast band)', () => {
  it('counts drops over the limit (not overlimits, as pfifo_fast_enqueue) and tracks the byte backlog', () => {
    let limit = 2;
    const q = new Qdisc(() => limit);
    expect(q.enqueue(skb(1))).toBe(true);
    expect(q.enqueue(skb(2))).toBe(true);
    expect(q.enqueue(skb(3))).toBe(false);
    expect(q.stats.drops).toBe(1);
    expect(q.stats.overlimits).toBe(0);
    expect(q.qlen).toBe(2);
    expect(q.backlog).toBe(2 * (14 + 20 + 8 + 100));
    limit = 3;
    expect(q.enqueue(skb(3))).toBe(true);
  });

  it('puts a requeued skb back at the head', () => {
    const q = new Qdisc(() => 10);
    for (let i = 1; i <= 3; i++) q.enqueue(skb(i));
    const head = q.dequeue() as Skb;
    q.requeue(head);
    expect(q.stats.requeues).toBe(1);
    expect(q.purge().map((s) => s.ip.id)).toEqual([1, 2, 3]);
    expect(q.qlen).toBe(0);
    expect(q.backlog).toBe(0);
  });
});
