import { describe, expect, it } from 'vitest';
import { csumFold, csumPartial, formatIpv4, NetError, parseIpv4, parseIpv4Prefix, prefixMask } from '../src/index.js';

describe('IPv4 helpers', () => {
  it('parses and formats addresses and prefixes', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(formatIpv4(0xc0a80102)).toBe('192.168.1.2');
    expect(parseIpv4Prefix('10.0.0.2/24')).toEqual({ addr: 0x0a000002, prefixLen: 24 });
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixMask(0)).toBe(0);
    expect(() => parseIpv4('10.0.0.256')).toThrow(NetError);
    expect(() => parseIpv4Prefix('10.0.0.1/33')).toThrow(/len 0..32/);
  });

  it('computes the RFC 1071 checksum (RFC 1071 example and odd lengths)', () => {
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(csumPartial(b)).toBe(0xddf2);
    expect(csumFold(csumPartial(b))).toBe(0x220d);
    expect(csumPartial(Uint8Array.from([0x12]))).toBe(0x1200);
  });
});
