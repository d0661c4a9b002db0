import { describe, expect, it } from 'vitest';
import {
  checkDoorbellMode,
  epDbValidMask,
  epDbVectorCount,
  epLegacyMsi,
  epPerBitMsi,
  epPollFirstSlot,
  epSlotEvent,
  EpfError,
  ffs,
  hostDbValidMask,
  hostDbVectorCount,
  hostIsrAction,
  hostPeerDbSlot,
} from '../src/index.js';

describe('doorbell mapping', () => {
  it('ffs is 1-based and 0 for no bits', () => {
    expect([ffs(0), ffs(1), ffs(0b1000), ffs(0x8000_0000), ffs(0b1100)]).toEqual([0, 1, 4, 32, 3]);
  });

  it('host rings slot ffs + 1: bit b → slot b + 2 (only the lowest set bit)', () => {
    expect(hostPeerDbSlot(1)).toBe(2);
    expect(hostPeerDbSlot(1 << 5)).toBe(7);
    expect(hostPeerDbSlot(0b110)).toBe(3);
    expect(hostPeerDbSlot(0)).toBe(1);
  });

  it('legacy: valid mask BIT(db_count) − 1, vector numbers, slot 1 = bit 0', () => {
    expect(hostDbValidMask('legacy', 15)).toBe(0x7fff);
    expect(epDbValidMask('legacy', 16)).toBe(0xffff);
    expect(hostIsrAction('legacy', 0, 15)).toEqual({ kind: 'link' });
    expect(hostIsrAction('legacy', 5, 15)).toEqual({ kind: 'db', vector: 5, bit: -1 });
    expect(epPollFirstSlot('legacy')).toBe(1);
    expect(epSlotEvent('legacy', 2)).toEqual({ bit: 1, vector: 2 });
    expect(epLegacyMsi(1 << 3)).toBe(6);
  });

  it('per-bit: 0-based vectors, valid masks cover only real doorbells', () => {
    expect(hostDbValidMask('per-bit', 15)).toBe(0x3fff);
    expect(hostDbVectorCount(15)).toBe(14);
    expect(hostDbVectorCount(2)).toBe(0);
    expect(epDbValidMask('per-bit', 16)).toBe(0x3fff);
    expect(epDbVectorCount(16)).toBe(14);
    expect(hostIsrAction('per-bit', 1, 15)).toEqual({ kind: 'ignored', reason: 'reserved' });
    expect(hostIsrAction('per-bit', 2, 15)).toEqual({ kind: 'db', vector: 0, bit: 0 });
    expect(hostIsrAction('per-bit', 15, 15)).toEqual({ kind: 'db', vector: 13, bit: 13 });
    expect(hostIsrAction('per-bit', 15, 14)).toEqual({ kind: 'ignored', reason: 'out-of-range' });
    expect(epPollFirstSlot('per-bit')).toBe(2);
    expect(epSlotEvent('per-bit', 2)).toEqual({ bit: 0, vector: 0 });
    expect(epPerBitMsi(0)).toBe(3);
  });

  it('EP bit b reaches host vector b + 2 in both vNTB modes', () => {
    for (let b = 0; b < 14; b++) {
      expect(epLegacyMsi(1 << b) - 1).toBe(b + 2);
      expect(epPerBitMsi(b) - 1).toBe(b + 2);
    }
  });

  it('rejects an unknown mode with an errno-coded error naming the field', () => {
    expect(() => checkDoorbellMode('per-vector', 'doorbell.rc')).toThrow(EpfError);
    expect(() => checkDoorbellMode('per-vector', 'doorbell.rc')).toThrow(/doorbell\.rc: got "per-vector", allowed legacy or per-bit/);
  });
});
