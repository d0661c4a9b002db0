import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelError, SOFTIRQ_VECTORS, Tasklet, type ExecContext, type SoftirqVector } from '../src/index.js';
import { quietHost } from './helpers.js';

describe('Tasklet', () => {
  it('runs on the scheduling CPU with the softirq entry cost, once per schedule while pending', () => {
    const { sim, host } = quietHost();
    const ran: string[] = [];
    const t = host.createTasklet('t', (ctx) => {
      ran.push(`cpu${ctx.cpu.id}@${ctx.start}`);
      ctx.charge(1000);
      return false;
    });
    expect(t.schedule(host.cpu(2))).toBe(true);
    expect(t.schedule(host.cpu(2))).toBe(false);
    expect(t.schedule(host.cpu(1))).toBe(false);
    sim.run();
    expect(ran).toEqual(['cpu2@0']);
    expect(t.runs).toBe(1);
    expect(host.cpu(2).usage().softirq).toBe(1500);
  });

  it('is never concurrent with itself: scheduled on another CPU while running, it waits for the run to end', () => {
    const { sim, host } = quietHost();
    const spans: [number, number, number][] = [];
    let active = 0;
    let maxActive = 0;
    const t = host.createTasklet('t', (ctx) => {
      active++;
      maxActive = Math.max(maxActive, active);
      ctx.charge(10_000);
      spans.push([ctx.cpu.id, ctx.start, ctx.time]);
      sim.at(ctx.time, () => active--);
      return false;
    });
    t.schedule(host.cpu(0));
    sim.at(2_000, () => t.schedule(host.cpu(1)));
    sim.at(3_000, () => t.schedule(host.cpu(2)));
    sim.run();
    expect(spans).toHaveLength(2);
    const [first, second] = spans as [[number, number, number], [number, number, number]];
    expect(first[0]).toBe(0);
    expect(second[0]).toBe(1);
    expect(second[1]).toBeGreaterThanOrEqual(first[2]);
    expect(maxActive).toBe(1);
  });

  it('scheduled while running on the same CPU, runs once more afterwards (SCHED cleared before the callback)', () => {
    const { sim, host } = quietHost();
    let runs = 0;
    const t = host.createTasklet('t', (ctx) => {
      runs++;
      if (runs === 1) t.schedule(ctx);
      ctx.charge(100);
      return false;
    });
    t.schedule(host.cpu(0));
    sim.run();
    expect(runs).toBe(2);
  });

  it('a multi-step tasklet keeps its CPU between steps; kill() drops a pending run and allows later schedules', () => {
    const { sim, host } = quietHost();
    let steps = 0;
    const t = host.createTasklet('t', (ctx) => {
      ctx.charge(10);
      return ++steps < 3;
    });
    t.schedule(host.cpu(0));
    sim.run();
    expect(steps).toBe(3);
    expect(t.runs).toBe(1);
    t.schedule(host.cpu(0));
    t.kill();
    sim.run();
    expect(steps).toBe(3);
    expect(t.runs).toBe(1);
    t.schedule(host.cpu(0));
    t.kill();
    expect(t.schedule(host.cpu(1))).toBe(true);
    sim.run();
    expect(steps).toBe(4);
    expect(t.runs).toBe(2);
  });
});

describe('Softirq', () => {
  it('runs per CPU, concurrently on different CPUs', () => {
    const { sim, host } = quietHost();
    const ran: string[] = [];
    const netRx = host.openSoftirq('NET_RX', (ctx) => {
      ran.push(`cpu${ctx.cpu.id}@${ctx.start}`);
      ctx.charge(5000);
      return false;
    });
    expect(netRx.raise(host.cpu(0))).toBe(true);
    expect(netRx.raise(host.cpu(0))).toBe(false);
    expect(netRx.raise(host.cpu(3))).toBe(true);
    sim.run();
    expect(ran).toEqual(['cpu0@0', 'cpu3@0']);
  });
});

