import { describe, expect, it } from 'vitest';
import { PhysMemory } from '../src/index.js';

describe('PhysMemory', () => {
  it('allocates aligned, non-overlapping regions first-fit and reuses freed space', () => {
    const m = new PhysMemory('h', 0x1000, 0x10_0000);
    const a = m.alloc(0x100, 0x1000, 'a');
    const b = m.alloc(0x2000, 0x2000, 'b');
    expect(a?.dmaAddr).toBe(0x1000);
    expect(b?.dmaAddr).toBe(0x2000);
    const c = m.alloc(0x10, 0x10, 'c');
    expect(c?.dmaAddr).toBe(0x1100);
    if (a === null || b === null) throw new Error('alloc');
    expect(m.free(a)).toBe(true);
    expect(m.free(a)).toBe(false);
    expect(m.alloc(0x80, 0x1000, 'd')?.dmaAddr).toBe(0x1000);
    expect(m.find(0x2000 + 0x1ffc, 4)).toBe(b);
    expect(m.find(0x2000 + 0x1ffe, 4)).toBeNull();
    expect(m.alloc(0x10_0000, 0x1000, 'big')).toBeNull();
    expect(m.alloc(16, 3, 'bad')).toBeNull();
  });

  it('gives each region a real byte array with a little-endian view', () => {
    const m = new PhysMemory('h');
    const r = m.alloc(64, 4096, 'r');
    r?.view.setUint32(4, 0x01020304, true);
    expect(Array.from(r?.bytes.slice(4, 8) ?? [])).toEqual([4, 3, 2, 1]);
  });
});
