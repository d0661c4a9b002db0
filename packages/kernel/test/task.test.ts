import { describe, expect, it } from 'vitest';
import { createHost, createSimulation, DelayedWork, getProfile, KernelError, Work, type Host, type Task, type TaskStep } from '../src/index.js';
import { quietHost } from './helpers.js';

describe('kthreads', () => {
  it('sleeps until woken, charging the wakeup cost, and exits on stop', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    const k = host.createKthread(
      'ntb_tx',
      (ctx, task): TaskStep => {
        if (task.shouldStop) return 'exit';
        log.push(`run@${ctx.start}`);
        ctx.charge(100);
        return 'sleep';
      },
      { cpus: 0b10 },
    );
    sim.run();
    expect(k.state).toBe('sleeping');
    sim.at(10_000, () => k.wake());
    sim.run();
    expect(log).toEqual(['run@0', 'run@10000']);
    expect(host.cpu(1).usage().kthread).toBe(100 + 2000 + 100);
    let exited = false;
    k.stop(() => (exited = true));
    sim.run();
    expect(exited).toBe(true);
    expect(k.state).toBe('exited');
    expect(k.wake()).toBe(false);
  });

  it('a wake while running is not lost', () => {
    const { sim, host } = quietHost();
    let runs = 0;
    const k = host.createKthread('k', (ctx) => {
      runs++;
      ctx.charge(1000);
      return runs >= 3 ? 'exit' : 'sleep';
    });
    sim.at(0, () => k.wake());
    sim.run();
    expect(runs).toBe(2);
    expect(k.state).toBe('sleeping');
  });

  it('waits with a timeout: timedOut tells a timeout from a wake', () => {
    const { sim, host } = quietHost();
    const log: string[] = [];
    const k = host.createKthread('k', (ctx, task) => {
      log.push(`${ctx.start}:${task.timedOut}`);
      return log.length >= 3 ? 'exit' : 5_000;
    });
    sim.at(1_000, () => k.wake());
    sim.run();
    expect(log).toEqual(['0:false', '1000:false', `${1000 + 2000 + 5000}:true`]);
  });

  it('wakes on an idle CPU of its mask', () => {
    const { sim, host } = quietHost();
    host.cpu(0).enqueue({ kind: 'user', name: 'hog', run: (ctx) => (ctx.charge(1e6), false) });
    const where: number[] = [];
    host.createKthread('k', (ctx) => (where.push(ctx.cpu.id), 'exit'), { cpus: 0b11 });
    sim.run();
    expect(where).toEqual([1]);
    expect(() => host.createKthread('bad', () => 'exit', { cpus: 0b10000 })).toThrow(/kthread bad cpus/);
  });

  it('start() on a kthread that createKthread already started throws EINVAL and leaves it running once', () => {
    const { sim, host } = quietHost();
    let runs = 0;
    const k = host.createKthread('k', () => (++runs >= 2 ? 'exit' : 'run'));
    let err: unknown;
    try {
      k.start();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe('EINVAL');
    expect((err as KernelError).message).toMatch(/task k: already started/);
    sim.run();
    // The refused second start enqueued nothing: the task ran its two steps once and exited.
    expect(runs).toBe(2);
    expect(k.state).toBe('exited');
  });
});

