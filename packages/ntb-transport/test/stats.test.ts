import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashedPointer } from '../src/stats.js';

describe('debugfs stats pointers', () => {
  it('print as %p does on a 64-bit kernel: 0x and 16 lowercase hex digits, for any address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (addr) => {
        expect(hashedPointer(addr)).toMatch(/^0x[0-9a-f]{16}$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('are stable and tell addresses apart', () => {
    expect(hashedPointer(0x8000_0000)).toBe(hashedPointer(0x8000_0000));
    expect(hashedPointer(0x8000_0000)).not.toBe(hashedPointer(0x8004_0000));
  });
});
