import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkEnd, OfoQueue, type RcvChunk } from '../../src/tcp/tcpQueues.js';

const chunk = (seq: number, len: number): RcvChunk => ({ seq, len, data: null, off: 0, truesize: len, fin: false });

describe('OfoQueue', () => {
  it('keeps chunks sorted, none contained in another, and covers every inserted byte', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 30 })), { maxLength: 40 }), fc.integer({ min: 0, max: 5 }), (ins, shifts) => {
        const q = new OfoQueue();
        let live = 0;
        for (const [seq, len] of ins) {
          const r = q.insert(chunk(seq, len));
          live += (r.queued ? 1 : 0) - r.removed.length;
        }
        for (let i = 0; i < shifts; i++) if (q.shift() !== undefined) live--;
        expect(q.length).toBe(live);
        const all = q.drain();
        for (let i = 1; i < all.length; i++) {
          const a = all[i - 1] as RcvChunk;
          const b = all[i] as RcvChunk;
          expect(a.seq).toBeLessThan(b.seq);
          expect(chunkEnd(a)).toBeLessThan(chunkEnd(b));
        }
        const uncovered = shifts > 0 ? [] : ins.flatMap(([seq, len]) => Array.from({ length: len }, (_, i) => seq + i)).filter((x) => !all.some((c) => c.seq <= x && x < chunkEnd(c)));
        expect(uncovered).toEqual([]);
      }),
    );
  });
});
