import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSimulation, KernelError, type SimEvent } from '../src/index.js';

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

  it('run refuses an until before now or NaN and a negative or NaN maxEvents, and changes nothing', () => {
    const sim = createSimulation();
    let ran = 0;
    sim.at(200, () => ran++);
    sim.run({ until: 100 });
    for (const bad of [{ until: 50 }, { until: Number.NaN }, { maxEvents: -1 }, { maxEvents: Number.NaN }]) {
      expect(() => sim.run(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      expect(sim.now).toBe(100);
    }
    expect(() => sim.run({ until: Number.NaN })).toThrow(/run until NaN ns: allowed a time in ns ≥ now/);
    expect(ran).toBe(0);
    sim.run();
    expect([sim.now, ran]).toEqual([200, 1]);
  });

  it('cancel with the seq read at scheduling time is a no-op on a handle whose event fired and whose object was reused', () => {
    const sim = createSimulation();
    let f = 0;
    let g = 0;
    const ev = sim.after(10, () => f++);
    const seq = ev.seq;
    sim.run();
    const ev2 = sim.after(5, () => g++);
    sim.cancel(ev, seq);
    sim.run();
    expect([f, g]).toEqual([1, 1]);
    const ev3 = sim.after(5, () => g++);
    sim.cancel(ev3, ev3.seq);
    sim.run();
    expect(g).toBe(1);
    expect(ev2).toBeDefined();
  });

  it('a canceller kept past its event is a no-op: the later event its reused object names still runs; while pending it cancels', () => {
    const sim = createSimulation();
    const fired: string[] = [];
    const stop1 = sim.canceller(sim.after(10, () => fired.push('e1')));
    sim.run();
    sim.after(10, () => fired.push('e2'));
    stop1();
    sim.run();
    const stop3 = sim.canceller(sim.after(10, () => fired.push('e3')));
    stop3();
    stop3();
    sim.run();
    expect(fired).toEqual(['e1', 'e2']);
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

  it('events scheduled and cancelled from callbacks run in (time, seq) order, as one sorted list would run them (property)', () => {
    // Each fired event schedules the delays of its plan (0 = now, the same-time FIFO; later ones
    // may replace the firing event at the heap's top) and may cancel an earlier pending event.
    const plan = fc.array(fc.record({ delays: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }), cancel: fc.option(fc.nat(), { nil: null }) }), { minLength: 1, maxLength: 120 });
    fc.assert(
      fc.property(plan, (steps) => {
        const sim = createSimulation();
        const fired: number[] = [];
        const handles = new Map<number, SimEvent>();
        const ref: { id: number; time: number; seq: number; live: boolean }[] = [];
        let nextId = 0;
        const schedule = (time: number): void => {
          const id = nextId++;
          ref.push({ id, time, seq: id, live: true });
          handles.set(
            id,
            sim.at(time, () => {
              handles.delete(id);
              fired.push(id);
              const step = steps[fired.length % steps.length];
              if (step === undefined || fired.length > 400) return;
              for (const d of step.delays) schedule(sim.now + d);
              if (step.cancel !== null) {
                const pending = [...handles.keys()];
                const victim = pending[step.cancel % Math.max(1, pending.length)];
                const h = victim === undefined ? undefined : handles.get(victim);
                if (victim !== undefined && h !== undefined) {
                  sim.cancel(h);
                  handles.delete(victim);
                  const r = ref.find((x) => x.id === victim);
                  if (r !== undefined) r.live = false;
                }
              }
            }),
          );
        };
        schedule(0);
        schedule(0);
        schedule(7);
        sim.run();
        // Replay with a sorted list: the live entries in (time, seq) order, each fired once.
        const firedSet = new Set(fired);
        expect(firedSet.size).toBe(fired.length);
        const expected = ref
          .filter((r) => r.live && firedSet.has(r.id))
          .sort((a, b) => a.time - b.time || a.seq - b.seq)
          .map((r) => r.id);
        expect(fired).toEqual(expected);
        expect(ref.filter((r) => r.live && !firedSet.has(r.id))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('a callback that throws leaves the queue consistent: the next run goes on in order', () => {
    const sim = createSimulation();
    const order: string[] = [];
    sim.at(5, () => {
      sim.at(8, () => order.push('late'));
      throw new Error('boom');
    });
    sim.at(6, () => order.push('next'));
    expect(() => sim.run()).toThrow('boom');
    sim.run();
    expect(order).toEqual(['next', 'late']);
  });
});