describe('__do_softirq passes', () => {
  it('handle the pending vectors in vector order; a handler takes what its vector has when it starts; what is raised on a handled vector waits for the next pass', () => {
    const { sim, host } = quietHost();
    const ran: string[] = [];
    const step = (name: string, then?: () => void) => (ctx: ExecContext): boolean => {
      ran.push(name);
      ctx.charge(1000);
      then?.();
      return false;
    };
    const late = new Tasklet(host, 'late', step('late'));
    const hi = new Tasklet(host, 'hi', step('hi'), 'HI');
    const timer = new Tasklet(host, 'timer', step('timer'), 'TIMER');
    const again = new Tasklet(host, 'timer-again', step('timer-again'), 'TIMER');
    const a = host.createTasklet('a', step('a'));
    const netRx = host.openSoftirq('NET_RX', step('net_rx', () => {
      late.schedule(host.cpu(0));
      again.schedule(host.cpu(0));
    }));
    const irq = host.requestIrq('dev', (ctx) => {
      a.schedule(ctx);
      netRx.raise(ctx);
      timer.schedule(ctx);
      hi.schedule(ctx);
    }, { affinity: 1 });
    irq.raise();
    sim.run();
    // TASKLET's list holds `late` when its handler starts; TIMER was handled before NET_RX raised it again.
    expect(ran).toEqual(['hi', 'timer', 'net_rx', 'a', 'late', 'timer-again']);
  });

  it('run pending work in the order of handle_softirqs, whatever is pending and whatever each run raises (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ vector: fc.constantFrom(...SOFTIRQ_VECTORS), cost: fc.integer({ min: 0, max: 5_000 }), raises: fc.array(fc.nat(15), { maxLength: 3 }) }), { minLength: 1, maxLength: 16 }),
        fc.array(fc.nat(15), { minLength: 1, maxLength: 16 }),
        (specs, initial) => {
          const { sim, host } = quietHost({ cpus: 1 });
          const nr = specs.map((spec) => SOFTIRQ_VECTORS.indexOf(spec.vector));
          // Only later tasklets, so chains end.
          const raises = specs.map((spec, i) => spec.raises.filter((j) => j > i && j < specs.length));
          const first = initial.filter((j) => j < specs.length);
          const ran: number[] = [];
          const ts: Tasklet[] = specs.map((spec, i) => new Tasklet(host, `t${i}`, (ctx) => {
            ran.push(i);
            ctx.charge(spec.cost);
            for (const j of raises[i] as number[]) (ts[j] as Tasklet).schedule(ctx);
            return false;
          }, spec.vector));
          sim.at(0, () => first.forEach((j) => (ts[j] as Tasklet).schedule(host.cpu(0))));
          sim.run();
          // handle_softirqs: a pass over the vectors pending at its start, in vector order, each
          // handler taking its list as it starts; a schedule while pending does nothing.
          const lists: number[][] = SOFTIRQ_VECTORS.map(() => []);
          const pending = new Set<number>();
          const sched = (j: number): void => {
            if (pending.has(j)) return;
            pending.add(j);
            (lists[nr[j] as number] as number[]).push(j);
          };
          first.forEach(sched);
          const expected: number[] = [];
          while (pending.size > 0) {
            const mask = lists.map((l) => l.length > 0);
            lists.forEach((list, v) => {
              if (!mask[v]) return;
              for (const j of list.splice(0)) {
                pending.delete(j);
                expected.push(j);
                (raises[j] as number[]).forEach(sched);
              }
            });
          }
          expect(ran).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('softirq statistics (kstat softirqs, /proc/softirqs)', () => {
  it('counts a vector on the CPU it runs on: tasklets TASKLET, a softirq its own vector, timers TIMER and soft hrtimers HRTIMER', () => {
    const { sim, host } = quietHost();
    const vec = (name: string): number => SOFTIRQ_VECTORS.indexOf(name as SoftirqVector);
    const t = host.createTasklet('t', () => false);
    const hi = new Tasklet(host, 'hi', () => false, 'HI');
    const netRx = host.openSoftirq('NET_RX', () => false);
    t.schedule(host.cpu(1));
    t.schedule(host.cpu(1));
    sim.run();
    t.schedule(host.cpu(2));
    hi.schedule(host.cpu(0));
    netRx.raise(host.cpu(3));
    netRx.raise(host.cpu(0));
    host.createTimer('tm', () => undefined).mod(host.jiffies + 1);
    host.createHrtimer('hr', () => undefined, 'soft').start(10_000);
    host.createHrtimer('hard', () => undefined, 'hard').start(10_000);
    sim.run();
    const counts = host.cpus.map((c) => c.softirqCounts());
    expect(counts.map((c) => c[vec('TASKLET')])).toEqual([0, 1, 1, 0]);
    expect(counts.map((c) => c[vec('HI')])).toEqual([1, 0, 0, 0]);
    expect(counts.map((c) => c[vec('NET_RX')])).toEqual([1, 0, 0, 1]);
    expect(counts.reduce((s, c) => s + (c[vec('TIMER')] ?? 0), 0)).toBe(1);
    // A hard hrtimer's callback runs in hardirq context: no softirq run.
    expect(counts.reduce((s, c) => s + (c[vec('HRTIMER')] ?? 0), 0)).toBe(1);
    expect(counts.every((c) => c.length === SOFTIRQ_VECTORS.length)).toBe(true);
  });

  it('counts a vector once per pass that handles it, however many of its tasklets the pass runs', () => {
    const { sim, host } = quietHost();
    const nr = SOFTIRQ_VECTORS.indexOf('TASKLET');
    const ts = [0, 1, 2].map((i) => host.createTasklet(`t${i}`, (ctx) => {
      ctx.charge(1_000);
      return false;
    }));
    // One interrupt schedules all three: one pass, one TASKLET handler entry.
    host.requestIrq('dev', (ctx) => ts.forEach((t) => t.schedule(ctx)), { affinity: 1 }).raise();
    sim.run();
    expect(ts.map((t) => t.runs)).toEqual([1, 1, 1]);
    expect(host.cpu(0).softirqCounts()[nr]).toBe(1);
    // A tasklet that schedules itself again runs in the next pass: a second entry.
    let again = true;
    const self: Tasklet = host.createTasklet('self', () => {
      if (again) self.schedule(host.cpu(0));
      again = false;
      return false;
    });
    self.schedule(host.cpu(0));
    sim.run();
    expect(self.runs).toBe(2);
    expect(host.cpu(0).softirqCounts()[nr]).toBe(3);
  });

  it('a tasklet on a vector that is not a softirq is refused with EINVAL, naming the vectors', () => {
    const { host } = quietHost();
    const make = (): Tasklet => new Tasklet(host, 'x', () => false, 'NET_RXX' as SoftirqVector);
    expect(make).toThrow(KernelError);
    expect(make).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(make).toThrow("tasklet x: softirq vector 'NET_RXX' is not one of HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU");
  });
});
