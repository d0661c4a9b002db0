import { describe, expect, it } from 'vitest';
import { NS_PER_MS } from '../src/index.js';
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
