import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExecContext, Host, Runnable } from '../src/index.js';
import { quietHost } from './helpers.js';

function work(kind: Runnable['kind'], name: string, costs: number[], log: string[]): Runnable {
  let i = 0;
  return {
    kind,
    name,
    run(ctx: ExecContext): boolean {
      log.push(`${name}@${ctx.start}/cpu${ctx.cpu.id}`);
      ctx.charge(costs[i] ?? 0);
      i++;
      return i < costs.length;
    },
  };
}

/** A user task `app` pinned to CPU 0 that never sleeps, 100 µs per step; counts its steps. */
function cpuHog(host: Host): { steps: number } {
  const app = { steps: 0 };
  host.createUserTask('app', (ctx) => {
    ctx.charge(100_000);
    app.steps++;
    return 'run';
  }, { cpus: 1 });
  return app;
}

describe('Cpu', () => {
  it('serialises two contexts on one CPU and overlaps them on two', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    host.cpu(0).enqueue(work('kthread', 'a', [1000], log));
    host.cpu(0).enqueue(work('kthread', 'b', [1000], log));
    sim.run();
    expect(log).toEqual(['a@0/cpu0', 'b@1000/cpu0']);
    expect(sim.now).toBe(2000);

    const two = quietHost();
    const log2: string[] = [];
    two.host.cpu(0).enqueue(work('kthread', 'a', [1000], log2));
    two.host.cpu(1).enqueue(work('kthread', 'b', [1000], log2));
    two.sim.run();
    expect(log2).toEqual(['a@0/cpu0', 'b@0/cpu1']);
    expect(two.sim.now).toBe(1000);
  });

  it('runs hardirq before softirq before process work, preempting at step boundaries', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    const cpu = host.cpu(0);
    cpu.enqueue(work('user', 'user', [100, 100], log));
    sim.at(50, () => {
      cpu.enqueue(work('kthread', 'kt', [10], log));
      cpu.enqueue(work('softirq', 'soft', [10], log));
      cpu.enqueue(work('hardirq', 'hard', [10], log));
    });
    sim.run();
    expect(log).toEqual(['user@0/cpu0', 'hard@100/cpu0', 'soft@110/cpu0', 'kt@120/cpu0', 'user@130/cpu0']);
  });

  it('continues a multi-step softirq ahead of other softirqs; a process context keeps its CPU for a slice', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    const cpu = host.cpu(0);
    cpu.enqueue(work('softirq', 's1', [10, 10], log));
    cpu.enqueue(work('softirq', 's2', [10], log));
    cpu.enqueue(work('kthread', 'k1', [10, 10], log));
    cpu.enqueue(work('user', 'u1', [10, 10], log));
    sim.run();
    expect(log.map((l) => l.split('@')[0])).toEqual(['s1', 's1', 's2', 'k1', 'k1', 'u1', 'u1']);
  });

  it('shares a CPU fairly between process contexts: slices of 0.75 ms x (1 + log2 CPUs), least runtime first', () => {
    const { sim, host } = quietHost();
    const slice = 750_000 * (1 + Math.log2(Math.min(8, host.cpus.length)));
    const log: string[] = [];
    const cpu = host.cpu(0);
    const steps = Array.from({ length: 40 }, () => 250_000);
    cpu.enqueue(work('kthread', 'a', steps, log));
    cpu.enqueue(work('user', 'b', steps, log));
    sim.run({ until: 4 * slice });
    const names = log.map((l) => l.split('@')[0]).join('');
    const per = slice / 250_000;
    expect(names).toBe('a'.repeat(per) + 'b'.repeat(per) + 'a'.repeat(per) + 'b'.repeat(per) + 'a');
    const u = cpu.usage();
    expect(u.kthread).toBe(u.user);
  });

  it('starts a waking process context at the CPU\'s min_vruntime, so a long sleeper gets no burst', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    const cpu = host.cpu(0);
    cpu.enqueue(work('kthread', 'hog', Array.from({ length: 200 }, () => 1_000_000), log));
    sim.run({ until: 50_000_000 });
    cpu.enqueue(work('user', 'late', Array.from({ length: 200 }, () => 1_000_000), log));
    sim.run({ until: 100_000_000 });
    const after = log.filter((l) => Number(l.split('@')[1]?.split('/')[0]) >= 50_000_000).map((l) => l.split('@')[0]);
    const late = after.filter((n) => n === 'late').length;
    expect(late / after.length).toBeGreaterThan(0.4);
    expect(late / after.length).toBeLessThan(0.6);
  });

  it('hands softirq overload to ksoftirqd, which then shares the CPU fairly with a task', () => {
    const { sim, host } = quietHost();
    const cpu = host.cpu(0);
    let runs = 0;
    const t = host.createTasklet('flood', (ctx) => {
      ctx.charge(500_000);
      runs++;
      t.schedule(ctx);
      return false;
    });
    t.schedule(cpu);
    sim.run({ until: 20_000_250 });
    // ksoftirqd has the flood by now; mid-step, its unelapsed part comes off softirq time.
    expect(cpu.usage()).toMatchObject({ hardirq: 0, softirq: 20_000_250, kthread: 0, user: 0, idle: 0 });
    const app = cpuHog(host);
    const before = cpu.usage();
    sim.run({ until: 120_000_000 });
    const u = cpu.usage();
    const user = u.user - before.user;
    const softirq = u.softirq - before.softirq;
    expect(app.steps).toBeGreaterThan(0);
    expect(user / (user + softirq)).toBeGreaterThan(0.4);
    expect(user / (user + softirq)).toBeLessThan(0.6);
    expect(runs).toBeGreaterThan(100);
  });

  it('runs the softirq work an interrupt raises at irq exit, ahead of the task it hit, even while ksoftirqd has the softirq work (v6.5+), in vector order', () => {
    const delays = { tasklet: NaN, softirq: NaN };
    for (const vector of ['tasklet', 'softirq'] as const) {
      const { sim, host } = quietHost();
      const cpu = host.cpu(0);
      const log: string[] = [];
      const flood = host.createTasklet('flood', (ctx) => {
        ctx.charge(500_000);
        flood.schedule(ctx);
        return false;
      });
      flood.schedule(cpu);
      const app = cpuHog(host);
      const rxFn = (ctx: ExecContext): boolean => {
        log.push(`rx@${ctx.start}`);
        ctx.charge(50_000);
        return false;
      };
      const tasklet = host.createTasklet('rx', rxFn);
      const netRx = host.openSoftirq('NET_RX', rxFn);
      const irq = host.requestIrq('db', (ctx) => {
        log.push(`irq@${ctx.start}`);
        if (vector === 'tasklet') tasklet.schedule(ctx);
        else netRx.raise(ctx);
      }, { affinity: 1 });
      // By 30 ms ksoftirqd has the flood and shares the CPU with the task; raise the interrupt
      // while the task holds the CPU.
      let raisedAt = -1;
      const probe = (): void => {
        const running = cpu.running;
        if (running !== null && running.name === 'app') {
          raisedAt = sim.now;
          irq.raise();
        } else {
          sim.after(10_000, probe);
        }
      };
      sim.at(30_000_000, probe);
      sim.run({ until: 60_000_000 });
      expect(raisedAt).toBeGreaterThan(0);
      expect(app.steps).toBeGreaterThan(0);
      const irqAt = Number(log.find((l) => l.startsWith('irq@'))?.slice(4));
      const rxAt = Number(log.find((l) => l.startsWith('rx@'))?.slice(3));
      // The task's step ends within 100 µs; the handler costs its entry/exit (1 µs here).
      expect(irqAt - raisedAt).toBeLessThanOrEqual(100_000);
      delays[vector] = rxAt - irqAt;
    }
    // irq exit: a pass over the pending work. A tasklet queues behind the flood's pending run
    // on TASKLET's list; NET_RX is handled before TASKLET, so it runs first.
    expect(delays.tasklet).toBeGreaterThan(500_000);
    expect(delays.tasklet).toBeLessThanOrEqual(1_000 + 500_000 + 2 * 500);
    expect(delays.softirq).toBeLessThanOrEqual(1_000 + 500);
  });

  it('lets a softirq stretch run on while it is short and no task waits, and never splits a softirq run', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    const cpu = host.cpu(0);
    cpu.enqueue(work('softirq', 'long', [400_000, 400_000, 400_000, 400_000, 400_000, 400_000], log));
    cpu.enqueue(work('softirq', 'next', [10], log));
    sim.at(100, () => cpu.enqueue(work('user', 'u', [10], log)));
    sim.run();
    expect(log.map((l) => l.split('@')[0])).toEqual(['long', 'long', 'long', 'long', 'long', 'long', 'next', 'u']);
  });

  it('accounts time by context kind, readable mid-step', () => {
    const { sim, host } = quietHost();
    const cpu = host.cpu(0);
    const log: string[] = [];
    cpu.enqueue(work('hardirq', 'h', [100], log));
    cpu.enqueue(work('softirq', 's', [200], log));
    cpu.enqueue(work('kthread', 'k', [300], log));
    cpu.enqueue(work('user', 'u', [400], log));
    sim.run({ until: 500 });
    expect(cpu.usage()).toEqual({ hardirq: 100, softirq: 200, kthread: 200, user: 0, idle: 0 });
    sim.run({ until: 2000 });
    expect(cpu.usage()).toEqual({ hardirq: 100, softirq: 200, kthread: 300, user: 400, idle: 1000 });
    expect(host.cpu(1).usage().idle).toBe(2000);
  });

  it('rounds each charge to the nanosecond, so issue times and what they schedule stay integers', () => {
    const { sim, host } = quietHost();
    const seen: number[] = [];
    host.cpu(0).enqueue({
      kind: 'kthread',
      name: 'rates',
      run: (ctx) => {
        ctx.charge(200 + 64 / 1.8);
        seen.push(ctx.time - ctx.start);
        ctx.charge(0.4);
        ctx.charge(0.6);
        seen.push(ctx.time - ctx.start);
        sim.at(ctx.time, () => seen.push(sim.now));
        return false;
      },
    });
    sim.run({ until: 10_000 });
    expect(seen).toEqual([236, 237, 237]);
    expect(host.cpu(0).usage().kthread).toBe(237);
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 20 }), (costs) => {
        const ctx = host.syscallContext();
        for (const c of costs) ctx.charge(c);
        return Number.isInteger(ctx.time) && ctx.time - ctx.start === costs.reduce((s, c) => s + Math.round(c), 0);
      }),
    );
  });

  it('rejects negative or NaN costs', () => {
    const { sim, host } = quietHost();
    host.cpu(0).enqueue({
      kind: 'user',
      name: 'bad',
      run: (ctx) => {
        ctx.charge(-1);
        return false;
      },
    });
    expect(() => sim.run()).toThrow(/cost must be a number ≥ 0 ns, got -1/);
    // The throw leaves no CPU marked as running (wake-up placement reads it).
    expect(host.runningCpu).toBeNull();
  });
});

