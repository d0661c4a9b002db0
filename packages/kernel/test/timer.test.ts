import { describe, expect, it } from 'vitest';
import { createHost, createSimulation, DelayedWork, getProfile, NS_PER_MS, type Hrtimer, type Timer } from '../src/index.js';
import { quietHost } from './helpers.js';

describe('jiffies and Timer', () => {
  it('usecs_to_jiffies and msecs_to_jiffies round up', () => {
    const { host } = quietHost({ hz: 250 });
    expect(host.usecsToJiffies(1)).toBe(1);
    expect(host.usecsToJiffies(4000)).toBe(1);
    expect(host.usecsToJiffies(4001)).toBe(2);
    expect(host.msecsToJiffies(5)).toBe(2);
    expect(host.msecsToJiffies(0)).toBe(0);
    expect(host.tickNs).toBe(4 * NS_PER_MS);
  });

  it('jiffies_to_msecs is exact where HZ divides 1000 and rounds up at HZ 300', () => {
    expect(quietHost({ hz: 250 }).host.jiffiesToMsecs(187)).toBe(748);
    expect(quietHost({ hz: 100 }).host.jiffiesToMsecs(3)).toBe(30);
    expect(quietHost({ hz: 1000 }).host.jiffiesToMsecs(1574)).toBe(1574);
    // HZ 300: DIV_ROUND_UP(j * 10, 3).
    expect(quietHost({ hz: 300 }).host.jiffiesToMsecs(1)).toBe(4);
    expect(quietHost({ hz: 300 }).host.jiffiesToMsecs(3)).toBe(10);
    expect(quietHost({ hz: 300 }).host.jiffiesToMsecs(0)).toBe(0);
  });

  it('a 1 us timeout fires at the next tick boundary, never before, at most one jiffy later', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { sim, host } = quietHost({ seed, hz: 250 });
      sim.run({ until: 1_234_567 });
      const armedAt = sim.now;
      const j0 = host.jiffies;
      let firedAt = -1;
      let jiffiesAtFire = -1;
      const t = host.createTimer('wake', (ctx) => {
        firedAt = ctx.start;
        jiffiesAtFire = host.jiffies;
      });
      t.mod(host.jiffies + host.usecsToJiffies(1));
      expect(t.pending).toBe(true);
      sim.run();
      expect(jiffiesAtFire).toBe(j0 + 1);
      expect(firedAt).toBe(host.jiffyStart(j0 + 1));
      expect(firedAt).toBeGreaterThan(armedAt);
      expect(firedAt - armedAt).toBeLessThanOrEqual(host.tickNs);
      expect(t.pending).toBe(false);
    }
  });

  it('runs in softirq context on the arming CPU; mod re-arms and del cancels', () => {
    const { sim, host } = quietHost();
    const fired: string[] = [];
    const t = host.createTimer('t', (ctx) => fired.push(`${ctx.kind}/cpu${ctx.cpu.id}/j${host.jiffies}`));
    t.mod(5, host.cpu(2));
    expect(t.mod(10)).toBe(true);
    sim.run();
    expect(fired).toEqual(['softirq/cpu2/j10']);
    t.mod(host.jiffies + 3);
    expect(t.del()).toBe(true);
    expect(t.del()).toBe(false);
    sim.run();
    expect(fired).toHaveLength(1);
  });

  it('an already expired jiffy fires at the next tick', () => {
    const { sim, host } = quietHost();
    sim.run({ until: 50 * NS_PER_MS });
    const j = host.jiffies;
    let at = -1;
    host.createTimer('late', (ctx) => (at = ctx.start)).mod(j - 5);
    sim.run();
    expect(at).toBe(host.jiffyStart(j + 1));
  });
});

describe('Hrtimer', () => {
  it('fires at the exact ns in hardirq (hard) or softirq (soft) context', () => {
    const { sim, host } = quietHost();
    const seen: string[] = [];
    host.createHrtimer('h', (ctx) => seen.push(`${ctx.kind}@${ctx.start}`), 'hard').start(250_000, host.cpu(1));
    host.createHrtimer('s', (ctx) => seen.push(`${ctx.kind}@${ctx.start}`), 'soft').start(300_000);
    const c = host.createHrtimer('c', () => seen.push('cancelled'));
    c.start(100);
    expect(c.cancel()).toBe(true);
    sim.run();
    expect(seen).toEqual(['hardirq@250000', 'softirq@300000']);
  });
});