describe('workqueues', () => {
  it('runs works in order on the kworker of the queueing CPU, once per pending', () => {
    const { sim, host } = quietHost();
    const wq = host.createWorkqueue('ntb');
    const log: string[] = [];
    const a = new Work('a', (ctx) => {
      log.push(`a/${ctx.kind}/cpu${ctx.cpu.id}`);
      ctx.charge(100);
    });
    const b = new Work('b', (ctx) => log.push(`b/cpu${ctx.cpu.id}`));
    expect(wq.queue(a, host.cpu(3))).toBe(true);
    expect(wq.queue(a, host.cpu(3))).toBe(false);
    expect(wq.queue(b, host.cpu(3))).toBe(true);
    sim.run();
    expect(log).toEqual(['a/kthread/cpu3', 'b/cpu3']);
    expect(a.runs).toBe(1);
  });

  it('delayed work runs after its delay in jiffies and can be cancelled', () => {
    const { sim, host } = quietHost({ hz: 250 });
    const wq = host.createWorkqueue('epf');
    const times: number[] = [];
    const d = new DelayedWork('cmd', (ctx) => {
      times.push(ctx.start);
      if (times.length < 3) wq.queueDelayed(d, host.msecsToJiffies(5), ctx);
    });
    const j0 = host.jiffies;
    wq.queueDelayed(d, host.msecsToJiffies(5));
    sim.run();
    expect(times).toHaveLength(3);
    expect(times[0]).toBeGreaterThanOrEqual(host.jiffyStart(j0 + 2));
    const c = new DelayedWork('never', () => times.push(-1));
    wq.queueDelayed(c, 10);
    expect(wq.cancelDelayed(c)).toBe(true);
    sim.run();
    expect(times).not.toContain(-1);
  });

  it('cancel takes a queued work that has not started off its kworker (cancel_work, cancel_delayed_work after the timer fired)', () => {
    const { sim, host } = quietHost({ hz: 250 });
    const wq = host.createWorkqueue('ntb');
    const log: string[] = [];
    const busy = new Work('busy', (ctx) => {
      log.push('busy');
      ctx.charge(50_000_000);
    });
    const w = new Work('w', () => log.push('w'));
    const d = new DelayedWork('d', () => log.push('d'));
    const after = new Work('after', () => log.push('after'));
    const cpu = host.cpu(1);
    wq.queue(busy, cpu);
    wq.queue(w, cpu);
    wq.queueDelayed(d, 0, cpu);
    wq.queue(after, cpu);
    sim.run({ until: sim.now + 1_000_000 });
    expect(log).toEqual(['busy']);
    expect(wq.cancel(w)).toBe(true);
    expect(wq.cancelDelayed(d)).toBe(true);
    expect(wq.cancel(w)).toBe(false);
    expect(wq.cancelDelayed(d)).toBe(false);
    expect([w.pending, d.pending]).toEqual([false, false]);
    sim.run();
    expect(log).toEqual(['busy', 'after']);
    expect(wq.queue(w, cpu)).toBe(true);
    sim.run();
    expect(log).toEqual(['busy', 'after', 'w']);
    expect(wq.cancel(w)).toBe(false);
  });
});

describe('a task never overlaps itself', () => {
  it('a wake during the cost of its last step takes effect when the step ends, on whichever CPU', () => {
    const { sim, host } = quietHost();
    const spans: [number, number][] = [];
    let n = 0;
    const k = host.createKthread('k', (ctx) => {
      ctx.charge(10_000);
      spans.push([ctx.start, ctx.time]);
      return ++n >= 3 ? 'exit' : 'sleep';
    });
    sim.at(1_000, () => k.wake());
    sim.at(15_000, () => k.wake());
    sim.run();
    expect(spans).toHaveLength(3);
    for (let i = 1; i < spans.length; i++) expect((spans[i] as [number, number])[0]).toBeGreaterThanOrEqual((spans[i - 1] as [number, number])[1]);
  });

  it('a timeout that expires during the step is honoured once the step ends', () => {
    const { sim, host } = quietHost();
    const starts: number[] = [];
    host.createKthread('k', (ctx) => {
      starts.push(ctx.start);
      ctx.charge(10_000);
      return starts.length >= 2 ? 'exit' : 1_000;
    });
    sim.run();
    expect(starts[1]).toBeGreaterThanOrEqual(10_000 + 1_000);
  });
});

describe('dispatch while busy', () => {
  it('a task resumed as its step ends does not let a stale dispatch start a second context on the same CPU', () => {
    const { sim, host } = quietHost({ cpus: 1 });
    const spans: [string, number, number][] = [];
    let n = 0;
    const k = host.createKthread('k', (ctx) => {
      ctx.charge(5_000);
      spans.push(['k', ctx.start, ctx.time]);
      return ++n >= 2 ? 'exit' : 'sleep';
    });
    sim.at(1_000, () => {
      k.wake();
      host.cpu(0).enqueue({ kind: 'user', name: 'r', run: (ctx) => (ctx.charge(1_000), spans.push(['r', ctx.start, ctx.time]), false) });
    });
    sim.run();
    const sorted = [...spans].sort((a, b) => a[1] - b[1]);
    for (let i = 1; i < sorted.length; i++) expect((sorted[i] as [string, number, number])[1]).toBeGreaterThanOrEqual((sorted[i - 1] as [string, number, number])[2]);
    expect(spans.map((x) => x[0]).sort()).toEqual(['k', 'k', 'r']);
  });
});