describe('accounting by context name', () => {
  it('adds each step to its context name when enabled', async () => {
    const { createHost, createSimulation, getProfile } = await import('../src/index.js');
    const sim = createSimulation({ accountByName: true });
    const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    const t = host.createTasklet('rx', (ctx) => (ctx.charge(1000), false));
    t.schedule(host.cpu(0));
    sim.run();
    t.schedule(host.cpu(0));
    sim.run();
    const by = host.cpu(0).usageByName();
    expect(by.get('rx')).toBe(2 * Math.round(1000 + host.costs.softirqEntry()));
    expect(host.cpu(0).usageByTask().size).toBe(0);
    expect(createSimulation().accountByName).toBe(false);
  });

  it('accounts process contexts by task, softirq work run by ksoftirqd as ksoftirqd/N', async () => {
    const { createHost, createSimulation, getProfile } = await import('../src/index.js');
    const sim = createSimulation({ accountByName: true });
    const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    const cpu = host.cpu(0);
    const flood = host.createTasklet('flood', (ctx) => {
      ctx.charge(400_000);
      flood.schedule(ctx);
      return false;
    });
    flood.schedule(cpu);
    host.createKthread('worker', (ctx) => (ctx.charge(100_000), 'run'), { cpus: 1 });
    sim.run({ until: 100_000_000 });
    const tasks = cpu.usageByTask();
    expect([...tasks.keys()].sort()).toEqual(['ksoftirqd/0', 'worker']);
    const u = cpu.usage();
    expect((tasks.get('ksoftirqd/0') ?? 0) + (tasks.get('worker') ?? 0)).toBeLessThanOrEqual(u.softirq + u.kthread);
    expect(tasks.get('worker') ?? 0).toBeGreaterThan(30_000_000);
    expect(tasks.get('ksoftirqd/0') ?? 0).toBeGreaterThan(30_000_000);
    expect(cpu.usageByName().get('flood')).toBeGreaterThan(tasks.get('ksoftirqd/0') ?? 0);
  });

  it('a syscall context issues at now plus its charges, in process context on CPU 0, and charges no CPU', () => {
    const { sim, host } = quietHost();
    sim.run({ until: 5_000 });
    const ctx = host.syscallContext();
    expect({ kind: ctx.kind, cpu: ctx.cpu.id, start: ctx.start, time: ctx.time }).toEqual({ kind: 'user', cpu: 0, start: 5_000, time: 5_000 });
    ctx.charge(300);
    ctx.charge(200);
    expect(ctx.time).toBe(5_500);
    expect(() => ctx.charge(-1)).toThrow(/charge: cost must be a number ≥ 0 ns, got -1/);
    sim.run({ until: 10_000 });
    expect(host.cpus.map((c) => c.usage().user + c.usage().kthread + c.usage().softirq + c.usage().hardirq)).toEqual([0, 0, 0, 0]);
  });

  it('runs every step of every context once, in order, one at a time, never idle with work queued, and lets no task starve behind softirq work (property)', () => {
    const kinds = ['hardirq', 'softirq', 'kthread', 'user'] as const;
    const job = fc.record({
      kind: fc.constantFrom(...kinds),
      at: fc.integer({ min: 0, max: 20_000_000 }),
      steps: fc.array(fc.integer({ min: 0, max: 600_000 }), { minLength: 1, maxLength: 12 }),
    });
    fc.assert(
      fc.property(fc.array(job, { minLength: 1, maxLength: 25 }), fc.boolean(), (jobs, flood) => {
        const { sim, host } = quietHost();
        const cpu = host.cpu(0);
        const ran: { name: string; step: number; start: number; end: number }[] = [];
        const queuedAt = new Map<string, number>();
        jobs.forEach((j, n) => {
          const name = `${j.kind}${n}`;
          let i = 0;
          const r: Runnable = {
            kind: j.kind,
            name,
            run(ctx: ExecContext): boolean {
              const cost = j.steps[i] ?? 0;
              ctx.charge(cost);
              ran.push({ name, step: i, start: ctx.start, end: ctx.start + cost });
              i++;
              return i < j.steps.length;
            },
          };
          sim.at(j.at, () => {
            queuedAt.set(name, sim.now);
            cpu.enqueue(r);
          });
        });
        // A tasklet that re-schedules itself for 30 ms: softirq overload.
        let floods = 0;
        const t = host.createTasklet('flood', (ctx) => {
          ctx.charge(300_000);
          if (++floods < 100) t.schedule(ctx);
          return false;
        });
        if (flood) t.schedule(cpu);
        sim.run({ until: 10_000_000_000 });
        for (const [n, j] of jobs.entries()) {
          const steps = ran.filter((x) => x.name === `${j.kind}${n}`).map((x) => x.step);
          expect(steps).toEqual(j.steps.map((_, k) => k));
        }
        const all = [...ran].sort((a, b) => a.start - b.start || a.end - b.end);
        for (let k = 1; k < all.length; k++) expect(all[k]?.start).toBeGreaterThanOrEqual(all[k - 1]?.end ?? 0);
        const busy = all.reduce((a, x) => a + (x.end - x.start), 0) + (flood ? floods * 300_000 : 0);
        const u = cpu.usage();
        expect(u.hardirq + u.softirq + u.kthread + u.user).toBeGreaterThanOrEqual(busy);
      }),
      { numRuns: 200 },
    );
  });

  it('a task queued behind a softirq flood runs within the 2 ms stretch (whole jiffies), a run, and one slice per other context (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30_000_000 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 10_000, max: 500_000 }), (arrivals, run) => {
        const { sim, host } = quietHost();
        const cpu = host.cpu(0);
        const t = host.createTasklet('flood', (ctx) => {
          ctx.charge(run);
          t.schedule(ctx);
          return false;
        });
        t.schedule(cpu);
        const waits: number[] = [];
        arrivals.forEach((at, n) => {
          let first = true;
          const r: Runnable = {
            kind: n % 2 === 0 ? 'kthread' : 'user',
            name: `p${n}`,
            run(ctx: ExecContext): boolean {
              if (first) waits.push(ctx.start - at);
              first = false;
              ctx.charge(200_000);
              return true;
            },
          };
          sim.at(at, () => cpu.enqueue(r));
        });
        sim.run({ until: 60_000_000 });
        const slice = 750_000 * (1 + Math.log2(Math.min(8, host.cpus.length)));
        const bound = host.tickNs * 2 + run + arrivals.length * (slice + 200_000 + run);
        expect(waits).toHaveLength(arrivals.length);
        for (const w of waits) expect(w).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 100 },
    );
  });
});