describe('a timer expired while its CPU is busy stays pending until its callback starts', () => {
  /** Host with a 20 ms tasklet occupying CPU 0 from t=0, and a timer on CPU 0 expiring inside it. */
  function busyCpu0(): { sim: ReturnType<typeof createSimulation>; host: ReturnType<typeof createHost>; runs: number[]; timer: Timer; hr: Hrtimer; hrRuns: number[] } {
    const sim = createSimulation({ seed: 1 });
    const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    const runs: number[] = [];
    const hrRuns: number[] = [];
    const timer = host.createTimer('t', (ctx) => runs.push(ctx.time));
    const hr = host.createHrtimer('hr', (ctx) => hrRuns.push(ctx.time), 'soft');
    host.createTasklet('hog', (ctx) => {
      ctx.charge(20_000_000);
      return false;
    }).schedule(host.cpu(0));
    timer.mod(host.jiffies + 1, host.cpu(0));
    hr.start(100_000, host.cpu(0));
    return { sim, host, runs, timer, hr, hrRuns };
  }

  it('del_timer and hrtimer_cancel from another CPU remove it: true, no callback', () => {
    const r = busyCpu0();
    r.sim.run({ until: 10_000_000 });
    expect([r.timer.pending, r.hr.pending]).toEqual([true, true]);
    const got: boolean[] = [];
    r.host.createKthread('canceller', () => {
      got.push(r.timer.del(), r.hr.cancel());
      return 'exit';
    }, { cpus: 1 << 1 });
    r.sim.run({ until: 100_000_000 });
    expect(got).toEqual([true, true]);
    expect([r.runs, r.hrRuns]).toEqual([[], []]);
    expect([r.timer.pending, r.hr.pending]).toEqual([false, false]);
  });

  it('mod_timer and hrtimer_start move it: the callback runs once, at the new time', () => {
    const r = busyCpu0();
    r.sim.run({ until: 10_000_000 });
    const j0 = r.host.jiffies;
    r.host.createKthread('mover', () => {
      expect(r.timer.mod(j0 + 50)).toBe(true);
      r.hr.start(50_000_000);
      return 'exit';
    }, { cpus: 1 << 1 });
    r.sim.run({ until: 400_000_000 });
    expect(r.runs).toHaveLength(1);
    expect(r.runs[0]).toBeGreaterThanOrEqual(r.host.jiffyStart(j0 + 50));
    expect(r.hrRuns).toHaveLength(1);
    expect(r.hrRuns[0]).toBeGreaterThanOrEqual(60_000_000);
  });

  it('cancel_delayed_work of a work whose timer fired behind a busy CPU: true, and the work never runs', () => {
    const r = busyCpu0();
    const wq = r.host.createWorkqueue('wq');
    let ran = 0;
    const dw = new DelayedWork('dw', () => ran++);
    wq.queueDelayed(dw, 1, r.host.cpu(0));
    r.sim.run({ until: 10_000_000 });
    let got: boolean | null = null;
    r.host.createKthread('canceller', () => {
      got = wq.cancelDelayed(dw);
      return 'exit';
    }, { cpus: 1 << 1 });
    r.sim.run({ until: 100_000_000 });
    expect([got, ran]).toEqual([true, 0]);
  });

  it('a timer, hrtimer or tasklet armed from a context without a CPU argument runs on the CPU that armed it', () => {
    const sim = createSimulation({ seed: 1 });
    const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
    const cpus: Record<string, number> = {};
    const t = host.createTimer('t', (ctx) => (cpus.timer = ctx.cpu.id));
    const hr = host.createHrtimer('hr', (ctx) => (cpus.hrtimer = ctx.cpu.id), 'hard');
    const tl = host.createTasklet('tl', (ctx) => {
      cpus.tasklet = ctx.cpu.id;
      return false;
    });
    host.createKthread('armer', () => {
      t.mod(host.jiffies + 1);
      hr.start(1000);
      tl.schedule();
      return 'exit';
    }, { cpus: 1 << 3 });
    sim.run({ until: 50_000_000 });
    expect(cpus).toEqual({ timer: 3, hrtimer: 3, tasklet: 3 });
  });
});
