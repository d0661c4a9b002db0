import { describe, expect, it } from 'vitest';
import { createSimulation, KernelError } from '../src/index.js';

describe('Simulation', () => {
  it('runs equal-time events in the order they were scheduled', () => {
    const sim = createSimulation();
    const order: string[] = [];
    sim.at(10, () => order.push('a'));
    sim.at(5, () => {
      order.push('b');
      sim.at(10, () => order.push('d'));
    });
    sim.at(10, () => order.push('c'));
    sim.run();
    expect(order).toEqual(['b', 'a', 'c', 'd']);
    expect(sim.now).toBe(10);
  });

  it('skips cancelled events and stops at `until`', () => {
    const sim = createSimulation();
    const seen: number[] = [];
    const ev = sim.at(3, () => seen.push(3));
    sim.at(4, () => seen.push(4));
    sim.at(9, () => seen.push(9));
    sim.cancel(ev);
    expect(sim.run({ until: 5 })).toBe(1);
    expect(seen).toEqual([4]);
    expect(sim.now).toBe(5);
    sim.run();
    expect(seen).toEqual([4, 9]);
  });

  it('refuses to schedule in the past and rejects bad seeds', () => {
    const sim = createSimulation();
    sim.run({ until: 100 });
    expect(() => sim.at(50, () => undefined)).toThrow(KernelError);
    expect(() => sim.at(50, () => undefined)).toThrow(/no travel back in time/);
    expect(() => createSimulation({ seed: -1 })).toThrow(/seed: got -1/);
    expect(() => createSimulation({ seed: 1.5 })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('maxEvents bounds a run and stop() ends it', () => {
    const sim = createSimulation();
    let n = 0;
    const tick = (): void => {
      n++;
      if (n === 7) sim.stop();
      sim.after(1, tick);
    };
    sim.after(0, tick);
    expect(sim.run({ maxEvents: 3 })).toBe(3);
    sim.run();
    expect(n).toBe(7);
  });
});