describe('wake-up CPU choice (select_task_rq_fair)', () => {
  type Wake = (host: Host, app: Task) => void;
  /**
   * A 4-CPU rcar-s4 host (cache domains {0,1} and {2,3}). Pinned hogs hold the `before` CPUs
   * while `app` starts (so it starts on the first other CPU, and sleeps) and exit at 0.5 ms;
   * hogs take the `after` CPUs from 0.6 ms on; `wake` runs at 1 ms. Returns the CPU `app`
   * started on, the one it woke on, and the CPUs a function call IPI reached.
   */
  function wakeOn(before: readonly number[], after: readonly number[], wake: Wake): { started: number; woke: number; ipi: number[] } {
    const { sim, host } = quietHost();
    const ran: number[] = [];
    const hog = (c: number): Task =>
      host.createUserTask(`hog${c}`, (ctx, t) => {
        if (t.shouldStop) return 'exit';
        ctx.charge(50_000);
        return 'run';
      }, { cpus: 1 << c });
    const early = before.map(hog);
    const app = host.createUserTask('app', (ctx) => {
      ran.push(ctx.cpu.id);
      ctx.charge(1_000);
      return 'sleep';
    });
    sim.at(500_000, () => early.forEach((t) => t.stop()));
    sim.at(600_000, () => after.forEach(hog));
    sim.at(1_000_000, () => wake(host, app));
    sim.run({ until: 5_000_000 });
    const ipi = host.cpus.filter((c) => c.ipis['call-function'] > 0).map((c) => c.id);
    expect(host.cpus.map((c) => c.ipis['call-function']).reduce((a, b) => a + b, 0)).toBe(ipi.length);
    return { started: ran[0] ?? -1, woke: ran[1] ?? -1, ipi };
  }
  const fromTasklet = (cpu: number): Wake => (host, app) => {
    host.createTasklet('rx', () => {
      app.wake(true);
      return false;
    }).schedule(host.cpu(cpu));
  };
  const fromTaskOn2 = (sync: boolean): Wake => (host, app) => {
    host.createUserTask('waker', (ctx) => {
      ctx.charge(10_000);
      app.wake(sync);
      ctx.charge(200_000);
      return 'exit';
    }, { cpus: 1 << 2 });
  };

  it('a softirq on an idle CPU leaves that CPU idle to the scheduler: the wakee stays on its idle previous CPU, cache-affine or not', () => {
    expect(wakeOn([0], [], fromTasklet(0))).toEqual({ started: 1, woke: 1, ipi: [1] });
    expect(wakeOn([0, 1], [], fromTasklet(0))).toEqual({ started: 2, woke: 2, ipi: [2] });
  });

  it('with its previous CPU busy, the wakee moves to the waking CPU when that is idle and shares its cache', () => {
    expect(wakeOn([0], [1], fromTasklet(0))).toEqual({ started: 1, woke: 0, ipi: [] });
  });

  it('softirq work run by ksoftirqd makes its CPU busy: the wakee goes to the idle sibling in the cache domain', () => {
    const { sim, host } = quietHost();
    const ran: number[] = [];
    const app = host.createUserTask('app', (ctx) => {
      ran.push(ctx.cpu.id);
      ctx.charge(1_000);
      return 'sleep';
    });
    let n = 0;
    const flood = host.createTasklet('flood', (ctx) => {
      ctx.charge(400_000);
      if (++n === 40) app.wake(true);
      flood.schedule(ctx);
      return false;
    });
    sim.at(100_000, () => flood.schedule(host.cpu(0)));
    sim.run({ until: 30_000_000 });
    expect({ idle: host.cpu(0).schedIdle, tasks: host.cpu(0).nrRunning }).toEqual({ idle: false, tasks: 1 });
    expect(ran).toEqual([0, 1]);
  });

  it('a sync wake from the only task of a CPU pulls the wakee into that cache domain; a plain one keeps it in its previous one', () => {
    expect(wakeOn([0], [1], fromTaskOn2(true))).toEqual({ started: 1, woke: 3, ipi: [3] });
    expect(wakeOn([0], [1], fromTaskOn2(false))).toEqual({ started: 1, woke: 0, ipi: [0] });
  });

  it('a wake onto another CPU costs it a function call IPI (the wakelist) when it is idle or outside the waker\'s cache domain; onto a busy sibling, none', () => {
    // From the tasklet's CPU to an idle sibling, and to an idle CPU of the other domain: one IPI each
    // (above). Onto the busy previous CPU in the waker's domain: the wakee waits for its slice, no IPI.
    expect(wakeOn([0, 1, 2], [3], fromTaskOn2(false))).toEqual({ started: 3, woke: 3, ipi: [] });
  });

  it("a timed-out sleep is woken from the CPU it slept on, where its timer fired: an IPI only if it moves", () => {
    const { sim, host } = quietHost();
    const ran: number[] = [];
    const app = host.createUserTask('app', (ctx) => {
      ran.push(ctx.cpu.id);
      ctx.charge(1_000);
      return ran.length === 1 ? 2_000_000 : 'exit';
    }, { cpus: 0b11 });
    sim.at(600_000, () => {
      host.createUserTask('hog', (ctx, t) => {
        if (t.shouldStop) return 'exit';
        ctx.charge(50_000);
        return 'run';
      }, { cpus: 1 << (ran[0] ?? 0) });
    });
    sim.run({ until: 5_000_000 });
    expect(app.timedOut).toBe(true);
    // Its CPU busy with the hog, select_idle_sibling moves it to the idle sibling: an IPI there.
    expect(ran).toEqual([0, 1]);
    expect(host.cpus.map((c) => c.ipis['call-function'])).toEqual([0, 1, 0, 0]);
  });
});

