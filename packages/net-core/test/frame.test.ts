import { describe, expect, it } from 'vitest';
import { ETH_HLEN, IPPROTO, Skb, skbChecksumOk, skbFromFrame, skbToFrame, TCP_FLAG } from '../src/index.js';

describe('skbToFrame / skbFromFrame', () => {
  it('round-trips a TCP segment with options and verifies its checksum', () => {
    const data = Uint8Array.from({ length: 333 }, (_, i) => i & 0xff);
    const skb = new Skb({
      ip: { src: 0x0a000001, dst: 0x0a000002, protocol: IPPROTO.TCP, id: 77, ttl: 64, df: true, tos: 0 },
      l4: { kind: 'tcp', sport: 40000, dport: 5201, seq: 0xfffffff0, ack: 12345, flags: TCP_FLAG.ACK | TCP_FLAG.PSH, window: 512, tsval: 99, tsecr: 98 },
      data,
      macLen: ETH_HLEN,
    });
    const frame = skbToFrame(skb);
    expect(frame.length).toBe(ETH_HLEN + 20 + 32 + 333);
    const r = skbFromFrame(frame);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.skb.l4).toMatchObject({ kind: 'tcp', seq: 0xfffffff0, ack: 12345, window: 512, tsval: 99, tsecr: 98 });
    expect(skbChecksumOk(r.skb)).toBe(true);
    frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
    const bad = skbFromFrame(frame);
    expect(bad.ok && skbChecksumOk(bad.skb)).toBe(false);
  });

  it('carries headers only in timing mode and rebuilds the lengths', () => {
    const skb = new Skb({ ip: { src: 1, dst: 2, protocol: IPPROTO.UDP, id: 1, ttl: 64, df: false, tos: 0 }, l4: { kind: 'udp', sport: 1, dport: 2 }, payloadLen: 60000, macLen: ETH_HLEN });
    const frame = skbToFrame(skb);
    expect(frame.length).toBe(ETH_HLEN + 28);
    const r = skbFromFrame(frame, skb.len);
    expect(r.ok && r.skb.payloadLen === 60000 && r.skb.data === null).toBe(true);
  });
});
