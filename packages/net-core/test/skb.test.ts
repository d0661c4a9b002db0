import { describe, expect, it } from 'vitest';
import { allocSkbTruesize, ETH_HLEN, flowHash, IPPROTO, reciprocalScale, Skb } from '../src/index.js';
import { makeLab } from './helpers.js';

const ip = { src: 0x0a000001, dst: 0x0a000002, protocol: IPPROTO.TCP, id: 0, ttl: 64, df: true, tos: 0 };

describe('Skb', () => {
  it('sizes truesize as __alloc_skb does (kmalloc buckets, power-of-two pages above 8 KiB)', () => {
    expect(allocSkbTruesize(0)).toBe(512 + 256);
    expect(allocSkbTruesize(1500)).toBe(2048 + 256);
    expect(allocSkbTruesize(65524)).toBe(131072 + 256);
  });

  it('follows skb->len through the layers and runs the destructor once on free', () => {
    const skb = new Skb({ ip, l4: { kind: 'tcp', sport: 1, dport: 2, seq: 0, ack: 0, flags: 0x10, window: 1, tsval: 1, tsecr: 2 }, payloadLen: 1000, macLen: ETH_HLEN });
    expect(skb.l4HeaderLen).toBe(32);
    expect(skb.networkLen).toBe(20 + 32 + 1000);
    expect(skb.len).toBe(ETH_HLEN + 1052);
    let calls = 0;
    skb.setOwner({ txQueueMapping: -1, rxQueueMapping: -1, cachesTxQueue: false }, () => calls++);
    const cpu = makeLab().a.cpu(0);
    skb.free(cpu);
    expect(calls).toBe(1);
    expect(() => skb.free(cpu)).toThrow(/freed twice/);
  });

  it('hashes flows to a non-zero value and scales it into a range', () => {
    const a = new Skb({ ip, l4: { kind: 'udp', sport: 1000, dport: 9 } });
    const b = new Skb({ ip, l4: { kind: 'udp', sport: 1001, dport: 9 } });
    expect(flowHash(a, 7)).not.toBe(0);
    expect(flowHash(a, 7)).not.toBe(flowHash(b, 7));
    expect(flowHash(a, 7)).toBe(flowHash(a, 7));
    expect(reciprocalScale(0xffffffff, 4)).toBe(3);
    expect(reciprocalScale(0, 4)).toBe(0);
  });
});