describe('workqueue: a work never runs on two CPUs at once', () => {
  it('queued from another CPU while it runs, it goes to the kworker running it and runs after that run', () => {
    const sim = createSimulation({ seed: 1 });
    const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    const wq = host.createWorkqueue('wq');
    const spans: { cpu: number; start: number; end: number }[] = [];
    const work = new Work('w', (ctx) => {
      const start = ctx.time;
      ctx.charge(1_000_000);
      spans.push({ cpu: ctx.cpu.id, start, end: ctx.time });
    });
    wq.queue(work, host.cpu(0));
    sim.at(500_000, () => {
      host.createKthread('requeue', () => {
        expect(wq.queue(work)).toBe(true);
        return 'exit';
      }, { cpus: 1 << 1 });
    });
    sim.run({ until: 10_000_000 });
    expect(spans).toHaveLength(2);
    expect(spans.map((s) => s.cpu)).toEqual([0, 0]);
    expect(spans[1]?.start).toBeGreaterThanOrEqual(spans[0]?.end ?? Infinity);
  });

  it('queued after its run ended, it goes to the CPU given', () => {
    const sim = createSimulation({ seed: 1 });
    const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    const wq = host.createWorkqueue('wq');
    const cpus: number[] = [];
    const work = new Work('w', (ctx) => {
      cpus.push(ctx.cpu.id);
      ctx.charge(1000);
    });
    wq.queue(work, host.cpu(0));
    sim.run({ until: 1_000_000 });
    wq.queue(work, host.cpu(2));
    sim.run({ until: 2_000_000 });
    expect(cpus).toEqual([0, 2]);
  });
});

describe('scheduler statistics (/proc/stat ctxt and processes)', () => {
  it('counts a context switch when another task, or the idle task, takes the CPU; an interrupt or a softirq is none; each started task is a fork', () => {
    const { sim, host } = quietHost({ cpus: 1 });
    const cpu = host.cpu(0);
    expect(host.totalForks).toBe(0);
    const steps = (name: string, n: number): Task => {
      let left = n;
      return host.createKthread(name, (ctx): TaskStep => {
        ctx.charge(1_000_000);
        return --left > 0 ? 'run' : 'exit';
      });
    };
    // One task alone: idle -> a, a -> idle.
    steps('a', 2);
    sim.run();
    expect(cpu.nrSwitches).toBe(2);
    // An interrupt and a tasklet on the idle CPU switch no task.
    const irq = host.requestIrq('irq', (ctx) => ctx.charge(1000));
    irq.raise();
    host.createTasklet('t', () => false).schedule(cpu);
    sim.run();
    expect(cpu.nrSwitches).toBe(2);
    // Two tasks of 3 ms each share the CPU in 0.75 ms+ slices: they alternate, then idle.
    steps('b', 3);
    steps('c', 3);
    sim.run();
    expect(cpu.nrSwitches).toBeGreaterThanOrEqual(2 + 4);
    expect(host.totalForks).toBe(3);
  });
});
