import { describe, expect, it } from 'vitest';
import { createHost, createSimulation, getProfile, type TraceRecord } from '../src/index.js';

/** A noisy mixed workload: IRQs, tasklets, kthreads, timers, on the real rcar-s4 profile. */
function scenario(seed: number): { trace: TraceRecord[]; usage: unknown } {
  const sim = createSimulation({ seed, traceCapacity: 100_000 });
  const host = createHost(sim, { name: 'ep', profile: getProfile('rcar-s4') });
  let frames = 0;
  const rx = host.createTasklet('rx', (ctx) => {
    ctx.charge(host.costs.memcpyFromCoherent(1500 + sim.rng.int(64_000)));
    return ++frames % 4 !== 0;
  });
  const irq = host.requestIrq('db', (ctx) => rx.schedule(ctx), { affinity: 0b110 });
  const k = host.createKthread('tx', (ctx, t) => {
    if (t.shouldStop) return 'exit';
    ctx.charge(host.costs.memcpyToio(65_536));
    irq.raise();
    return sim.rng.int(2) === 0 ? 'run' : 20_000;
  });
  const timer = host.createTimer('reap', (ctx) => {
    k.wake();
    timer.mod(host.jiffies + 1, ctx);
  });
  timer.mod(1);
  sim.run({ until: 50_000_000 });
  return { trace: sim.trace?.toArray() ?? [], usage: host.usage() };
}

describe('determinism', () => {
  it('the same seed gives an identical trace; another seed a different one', () => {
    const a = scenario(11);
    const b = scenario(11);
    const c = scenario(12);
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    expect(c.trace).not.toEqual(a.trace);
  });

  it('keeps a bounded trace, oldest dropped first', () => {
    const sim = createSimulation({ traceCapacity: 3 });
    for (let i = 0; i < 5; i++) sim.record({ host: 'h', cpu: 0, what: 'x', name: `r${i}`, value: 0 });
    expect(sim.trace?.toArray().map((r) => r.name)).toEqual(['r2', 'r3', 'r4']);
    expect(sim.trace?.dropped).toBe(2);
  });
});
