import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../src/fifo.js';

describe('Fifo', () => {
  it('shifts, peeks and indexes from the head across compactions', () => {
    const f = new Fifo<number>();
    for (let i = 0; i < 500; i++) f.push(i);
    for (let i = 0; i < 300; i++) expect(f.shift()).toBe(i);
    expect(f.peek()).toBe(300);
    expect(f.at(10)).toBe(310);
    expect(f.tail()).toBe(499);
    f.insertAfter(0, -1);
    expect(f.at(1)).toBe(-1);
    f.unshift(-2);
    expect(f.length).toBe(202);
    expect(f.drain().slice(0, 3)).toEqual([-2, 300, -1]);
  });
});

describe('Fifo (property)', () => {
  it('behaves as an array under any sequence of push, unshift, shift, insertAfter and drain', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('push' as const), v: fc.integer() }),
      fc.record({ op: fc.constant('unshift' as const), v: fc.integer() }),
      fc.record({ op: fc.constant('shift' as const) }),
      fc.record({ op: fc.constant('insertAfter' as const), i: fc.nat(), v: fc.integer() }),
      fc.record({ op: fc.constant('drain' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const f = new Fifo<number>();
        const model: number[] = [];
        const got: unknown[] = [];
        const want: unknown[] = [];
        for (const o of ops) {
          if (o.op === 'push') {
            f.push(o.v);
            model.push(o.v);
          } else if (o.op === 'unshift') {
            f.unshift(o.v);
            model.unshift(o.v);
          } else if (o.op === 'shift') {
            got.push(f.shift());
            want.push(model.shift());
          } else if (o.op === 'drain') {
            got.push(f.drain());
            want.push(model.splice(0));
          } else if (model.length > 0) {
            const i = o.i % model.length;
            f.insertAfter(i, o.v);
            model.splice(i + 1, 0, o.v);
          }
          got.push([f.length, f.peek(), f.tail(), f.at(model.length >> 1)]);
          want.push([model.length, model[0], model.at(-1), model[model.length >> 1]]);
        }
        expect(got).toEqual(want);
      }),
    );
  });
});
