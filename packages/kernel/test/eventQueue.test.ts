import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../src/index.js';

describe('EventQueue', () => {
  it('pops in time order, equal times in insertion order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const q = new EventQueue();
        times.forEach((t, i) => q.push(t, () => undefined, i));
        const out: { t: number; i: number }[] = [];
        for (let ev = q.pop(); ev !== undefined; ev = q.pop()) out.push({ t: ev.time, i: ev.arg as number });
        const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i);
        expect(out).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('interleaved push/pop keeps the heap order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1)), { maxLength: 400 }), (ops) => {
        const q = new EventQueue();
        const popped: number[] = [];
        let floor = 0;
        for (const op of ops) {
          if (op === -1) {
            const ev = q.pop();
            floor = ev?.time ?? floor;
            if (ev !== undefined) popped.push(ev.time);
          } else {
            q.push(floor + op, () => undefined, null);
          }
        }
        expect(popped).toEqual([...popped].sort((a, b) => a - b));
      }),
    );
  });
});
